"""What the book's parts share: result types, the book's settings, and its definitions.

Every part of the book imports from here and from the domain; nothing here imports a part.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

import attrs

from debitor_core import _i18n
from debitor_core._category import Category, descendants
from debitor_core._errors import NotFound, Problem, ValidationError
from debitor_core._fields import CustomFieldDefinition
from debitor_core._form import CustomerDraft, FormContext, RequiredFields, is_blank, parse_form
from debitor_core._invoice import Invoice
from debitor_core._model import Customer, FieldValue
from debitor_core._shown import shown
from debitor_core._text import fold, text_field_keys
from debitor_core._welcome import WelcomeInvoicePolicy

__all__ = [
    "BookSettings",
    "CategoryCount",
    "CategoryRef",
    "Definitions",
    "DuplicateMatch",
    "ReferenceCheck",
    "Review",
    "SearchResult",
    "SortKey",
    "WelcomeSender",
    "checked_defaults",
    "with_defaults",
]

SortKey = Literal["number", "name", "created"]
"""How a search orders customers."""

CategoryRef = Category | uuid.UUID | str
"""A category given by object, id or name."""

ReferenceCheck = Callable[[Customer], str | None]
"""Says why a customer cannot be deleted ("has 3 invoices"), or ``None``."""


@attrs.frozen(repr=False)
class DuplicateMatch:
    """A stored customer that looks like the one being registered.

    Attributes:
        customer: The stored customer (archived ones included).
        evidence: What matched: ``tax_id``, ``email``, ``phone``, ``name_city``.
    """

    customer: Customer
    evidence: tuple[str, ...]

    @property
    def description(self) -> str:
        """A sentence for the clerk: "Customer 12 (SIA Koks) has the same email address."."""
        return self.description_in(_i18n.SOURCE_LANGUAGE)

    def description_in(self, locale: str) -> str:
        """`description` in the language of ``locale`` (``lv``, ``de``; English otherwise)."""
        params = {
            "number": self.customer.number,
            "name": self.customer.name,
            "evidence": self.evidence,
            "archived": self.customer.archived,
        }
        return _i18n.render_message("duplicate.description", params, locale)

    def __repr__(self) -> str:
        return f"<DuplicateMatch #{self.customer.number} {','.join(self.evidence)}>"


@attrs.frozen(repr=False)
class Review:
    """What registering a form would do, worked out without changing anything.

    Attributes:
        draft: The form's values, normalised (fields with errors are ``None``).
        customer: The customer as it would be stored, or ``None`` when there are errors.
        problems: Every error and warning.
        duplicates: Stored customers that look like this one, with the evidence.
        number: The customer number it would get.
        welcome_invoice: The welcome invoice registration would create, if any.
    """

    draft: CustomerDraft
    customer: Customer | None
    problems: tuple[Problem, ...]
    duplicates: tuple[DuplicateMatch, ...]
    number: int
    welcome_invoice: Invoice | None = None

    @property
    def ok(self) -> bool:
        """Whether registration would succeed (no errors; warnings are fine)."""
        return self.customer is not None

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that block saving."""
        return tuple(p for p in self.problems if p.is_error)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The problems that are advice only."""
        return tuple(p for p in self.problems if not p.is_error)

    def __repr__(self) -> str:
        state = "ok" if self.ok else f"{len(self.errors)} errors"
        return f"<Review #{self.number} {state}, {len(self.duplicates)} duplicates>"


class SearchResult(Sequence[Customer]):
    """One page of customers matching a search, in the order asked for.

    Iterate it, index it, or take `items`; `total` counts every match (all pages).
    """

    def __init__(self, items: Sequence[Customer], total: Callable[[], int], offset: int) -> None:
        """Create a page; ``total`` is called once, when first asked for."""
        self.items: tuple[Customer, ...] = tuple(items)
        self.offset = offset
        self._total = total
        self._total_value: int | None = None

    @property
    def total(self) -> int:
        """How many customers match, across all pages."""
        if self._total_value is None:
            self._total_value = self._total()
        return self._total_value

    def __getitem__(self, index: Any) -> Any:  # noqa: ANN401 - int or slice, as Sequence
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return f"<SearchResult {len(self.items)} from offset {self.offset}>"


@attrs.frozen
class CategoryCount:
    """A line of the category report.

    Attributes:
        category: The category.
        customers: Customers in it or in any of its sub-categories.
        direct: Customers in it directly.
    """

    category: Category
    customers: int
    direct: int


@runtime_checkable
class WelcomeSender(Protocol):
    """What the host app provides to deliver welcome invoices (by email, post, ...).

    `send` may be called more than once for the same invoice (delivery is at least
    once); ``idempotency_key`` is the same every time, so the sender can drop repeats.
    Raising any exception marks the attempt failed; it is retried later.
    """

    def send(self, invoice: Invoice, *, idempotency_key: str) -> None:
        """Deliver ``invoice`` to its customer."""
        ...


@attrs.define
class BookSettings:
    """The book's choices, shared by its parts (the facade exposes them as attributes).

    Attributes:
        required: The required-fields policy.
        duplicates: ``"warn"`` or ``"reject"``.
        defaults: Raw values a blank form starts with.
        clock: Returns the current UTC time.
        welcome: The welcome-invoice policy, or ``None``.
        sender: Delivers welcome invoices, or ``None``.
        locale: The language of the book's problems and sentences (``en``, ``lv``).
        timezone: The business's time zone: "today" and due dates are its days.
        lease: How long a `deliver_pending` worker holds the deliveries it claimed.
    """

    required: RequiredFields
    duplicates: Literal["warn", "reject"]
    defaults: Mapping[str, Any]
    clock: Callable[[], dt.datetime]
    welcome: WelcomeInvoicePolicy | None
    sender: WelcomeSender | None
    locale: str = "en"
    timezone: dt.tzinfo = dt.UTC
    lease: dt.timedelta = dt.timedelta(minutes=5)

    def today(self) -> dt.date:
        """Today in the book's time zone, by its clock."""
        return self.clock().astimezone(self.timezone).date()


