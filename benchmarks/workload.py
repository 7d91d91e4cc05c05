"""Realistic, valid and unique customer forms for the benchmarks."""

from __future__ import annotations

import random
from typing import Any

from stdnum.eu import vat as eu_vat

_SYLLABLES = [
    "ber",
    "zi",
    "ņš",
    "ko",
    "ks",
    "ozo",
    "la",
    "ēd",
    "ie",
    "ni",
    "mei",
    "er",
    "schmidt",
    "an",
    "na",
    "jā",
    "nis",
    "ka",
    "lns",
    "sa",
    "ule",
    "pē",
    "te",
    "ris",
    "mü",
    "ller",
]
_FORMS = ["SIA", "AS", "GmbH", "Ltd", ""]
_CITIES = {
    "LV": ["Rīga", "Jūrmala", "Jelgava", "Liepāja", "Ventspils", "Daugavpils", "Cēsis"],
    "DE": ["Berlin", "Hamburg", "München", "Köln", "Leipzig"],
}
_CATEGORIES = ["Retailers", "Wholesalers", "Regular customers", "Food", "Export"]


def _name(rng: random.Random) -> str:
    word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
    other = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    legal = rng.choice(_FORMS)
    return f"{legal} {word} {other}".strip()


def _lv_vat(rng: random.Random) -> str:
    while True:
        body = f"{rng.randint(4, 9)}{rng.randrange(10**9):09d}"
        for check in range(10):
            number = f"LV{body}{check}"
            if eu_vat.is_valid(number):
                return f"LV {number[2:6]} {number[6:10]} {number[10:]}"


def make_forms(
    count: int, *, seed: int, with_vat: float = 0.3, start: int = 0
) -> list[dict[str, Any]]:
    """``count`` valid forms with unique emails and phones, raw as users type them."""
    rng = random.Random(seed)
    forms = []
    for i in range(start, start + count):
        country = "LV" if rng.random() < 0.8 else "DE"
        if country == "LV":
            phone = f"2{i:07d}"[:8]
            postal = f"{rng.randint(1001, 5799)}"
        else:
            phone = f"030 {1000000 + i}"
            postal = f"{rng.randint(10115, 14199)}"
        form: dict[str, Any] = {
            "name": _name(rng),
            "email": f"customer{i}@example{i % 97}.com",
            "phone": phone,
            "address": {
                "street": f"Iela {rng.randint(1, 200)}",
                "postal_code": postal,
                "city": rng.choice(_CITIES[country]),
                "country": country,
            },
            "categories": rng.sample(_CATEGORIES, rng.randint(0, 2)),
        }
        if rng.random() < with_vat:
            form["tax_id"] = _lv_vat(rng) if country == "LV" else "DE - 113866163"
        if country == "DE" and "tax_id" in form and with_vat < 1:
            del form["tax_id"]
        forms.append(form)
    return forms
