"""Custom fields: typed definitions, and the checks that turn raw values into typed ones.

Numbers stay within plus or minus `MAX_FIELD_NUMBER` (2**53, exact in JSON) with at
most `MAX_DIGITS` significant digits; patterns are matched by RE2, in time linear in
the value (see `debitor_core._pattern`).
"""

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
from debitor_core._limits import MAX_CHOICES, MAX_DIGITS, MAX_FIELD_NUMBER, MAX_SUGGESTIONS
from debitor_core._model import FieldValue
from debitor_core._pattern import PatternError, compile_pattern
from debitor_core._shown import shown, suggestions

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
_LISTED_CHOICES: Final = 10  # a message lists the choices when there are at most this many


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
        pattern: A regular expression a text value must match in full, matched by RE2
            in linear time (no backreferences or look-around; at most 1,000 characters).
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


def _fail(
    defn: CustomFieldDefinition, code: str, value: object, /, **params: object
) -> ValidationError:
    kind = defn.type.value if isinstance(defn.type, FieldType) else None
    params = {"field": defn.key, "label": defn.label, "field_type": kind, **params}
    return ValidationError.single(f"custom_field.{code}", None, value, params=params)


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
        reason = problem.code.partition(".")[2]
        raise _fail(defn, reason, value, **problem.params) from None
    if defn.pattern is not None:
        try:
            matched = compile_pattern(defn.pattern).fullmatch(cleaned)
        except PatternError as exc:
            raise _fail(
                defn, "pattern_invalid", value, pattern=defn.pattern, cause=exc.code, **exc.params
            ) from None
        if not matched:
            raise _fail(defn, "pattern", value, value=cleaned, pattern=defn.pattern)
    return cleaned


def _number(defn: CustomFieldDefinition, value: object, _region: str | None) -> FieldValue:
    integer = defn.type is FieldType.INTEGER
    number = _read_number(value)
    if number is None:
        raise _fail(defn, "type", value, value=_shown(value))
    if number.copy_abs() > MAX_FIELD_NUMBER:
        params = {
            "value": _shown(value),
            "min": str(-MAX_FIELD_NUMBER),
            "max": str(MAX_FIELD_NUMBER),
        }
        raise _fail(defn, "range", value, **params)
    if integer and number != number.to_integral_value():
        raise _fail(defn, "type", value, value=_shown(value))
    if len(number.normalize().as_tuple().digits) > MAX_DIGITS:
        raise _fail(defn, "digits", value, value=str(number), max_digits=MAX_DIGITS)
    if defn.min_value is not None and number < defn.min_value:
        raise _fail(defn, "range", value, value=str(number), min=str(defn.min_value))
    if defn.max_value is not None and number > defn.max_value:
        raise _fail(defn, "range", value, value=str(number), max=str(defn.max_value))
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
        raise _fail(defn, "type", value, value=_shown(value))
    if defn.min_date is not None and day < defn.min_date:
        raise _fail(defn, "range", value, value=str(day), min=str(defn.min_date))
    if defn.max_date is not None and day > defn.max_date:
        raise _fail(defn, "range", value, value=str(day), max=str(defn.max_date))
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
    raise _fail(defn, "type", value, value=_shown(value))


def _one_choice(defn: CustomFieldDefinition, value: object) -> str:
    if isinstance(value, str):
        wanted = " ".join(value.split()).casefold()
        for choice in defn.choices:
            if choice.casefold() == wanted:
                return choice
    close = (
        suggestions(value, defn.choices, limit=MAX_SUGGESTIONS) if isinstance(value, str) else ()
    )
    params = {"value": _shown(value), "suggestions": close, "count": len(defn.choices)}
    if len(defn.choices) <= _LISTED_CHOICES:
        params["choices"] = defn.choices
    raise _fail(defn, "choice", value, **params)


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
        raise _fail(defn, "type", value, value=_shown(value))
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
            raise _fail(defn, "invalid", value, rule_code=problem.code, **problem.params) from None

    return check


def _phone(defn: CustomFieldDefinition, value: object, region: str | None) -> str:
    return _borrowed(lambda v: _rules.validate_phone(v, region=region))(defn, value, region)


def _shown(value: object) -> str:
    return shown(value)


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


_DEFINITION: Final = "custom_field_definition"


