"""The checks of the arguments a caller hands a store, shared by the backends.

A caller may pass anything where an id, a query, an offset, a limit or a version is
meant. Each store answers alike: a lookup by anything but a UUID finds nothing
(`is_uuid`); a query is a `CustomerQuery` sorted by one of `SORTS`, and an offset or a
limit is an int from 0 (else `TypeError` or `ValueError`, never a slice from the end);
a version that is not an int an SQL column holds is compared in Python
(`is_sql_integer`), never handed to a database that would take ``"1"`` for 1 or
overflow; a write handed something other than what it writes is a `TypeError`
(`given_type`) before anything changes.
"""

from __future__ import annotations

import uuid
from typing import Final, TypeGuard, get_args

from debitor_core._invoice import RECORD_KINDS
from debitor_core.storage._queries import CustomerQuery, QuerySort

__all__ = [
    "MAX_SQL_INTEGER",
    "RECORD_TYPES",
    "SORTS",
    "checked_count",
    "checked_query",
    "checked_sort",
    "given_type",
    "is_sql_integer",
    "is_text",
    "is_uuid",
    "same_version",
    "sql_count",
]

MAX_SQL_INTEGER: Final = 2**63 - 1
"""The highest value of a 64-bit SQL integer (SQLite's INTEGER, PostgreSQL's bigint)."""

SORTS: Final[tuple[QuerySort, ...]] = get_args(QuerySort)
"""The orders a search can be sorted in: ``number``, ``name``, ``created``."""

RECORD_TYPES: Final = tuple(RECORD_KINDS.values())
"""The classes of the records a store keeps (`put_record` takes nothing else)."""


def given_type(value: object, kind: type | tuple[type, ...], method: str) -> None:
    """Refuse with `TypeError` what the write ``method`` cannot take, before anything changes.

    Args:
        value: What the caller handed the write.
        kind: The class (or classes) it takes.
        method: The write's name, for the message.
    """
    if not isinstance(value, kind):
        names = " or ".join(k.__name__ for k in kind) if isinstance(kind, tuple) else kind.__name__
        msg = f"{method}() takes a {names}, not {type(value).__name__}."
        raise TypeError(msg)


def checked_query(query: object) -> CustomerQuery:
    """``query``, if it is a `CustomerQuery` (else `TypeError`)."""
    if not isinstance(query, CustomerQuery):
        msg = f"query must be a CustomerQuery, not {type(query).__name__}."
        raise TypeError(msg)
    return query


def checked_sort(sort: object) -> QuerySort:
    """``sort``, if it is one of `SORTS` (else `ValueError`)."""
    if isinstance(sort, str) and sort in SORTS:
        return sort
    msg = f"sort must be number, name or created, not {sort!r}."
    raise ValueError(msg)


def checked_count(name: str, value: object) -> int:
    """``value``, the argument ``name`` (an offset or a limit), if it is an int from 0.

    Raises:
        TypeError: ``value`` is not an int (a bool is not one either).
        ValueError: ``value`` is negative.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f"{name} must be an int, not {type(value).__name__}."
        raise TypeError(msg)
    if value < 0:
        msg = f"{name} must be 0 or more, not {value}."
        raise ValueError(msg)
    return value


def sql_count(name: str, value: object) -> int:
    """``value`` (`checked_count`) as SQL's OFFSET or LIMIT takes it: at most `MAX_SQL_INTEGER`.

    More than a 64-bit integer holds skips or keeps every row, as a bigger number would.
    """
    return min(checked_count(name, value), MAX_SQL_INTEGER)


def is_text(value: object) -> bool:
    """Whether ``value`` is text a database can be handed: a str without a lone surrogate."""
    if not isinstance(value, str):
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def same_version(stored: int, expected: object) -> bool:
    """Whether the ``expected`` version a caller gave equals the ``stored`` one, as ``==`` says.

    ``True`` or ``1.0`` equal 1, as in Python; a value whose comparison raises (a signalling
    ``Decimal('sNaN')``, an object whose ``__eq__`` fails) equals nothing.
    """
    try:
        return bool(stored == expected)
    except Exception:  # noqa: BLE001 - any failure to compare: not the stored version
        return False


def is_sql_integer(value: object) -> TypeGuard[int]:
    """Whether ``value`` is an int (not a bool or a subclass) that a 64-bit SQL integer holds."""
    return type(value) is int and -MAX_SQL_INTEGER - 1 <= value <= MAX_SQL_INTEGER


def is_uuid(value: object) -> bool:
    """Whether ``value`` is a UUID: a lookup by anything else finds nothing.

    Callers may pass anything where an id is typed (no stored row has anything else).
    """
    return isinstance(value, uuid.UUID)
