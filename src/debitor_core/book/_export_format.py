"""Reading an export (what `CustomerBook.export` writes) back into domain objects.

Nothing in an export is dropped silently. Before anything is structured, the data is
walked along the types the export is made of (the attributes of each class, as the
converter writes them): every key this version does not write is refused with its path
(``customers[0].loyalty_points``: a newer version's key, or a typo such as ``emial``),
and so is a value of the wrong shape where an object or a list belongs (text where an
address belongs would otherwise be read as an empty address).
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, NamedTuple, Union, get_args, get_origin

import attrs
import cattrs

from debitor_core._category import Category
from debitor_core._converter import make_converter
from debitor_core._errors import Problem, ValidationError
from debitor_core._fields import CustomFieldDefinition
from debitor_core._form import key_text
from debitor_core._invoice import RECORD_KINDS, Record
from debitor_core._limits import MAX_NUMBER, MAX_SUGGESTIONS
from debitor_core._model import Customer
from debitor_core._shown import shown, suggestions

__all__ = ["Export", "read_export"]

MAX_FORMAT_PROBLEMS: Final = 100
"""The most unknown keys and misshapen values one import reports; the rest are counted
in one closing ``form.too_many_problems`` problem."""

_MAX_REASON: Final = 300
"""The longest reason an ``import.format`` problem gives, in characters."""


class Export(NamedTuple):
    """What an export holds, read into domain objects."""

    categories: list[Category]
    fields: list[CustomFieldDefinition]
    customers: list[Customer]
    records: list[tuple[str, list[Record]]]
    last_number: int


def read_export(data: object) -> Export:
    """Read ``data`` as an export, or refuse it whole.

    Raises:
        ValidationError: ``import.unknown_key`` for each key this version does not know,
            and ``import.format`` for each value of the wrong shape (with their paths);
            otherwise ``import.format`` for the first value that cannot be read.
    """
    problems = _Problems()
    if isinstance(data, Mapping):
        _export_check()(problems, data, "")
    if problems.found:
        raise ValidationError(problems.finish())
    converter = make_converter()
    try:
        if not isinstance(data, Mapping):
            msg = f"an export is a mapping, not {type(data).__name__}"
            raise TypeError(msg)  # noqa: TRY301 - reported with the others below
        return Export(
            converter.structure(data.get("categories", []), list[Category]),
            converter.structure(data.get("custom_fields", []), list[CustomFieldDefinition]),
            converter.structure(data["customers"], list[Customer]),
            _read_records(data.get("records", {}), converter.structure),
            _read_last_number(data.get("last_number", 0)),
        )
    except (KeyError, TypeError, ValueError, AttributeError, cattrs.BaseValidationError) as exc:
        params = {"reason": _reason(exc)}
        raise ValidationError.single("import.format", None, None, params=params) from exc


def _reason(exc: BaseException) -> str:
    """Python's description of ``exc``, cut short: a library's message may quote a value."""
    text = str(exc)
    if isinstance(exc, KeyError):  # str() of a KeyError is the key's repr alone
        text = f"{shown(exc.args[0] if exc.args else None)} is missing"
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"


def _read_records(
    raw: Mapping[str, Any], structure: Callable[[Any, Any], Any]
) -> list[tuple[str, list[Record]]]:
    """The records of an export, by kind, in the order of `RECORD_KINDS`.

    The walk has refused anything but a mapping, a kind this version does not know, and
    anything but a list of each.
    """
    return [
        (kind, structure(raw[kind], list[cls]))  # type: ignore[valid-type]
        for kind, cls in RECORD_KINDS.items()
        if kind in raw
    ]


def _read_last_number(value: object) -> int:
    if type(value) is not int or not 0 <= value <= MAX_NUMBER:
        msg = f"'last_number' must be a whole number from 0 to {MAX_NUMBER:,}, not {shown(value)}"
        raise ValueError(msg)
    return value


_KINDS: Final = (
    (bool, "true or false"),
    (str, "text"),
    (int | float, "a number"),
    (Mapping, "an object"),
    (list | tuple, "a list"),
)


def _kind(value: object) -> str:
    """What a value is, in JSON's words."""
    if value is None:
        return "null"
    found = (name for cls, name in _KINDS if isinstance(value, cls))
    return next(found, f"a value of type {type(value).__name__}")


