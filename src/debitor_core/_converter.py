"""The one place where objects become JSON-ready data and back."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import functools
import types
import uuid
from collections.abc import Callable
from typing import Any, Final, TypeVar, Union, get_args, get_origin

import cattrs
from cattrs.fns import identity
from cattrs.gen import make_dict_unstructure_fn, override

from debitor_core._model import Customer, FieldValue
from debitor_core._shown import shown

__all__ = ["from_data", "make_converter", "to_data"]

T = TypeVar("T")

_OPTIONAL_FIELD_VALUE = FieldValue | None


def _datetime(value: Any, _: type) -> dt.datetime:  # noqa: ANN401 - raw JSON
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):  # Python's message repeats the whole value
        msg = f"a time is stored as ISO 8601 text, not {shown(value)}"
        raise ValueError(msg) from None
    if moment.tzinfo is None:
        msg = f"the time {shown(value)} has no time zone"
        raise ValueError(msg)
    return moment.astimezone(dt.UTC)


def _date(value: Any, _: type) -> dt.date:  # noqa: ANN401 - raw JSON
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):  # Python's message repeats the whole value
        msg = f"a date is stored as ISO 8601 text, not {shown(value)}"
        raise ValueError(msg) from None


def _time_writer() -> Callable[[dt.datetime], str]:
    """`datetime.datetime.isoformat`, remembering its last answer.

    A new customer's ``created`` and ``updated`` are one object: written twice, made
    once (a sixth of the work of unstructuring a new customer). The memory is one
    (time, text) pair, replaced whole, so threads sharing a converter never get another
    time's text; holding the time keeps its identity from being reused.
    """
    last: list[tuple[dt.datetime | None, str]] = [(None, "")]

    def isoformat(moment: dt.datetime) -> str:
        seen, text = last[0]
        if moment is seen:
            return text
        text = dt.datetime.isoformat(moment)
        last[0] = (moment, text)
        return text

    return isoformat


def _decimal(value: Any, _: type) -> decimal.Decimal:  # noqa: ANN401 - raw JSON
    if not isinstance(value, str | int):
        msg = f"a decimal is stored as text, not {shown(value)}"
        raise TypeError(msg)
    try:
        number = decimal.Decimal(value)
    except decimal.InvalidOperation:  # an ArithmeticError, which no reader expects
        msg = f"{shown(value)} is not a decimal number"
        raise ValueError(msg) from None
    if not number.is_finite():
        msg = f"{shown(value)} is not a finite number"
        raise ValueError(msg)
    return number


def _field_value_out(value: FieldValue | None) -> Any:  # noqa: ANN401 - JSON-ready data
    if isinstance(value, decimal.Decimal):
        return {"decimal": str(value)}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, tuple):
        return list(value)
    return value


def _field_value_in(value: Any, _: type) -> FieldValue | None:  # noqa: ANN401 - raw JSON
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    if isinstance(value, dict) and len(value) == 1:
        if "decimal" in value:
            return _decimal(value["decimal"], decimal.Decimal)
        if "date" in value:
            return _date(value["date"], dt.date)
    msg = f"{shown(value)} is not a stored custom-field value"
    raise ValueError(msg)


def _text_in(value: Any, _: type) -> str:  # noqa: ANN401 - raw JSON
    if type(value) is not str:
        msg = f"text is stored as a JSON string, not {shown(value)}"
        raise TypeError(msg)
    return value


def _int_in(value: Any, _: type) -> int:  # noqa: ANN401 - raw JSON
    if type(value) is not int:
        msg = f"a whole number is stored as a JSON integer, not {shown(value)}"
        raise TypeError(msg)
    return value


def _bool_in(value: Any, _: type) -> bool:  # noqa: ANN401 - raw JSON
    if type(value) is not bool:
        msg = f"yes or no is stored as true or false, not {shown(value)}"
        raise TypeError(msg)
    return value


def _enum_in(value: Any, cls: type[enum.Enum]) -> enum.Enum:  # noqa: ANN401 - raw JSON
    try:
        return cls(value)
    except ValueError:  # Python's message repeats the whole value
        msg = f"{shown(value)} is not a {cls.__name__}"
        raise ValueError(msg) from None


_PLAIN: Final = (str, int, bool)
"""The types whose JSON-ready data is the value itself."""


def _is_optional_plain(t: Any) -> bool:  # noqa: ANN401 - any type
    """Whether ``t`` is ``str | None``, ``int | None`` or ``bool | None``.

    Such a value is written as it is. Saying so lets the generated hook of an attrs
    class put the attribute straight into its dict, rather than call cattrs' optional
    wrapper for each (about five calls a customer).
    """
    if get_origin(t) not in (Union, types.UnionType):
        return False
    args = get_args(t)
    others = [arg for arg in args if arg is not type(None)]
    return len(others) == 1 < len(args) and others[0] in _PLAIN


def make_converter() -> cattrs.Converter:
    """Return a new converter for every class of debitor-core.

    The mappings, both ways:

    - attrs classes: dicts of their attributes; attributes at their default value are
      left out (and filled in again on the way back), except a customer's ``kind``,
      ``archived``, ``created``, ``updated`` and ``version``, which are always written
      (a backend may read ``raw["version"]``, and the times have no fixed default);
    - `uuid.UUID`: the canonical hex text with hyphens;
    - `datetime.datetime`: ISO 8601 text with the UTC offset (``+00:00``); a time
      without a zone is refused on the way in;
    - `datetime.date`: ISO 8601 text (``2026-11-26``);
    - `decimal.Decimal`: text (``"12.50"``), never a float;
    - text, whole numbers and booleans: JSON strings, integers and ``true``/``false``,
      taken as they are on the way in: nothing is coerced (``12345`` is not read as the
      text ``"12345"``, nor ``"false"`` as true);
    - enums: their value;
    - tuples and sets: lists (a set is sorted);
    - custom-field values: JSON text, numbers, booleans and lists as they are; a decimal
      as ``{"decimal": "12.50"}`` and a date as ``{"date": "2026-11-26"}``, so a value
      reads back with its type without looking at its definition.

    Structuring raises cattrs' exceptions on bad data; storage adapters translate them
    into `CorruptStore`.
    """
    converter = cattrs.Converter(omit_if_default=True, detailed_validation=False)
    converter.register_unstructure_hook(uuid.UUID, str)
    converter.register_structure_hook(uuid.UUID, lambda v, _: uuid.UUID(v))
    converter.register_unstructure_hook(dt.datetime, _time_writer())
    converter.register_structure_hook(dt.datetime, _datetime)
    converter.register_unstructure_hook(dt.date, dt.date.isoformat)
    converter.register_structure_hook(dt.date, _date)
    converter.register_unstructure_hook(decimal.Decimal, str)
    converter.register_structure_hook(decimal.Decimal, _decimal)
    converter.register_structure_hook(enum.Enum, _enum_in)
    converter.register_structure_hook(str, _text_in)
    converter.register_structure_hook(int, _int_in)
    converter.register_structure_hook(bool, _bool_in)

    def is_field_value(t: Any) -> bool:  # noqa: ANN401 - any type
        return t in (FieldValue, _OPTIONAL_FIELD_VALUE)

    converter.register_unstructure_hook_func(is_field_value, _field_value_out)
    converter.register_unstructure_hook_func(_is_optional_plain, identity)
    converter.register_structure_hook_func(is_field_value, _field_value_in)
    always = override(omit_if_default=False)
    converter.register_unstructure_hook(
        Customer,
        make_dict_unstructure_fn(
            Customer,
            converter,
            _cattrs_omit_if_default=True,
            kind=always,
            archived=always,
            created=always,
            updated=always,
            version=always,
        ),
    )
    return converter


@functools.cache
def _default() -> cattrs.Converter:
    return make_converter()


def to_data(obj: object) -> Any:  # noqa: ANN401 - JSON-ready data
    """Turn an object into JSON-ready data with the library's converter."""
    return _default().unstructure(obj)


def from_data(data: object, cls: type[T]) -> T:
    """Build an object of ``cls`` from JSON-ready data with the library's converter."""
    return _default().structure(data, cls)