def with_defaults(form: Mapping[str, Any], defaults: Mapping[str, Any]) -> Mapping[str, Any]:
    """``form`` with ``defaults`` wherever it leaves a field out or blank.

    Address parts and custom fields are filled one by one; a form given flat
    (``address.city``) keeps its shape. A form that is not a mapping is returned as it
    is, for the rules to refuse.
    """
    if not defaults or not isinstance(form, Mapping):
        return form
    filled = dict(form)
    for key, value in defaults.items():
        if key in ("address", "custom_fields") and isinstance(value, Mapping):
            given = filled.get(key)
            if given is None or is_blank(given):
                given = {}
            if not isinstance(given, Mapping):
                continue  # the rules refuse it
            inner = dict(given)
            for sub, sub_value in value.items():
                flat = f"{key}.{sub}"
                if is_blank(inner.get(sub)) and is_blank(filled.get(flat)):
                    inner[sub] = sub_value
            filled[key] = inner
        elif is_blank(filled.get(key)):
            filled[key] = value
    return filled


def checked_defaults(defaults: object) -> dict[str, Any]:
    """A book's ``defaults=``, refused when it is not a mapping or has unknown keys.

    Raises:
        TypeError: ``defaults`` is not a mapping.
        ValidationError: ``form.unknown_field`` (or ``address.type``) at
            ``defaults.<key>``.
    """
    if defaults is None:
        return {}
    if not isinstance(defaults, Mapping):
        kind = type(defaults).__name__
        msg = _i18n.render_message(
            "argument.type",
            {
                "function": "CustomerBook",
                "parameter": "defaults",
                "expected": "a mapping of form fields to values",
                "type": kind,
            },
        )
        raise TypeError(msg)
    _, found = parse_form(defaults, FormContext(required=RequiredFields.of()))
    unknown = [p.at("defaults") for p in found if p.code in ("form.unknown_field", "address.type")]
    if unknown:
        raise ValidationError(unknown)
    return dict(defaults)


