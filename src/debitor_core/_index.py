"""The book's in-memory indexes: duplicate lookups, category postings and free-text search.

Free text is searched in one long string (the *blob*) holding a folded "haystack" per
customer; ``str.find`` scans it at C speed, and a sorted list of start offsets maps a
hit back to its customer. A change appends a new haystack and leaves the old one as a
dead entry; the blob is rebuilt when dead entries pile up.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
import uuid
from collections.abc import Iterable
from typing import Final, cast

from debitor_core._fields import CustomFieldDefinition, FieldType
from debitor_core._model import Customer

__all__ = ["CustomerIndex", "fold"]

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
_SEPARATOR: Final = "\x1f"  # never part of a haystack: control characters are rejected


def fold(value: str) -> str:
    """Fold text for matching: case-insensitive and accent-insensitive.

    ``fold("Bērziņš") == "berzins"``; ``fold("SIA") == "sia"``.
    """
    folded = value.casefold()
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return _COMBINING.sub("", decomposed).translate(_UNDECOMPOSED)


def haystack(customer: Customer, text_fields: Iterable[str]) -> str:
    """Return the folded text that free-text search looks in for ``customer``."""
    parts = [customer.name, str(customer.number)]
    if customer.contact_person:
        parts.append(customer.contact_person)
    if customer.email:
        parts.append(customer.email)
    parts += customer.other_emails
    if customer.phone:
        parts.append(customer.phone.number)
    parts += [phone.number for phone in customer.other_phones]
    if customer.tax_id:
        parts.append(customer.tax_id.value)
    if customer.company_id:
        parts.append(customer.company_id)
    if customer.address.city:
        parts.append(customer.address.city)
    if text_fields and customer.custom_fields:
        values = customer.custom_fields
        parts += [v for k in text_fields if isinstance(v := values.get(k), str)]
    return fold(" ".join(parts))


class _TextIndex:
    """Substring search over folded haystacks."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything."""
        self._blob = ""
        self._pending: list[str] = []
        self._starts: list[int] = []
        self._owners: list[uuid.UUID] = []
        self._entry_of: dict[uuid.UUID, int] = {}
        self._end = 0
        self._dead = 0

    def put(self, customer_id: uuid.UUID, text: str) -> None:
        if customer_id in self._entry_of:
            self._dead += 1
        self._entry_of[customer_id] = len(self._starts)
        self._starts.append(self._end)
        self._owners.append(customer_id)
        chunk = text + _SEPARATOR
        self._pending.append(chunk)
        self._end += len(chunk)

    def remove(self, customer_id: uuid.UUID) -> None:
        if self._entry_of.pop(customer_id, None) is not None:
            self._dead += 1

    def _flush(self) -> str:
        if self._pending:
            self._blob += "".join(self._pending)
            self._pending.clear()
        return self._blob

    def needs_compaction(self) -> bool:
        """Whether more than a quarter of the entries are dead."""
        return self._dead * 4 > len(self._starts)

    def rebuild(self, texts: dict[uuid.UUID, str]) -> None:
        """Start again from the live ``texts``."""
        self.reset()
        for customer_id, text in texts.items():
            self.put(customer_id, text)

    def find(self, words: list[str]) -> set[uuid.UUID]:
        """Ids of customers whose haystack contains every word."""
        if not words:
            return set()
        longest = max(words, key=len)
        others = [w for w in words if w is not longest]
        blob = self._flush()
        starts, owners, entry_of = self._starts, self._owners, self._entry_of
        found: set[uuid.UUID] = set()
        position = blob.find(longest)
        while position != -1:
            entry = bisect.bisect_right(starts, position) - 1
            owner = owners[entry]
            end = blob.index(_SEPARATOR, position)
            if entry_of.get(owner) == entry and (
                not others or all(w in blob[starts[entry] : end] for w in others)
            ):
                found.add(owner)
            position = blob.find(longest, end)
        return found


def _put(index: dict[object, object], key: object, cid: uuid.UUID) -> None:
    """Add ``cid`` under ``key``: a lone id is kept bare, two or more in a set (memory)."""
    present = index.get(key)
    if present is None:
        index[key] = cid
    elif isinstance(present, set):
        present.add(cid)
    elif present != cid:
        index[key] = {present, cid}


def _drop(index: dict[object, object], key: object, cid: uuid.UUID) -> None:
    present = index.get(key)
    if isinstance(present, set):
        present.discard(cid)
        if len(present) == 1:
            index[key] = next(iter(present))
    elif present == cid:
        del index[key]


