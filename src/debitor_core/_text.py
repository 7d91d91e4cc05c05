"""Folding text for matching, and what a customer is matched by: duplicate keys and search text.

This is the one place that decides when two pieces of text match. The in-memory read
model uses it directly; a store that answers queries itself stores its output (folded
search text, duplicate keys) in indexed columns, computed here at write time, so that
every store finds exactly what the in-memory index finds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Final

from debitor_core._fields import CustomFieldDefinition, FieldType
from debitor_core._model import Customer

__all__ = [
    "DUPLICATE_KINDS",
    "DuplicateKey",
    "duplicate_keys",
    "fold",
    "keys_and_text",
    "search_words",
    "text_field_keys",
]

_COMBINING: Final = re.compile(
    r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)
_UNDECOMPOSED: Final = str.maketrans(
    {
        "ø": "o",
        "đ": "d",
        "ł": "l",
        "ħ": "h",
        "\u0131": "i",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "ð": "d",
        "ŧ": "t",
        "ŋ": "n",
    }
)


class _FoldTable(dict[int, str]):
    """``str.translate`` table folding one character at a time, filled on first sight.

    Folding character by character keeps folding consistent with substrings: the fold
    of a part of a text is a part of the fold of the text.
    """

    LIMIT: Final = 1 << 14  # distinct characters remembered; beyond that, computed each time

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFKD", chr(code).casefold())
        folded = _COMBINING.sub("", decomposed).translate(_UNDECOMPOSED).casefold()
        if len(self) < self.LIMIT:
            self[code] = folded
        return folded


_FOLD: Final = _FoldTable()


def fold(value: str) -> str:
    """Fold text for matching: case-insensitive and accent-insensitive.

    ``fold("Bērziņš") == "berzins"``; ``fold("SIA") == "sia"``.
    """
    if value.isascii():
        return value.casefold()
    return value.translate(_FOLD)


def search_words(text: str) -> list[str]:
    """The folded words of a free-text query; a customer matches when it contains each."""
    return fold(text).split()


DUPLICATE_KINDS: Final = ("tax_id", "email", "phone", "name_city")
"""What makes two customers look alike, in the order evidence is reported."""

DuplicateKey = tuple[str, object]
"""``(kind, key)``: kind is one of `DUPLICATE_KINDS`."""


def text_field_keys(fields: Iterable[CustomFieldDefinition]) -> tuple[str, ...]:
    """The keys of the custom fields whose values are part of the search text."""
    return tuple(f.key for f in fields if f.type in (FieldType.TEXT, FieldType.MULTILINE_TEXT))


def keys_and_text(
    customer: Customer, text_fields: Iterable[str] = ()
) -> tuple[list[DuplicateKey], str]:
    """Return what a customer is matched by: its duplicate keys and its search text.

    The duplicate keys are those by which another customer would look like a duplicate
    of this one; the search text is the folded name, number, contact person, emails,
    phones, tax ids, city and ``text_fields`` custom-field values, joined by spaces.
    Both come from one pass, since the book computes them for every customer.
    """
    name = fold(customer.name)
    keys: list[DuplicateKey] = []
    parts = [name, str(customer.number)]
    if customer.contact_person:
        parts.append(fold(customer.contact_person))
    tax_id = customer.tax_id
    if tax_id:
        keys.append(("tax_id", tax_id.value))
        parts.append(fold(tax_id.value))
    if customer.company_id:
        parts.append(fold(customer.company_id))
    # One by one rather than through customer.emails and .phones: this runs for
    # every customer, and building those tuples shows.
    if customer.email:
        _add_email(customer.email, keys, parts)
    for email in customer.other_emails:
        _add_email(email, keys, parts)
    if customer.phone:
        keys.append(("phone", customer.phone.number))
        parts.append(customer.phone.number)
    for phone in customer.other_phones:
        keys.append(("phone", phone.number))
        parts.append(phone.number)
    city = customer.address.city
    if city:
        city = fold(city)
        keys.append(("name_city", (name, city)))
        parts.append(city)
    if text_fields and customer.custom_fields:
        values = customer.custom_fields
        parts += [fold(v) for k in text_fields if isinstance(v := values.get(k), str)]
    return keys, " ".join(parts)


def _add_email(email: str, keys: list[DuplicateKey], parts: list[str]) -> None:
    folded = email.casefold()
    keys.append(("email", folded))
    parts.append(folded if folded.isascii() else fold(email))


def duplicate_keys(customer: Customer) -> list[DuplicateKey]:
    """The keys by which another customer would look like a duplicate of this one."""
    return keys_and_text(customer)[0]