class _Problems:
    """The unknown keys and misshapen values a walk finds (the first hundred of them)."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.found = 0
        self._left_out: set[str] = set()  # the codes of the problems only counted

    def _room(self, code: str) -> bool:
        """Count a problem of ``code``; whether it is still to be reported (and made)."""
        self.found += 1
        if len(self.problems) < MAX_FORMAT_PROBLEMS:
            return True
        self._left_out.add(code)
        return False

    def finish(self) -> list[Problem]:
        """The problems, with a closing one when more were found than are reported."""
        left_out = self.found - len(self.problems)
        if left_out > 0:
            codes = ", ".join(sorted(self._left_out))
            params = {"code": codes, "left_out": left_out, "shown": MAX_FORMAT_PROBLEMS}
            closing = Problem("", "form.too_many_problems", value=self.found, params=params)
            self.problems.append(closing)
        return self.problems

    def unknown(self, parent: str, key: object, known: Sequence[str]) -> None:
        """Refuse ``key``, which an object at ``parent`` with ``known`` keys does not have."""
        if not self._room("import.unknown_key"):
            return
        text = key_text(key)
        path = f"{parent}.{text}" if parent else text
        close = suggestions(key, known, limit=MAX_SUGGESTIONS) if isinstance(key, str) else ()
        params = {"key": key if isinstance(key, str | int) else shown(key), "known": tuple(known)}
        params["suggestions"] = close
        self.problems.append(Problem(path, "import.unknown_key", value=key, params=params))

    def misshapen(self, path: str, value: object, expected: str) -> None:
        """Refuse ``value`` at ``path``, where ``expected`` (an object, a list) belongs."""
        if self._room("import.format"):
            params = {"reason": f"{expected} belongs here, not {_kind(value)}"}
            self.problems.append(Problem(path, "import.format", value=None, params=params))


_Check = Callable[[_Problems, Any, str], None]
"""Walks a value found at a path, telling the problems what is wrong with it."""


@functools.cache
def _export_check() -> _Check:
    """The walk of a whole export: its sections, and the records kind by kind."""
    records = {kind: _check(list[cls]) for kind, cls in RECORD_KINDS.items()}  # type: ignore[valid-type]
    return _object_check(
        {
            "last_number": None,
            "categories": _check(list[Category]),
            "custom_fields": _check(list[CustomFieldDefinition]),
            "customers": _check(list[Customer]),
            "records": _object_check(records),
        }
    )


@functools.cache
def _check(t: Any) -> _Check | None:  # noqa: ANN401 - any type
    """The walk of a value of type ``t`` (``None``: nothing to walk, the converter reads it).

    Made once per type, so that a walk costs a set difference per object and nothing
    per plain value. ``X | None`` is ``X`` or null; any other union (a custom-field
    value) is left to the converter.
    """
    if get_origin(t) in (Union, types.UnionType):
        entered = [a for a in get_args(t) if a is not type(None)]
        inner = _check(entered[0]) if len(entered) == 1 else None
        return None if inner is None else _or_null(inner)
    if attrs.has(t):
        attrs.resolve_types(t)
        return _object_check({a.name: _check(a.type) for a in attrs.fields(t)})
    origin = get_origin(t)
    if origin in (list, tuple):
        return _list_check(_check(get_args(t)[0]))
    if origin in (dict, Mapping):
        return _mapping_check
    return None


def _or_null(check: _Check) -> _Check:
    """``check``, or nothing to walk when the value is null."""

    def walk(problems: _Problems, value: Any, path: str) -> None:  # noqa: ANN401 - raw data
        if value is not None:
            check(problems, value, path)

    return walk


def _object_check(fields: Mapping[str, _Check | None]) -> _Check:
    """The walk of an object with the keys of ``fields``, each walked by its check."""
    known = frozenset(fields)
    names = tuple(fields)
    inner = {key: check for key, check in fields.items() if check is not None}

    def walk(problems: _Problems, value: Any, path: str) -> None:  # noqa: ANN401 - raw data
        if not isinstance(value, Mapping):
            problems.misshapen(path, value, "an object")
            return
        if not known.issuperset(value):
            for key in value:
                if key not in known:
                    problems.unknown(path, key, names)
        for key, check in inner.items():
            if key in value:
                check(problems, value[key], f"{path}.{key}" if path else key)

    return walk


def _list_check(item: _Check | None) -> _Check:
    """The walk of a list whose items ``item`` walks (``None``: items are plain values)."""

    def walk(problems: _Problems, value: Any, path: str) -> None:  # noqa: ANN401 - raw data
        if not isinstance(value, list | tuple):
            problems.misshapen(path, value, "a list")
        elif item is not None:
            for position, entry in enumerate(value):
                item(problems, entry, f"{path}[{position}]")

    return walk


def _mapping_check(problems: _Problems, value: Any, path: str) -> None:  # noqa: ANN401 - raw data
    """The walk of a mapping of plain values (a customer's custom fields)."""
    if not isinstance(value, Mapping):
        problems.misshapen(path, value, "an object")
