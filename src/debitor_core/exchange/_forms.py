"""Rows of a customer list to forms, and customers back to rows and forms.

A row's cells become a raw form for `CustomerBook.register` (the library's rules do the
checking); a stored customer becomes a row whose cells the import reads back to the
same customer.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs

from debitor_core import (
    ConsentChannel,
    Customer,
    CustomFieldDefinition,
    FieldType,
    Problem,
    customer_to_form,
)
from debitor_core.exchange._columns import (
    ADDRESS_TARGETS,
    COLUMNS,
    CUSTOM_PREFIX,
    PRIVATE_COLUMNS,
    ColumnPlan,
)

__all__ = [
    "FORM_FIELDS",
    "CellValue",
    "RowForm",
    "RowReader",
    "cell_text",
    "customer_form",
    "customer_values",
    "export_columns",
    "field_value",
    "join_list",
    "note_text",
    "split_list",
]

CellValue = str | int | bool | list[str] | None
"""A value of an exported row: text, the customer number, the archived flag, or a list."""

_TRUE: Final = frozenset({"true", "yes", "y", "1", "x", "on", "archived"})
_FALSE: Final = frozenset({"false", "no", "n", "0", "off", "", "active"})
_LIST_SPLIT: Final = re.compile(r"[,;\n]")
_TOP_LEVEL: Final = frozenset(
    {
        "kind", "name", "contact_person", "email", "phone", "website", "tax_id",
        "company_id", "payment_terms", "currency", "language", "notes",
    }
)  # fmt: skip
FORM_FIELDS: Final = (
    "kind", "name", "contact_person", "address", "email", "other_emails", "phone",
    "other_phones", "website", "tax_id", "company_id", "payment_terms", "currency",
    "language", "categories", "custom_fields",
)  # fmt: skip
"""The customer attributes a form sets."""
NOTE_SEPARATOR: Final = "\n\n"


def split_list(cell: str) -> list[str]:
    """Split a list cell: by lines when it has several, else by ``;``.

    >>> split_list("Retailers; Wholesalers")
    ['Retailers', 'Wholesalers']
    """
    parts = cell.splitlines() if "\n" in cell.strip() else cell.split(";")
    return [part.strip() for part in parts if part.strip()]


def join_list(items: Sequence[str]) -> str:
    """Join list items into one cell: ``"; "`` between them, or new lines when an item has ``;``."""
    separator = "\n" if any(";" in item for item in items) else "; "
    return separator.join(items)


def note_text(customer: Customer) -> str:
    """The customer's private notes as one cell, oldest first, a blank line between them."""
    return NOTE_SEPARATOR.join(note.text for note in customer.notes)


@attrs.define
class RowForm:
    """One row read into a raw form.

    Attributes:
        form: The raw form for the book.
        number: The customer number the row asks for, if any.
        archived: Whether the row says the customer is archived (``None``: not said).
        problems: What could not be read before the book's rules ran (a number that is
            not a number, cells beyond the header, ...).
    """

    form: dict[str, Any]
    number: int | None = None
    archived: bool | None = None
    problems: tuple[Problem, ...] = ()

    def add(self, problem: Problem) -> None:
        """Note a problem (rare, so the tuple is rebuilt)."""
        self.problems = (*self.problems, problem)


