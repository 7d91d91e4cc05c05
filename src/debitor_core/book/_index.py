"""The in-memory customer index: customers by id and number, and the postings searched.

Customers by id and by number are always current: a change replaces the entry in
place, so a reader that takes no lock sees the old customer or the new one, never
neither. The postings (sorted numbers, category members, duplicate keys, search text)
are built lazily: a change queues the new customer, and the next query that needs them
indexes the queue in one pass. Whoever touches the postings holds the index's lock.

Free text is searched in one long string (the *blob*) holding each customer's folded
search text; ``str.find`` scans it at C speed, and a sorted list of start offsets maps
a hit back to its customer. A change appends a new entry and leaves the old one dead;
the blob is rebuilt when dead entries pile up.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import uuid
from collections.abc import Collection, Iterable, Iterator
from typing import Final, cast

from debitor_core._model import Customer
from debitor_core._text import DUPLICATE_KINDS, duplicate_keys, keys_and_text
from debitor_core._util import insert_sorted, remove_sorted

__all__ = ["CustomerIndex", "Postings"]

_NUMBER: Final = operator.attrgetter("number")
_SEPARATOR: Final = "\x1f"  # never part of a search text: control characters are rejected


class _TextIndex:
    """Substring search over folded search texts, one entry per customer number."""

    def __init__(self, texts: dict[int, str] | None = None) -> None:
        self._blob = ""
        self._pending: list[str] = []
        self._starts: list[int] = []
        self._owners: list[int] = []
        self._entry_of: dict[int, int] = {}
        self._end = 0
        self._dead = 0
        if texts:
            self.put_many(list(texts), list(texts.values()))

    def put_many(self, numbers: list[int], texts: list[str]) -> None:
        """Add the search text of each customer number (none of them in the index yet)."""
        if not texts:
            return
        starts = self._starts
        first = len(starts)
        self._entry_of.update(zip(numbers, range(first, first + len(numbers)), strict=True))
        self._owners += numbers
        self._pending += texts
        # Each text starts after the previous one and its separator.
        starts += itertools.accumulate((len(t) + 1 for t in texts[:-1]), initial=self._end)
        self._end = starts[-1] + len(texts[-1]) + 1

    def remove(self, number: int) -> None:
        """Forget the text of a customer number (its entry stays, dead)."""
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

    def find(self, words: list[str], private: _TextIndex | None = None) -> set[int]:
        """Numbers of the customers whose search text contains every word.

        With ``private``, each word may be found in this text or in the customer's
        text there (its private text).
        """
        if not words or any(_SEPARATOR in w for w in words):
            return set()  # no text holds the separator (a control character)
        longest = max(words, key=len)
        others = [w for w in words if w is not longest]
        if private is not None and private.size():
            found = self.containing(longest) | private.containing(longest)
            if others:
                own, theirs = self.text_of, private.text_of
                found = {n for n in found if all(w in own(n) or w in theirs(n) for w in others)}
            return found
        blob = self._flush()
        starts, owners, entry_of = self._starts, self._owners, self._entry_of
        found = set()
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

    def containing(self, word: str) -> set[int]:
        """Numbers of the customers whose text contains ``word``."""
        return self.find([word])

    def text_of(self, number: int) -> str:
        """The text of a customer number ("" when it has none)."""
        entry = self._entry_of.get(number)
        if entry is None:
            return ""
        blob = self._flush()
        start = self._starts[entry]
        return blob[start : blob.index(_SEPARATOR, start)]

    def size(self) -> int:
        """How many customers have a text here."""
        return len(self._entry_of)


def _share(index: dict[str, object], key: str, number: int) -> None:
    """Add ``number`` under a key another customer has: two or more are kept in a set.

    (A key only one customer has maps to the bare number, which saves memory.)
    """
    present = index[key]
    if isinstance(present, set):
        present.add(number)
    else:
        index[key] = {present, number}


def _drop(index: dict[str, object], key: str, number: int) -> None:
    present = index.get(key)
    if isinstance(present, set):
        present.discard(number)
        if len(present) == 1:
            index[key] = next(iter(present))
    elif present == number:
        del index[key]


class Postings:
    """What the index looks customers up by, besides id and number; built lazily.

    Attributes:
        numbers: Every indexed customer number, sorted.
        by_category: For each category id, the sorted numbers of its customers.
        text_fields: The custom fields whose text values are searched.
        private_fields: The custom fields whose text values are searched as private text.
    """

    def __init__(self, text_fields: tuple[str, ...], private_fields: tuple[str, ...] = ()) -> None:
        """Start empty; ``text_fields`` (``private_fields``) are searched as (private) text."""
        self.numbers: list[int] = []
        self.by_category: dict[uuid.UUID, list[int]] = {}
        self.text_fields = text_fields
        self.private_fields = private_fields
        self._keys: dict[str, dict[str, object]] = {kind: {} for kind in DUPLICATE_KINDS}
        self._text = _TextIndex()
        self._private = _TextIndex()
        self.pending: list[Customer] = []

    def catch_up(self) -> None:
        """Index the queued customers, in one pass."""
        pending = self.pending
        if not pending:
            return
        self.pending = []
        numbers = list(map(_NUMBER, pending))
        known = self.numbers
        if numbers == sorted(numbers) and (not known or numbers[0] > known[-1]):
            known += numbers  # the usual case: new customers with the next numbers
        else:
            for number in numbers:
                insert_sorted(known, number)
        by_category, keys = self.by_category, self._keys
        fields, private_fields = self.text_fields, self.private_fields
        texts = []
        private_numbers, private_texts = [], []
        for customer in pending:
            number = customer.number
            for category in customer.categories:
                insert_sorted(by_category.setdefault(category, []), number)
            customer_keys, text, private = keys_and_text(customer, fields, private_fields)
            for kind, key in customer_keys:
                index = keys[kind]
                if index.setdefault(key, number) is not number:
                    _share(index, key, number)
            texts.append(text)
            if private:
                private_numbers.append(number)
                private_texts.append(private)
        self._text.put_many(numbers, texts)
        self._private.put_many(private_numbers, private_texts)

    def forget(self, customer: Customer) -> None:
        """Take an indexed customer out (call `catch_up` first)."""
        number = customer.number
        remove_sorted(self.numbers, number)
        for category in customer.categories:
            remove_sorted(self.by_category[category], number)
        for kind, key in duplicate_keys(customer):
            _drop(self._keys[kind], key, number)
        self._text.remove(number)
        self._private.remove(number)

    def reindex_text(
        self,
        customers: Iterable[Customer],
        text_fields: tuple[str, ...],
        private_fields: tuple[str, ...] = (),
    ) -> None:
        """Rebuild the (private) search text of ``customers`` (all indexed ones)."""
        self.text_fields, self.private_fields = text_fields, private_fields
        texts, privates = {}, {}
        for customer in customers:
            _, text, private = keys_and_text(customer, text_fields, private_fields)
            texts[customer.number] = text
            if private:
                privates[customer.number] = private
        self._text, self._private = _TextIndex(texts), _TextIndex(privates)

    def compact_text(self, customers: Iterable[Customer]) -> None:
        """Rebuild the search text when dead entries pile up."""
        if self._text.needs_compaction() or self._private.needs_compaction():
            self.reindex_text(customers, self.text_fields, self.private_fields)

    def matches(self, kind: str, key: str) -> Iterator[int]:
        """Numbers of the customers with this duplicate key."""
        present = self._keys[kind].get(key)
        if isinstance(present, set):
            yield from present
        elif present is not None:
            yield cast("int", present)

    def search_text(self, words: list[str], *, include_private: bool = False) -> set[int]:
        """Numbers of the customers whose search text contains every folded word.

        With ``include_private``, each word may be in the search text or the private text.
        """
        return self._text.find(words, self._private if include_private else None)


class CustomerIndex:
    """Every customer of the book by id and number, with lazily built postings.

    `get`, `get_by_number` and `count` are safe without a lock and always see whole
    changes. `replace`, `use_text_fields` and `postings` must not run at the same time
    as each other: `InMemoryReadModel` holds its lock around them.
    """

    def __init__(
        self,
        customers: Iterable[Customer] = (),
        text_fields: tuple[str, ...] = (),
        private_fields: tuple[str, ...] = (),
    ) -> None:
        """Index ``customers`` (their postings when first needed)."""
        pending = list(customers)
        # By the id's 128-bit int: hashed in C.
        self._by_id: dict[int, Customer] = {c.id.int: c for c in pending}
        self._by_number: dict[int, Customer] = {c.number: c for c in pending}
        self._postings = Postings(text_fields, private_fields)
        self._postings.pending = pending

    def get(self, customer_id: uuid.UUID) -> Customer | None:
        """The customer with this id, or ``None``."""
        return self._by_id.get(customer_id.int)

    def get_by_number(self, number: int) -> Customer | None:
        """The customer with this number, or ``None``."""
        return self._by_number.get(number)

    def count(self) -> int:
        """How many customers are indexed."""
        return len(self._by_id)

    def replace(self, saved: Collection[Customer], deleted: Collection[uuid.UUID] = ()) -> None:
        """Put in the new state of changed customers, and take deleted ones out.

        Readers of `get`, `get_by_number` and `count` see each customer's old or new
        state throughout: entries are replaced in place, and an entry goes only when
        its customer is deleted or took another number.
        """
        by_id = self._by_id
        olds = []
        for customer in saved:  # a loop, not a comprehension: cheaper for one
            old = by_id.get(customer.id.int)
            if old is not None:
                olds.append(old)
        for customer_id in deleted:
            old = by_id.get(customer_id.int)
            if old is not None:
                olds.append(old)
        if olds:
            self._replace_old(saved, olds)
            return
        by_number, pending = self._by_number, self._postings.pending
        for new in saved:  # the usual case: new customers
            by_id[new.id.int] = new
            by_number[new.number] = new
            pending.append(new)

    def _replace_old(self, saved: Collection[Customer], olds: list[Customer]) -> None:
        """`replace` when some of the customers were indexed before (``olds``)."""
        by_id, by_number, postings = self._by_id, self._by_number, self._postings
        postings.catch_up()
        for old in olds:
            postings.forget(old)
        for new in saved:
            by_id[new.id.int] = new  # in place: a reader sees the old or the new
            by_number[new.number] = new
            postings.pending.append(new)
        ids, numbers = {c.id.int for c in saved}, {c.number for c in saved}
        for old in olds:  # what no new state took over goes
            if old.id.int not in ids:
                by_id.pop(old.id.int, None)
            if old.number not in numbers:
                by_number.pop(old.number, None)
        postings.catch_up()  # so that the text index holds exactly these customers
        postings.compact_text(by_number.values())

    def use_text_fields(
        self, text_fields: tuple[str, ...], private_fields: tuple[str, ...] = ()
    ) -> None:
        """Search the values of these custom fields from now on (re-indexing the text)."""
        postings = self._postings
        if (text_fields, private_fields) != (postings.text_fields, postings.private_fields):
            postings.catch_up()
            postings.reindex_text(self._by_number.values(), text_fields, private_fields)

    def postings(self) -> tuple[Postings, dict[int, Customer]]:
        """The caught-up postings, with the customers by number."""
        self._postings.catch_up()
        return self._postings, self._by_number