class Definitions:
    """The book's categories and custom fields as of one revision, with lookups over them.

    Not changed once made: the unit of work replaces it when definitions change, so a
    reader holding one sees one consistent set.
    """

    __slots__ = (
        "_context",
        "categories",
        "field_defaults",
        "fields",
        "private_fields",
        "text_fields",
    )

    def __init__(
        self, categories: Iterable[Category] = (), fields: Iterable[CustomFieldDefinition] = ()
    ) -> None:
        """Index ``categories`` by id and ``fields`` by key (in the order given)."""
        self.categories: Mapping[uuid.UUID, Category] = {c.id: c for c in categories}
        self.fields: Mapping[str, CustomFieldDefinition] = {f.key: f for f in fields}
        self.field_defaults: Mapping[str, FieldValue] = {
            k: f.default for k, f in self.fields.items() if f.active and f.default is not None
        }
        self.text_fields = text_field_keys(self.fields.values())
        self.private_fields = frozenset(k for k, f in self.fields.items() if f.personal_data)
        self._context = FormContext(
            categories={c.name.casefold(): c.id for c in self.categories.values()},
            fields=self.fields,
        )

    def context(
        self, required: RequiredFields, previous_fields: Mapping[str, Any] | None = None
    ) -> FormContext:
        """What a form is read against: ``required``, these categories and fields."""
        context = self._context
        if context.required is not required:
            context = self._context = attrs.evolve(context, required=required)
        if previous_fields:
            context = attrs.evolve(context, previous_fields=previous_fields)
        return context

    def with_defaults(self, form: Mapping[str, Any]) -> Mapping[str, Any]:
        """``form`` with custom-field defaults for the fields it does not mention."""
        defaults = self.field_defaults
        if not defaults:
            return form
        given = form.get("custom_fields")
        if given is not None and not isinstance(given, Mapping):
            return form
        return {**form, "custom_fields": {**defaults, **(given or {})}}

    def category(self, ref: CategoryRef) -> Category:
        """Return a category by object, id or name (any case).

        Raises:
            NotFound: there is no such category.
        """
        given: object = ref.id if isinstance(ref, Category) else ref
        if isinstance(given, uuid.UUID):
            found = self.categories.get(given)
        elif isinstance(given, str):
            wanted = " ".join(given.split()).casefold()
            found = next((c for c in self.categories.values() if c.name.casefold() == wanted), None)
        else:
            params = {
                "function": "category",
                "parameter": "ref",
                "expected": "a category, its id or its name",
                "type": type(given).__name__,
            }
            raise TypeError(_i18n.render_message("argument.type", params))
        if found is None:
            params = {"name": shown(given)}
            raise NotFound.coded("category.not_found", params)
        return found

    def group(self, category: Category, subcategories: bool) -> frozenset[uuid.UUID]:  # noqa: FBT001
        """The ids of ``category`` and, if ``subcategories``, of every category below it."""
        if not subcategories:
            return frozenset({category.id})
        return frozenset(descendants([category.id], self.categories))

    def sorted_categories(self) -> list[Category]:
        """Every category, by name."""
        return sorted(self.categories.values(), key=lambda c: fold(c.name))

    def category_names(self) -> dict[uuid.UUID, str]:
        """Each category's name by id."""
        return {c.id: c.name for c in self.categories.values()}

    def field(self, key: str) -> CustomFieldDefinition:
        """Return the definition of the custom field ``key``.

        Raises:
            NotFound: no field has the key.
        """
        try:
            return self.fields[key]
        except (KeyError, TypeError):
            params = {"key": shown(key)}
            raise NotFound.coded("custom_field.not_found", params) from None
