"""Between HTML forms and the library's forms.

An HTML form posts flat text: ``name``, ``address.city``, ``custom_fields.tier``, a row
per other phone (``other_phones-0-number``). The library reads a nested form of raw
values (`CustomerBook.register`) and gives one back for an edit screen
(`customer_to_form`). The app keeps what a person typed as flat `Values`, shows them
again exactly as typed next to the problems, and turns them into the library's form
only to preview, register or update.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
from starlette.datastructures import FormData

from debitor_core import CustomFieldDefinition, FieldType, Problem, render_message
from debitor_core.book import DuplicateMatch

__all__ = [
    "ADDRESS_INPUTS",
    "CONSENT_CHANNELS",
    "EXTRA_PHONE_ROWS",
    "PHONE_TYPES",
    "TEXT_INPUTS",
    "FieldProblems",
    "ShownProblem",
    "Values",
    "duplicate_sentence",
    "field_of",
    "from_library",
    "phone_rows",
    "place_problems",
    "posted_values",
    "to_library",
]

Values = dict[str, Any]
"""What the inputs of a customer form hold: text by input name, a list for multi-choice."""

TEXT_INPUTS = (
    "name",
    "contact_person",
    "email",
    "website",
    "tax_id",
    "company_id",
    "payment_terms",
    "currency",
    "language",
)
ADDRESS_INPUTS = ("street", "postal_code", "city", "region", "country")
PHONE_TYPES = ("mobile", "work", "fax", "other")
CONSENT_CHANNELS = ("email", "phone", "sms", "post")
EXTRA_PHONE_ROWS = 2
"""Blank rows for other phones under the filled ones (no JavaScript adds rows)."""

_MULTI = (FieldType.MULTI_CHOICE,)
_ROW = re.compile(r"other_phones-(\d{1,3})-(number|type)")
_MAX_ROWS = 120  # the library takes 100 other phones; rows past this are not read


def posted_values(data: FormData, fields: Iterable[CustomFieldDefinition]) -> Values:
    """The customer-form inputs of a posted form, as typed (other keys are left out)."""
    values: Values = {"categories": data.getlist("categories")}
    for key, value in data.multi_items():
        if isinstance(value, str) and key not in values and _is_input(key):
            values[key] = value
    for definition in fields:
        name = f"custom_fields.{definition.key}"
        if definition.type in _MULTI:
            values[name] = [v for v in data.getlist(name) if isinstance(v, str)]
        elif isinstance(given := data.get(name), str):
            values[name] = given
    return values


_PLAIN = frozenset({"kind", "phone", "phone_type", "other_emails", "notes", "consent.source"})
_LISTED = frozenset(
    [
        *TEXT_INPUTS,
        *(f"address.{k}" for k in ADDRESS_INPUTS),
        *(f"consent.{c}" for c in CONSENT_CHANNELS),
    ]
)


def _is_input(key: str) -> bool:
    """Whether ``key`` names an input of the customer form (custom fields aside)."""
    if key in _PLAIN or key in _LISTED:
        return True
    row = _ROW.fullmatch(key)
    return row is not None and int(row[1]) < _MAX_ROWS


def phone_rows(values: Mapping[str, Any]) -> list[int]:
    """The row numbers of other phones to show: the filled ones, then blank rows."""
    filled = sorted(
        {int(m[1]) for k in values if (m := _ROW.fullmatch(k)) and str(values[k]).strip()}
    )
    rows = [r for r in filled if str(values.get(f"other_phones-{r}-number", "")).strip()]
    start = rows[-1] + 1 if rows else 0
    return rows + list(range(start, start + EXTRA_PHONE_ROWS))


def _other_phones(values: Mapping[str, Any]) -> tuple[list[dict[str, str]], list[int]]:
    """The filled phone rows as the library reads them, and the row each came from."""
    phones, rows = [], []
    for row in phone_rows(values):
        number = str(values.get(f"other_phones-{row}-number", "")).strip()
        if number:
            phones.append(
                {"number": number, "type": str(values.get(f"other_phones-{row}-type", ""))}
            )
            rows.append(row)
    return phones, rows


def to_library(
    values: Mapping[str, Any], fields: Iterable[CustomFieldDefinition], *, new: bool
) -> tuple[dict[str, Any], list[int]]:
    """The library's form for ``values``.

    Args:
        values: The inputs as typed.
        fields: The custom fields the form shows; a field not shown is not in the form.
        new: A registration (with a first note and consent) rather than an edit.

    Returns:
        The form, and the row of each other phone in it (to place their problems).
    """
    form: dict[str, Any] = {key: values.get(key, "") for key in TEXT_INPUTS}
    form["kind"] = values.get("kind") or "company"
    form["address"] = {key: values.get(f"address.{key}", "") for key in ADDRESS_INPUTS}
    number = str(values.get("phone", "")).strip()
    form["phone"] = {"number": number, "type": values.get("phone_type", "")} if number else ""
    form["other_emails"] = values.get("other_emails", "")
    form["other_phones"], rows = _other_phones(values)
    form["categories"] = list(values.get("categories", []))
    form["custom_fields"] = {f.key: values.get(f"custom_fields.{f.key}", "") for f in fields}
    if new:
        form["notes"] = values.get("notes", "")
        given = {c: "yes" for c in CONSENT_CHANNELS if values.get(f"consent.{c}")}
        if given:
            source = str(values.get("consent.source", "")).strip() or "registration form"
            form["consent"] = {**given, "source": source}
    return form, rows


def from_library(form: Mapping[str, Any], fields: Iterable[CustomFieldDefinition]) -> Values:
    """The inputs for a form the library gave (`CustomerBook.blank_form`, `customer_to_form`)."""
    values: Values = {key: _text(form.get(key)) for key in TEXT_INPUTS}
    values["kind"] = _text(form.get("kind")) or "company"
    address = form.get("address") or {}
    values.update({f"address.{key}": _text(address.get(key)) for key in ADDRESS_INPUTS})
    phone = form.get("phone")
    if isinstance(phone, Mapping):
        values["phone"], values["phone_type"] = _text(phone.get("number")), _text(phone.get("type"))
    else:
        values["phone"] = _text(phone)
    values["other_emails"] = "\n".join(form.get("other_emails") or [])
    for row, other in enumerate(form.get("other_phones") or []):
        values[f"other_phones-{row}-number"] = _text(other.get("number"))
        values[f"other_phones-{row}-type"] = _text(other.get("type"))
    values["categories"] = [str(c) for c in form.get("categories") or []]
    given = form.get("custom_fields") or {}
    for definition in fields:
        value = given.get(definition.key)
        name = f"custom_fields.{definition.key}"
        if definition.type in _MULTI:
            values[name] = [str(v) for v in value or []]
        elif definition.type is FieldType.BOOLEAN and isinstance(value, bool):
            values[name] = "yes" if value else "no"
        else:
            values[name] = _text(value)
    return values


def _text(value: object) -> str:
    return "" if value is None else str(value)


def field_of(path: str, phone_rows: Sequence[int] = ()) -> str:
    """The input a problem belongs beside, by its path.

    ``address.postal_code`` is its own input; ``other_emails[2]`` and ``categories[0]``
    belong to their list's input; ``phone.number`` to ``phone``; ``other_phones[1]`` to
    the row that phone came from.
    """
    head, _, rest = path.partition("[")
    if head == "other_phones" and rest:
        index = int(rest.partition("]")[0])
        if index < len(phone_rows):
            return f"other_phones-{phone_rows[index]}"
    if head in {"phone.number", "phone.type"}:
        return "phone"
    if head.startswith("consent"):
        return "consent"
    return head


@attrs.frozen
class ShownProblem:
    """A problem as a screen shows it: in the reader's language, with an element id."""

    id: str
    message: str
    is_error: bool


