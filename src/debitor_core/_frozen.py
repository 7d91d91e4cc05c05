"""A read-only dictionary that can be pickled and deep-copied.

`types.MappingProxyType` is read-only but can be neither pickled nor deep-copied, which
made a `Customer` (whose custom-field values it held) impossible to send to another
process or to copy. `FrozenDict` reads at the speed of a dict and refuses every change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NoReturn, TypeVar

__all__ = ["EMPTY", "FrozenDict", "frozen_dict"]

K = TypeVar("K")
V = TypeVar("V")


class FrozenDict(dict[K, V]):
    """A `dict` that refuses changes after it is made; pickles and copies as itself."""

    __slots__ = ()

    def _read_only(self, *_args: object, **_kwargs: object) -> NoReturn:
        msg = "This mapping is read-only; build a new one instead of changing it."
        raise TypeError(msg)

    __setitem__ = _read_only
    __delitem__ = _read_only
    __ior__ = _read_only
    clear = _read_only
    pop = _read_only
    popitem = _read_only
    setdefault = _read_only
    update = _read_only

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle (and copy) as a new frozen dict of the same items."""
        return (type(self), (dict(self),))

    def __copy__(self) -> FrozenDict[K, V]:
        """A frozen dict needs no copy: it never changes."""
        return self

    def __repr__(self) -> str:
        return f"FrozenDict({dict.__repr__(self)})"


EMPTY: FrozenDict[Any, Any] = FrozenDict()
"""The empty frozen dict (shared: it never changes)."""


def frozen_dict(values: Mapping[K, V] | Iterable[tuple[K, V]] | None = None) -> FrozenDict[K, V]:
    """Return ``values`` as a `FrozenDict` (the same object when it already is one)."""
    if isinstance(values, FrozenDict):
        return values
    if not values:
        return EMPTY
    return FrozenDict(values)
