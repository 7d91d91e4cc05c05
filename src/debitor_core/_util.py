"""Small helpers shared by the book's modules."""

from __future__ import annotations

import decimal
import heapq
from collections.abc import Callable, Iterator
from typing import Any

from debitor_core._errors import ValidationError
from debitor_core._invoice import Record
from debitor_core._model import Customer

__all__ = ["Change", "merge_unique", "read_decimal", "run_rule"]

Change = tuple[Customer | Record | None, Customer | Record | None]
"""What a write did: ``(old, new)``; ``None`` where there was or is nothing."""


def run_rule(path: str, rule: Callable[[object], Any], value: object) -> Any:  # noqa: ANN401
    try:
        return rule(value)
    except ValidationError as exc:
        raise ValidationError(p.at(path) for p in exc.problems) from None


def read_decimal(value: object) -> decimal.Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = decimal.Decimal(str(value)) if isinstance(value, int | float | str) else value
    except decimal.InvalidOperation:
        return None
    return number if isinstance(number, decimal.Decimal) and number.is_finite() else None


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