@attrs.frozen
class FieldProblems:
    """Every problem of a form, placed beside its input or above the form.

    Attributes:
        by_field: The problems of each input, by input name.
        general: Problems of no input on the screen (a field the user may not see, or
            the form as a whole).
    """

    by_field: Mapping[str, list[ShownProblem]]
    general: list[ShownProblem]

    def ids(self, name: str) -> str:
        """The element ids of ``name``'s problems, for ``aria-describedby``."""
        return " ".join(p.id for p in self.by_field.get(name, ()))

    def __bool__(self) -> bool:
        """Whether there is any problem."""
        return bool(self.by_field or self.general)


def place_problems(
    problems: Iterable[Problem],
    locale: str,
    inputs: Iterable[str],
    phone_rows: Sequence[int] = (),
) -> FieldProblems:
    """Place ``problems`` beside the ``inputs`` they belong to, said in ``locale``.

    A likely-duplicate warning is left out: the screens list duplicates themselves,
    with links (see `duplicate_sentence`).
    """
    shown_inputs = set(inputs)
    by_field: dict[str, list[ShownProblem]] = {}
    general: list[ShownProblem] = []
    for number, problem in enumerate(problems):
        if problem.code in {"duplicate.likely", "duplicate.rejected"}:
            continue
        name = field_of(problem.path, phone_rows)
        shown = ShownProblem(f"problem-{number}", problem.message_in(locale), problem.is_error)
        if name in shown_inputs:
            by_field.setdefault(name, []).append(shown)
        else:
            general.append(shown)
    return FieldProblems(by_field, general)


def duplicate_sentence(match: DuplicateMatch, locale: str) -> str:
    """Why a stored customer looks like the one being registered, in ``locale``.

    The book's own warning carries an English sentence and no parameters, so the app
    says it again from the match with the library's catalog.
    """
    customer = match.customer
    params = {
        "number": customer.number,
        "name": customer.name,
        "evidence": match.evidence,
        "archived": customer.archived,
    }
    return render_message("duplicate.likely", params, locale)
