"""Custom fields: typed definitions, and the checks that turn raw values into typed ones."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import re
from collections.abc import Callable, Iterable
from typing import Final

import attrs

from debitor_core import _rules
from debitor_core._errors import Problem, ValidationError
from debitor_core._model import FieldValue

__all__ = ["CustomFieldDefinition", "FieldType", "definition_problems"]

_KEY: Final = re.compile(r"[a-z][a-z0-9_]{0,49}")


class FieldType(enum.Enum):
    """The type of a custom field's values."""

    TEXT = "text"
    MULTILINE_TEXT = "multiline_text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"


_NUMERIC: Final = frozenset({FieldType.INTEGER, FieldType.DECIMAL})
_CHOOSING: Final = frozenset({FieldType.CHOICE, FieldType.MULTI_CHOICE})
_TEXTUAL: Final = frozenset({FieldType.TEXT, FieldType.MULTILINE_TEXT})
_TRUE: Final = frozenset({"true", "yes", "y", "1", "on", "x"})
_FALSE: Final = frozenset({"false", "no", "n", "0", "off", ""})


@attrs.frozen(repr=False)
class CustomFieldDefinition:
    """A custom field the book's customers can carry, with its rules.

    Attributes:
        key: Identifier used in forms and storage: lowercase letters, digits and ``_``,
            starting with a letter (``vat_group``).
        label: The name shown to users ("VAT group").
        type: The type of the values.
        required: Whether every new or changed customer must have a value.
        choices: The allowed values of choice and multi-choice fields, in display order.
        min_value: Smallest allowed number (integer and decimal fields).
        max_value: Largest allowed number (integer and decimal fields).
        min_date: Earliest allowed date (date fields).
        max_date: Latest allowed date (date fields).
        max_length: Most characters of a text value (default 1,000; 10,000 multiline).
        pattern: A regular expression a text value must match in full.
        default: The value a blank form starts with (already valid).
        help_text: A hint shown beside the field.
        personal_data: Whether values are personal data (left out of anonymised exports).
        active: Deactivated fields keep their stored values but take no new ones.
    """

    key: str
    label: str
    type: FieldType = FieldType.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    min_value: decimal.Decimal | None = None
    max_value: decimal.Decimal | None = None
    min_date: dt.date | None = None
    max_date: dt.date | None = None
    max_length: int | None = None
    pattern: str | None = None
    default: FieldValue | None = None
    help_text: str | None = None
    personal_data: bool = False
    active: bool = True

    def validate(self, value: object, *, region: str | None = None) -> FieldValue:
        """Check a raw value against this definition and return it typed.

        Args:
            value: The raw value (text from a form, or an already typed value).
            region: The customer's country, for phone fields.

        Returns:
            The typed value: `str`, `int`, `Decimal`, `date`, `bool` or a tuple of
            choices.

        Raises:
            ValidationError: one problem with a ``custom_field.*`` code.
        """
        return _CHECKS[self.type](self, value, region)

    def __repr__(self) -> str:
        return f"<CustomFieldDefinition {self.key} {self.type.value}>"


def _fail(defn: CustomFieldDefinition, code: str, message: str, value: object) -> ValidationError:
    return ValidationError.single(f"custom_field.{code}", f"{defn.label}: {message}", value)


def _text(defn: CustomFieldDefinition, value: object, _region: str | None) -> str:
    multiline = defn.type is FieldType.MULTILINE_TEXT
    default_limit = _rules.LIMITS["multiline_text" if multiline else "text"]
    try:
        cleaned = _rules.text(
            value,
            label="value",
            code="custom_field",
            multiline=multiline,
            max_length=defn.max_length or default_limit,
            numbers=True,
        )
    except ValidationError as exc:
        problem = exc.problems[0]
        raise _fail(defn, problem.code.partition(".")[2], problem.message, value) from None
    if defn.pattern is not None and not re.fullmatch(defn.pattern, cleaned):
        raise _fail(defn, "pattern", f"{cleaned!r} is not in the expected format.", value)
    return cleaned


def _number(defn: CustomFieldDefinition, value: object, _region: str | None) -> FieldValue:
    integer = defn.type is FieldType.INTEGER
    number = _read_number(value)
    if number is None or (integer and number != number.to_integral_value()):
        kind = "a whole number" if integer else "a number"
        raise _fail(defn, "type", f"{_shown(value)} is not {kind}.", value)
    if defn.min_value is not None and number < defn.min_value:
        msg = f"{number} is below the minimum of {defn.min_value}."
        raise _fail(defn, "range", msg, value)
    if defn.max_value is not None and number > defn.max_value:
        msg = f"{number} is above the maximum of {defn.max_value}."
        raise _fail(defn, "range", msg, value)
    return int(number) if integer else number


def _read_number(value: object) -> decimal.Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | decimal.Decimal):
        number = decimal.Decimal(value)
    elif isinstance(value, float):
        number = decimal.Decimal(repr(value))
    elif isinstance(value, str) and len(value) <= 100:  # noqa: PLR2004 - no number is longer
        raw = "".join(value.split())
        if raw.count(",") == 1 and "." not in raw:
            raw = raw.replace(",", ".")
        try:
            number = decimal.Decimal(raw)
        except decimal.InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


