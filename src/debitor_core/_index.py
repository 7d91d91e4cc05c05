"""The book's in-memory indexes: duplicate lookups, category postings and free-text search.

Free text is searched in one long string (the *blob*) holding a folded "haystack" per
customer; ``str.find`` scans it at C speed, and a sorted list of start offsets maps a
hit back to its customer. A change appends a new haystack and leaves the old one as a
dead entry; the blob is rebuilt when dead entries pile up.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
import threading
import unicodedata
import uuid
from collections.abc import Iterable
from typing import Final, cast

from debitor_core._fields import CustomFieldDefinition, FieldType
from debitor_core._model import Customer
from debitor_core._util import insert_sorted, remove_sorted

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
_NUMBER: Final = operator.attrgetter("number")
_ID_INT: Final = operator.attrgetter("id.int")
_SEPARATOR: Final = "\x1f"  # never part of a haystack: control characters are rejected


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


DuplicateKey = tuple[str, object]
"""``(kind, key)``: kind is ``tax_id``, ``email``, ``phone`` or ``name_city``."""


def index_entries(
    customer: Customer, text_fields: Iterable[str] = ()
) -> tuple[list[DuplicateKey], str]:
    """Return what the book indexes ``customer`` by: its duplicate keys and search text.

    The duplicate keys are those by which another customer would look like a duplicate
    of this one; the search text ("haystack") is the folded name, number, contact
    person, emails, phones, tax ids, city and ``text_fields`` custom-field values.
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
    return index_entries(customer)[0]


class _TextIndex:
    """Substring search over folded haystacks, one entry per customer number."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything."""
        self._blob = ""
        self._pending: list[str] = []
        self._starts: list[int] = []
        self._owners: list[int] = []
        self._entry_of: dict[int, int] = {}
        self._end = 0
        self._dead = 0

    def put_many(self, numbers: list[int], texts: list[str]) -> None:
        """Add the haystack of each customer number (none of them in the index yet)."""
        if not texts:
            return
        starts = self._starts
        first = len(starts)
        self._entry_of.update(zip(numbers, range(first, first + len(numbers)), strict=True))
        self._owners += numbers
        self._pending += texts
        # Each haystack starts after the previous one and its separator.
        starts += itertools.accumulate((len(t) + 1 for t in texts[:-1]), initial=self._end)
        self._end = starts[-1] + len(texts[-1]) + 1

    def remove(self, number: int) -> None:
        if self._entry_of.pop(number, None) is not None:
            self._dead += 1

    def _flush(self) -> str:
        if self._pending:
            # Grow the blob in place: with the attribute cleared, the local name holds
            # the only reference, so CPython's `+=` resizes instead of copying.
            blob, self._blob = self._blob, ""
            blob += _SEPARATOR.join(self._pending) + _SEPARATOR
            self._blob = blob
            self._pending.clear()
        return self._blob

    def needs_compaction(self) -> bool:
        """Whether more than a quarter of the entries are dead."""
        return self._dead * 4 > len(self._starts)

    def rebuild(self, texts: dict[int, str]) -> None:
        """Start again from the live ``texts``."""
        self.reset()
        self.put_many(list(texts), list(texts.values()))

    def find(self, words: list[str]) -> set[int]:
        """Numbers of the customers whose haystack contains every word."""
        if not words:
            return set()
        longest = max(words, key=len)
        others = [w for w in words if w is not longest]
        blob = self._flush()
        starts, owners, entry_of = self._starts, self._owners, self._entry_of
        found: set[int] = set()
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


def _share(index: dict[object, object], key: object, number: int) -> None:
    """Add ``number`` under a key another customer has: two or more are kept in a set.

    (A key only one customer has maps to the bare number, which saves memory.)
    """
    present = index[key]
    if isinstance(present, set):
        present.add(number)
    else:
        index[key] = {present, number}


def _drop(index: dict[object, object], key: object, number: int) -> None:
    present = index.get(key)
    if isinstance(present, set):
        present.discard(number)
        if len(present) == 1:
            index[key] = next(iter(present))
    elif present == number:
        del index[key]


def _numbers(index: dict[object, object], key: object) -> set[int]:
    present = index.get(key)
    if present is None:
        return set()
    if isinstance(present, set):
        return set(present)
    return {cast("int", present)}


