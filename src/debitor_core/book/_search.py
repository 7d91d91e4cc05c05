"""Finding customers: by id, by number, and by free text and filters."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from debitor_core import _rules
from debitor_core._category import Category
from debitor_core._checks import run_rule
from debitor_core._model import Customer, FieldValue
from debitor_core.book._arguments import (
    checked_choice,
    checked_optional_int,
    checked_text,
    wrong_type,
)
from debitor_core.book._read_model import (
    CustomerQuery,
    find_by_number_forwarded,
    find_forwarded,
)
from debitor_core.book._types import CategoryRef, Definitions, SearchResult, SortKey
from debitor_core.book._unit_of_work import UnitOfWork

__all__ = ["CustomerSearch"]


class CustomerSearch:
    """Look customers up and search them, through the read model."""

    def __init__(self, uow: UnitOfWork) -> None:
        """Search what ``uow`` keeps."""
        self._uow = uow

    def get(self, customer_id: uuid.UUID | str) -> Customer:
        """The customer with this id, or the one it was merged into (`NotFound` otherwise)."""
        self._uow.catch_up()
        return find_forwarded(self._uow.model, customer_id)

    def get_by_number(self, number: int) -> Customer:
        """The customer with this number, or the one its holder was merged into."""
        self._uow.catch_up()
        return find_by_number_forwarded(self._uow.model, number)

    def count(self) -> int:
        """How many customers the book holds, archived ones included."""
        self._uow.catch_up()
        return self._uow.model.count()

    def search(
        self,
        text: str | None,
        *,
        category: CategoryRef | Iterable[CategoryRef] | None,
        match: Literal["any", "all"],
        subcategories: bool,
        country: str | None,
        city: str | None,
        custom_fields: Mapping[str, Any] | None,
        archived: bool | None,
        sort: SortKey,
        descending: bool,
        offset: int,
        limit: int | None,
        include_private: bool = True,
    ) -> SearchResult:
        """Find customers by free text and filters (see `CustomerBook.search`).

        ``include_private`` says whether the text may be found in private text (notes,
        personal-data text fields); a view without the grant passes ``False``.
        """
        text = checked_text("search", "text", text) or ""
        city = checked_text("search", "city", city)
        checked_text("search", "country", country)
        checked_choice("search", "match", match, ("any", "all"))
        checked_choice("search", "sort", sort, ("number", "name", "created"))
        checked_choice("search", "archived", archived, (False, True, None))
        for name, flag in (("subcategories", subcategories), ("descending", descending)):
            if not isinstance(flag, bool):
                wrong_type("search", name, flag, "True or False")
        offset = checked_optional_int("search", "offset", offset, 0) or 0
        limit = checked_optional_int("search", "limit", limit, 0)
        if custom_fields is not None and not isinstance(custom_fields, Mapping):
            wrong_type(
                "search", "custom_fields", custom_fields, "a mapping of field keys to values"
            )
        uow = self._uow
        uow.catch_up()
        definitions = uow.definitions
        query = CustomerQuery(
            text=text,
            categories=_groups(definitions, category, subcategories=subcategories),
            match_all=match == "all",
            country=None
            if country is None
            else run_rule("country", _rules.validate_country, country),
            city=None if city is None else " ".join(city.split()),
            custom_fields=_field_values(definitions, custom_fields or {}),
            archived=archived,
            include_private=include_private,
        )
        return uow.model.search(query, sort=sort, descending=descending, offset=offset, limit=limit)


def _groups(
    definitions: Definitions,
    category: CategoryRef | Iterable[CategoryRef] | None,
    *,
    subcategories: bool,
) -> tuple[frozenset[uuid.UUID], ...]:
    """One group of category ids per category asked for (`NotFound` for an unknown one)."""
    if category is None:
        return ()
    if isinstance(category, Category | uuid.UUID | str):
        refs: list[CategoryRef] = [category]
    elif isinstance(category, bytes | Mapping) or not isinstance(category, Iterable):
        wrong_type("search", "category", category, "categories (objects, ids or names)")
    else:
        refs = list(category)
    return tuple(definitions.group(definitions.category(ref), subcategories) for ref in refs)


def _field_values(
    definitions: Definitions, raw: Mapping[str, Any]
) -> tuple[tuple[str, FieldValue], ...]:
    """Each custom-field filter's value, read by the field's definition."""
    return tuple(
        (key, run_rule(f"custom_fields.{key}", definitions.field(key).validate, value))
        for key, value in raw.items()
    )