def _date(defn: CustomFieldDefinition, value: object, _region: str | None) -> dt.date:
    day: dt.date | None = None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value
    elif isinstance(value, str) and len(value) <= 40:  # noqa: PLR2004 - no date is longer
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            day = None
    if day is None:
        msg = f"{_shown(value)} is not a date; write it as YYYY-MM-DD."
        raise _fail(defn, "type", msg, value)
    if defn.min_date is not None and day < defn.min_date:
        raise _fail(defn, "range", f"{day} is before {defn.min_date}.", value)
    if defn.max_date is not None and day > defn.max_date:
        raise _fail(defn, "range", f"{day} is after {defn.max_date}.", value)
    return day


def _boolean(defn: CustomFieldDefinition, value: object, _region: str | None) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().casefold()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise _fail(defn, "type", f"{_shown(value)} is not yes or no.", value)


def _one_choice(defn: CustomFieldDefinition, value: object) -> str:
    if isinstance(value, str):
        wanted = " ".join(value.split()).casefold()
        for choice in defn.choices:
            if choice.casefold() == wanted:
                return choice
    options = ", ".join(defn.choices)
    msg = f"{_shown(value)} is not one of the choices ({options})."
    raise _fail(defn, "choice", msg, value)


def _choice(defn: CustomFieldDefinition, value: object, _region: str | None) -> str:
    return _one_choice(defn, value)


def _multi_choice(
    defn: CustomFieldDefinition, value: object, _region: str | None
) -> tuple[str, ...]:
    if isinstance(value, str):
        items: Iterable[object] = (v for v in value.split(",") if v.strip())
    elif isinstance(value, list | tuple | set | frozenset):
        items = value
    else:
        msg = f"{_shown(value)} is not a list of choices."
        raise _fail(defn, "type", msg, value)
    chosen = {_one_choice(defn, item) for item in items}
    return tuple(c for c in defn.choices if c in chosen)


def _borrowed(
    rule: Callable[[object], str],
) -> Callable[[CustomFieldDefinition, object, str | None], str]:
    def check(defn: CustomFieldDefinition, value: object, _region: str | None) -> str:
        try:
            return rule(value)
        except ValidationError as exc:
            problem = exc.problems[0]
            raise _fail(defn, "invalid", problem.message, value) from None

    return check


def _phone(defn: CustomFieldDefinition, value: object, region: str | None) -> str:
    return _borrowed(lambda v: _rules.validate_phone(v, region=region))(defn, value, region)


def _shown(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:59] + "…"  # noqa: PLR2004


_CHECKS: Final[
    dict[FieldType, Callable[[CustomFieldDefinition, object, str | None], FieldValue]]
] = {
    FieldType.TEXT: _text,
    FieldType.MULTILINE_TEXT: _text,
    FieldType.INTEGER: _number,
    FieldType.DECIMAL: _number,
    FieldType.DATE: _date,
    FieldType.BOOLEAN: _boolean,
    FieldType.CHOICE: _choice,
    FieldType.MULTI_CHOICE: _multi_choice,
    FieldType.EMAIL: _borrowed(_rules.validate_email),
    FieldType.PHONE: _phone,
    FieldType.URL: _borrowed(_rules.validate_website),
}


def definition_problems(defn: CustomFieldDefinition) -> list[Problem]:  # noqa: C901, PLR0912 - a checklist
    """Check a definition itself; return every problem found (empty when sound)."""
    problems: list[Problem] = []

    def add(path: str, code: str, message: str, value: object) -> None:
        problems.append(Problem(path, f"custom_field_definition.{code}", message, value=value))

    if not isinstance(defn.key, str) or not _KEY.fullmatch(defn.key):
        add(
            "key",
            "key",
            f"The key {defn.key!r} must be lowercase letters, digits and _, "
            "starting with a letter, at most 50 characters.",
            defn.key,
        )
    if not isinstance(defn.label, str) or not defn.label.strip():
        add("label", "label", "The label is empty; give the field a name.", defn.label)
    if defn.type in _CHOOSING:
        if not defn.choices:
            add("choices", "choices", "A choice field needs at least one choice.", defn.choices)
        elif len({c.casefold() for c in defn.choices}) != len(defn.choices):
            add("choices", "choices", "The choices must differ from each other.", defn.choices)
    elif defn.choices:
        add("choices", "choices", "Only choice fields take choices.", defn.choices)
    if defn.type not in _NUMERIC and (defn.min_value is not None or defn.max_value is not None):
        add("min_value", "range", "Only number fields take a minimum or maximum.", None)
    if (
        defn.min_value is not None
        and defn.max_value is not None
        and defn.min_value > defn.max_value
    ):
        add("max_value", "range", "The maximum is below the minimum.", defn.max_value)
    if defn.type is not FieldType.DATE and (defn.min_date or defn.max_date):
        add("min_date", "range", "Only date fields take an earliest or latest date.", None)
    if defn.min_date and defn.max_date and defn.min_date > defn.max_date:
        add("max_date", "range", "The latest date is before the earliest.", defn.max_date)
    if (defn.pattern is not None or defn.max_length is not None) and defn.type not in _TEXTUAL:
        add("pattern", "pattern", "Only text fields take a pattern or maximum length.", None)
    if defn.max_length is not None and defn.max_length < 1:
        add("max_length", "max_length", "The maximum length must be at least 1.", None)
    if defn.pattern is not None:
        try:
            re.compile(defn.pattern)
        except re.error as exc:
            add(
                "pattern",
                "pattern",
                f"The pattern is not a valid regular expression: {exc}.",
                defn.pattern,
            )
    if defn.default is not None and not problems:
        try:
            defn.validate(defn.default)
        except ValidationError as exc:
            add(
                "default",
                "default",
                f"The default does not fit: {exc.problems[0].message}",
                defn.default,
            )
    return problems