def _ids(index: dict[object, object], key: object) -> set[uuid.UUID]:
    present = index.get(key)
    if present is None:
        return set()
    if isinstance(present, set):
        return set(present)
    return {cast("uuid.UUID", present)}


class CustomerIndex:
    """Everything the book looks customers up by, kept in step with the store.

    Lookups by id, number and category are updated at once. The duplicate keys and the
    free-text index are brought up to date when they are next used, in one go: a
    registration does not pay for them, and a search or duplicate check after many
    registrations pays once.

    Attributes:
        by_id: Every customer by id.
        by_number: Every customer by number.
        numbers: Every customer number, sorted.
        by_category: For each category id, the sorted numbers of its customers.
    """

    def __init__(self) -> None:
        """Create empty indexes."""
        self.reset()

    def reset(self) -> None:
        """Forget everything."""
        self.by_id: dict[uuid.UUID, Customer] = {}
        self.by_number: dict[int, Customer] = {}
        self.numbers: list[int] = []
        self.by_category: dict[uuid.UUID, list[int]] = {}
        self._duplicate_keys: dict[str, dict[object, object]] = {
            "tax_id": {},
            "email": {},
            "phone": {},
            "name_city": {},
        }
        self._pending: list[Customer] = []
        self.text = _TextIndex()
        self.text_fields: tuple[str, ...] = ()

    def rebuild(
        self, customers: Iterable[Customer], fields: Iterable[CustomFieldDefinition]
    ) -> None:
        """Index ``customers`` from scratch."""
        self.reset()
        self.text_fields = tuple(
            f.key for f in fields if f.type in (FieldType.TEXT, FieldType.MULTILINE_TEXT)
        )
        for customer in customers:
            self.add(customer)

    def add(self, customer: Customer) -> None:
        """Index a new customer, or the new state of a changed one (remove the old first)."""
        number = customer.number
        self.by_id[customer.id] = customer
        self.by_number[number] = customer
        _insert(self.numbers, number)
        for category in customer.categories:
            _insert(self.by_category.setdefault(category, []), number)
        self._pending.append(customer)

    def _catch_up(self) -> None:
        """Put the customers added since the last lookup into the lazy indexes."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        keys, text, fields = self._duplicate_keys, self.text, self.text_fields
        for customer in pending:  # remove() catches up first, so every one is still here
            cid = customer.id
            for kind, key in duplicate_keys(customer):
                _put(keys[kind], key, cid)
            text.put(cid, haystack(customer, fields))

    def remove(self, customer: Customer) -> None:
        """Forget a customer."""
        self._catch_up()
        cid = customer.id
        number = customer.number
        del self.by_id[cid]
        del self.by_number[number]
        _remove(self.numbers, number)
        for category in customer.categories:
            _remove(self.by_category[category], number)
        for kind, key in duplicate_keys(customer):
            _drop(self._duplicate_keys[kind], key, cid)
        self.text.remove(cid)
        if self.text.needs_compaction():
            self.text.rebuild({c.id: haystack(c, self.text_fields) for c in self.by_id.values()})

    def matches(self, kind: str, key: object) -> set[uuid.UUID]:
        """Ids of customers with this duplicate key (``kind``: see `duplicate_keys`)."""
        self._catch_up()
        return _ids(self._duplicate_keys[kind], key)

    def search_text(self, text: str) -> set[uuid.UUID]:
        """Ids of customers matching every word of ``text`` (folded substrings)."""
        self._catch_up()
        return self.text.find(fold(text).split())


def duplicate_keys(customer: Customer) -> list[tuple[str, object]]:
    """The keys by which another customer would look like a duplicate of this one."""
    keys: list[tuple[str, object]] = []
    if customer.tax_id:
        keys.append(("tax_id", customer.tax_id.value))
    if customer.email:
        keys.append(("email", customer.email.casefold()))
    keys += [("email", email.casefold()) for email in customer.other_emails]
    if customer.phone:
        keys.append(("phone", customer.phone.number))
    keys += [("phone", phone.number) for phone in customer.other_phones]
    city = customer.address.city
    if city:
        keys.append(("name_city", (fold(customer.name), fold(city))))
    return keys


def _insert(numbers: list[int], number: int) -> None:
    if not numbers or number > numbers[-1]:
        numbers.append(number)
    else:
        bisect.insort(numbers, number)


def _remove(numbers: list[int], number: int) -> None:
    position = bisect.bisect_left(numbers, number)
    if position < len(numbers) and numbers[position] == number:
        del numbers[position]