class RowReader:
    """Reads the cells of a row into a raw form, following a `ColumnPlan`.

    Args:
        plan: What each column holds.
        fields: The book's custom-field definitions by key.
        category_names: The book's category names, case-folded (a cell that names one
            whole is not split at its commas).
        country: The country of rows that have none.
        consent_source: Where consent read from the file is recorded as coming from.
    """

    def __init__(
        self,
        plan: ColumnPlan,
        fields: Mapping[str, CustomFieldDefinition],
        category_names: Iterable[str] = (),
        *,
        country: str | None = None,
        consent_source: str = "customer list import",
    ) -> None:
        """Prepare to read rows of ``plan``; see the class docstring."""
        self.plan = plan
        self.width = len(plan.header)
        self.country = country
        self.consent_source = consent_source
        self._categories = frozenset(category_names)
        self._fields = fields
        self._top: list[tuple[int, str]] = []
        self._address: list[tuple[int, str]] = []
        self._street: list[int] = []
        self._other: list[tuple[int, str]] = []
        for index, target in enumerate(plan.targets):
            if target is None:
                continue
            if target in _TOP_LEVEL:
                self._top.append((index, target))
            elif target == "street":
                self._street.append(index)
            elif target in ADDRESS_TARGETS:
                self._address.append((index, target))
            else:
                self._other.append((index, target))

    def read(self, cells: Sequence[str]) -> RowForm:
        """Read one row's cells (a row shorter than the header has blanks at its end)."""
        if len(cells) < self.width:
            cells = [*cells, *[""] * (self.width - len(cells))]
        form: dict[str, Any] = {}
        for index, target in self._top:
            value = cells[index]
            if value:
                form[target] = value
        address = self._address_of(cells)
        if address:
            form["address"] = address
        row = RowForm(form)
        names: dict[str, str] = {}
        for index, target in self._other:
            value = cells[index]
            if not value.strip():
                continue
            if target in ("contact_first_name", "contact_last_name"):
                names[target] = " ".join(value.split())
            else:
                self._read_other(row, target, value)
        if names and not str(form.get("contact_person", "")).strip():
            parts = (names.get("contact_first_name"), names.get("contact_last_name"))
            form["contact_person"] = " ".join(p for p in parts if p)
        extra = [cell for cell in cells[self.width :] if cell.strip()]
        if extra:
            params = {"count": len(cells), "columns": self.width}
            row.add(Problem("", "row.cells", value=extra[0], params=params))
        return row

    def _address_of(self, cells: Sequence[str]) -> dict[str, str]:
        address: dict[str, str] = {}
        for index, target in self._address:
            value = cells[index]
            if value:
                address[target] = value
        if self._street:
            lines = [cells[i].strip() for i in self._street if cells[i].strip()]
            if lines:
                address["street"] = "\n".join(lines)
        if self.country is not None and not address.get("country", "").strip():
            address["country"] = self.country
        return address

    def _read_other(self, row: RowForm, target: str, value: str) -> None:
        form = row.form
        if target.startswith(CUSTOM_PREFIX):
            key = target[len(CUSTOM_PREFIX) :]
            form.setdefault("custom_fields", {})[key] = self._custom_value(key, value)
        elif target == "categories":
            form["categories"] = self._categories_of(value)
        elif target in ("other_emails", "other_phones"):
            items = [v.strip() for v in _LIST_SPLIT.split(value) if v.strip()]
            form.setdefault(target, []).extend(items)
        elif target in ("mobile", "fax"):
            self._add_phone(form, value.strip(), target)
        elif target == "consent":
            form["consent"] = self._consent(value)
        elif target == "number":
            row.number = self._number(row, value)
        else:  # archived: the plan has no other targets
            row.archived = self._flag(row, value)

    @staticmethod
    def _add_phone(form: dict[str, Any], number: str, kind: str) -> None:
        if kind == "mobile" and not form.get("phone"):
            form["phone"] = {"number": number, "type": kind}
        else:
            form.setdefault("other_phones", []).append({"number": number, "type": kind})

    def _custom_value(self, key: str, value: str) -> object:
        definition = self._fields[key]
        if definition.type is FieldType.MULTI_CHOICE and ("\n" in value.strip() or ";" in value):
            return split_list(value)
        return value

    def _categories_of(self, value: str) -> list[str]:
        if "\n" in value.strip() or ";" in value:
            return split_list(value)
        whole = " ".join(value.split())
        if "," not in whole or whole.casefold() in self._categories:
            return [whole]
        return [part.strip() for part in whole.split(",") if part.strip()]

    def _consent(self, value: str) -> dict[str, object]:
        words = [w.strip().casefold() for w in re.split(r"[,;\s]+", value) if w.strip()]
        consent: dict[str, object] = dict.fromkeys(words, True)
        consent["source"] = self.consent_source
        return consent

    @staticmethod
    def _number(row: RowForm, value: str) -> int | None:
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= 18:  # noqa: PLR2004 - fits an int64
            return int(text)
        row.add(Problem("number", "number.invalid", value=value, params={"text": text}))
        return None

    @staticmethod
    def _flag(row: RowForm, value: str) -> bool | None:
        word = value.strip().casefold()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        row.add(
            Problem("archived", "archived.invalid", value=value, params={"value": value.strip()})
        )
        return None


