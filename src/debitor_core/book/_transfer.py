"""Export and import: a whole book as JSON-ready data, and back, all or nothing."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import attrs
import cattrs

from debitor_core._category import Category
from debitor_core._converter import make_converter
from debitor_core._errors import Problem, ValidationError
from debitor_core._fields import CustomFieldDefinition
from debitor_core._form import FormContext, customer_to_form, parse_form
from debitor_core._history import HistoryAction
from debitor_core._model import Customer
from debitor_core.book._build import number_problems, with_draft
from debitor_core.book._read_model import EVERYONE
from debitor_core.book._types import BookSettings
from debitor_core.book._unit_of_work import UnitOfWork

__all__ = ["Transfer"]


class Transfer:
    """Export a book's data, and import what an export produced."""

    def __init__(self, uow: UnitOfWork, settings: BookSettings) -> None:
        """Read and write through ``uow``; check imports by ``settings``."""
        self._uow = uow
        self._settings = settings

    def export(self, *, include_private: bool) -> dict[str, Any]:
        """Categories, custom fields and customers as JSON-ready data (see `export`)."""
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            definitions = uow.definitions
            customers = list(uow.model.search(EVERYONE))
        if not include_private:
            customers = [attrs.evolve(c, notes=(), attachments=(), consents=()) for c in customers]
        converter = make_converter()
        return {
            "categories": converter.unstructure(list(definitions.categories.values())),
            "custom_fields": converter.unstructure(list(definitions.fields.values())),
            "customers": converter.unstructure(customers),
        }

    def import_data(self, data: Mapping[str, Any], author: str | None = None) -> list[Customer]:
        """Import what `export` produced, all or nothing (see `CustomerBook.import_data`)."""
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            definitions = uow.definitions
            categories, fields, customers = _read_export(data)
            mapping = {c.name.casefold(): c.id for c in definitions.categories.values()}
            renumber = {c.id: mapping.get(c.name.casefold(), c.id) for c in categories}
            context = attrs.evolve(
                definitions.context(self._settings.required),
                categories={**{c.name.casefold(): c.id for c in categories}, **mapping},
                fields={**{f.key: f for f in fields}, **definitions.fields},
            )
            names = {**{c.id: c.name for c in categories}, **definitions.category_names()}
            ids: set[uuid.UUID] = set()
            numbers: set[int] = set()
            problems: list[Problem] = []
            checked: list[Customer] = []
            for position, record in enumerate(customers):
                customer = attrs.evolve(
                    record,
                    categories=tuple(sorted(renumber.get(c, c) for c in record.categories)),
                )
                normal, found = self._check(customer, context, names, ids, numbers)
                problems += [p.at(f"customers[{position}]") for p in found]
                ids.add(customer.id)
                numbers.add(customer.number)
                checked.append(normal)
            if problems:
                raise ValidationError(problems)
            with uow.transaction(author=author, at=self._settings.clock()) as tx:
                for category in categories:
                    if category.name.casefold() not in mapping:
                        tx.put_category(category)
                for definition in fields:
                    if definition.key not in definitions.fields:
                        tx.put_custom_field(definition)
                for customer in checked:
                    tx.add(customer, action=HistoryAction.IMPORTED)
            return checked

    def _check(
        self,
        customer: Customer,
        context: FormContext,
        names: Mapping[uuid.UUID, str],
        ids: set[uuid.UUID],
        numbers: set[int],
    ) -> tuple[Customer, list[Problem]]:
        """Check an imported customer like a form; return it in normal form, and problems.

        ``ids`` and ``numbers`` are those of the customers imported before it.
        """
        model = self._uow.model
        previous = attrs.evolve(context, previous_fields=customer.custom_fields)
        draft, found = parse_form(customer_to_form(customer, names), previous)
        problems = [p for p in found if p.is_error]
        if customer.id in ids or model.get(customer.id) is not None:
            msg = f"A customer with the id {customer.id} is already in the book."
            problems.append(Problem("id", "id.taken", msg, value=str(customer.id)))
        problems += number_problems(
            customer.number, lambda n: n in numbers or model.get_by_number(n) is not None
        )
        return (customer if problems else with_draft(customer, draft)), problems


def _read_export(
    data: Mapping[str, Any],
) -> tuple[list[Category], list[CustomFieldDefinition], list[Customer]]:
    converter = make_converter()
    try:
        return (
            converter.structure(data.get("categories", []), list[Category]),
            converter.structure(data.get("custom_fields", []), list[CustomFieldDefinition]),
            converter.structure(data["customers"], list[Customer]),
        )
    except (KeyError, TypeError, ValueError, AttributeError, cattrs.BaseValidationError) as exc:
        msg = f"The data is not an export of a customer book ({exc})."
        raise ValidationError.single("import.format", msg, None) from exc
