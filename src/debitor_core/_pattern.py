r"""Custom-field patterns, matched in linear time by RE2 (google-re2).

Python's `re` backtracks: a pattern such as ``(a+)+$`` takes seconds on a few dozen
characters and doubles per character, so a pattern typed into a custom-field
definition could stall every registration and search. RE2 matches in time linear in
the text for every pattern it accepts, and refuses (at definition) the few constructs
that would need backtracking: backreferences and look-around.

Python's ``\w``, ``\d`` and ``\s`` match any script's letters, digits and spaces,
RE2's only ASCII ones; `compile_pattern` rewrites them to their Unicode classes so that
a pattern such as ``\w+`` keeps accepting "Bērziņš". ``\b`` stays ASCII-only (RE2 has
no Unicode word boundary).
"""

from __future__ import annotations

import functools
import importlib
from typing import Any, Final, Protocol

from debitor_core._i18n import render_message
from debitor_core._limits import MAX_PATTERN_LENGTH

__all__ = ["CompiledPattern", "PatternError", "compile_pattern"]

_OUTSIDE: Final = {
    "w": r"[\p{L}\p{N}_]",
    "W": r"[^\p{L}\p{N}_]",
    "d": r"\p{Nd}",
    "D": r"\P{Nd}",
    "s": r"[\t\n\v\f\r \p{Z}]",
    "S": r"[^\t\n\v\f\r \p{Z}]",
}
_INSIDE: Final = {"w": r"\p{L}\p{N}_", "d": r"\p{Nd}", "D": r"\P{Nd}", "s": r"\t\n\v\f\r \p{Z}"}


class PatternError(ValueError):
    """A pattern RE2 cannot use; the message says why, in a sentence.

    Attributes:
        code: Why, as a message key: ``pattern.too_long``, ``pattern.surrogate`` or
            ``pattern.refused``.
        params: What the sentence is made of (``length``, ``max_length``;
            ``re2_error``, RE2's own words, and ``linear``, whether the pattern needs
            backtracking).
    """

    def __init__(self, code: str, **params: object) -> None:
        """Create the error; its English sentence comes from the message catalogs."""
        self.code = code
        self.params = params
        super().__init__(render_message(code, params))


class CompiledPattern(Protocol):
    """What a compiled pattern offers: a full match of a text."""

    def fullmatch(self, text: str) -> object | None:
        """Return a match object when the whole ``text`` matches, else ``None``."""
        ...


def _unicode_classes(pattern: str) -> str:
    r"""Rewrite ``\w``, ``\d``, ``\s`` (and their negations) as Unicode classes."""
    out: list[str] = []
    inside = False
    position = 0
    while position < len(pattern):
        char = pattern[position]
        if char == "\\" and position + 1 < len(pattern):
            letter = pattern[position + 1]
            table = _INSIDE if inside else _OUTSIDE
            out.append(table.get(letter, char + letter))
            position += 2
            continue
        if not inside and char == "[":
            inside = True
            out.append(char)
            position += 1
            # A ] right after [ or [^ is a literal, not the end of the class.
            if pattern.startswith("^", position):
                out.append("^")
                position += 1
            if pattern.startswith("]", position):
                out.append("]")
                position += 1
            continue
        if inside and char == "]":
            inside = False
        out.append(char)
        position += 1
    return "".join(out)


@functools.cache
def _re2() -> Any:  # noqa: ANN401 - google-re2 ships no type information
    return importlib.import_module("re2")


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> CompiledPattern:
    """Compile a custom-field pattern for RE2 (cached).

    Args:
        pattern: A regular expression in Python's syntax, at most `MAX_PATTERN_LENGTH`
            characters; it is matched against the whole value.

    Returns:
        The compiled pattern.

    Raises:
        PatternError: RE2 cannot compile the pattern (a backreference, look-around,
            bad syntax, or a pattern too large), or it is too long.
    """
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError("pattern.too_long", length=len(pattern), max_length=MAX_PATTERN_LENGTH)
    re2 = _re2()
    options = re2.Options()
    options.log_errors = False
    try:
        compiled: CompiledPattern = re2.compile(_unicode_classes(pattern), options)
    except UnicodeError as exc:
        raise PatternError("pattern.surrogate") from exc
    except re2.error as exc:
        reason = exc.args[0] if exc.args else ""
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        reason = str(reason)
        linear = "perl operator" in reason or "escape" in reason
        raise PatternError(
            "pattern.refused", re2_error=reason or "RE2 refused it", linear=linear
        ) from exc
    return compiled