def export_columns(
    fields: Iterable[CustomFieldDefinition], *, include_private: bool
) -> tuple[str, ...]:
    """The columns an export writes: the standard ones, custom fields, private ones last.

    Custom fields that hold personal data are left out unless ``include_private``.
    """
    custom = tuple(CUSTOM_PREFIX + f.key for f in fields if include_private or not f.personal_data)
    return (*COLUMNS, *custom, *(PRIVATE_COLUMNS if include_private else ()))


def field_value(value: object) -> CellValue:
    """A stored custom-field value as an exported value (text, number, flag or list)."""
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, tuple):
        return [str(v) for v in value]
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)  # pragma: no cover - FieldValue has no other types


def customer_values(
    customer: Customer, category_names: Mapping[uuid.UUID, str], columns: Sequence[str]
) -> dict[str, CellValue]:
    """A customer as an exported row, for the given ``columns`` (see `export_columns`).

    Lists stay lists and the number an int, for JSON; `write_csv` turns them to text.
    """
    address = customer.address
    consent = [c.value for c in ConsentChannel if customer.consent_to(c)]
    standard: dict[str, CellValue] = {
        "number": customer.number,
        "kind": customer.kind.value,
        "name": customer.name,
        "contact_person": customer.contact_person,
        "email": customer.email,
        "other_emails": list(customer.other_emails),
        "phone": customer.phone.number if customer.phone else None,
        "other_phones": [p.number for p in customer.other_phones],
        "website": customer.website,
        "tax_id": customer.tax_id.value if customer.tax_id else None,
        "company_id": customer.company_id,
        "street": address.street,
        "postal_code": address.postal_code,
        "city": address.city,
        "region": address.region,
        "country": address.country,
        "payment_terms": str(customer.payment_terms) if customer.payment_terms else None,
        "currency": customer.currency,
        "language": customer.language,
        "categories": [category_names.get(c, str(c)) for c in customer.categories],
        "archived": customer.archived,
        "notes": note_text(customer) or None,
        "consent": consent,
    }
    row: dict[str, CellValue] = {}
    for column in columns:
        if column.startswith(CUSTOM_PREFIX):
            value = customer.custom_fields.get(column[len(CUSTOM_PREFIX) :])
            row[column] = None if value is None else field_value(value)
        else:
            row[column] = standard[column]
    return row


def cell_text(value: CellValue) -> str:
    """One value of `customer_values` as CSV text (lists joined, yes/no for flags)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return join_list(value)
    return str(value)


def customer_form(
    customer: Customer,
    category_names: Mapping[uuid.UUID, str],
    fields: Mapping[str, CustomFieldDefinition],
) -> dict[str, Any]:
    """A stored customer as a raw form, to be read again by today's rules.

    `customer_to_form`, less the values of deactivated custom fields (they may stay,
    but take no new values); notes, attachments and consent are not part of a form.
    """
    form = customer_to_form(customer, category_names)
    form["custom_fields"] = {
        key: value
        for key, value in form["custom_fields"].items()
        if key not in fields or fields[key].active
    }
    return form