class _Checklist:
    """Collects the problems of a definition under its attribute paths."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, code: str, value: object = None, /, **params: object) -> None:
        self.problems.append(Problem(path, f"{_DEFINITION}.{code}", value=value, params=params))

    def text(self, path: str, value: object, label: str, max_length: int, empty_code: str) -> None:
        """Check a text attribute; an empty one is reported as ``empty_code``."""
        try:
            _rules.text(value, label=label, code=_DEFINITION, max_length=max_length)
        except ValidationError as exc:
            problem = exc.problems[0]
            if problem.code == f"{_DEFINITION}.empty":
                problem = attrs.evolve(problem, code=f"{_DEFINITION}.{empty_code}")
            self.problems.append(problem.at(path))

    def kind(self, path: str, value: object, types: type | tuple[type, ...], wanted: str) -> bool:
        """Check the type of an attribute; report and return False when wrong."""
        if isinstance(value, types) and not (isinstance(value, bool) and bool not in _tuple(types)):
            return True
        kind = type(value).__name__
        self.add(path, "attribute_type", value, attribute=path, expected=wanted, type=kind)
        return False


def _tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def definition_problems(defn: CustomFieldDefinition) -> list[Problem]:
    """Check a definition itself; return every problem found (empty when sound).

    Any attribute may hold any value here (a definition is built from loose input):
    a wrong type is reported as a ``custom_field_definition.attribute_type`` problem,
    never raised.
    """
    check = _Checklist()
    if not isinstance(defn.key, str) or not _KEY.fullmatch(defn.key):
        check.add("key", "key", defn.key, key=_shown(defn.key))
    if not isinstance(defn.label, str) or not defn.label.strip():
        check.add("label", "label", defn.label)
    else:
        check.text("label", defn.label, "label", _rules.LIMITS["label"], "label")
    if defn.help_text is not None:
        check.text(
            "help_text", defn.help_text, "help text", _rules.LIMITS["help_text"], "help_text"
        )
    sound_type = check.kind("type", defn.type, FieldType, "a FieldType")
    for flag in ("required", "personal_data", "active"):
        check.kind(flag, getattr(defn, flag), bool, "True or False")
    if sound_type:
        _choice_problems(check, defn)
        _range_problems(check, defn)
        _text_rule_problems(check, defn)
    if defn.default is not None and not check.problems:
        try:
            defn.validate(defn.default)
        except ValidationError as exc:
            inner = exc.problems[0]
            check.add("default", "default", defn.default, reason=inner.code, details=inner.params)
    return check.problems


def _choice_problems(check: _Checklist, defn: CustomFieldDefinition) -> None:
    if not check.kind("choices", defn.choices, (tuple, list), "a tuple of choices"):
        return
    if defn.type in _CHOOSING:
        if not defn.choices:
            check.add("choices", "choices", (), rule="missing")
            return
        if len(defn.choices) > MAX_CHOICES:
            count = len(defn.choices)
            check.add(
                "choices", "choices", count, rule="too_many", count=count, max_count=MAX_CHOICES
            )
            return
        before = len(check.problems)
        for index, choice in enumerate(defn.choices):
            check.text(f"choices[{index}]", choice, "choice", _rules.LIMITS["choice"], "choices")
        if len(check.problems) == before and len({c.casefold() for c in defn.choices}) != len(
            defn.choices
        ):
            check.add("choices", "choices", defn.choices, rule="duplicates")
    elif defn.choices:
        check.add("choices", "choices", defn.choices, rule="choice_only")


def _range_problems(check: _Checklist, defn: CustomFieldDefinition) -> None:
    numbers_sound = all(
        _bound_sound(check, bound, getattr(defn, bound)) for bound in ("min_value", "max_value")
    )
    if defn.type not in _NUMERIC and (defn.min_value is not None or defn.max_value is not None):
        check.add("min_value", "range", None, rule="number_only")
    if (
        numbers_sound
        and defn.min_value is not None
        and defn.max_value is not None
        and defn.min_value > defn.max_value
    ):
        check.add("max_value", "range", defn.max_value, rule="max_below_min")
    dates_sound = True
    for bound in ("min_date", "max_date"):
        day = getattr(defn, bound)
        if day is not None and (not isinstance(day, dt.date) or isinstance(day, dt.datetime)):
            check.kind(bound, day, (), "a datetime.date")
            dates_sound = False
    if defn.type is not FieldType.DATE and (defn.min_date or defn.max_date):
        check.add("min_date", "range", None, rule="date_only")
    if dates_sound and defn.min_date and defn.max_date and defn.min_date > defn.max_date:
        check.add("max_date", "range", defn.max_date, rule="latest_before_earliest")


def _bound_sound(check: _Checklist, bound: str, number: object) -> bool:
    """Whether a minimum or maximum is absent or a number within the bounds."""
    if number is None:
        return True
    if not check.kind(bound, number, decimal.Decimal, "a Decimal"):
        return False
    assert isinstance(number, decimal.Decimal)  # noqa: S101 - checked just above
    if number.is_finite() and number.copy_abs() <= MAX_FIELD_NUMBER:
        return True
    low, high = str(-MAX_FIELD_NUMBER), str(MAX_FIELD_NUMBER)
    check.add(bound, "range", number, attribute=bound, min=low, max=high)
    return False


def _text_rule_problems(check: _Checklist, defn: CustomFieldDefinition) -> None:
    if (defn.pattern is not None or defn.max_length is not None) and defn.type not in _TEXTUAL:
        check.add("pattern", "pattern", None, rule="text_only")
    if defn.max_length is not None and check.kind(
        "max_length", defn.max_length, int, "a whole number"
    ):
        limit = _rules.LIMITS["multiline_text"]
        if not 1 <= defn.max_length <= limit:
            check.add("max_length", "max_length", defn.max_length, min=1, max=limit)
    if defn.pattern is not None and check.kind("pattern", defn.pattern, str, "text"):
        try:
            compile_pattern(defn.pattern)
        except PatternError as exc:
            check.add(
                "pattern",
                "pattern",
                defn.pattern,
                pattern=_shown(defn.pattern),
                reason=str(exc),
                cause=exc.code,
                **exc.params,
            )
