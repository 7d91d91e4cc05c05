"""The checks of the arguments a caller hands a store, shared by the backends.

A caller may pass anything where an id, an offset, a limit or a version is meant. Each store
answers as `InMemoryStore` does: an offset or a limit is an int from 0 (else
`TypeError` or `ValueError`, never a slice from the end), and a version that is not
an int an SQL column holds is compared in Python (`is_sql_integer`), never handed to a
database that would take ``"1"`` for 1 or overflow.
"""

from __future__ import annotations

import uuid
from typing import Final, TypeGuard

__all__ = ["MAX_SQL_INTEGER", "checked_count", "is_sql_integer", "is_uuid"]

MAX_SQL_INTEGER: Final = 2**63 - 1
"""The highest value of a 64-bit SQL integer (SQLite's INTEGER, PostgreSQL's bigint)."""


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


def is_sql_integer(value: object) -> TypeGuard[int]:
    """Whether ``value`` is an int (not a bool or a subclass) that a 64-bit SQL integer holds."""
    return type(value) is int and -MAX_SQL_INTEGER - 1 <= value <= MAX_SQL_INTEGER


def is_uuid(value: object) -> bool:
    """Whether ``value`` is a UUID: a lookup by anything else finds nothing.

    Callers may pass anything where an id is typed (no stored row has anything else).
    """
    return isinstance(value, uuid.UUID)