class CustomerIndex:
    """Everything the book looks customers up by, kept in step with the store.

    `add` only queues a customer; every lookup first indexes what is queued, in one go
    (`catch_up`). A run of registrations thus pays for its indexing in one tight loop,
    and appends its search text to the blob once.
    """

    def __init__(self) -> None:
        """Create empty indexes."""
        self._catching_up = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget everything."""
        self._by_id: dict[int, Customer] = {}  # by the id's 128-bit int: hashed in C
        self._by_number: dict[int, Customer] = {}
        self._numbers: list[int] = []
        self._by_category: dict[uuid.UUID, list[int]] = {}
        self._duplicate_keys: dict[str, dict[object, object]] = {
            "tax_id": {},
            "email": {},
            "phone": {},
            "name_city": {},
        }
        self._pending: list[Customer] = []
        self.text = _TextIndex()
        self.text_fields: tuple[str, ...] = ()

    def get(self, customer_id: uuid.UUID) -> Customer | None:
        """Return the customer with this id, or ``None``."""
        self.catch_up()
        return self._by_id.get(customer_id.int)

    def __len__(self) -> int:
        """How many customers are indexed."""
        self.catch_up()
        return len(self._by_id)

    @property
    def by_number(self) -> dict[int, Customer]:
        """Every customer by number."""
        self.catch_up()
        return self._by_number

    @property
    def numbers(self) -> list[int]:
        """Every customer number, sorted."""
        self.catch_up()
        return self._numbers

    @property
    def by_category(self) -> dict[uuid.UUID, list[int]]:
        """For each category id, the sorted numbers of its customers."""
        self.catch_up()
        return self._by_category

    def rebuild(
        self, customers: Iterable[Customer], fields: Iterable[CustomFieldDefinition]
    ) -> None:
        """Index ``customers`` from scratch."""
        with self._catching_up:
            self.reset()
            self.text_fields = tuple(
                f.key for f in fields if f.type in (FieldType.TEXT, FieldType.MULTILINE_TEXT)
            )
            self._pending.extend(customers)

    def add(self, customer: Customer) -> None:
        """Index a new customer, or the new state of a changed one (remove the old first)."""
        self._pending.append(customer)

    def catch_up(self) -> None:
        """Index the customers added since the last lookup.

        Lookups may come from several threads: one indexes, the others wait, and the
        queue is emptied only once everything in it is indexed.
        """
        if not self._pending:
            return
        with self._catching_up:
            pending = self._pending[:]
            if pending:
                self._index_all(pending)
                del self._pending[: len(pending)]

    def _index_all(self, pending: list[Customer]) -> None:
        numbers = list(map(_NUMBER, pending))
        self._by_id.update(zip(map(_ID_INT, pending), pending, strict=True))
        self._by_number.update(zip(numbers, pending, strict=True))
        known = self._numbers
        if numbers == sorted(numbers) and (not known or numbers[0] > known[-1]):
            known += numbers  # the usual case: new customers with the next numbers
        else:
            for number in numbers:
                insert_sorted(known, number)
        by_category, keys, fields = self._by_category, self._duplicate_keys, self.text_fields
        texts = []
        for customer in pending:  # remove() catches up first, so every one is still here
            number = customer.number
            for category in customer.categories:
                insert_sorted(by_category.setdefault(category, []), number)
            customer_keys, text = index_entries(customer, fields)
            for kind, key in customer_keys:
                index = keys[kind]
                if index.setdefault(key, number) is not number:
                    _share(index, key, number)
            texts.append(text)
        self.text.put_many(numbers, texts)

    def remove(self, customer: Customer) -> None:
        """Forget a customer."""
        self.catch_up()
        number = customer.number
        del self._by_id[customer.id.int]
        del self._by_number[number]
        remove_sorted(self._numbers, number)
        for category in customer.categories:
            remove_sorted(self._by_category[category], number)
        for kind, key in duplicate_keys(customer):
            _drop(self._duplicate_keys[kind], key, number)
        self.text.remove(number)
        if self.text.needs_compaction():
            fields = self.text_fields
            self.text.rebuild({n: index_entries(c, fields)[1] for n, c in self._by_number.items()})

    def matches(self, kind: str, key: object) -> set[int]:
        """Numbers of the customers with this duplicate key (see `duplicate_keys`)."""
        self.catch_up()
        return _numbers(self._duplicate_keys[kind], key)

    def search_text(self, text: str) -> set[int]:
        """Numbers of the customers matching every word of ``text`` (folded substrings)."""
        self.catch_up()
        return self.text.find(fold(text).split())
