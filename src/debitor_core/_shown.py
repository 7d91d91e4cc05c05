"""Quoting values in messages: short, one line, and never failing, whatever the value."""

from __future__ import annotations

import difflib
import reprlib
from collections.abc import Iterable
from typing import Final

__all__ = ["shown", "suggestions"]


class _SafeRepr(reprlib.Repr):
    """`reprlib.Repr` that never fails: huge integers are described, not printed."""

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > _BIG_INT_BITS:
            return f"<an integer of about {int(x.bit_length() * 0.30103):,} digits>"
        return super().repr_int(x, level)

    def repr_str(self, x: str, level: int) -> str:  # noqa: ARG002 - reprlib's signature
        if len(x) <= self.maxstring:
            return repr(x)
        return repr(x[: self.maxstring - 1] + "…")


_BIG_INT_BITS: Final = 200
_MAX_SUGGESTED_WORD: Final = 100
_REPR: Final = _SafeRepr()
_REPR.maxstring = 60
_REPR.maxother = 60
_REPR.maxlevel = 2
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxfrozenset = _REPR.maxdict = 4
_REPR.maxlong = 60


def shown(value: object) -> str:
    """Quote any value for a message: short, one line, and never failing.

    Deeply nested containers, huge integers and objects whose ``repr`` raises are
    all shown in a few dozen characters, so that no hostile value can make a message
    fail (``RecursionError``, ``ValueError``) or grow without bound.
    """
    return _REPR.repr(value)


def suggestions(word: str, candidates: Iterable[str], *, limit: int = 3) -> tuple[str, ...]:
    """Return at most ``limit`` of ``candidates`` close to ``word`` (case-insensitive).

    For "did you mean ...?" in messages: never the whole list, whatever its size. A word
    longer than any name (over 100 characters) gets no suggestions, so that comparing
    never costs more than a name's length.
    """
    if not isinstance(word, str) or not word or len(word) > _MAX_SUGGESTED_WORD:
        return ()
    by_fold: dict[str, str] = {}
    for candidate in candidates:
        by_fold.setdefault(candidate.casefold(), candidate)
    close = difflib.get_close_matches(word.casefold(), by_fold, n=limit, cutoff=0.6)
    return tuple(by_fold[c] for c in close)
