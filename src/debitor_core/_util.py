"""Small helpers shared by the book and the stores: sorted number lists, ids, decimals."""

from __future__ import annotations

import bisect
import decimal
import heapq
import os
import uuid
from collections.abc import Iterator
from typing import Final

__all__ = [
    "insert_sorted",
    "merge_unique",
    "new_id",
    "read_decimal",
    "remove_sorted",
]


def read_decimal(value: object) -> decimal.Decimal | None:
    """``value`` as a finite `~decimal.Decimal`, or ``None`` when it is not a number."""
    if isinstance(value, bool):
        return None
    try:
        number = decimal.Decimal(str(value)) if isinstance(value, int | float | str) else value
    except decimal.InvalidOperation:
        return None
    return number if isinstance(number, decimal.Decimal) and number.is_finite() else None


def insert_sorted(numbers: list[int], number: int) -> None:
    """Insert ``number`` into the sorted list ``numbers`` (appending in the usual case)."""
    if not numbers or number > numbers[-1]:
        numbers.append(number)
    else:
        bisect.insort(numbers, number)


def remove_sorted(numbers: list[int], number: int) -> None:
    """Remove ``number`` from the sorted list ``numbers``, if it is there."""
    position = bisect.bisect_left(numbers, number)
    if position < len(numbers) and numbers[position] == number:
        del numbers[position]


def merge_unique(lists: list[list[int]]) -> Iterator[int]:
    """Merge sorted lists of numbers, each number once."""
    if len(lists) == 1:
        yield from lists[0]
        return
    previous = None
    for number in heapq.merge(*lists):
        if number != previous:
            yield number
            previous = number


_ID_BATCH: Final = 256
_VERSION_4: Final = (~(0xC000 << 48) & ~(0xF000 << 64), (0x8000 << 48) | (4 << 76))
_spare_ids: list[uuid.UUID] = []
if hasattr(os, "register_at_fork"):  # pragma: no branch - absent on Windows only
    # A child must not hand out the ids its parent will hand out.
    os.register_at_fork(after_in_child=_spare_ids.clear)


def new_id() -> uuid.UUID:
    """Return a new random (version 4) UUID, like `uuid.uuid4`, but cheaper.

    One call to ``os.urandom`` serves a batch of ids. ``list.pop`` is atomic, so
    threads never share an id; a forked child drops the spares it inherited.
    """
    try:
        return _spare_ids.pop()
    except IndexError:
        data = os.urandom(16 * _ID_BATCH)
        keep, version = _VERSION_4
        _spare_ids.extend(
            uuid.UUID(int=int.from_bytes(data[at : at + 16]) & keep | version)
            for at in range(0, len(data), 16)
        )
        return _spare_ids.pop()
