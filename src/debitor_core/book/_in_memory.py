"""`InMemoryReadModel`: the customer read model over indexes the book keeps in memory.

It answers every query of `CustomerReadModel` from a `CustomerIndex` (customers) and a
`Ledger` (records). Changes and queries of several customers hold one lock; lookups by
id and number and the count take none (see `CustomerIndex`). A reload builds new
indexes aside and swaps them in at once.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import threading
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from typing import Any, Final

from debitor_core._errors import NotFound
from debitor_core._history import DefinitionChange, Erasure, HistoryEntry
from debitor_core._invoice import RECORD_KINDS, Delivery, Invoice, Record
from debitor_core._model import Customer
from debitor_core._text import DuplicateKey, fold, private_field_keys, search_words
from debitor_core._util import merge_unique
from debitor_core.book._accounts import AccountSummary, DueReminder, Totals
from debitor_core.book._index import CustomerIndex, Postings
from debitor_core.book._ledger import Ledger
from debitor_core.book._read_model import Changes, CustomerQuery, records_about
from debitor_core.book._types import Definitions, DuplicateMatch, SearchResult, SortKey
from debitor_core.storage._protocol import Store
from debitor_core.storage._queries import field_matches, is_number

__all__ = ["InMemoryReadModel"]

_NOT_INDEXED: Final = frozenset({HistoryEntry, DefinitionChange})  # read from the store

_SORT_KEYS: Final[dict[str, Callable[[Customer], Any]]] = {
    "number": lambda c: c.number,
    "name": lambda c: (fold(c.name), c.number),
    "created": lambda c: (c.created, c.number),
}


class _State:
    """Everything the model knows as of one revision; swapped whole on a reload."""

    __slots__ = ("history", "index", "last_number", "ledger", "store")

    def __init__(
        self, index: CustomerIndex, ledger: Ledger, last_number: int, store: Store | None = None
    ) -> None:
        self.index = index
        self.ledger = ledger
        self.last_number = last_number
        self.store = store
        # History stays in the store: by customer, the keys of its entries, oldest
        # first, read when first asked for.
        self.history: dict[uuid.UUID, list[str]] | None = None


class InMemoryReadModel:
    """The read model kept in memory: today's indexes, for any store."""

    def __init__(self) -> None:
        """Start empty (the unit of work reloads it from the store)."""
        self._lock = threading.RLock()
        self._state = _State(CustomerIndex(), Ledger(), 0)

    def reload(self, store: Store, definitions: Definitions) -> None:
        """Read ``store``'s customers and records into new indexes, then swap them in."""
        state = _State(
            CustomerIndex(store.customers(), definitions.text_fields, _private_fields(definitions)),
            Ledger(
                record
                for kind in RECORD_KINDS.values()
                if kind not in _NOT_INDEXED
                for record in store.records(kind)
            ),
            store.last_number(),
            store,
        )
        with self._lock:
            self._state = state

    def apply(
        self, changes: Changes, definitions: Definitions, *, last_number: int | None = None
    ) -> None:
        """Take in what commits changed (the book's own, or a store's feed), in O(changes)."""
        with self._lock:
            state = self._state
            saved, deleted = changes.customers, changes.deleted
            if saved or deleted:
                state.index.replace(saved, deleted)
                last = state.last_number
                for customer in saved:
                    last = max(last, customer.number)
                state.last_number = last
            if last_number is not None:
                state.last_number = max(state.last_number, last_number)
            if changes.custom_fields:
                state.index.use_text_fields(definitions.text_fields, _private_fields(definitions))
            if changes.records:
                put = state.ledger.put
                history = state.history
                for record in changes.records:
                    if type(record) is not HistoryEntry:
                        put(record)
                    elif history is not None:
                        keys = history.setdefault(record.customer_id, [])
                        if record.key not in keys:
                            keys.append(record.key)

    # -- customers ---------------------------------------------------------------------

    def get(self, customer_id: uuid.UUID) -> Customer | None:
        """The customer with this id, or ``None`` (no lock taken)."""
        return self._state.index.get(customer_id)

    def get_by_number(self, number: int) -> Customer | None:
        """The customer with this number, or ``None`` (no lock taken).

        Anything but a customer number (`is_number`) finds nobody: not ``True`` or ``1.0``,
        which equal 1, as in every store.
        """
        return self._state.index.get_by_number(number) if is_number(number) else None

    def count(self, query: CustomerQuery | None = None) -> int:
        """How many customers match ``query`` (all of them for ``None``)."""
        if query is None:
            return self._state.index.count()
        with self._lock:
            postings, by_number = self._state.index.postings()
            return sum(1 for _ in _matching(postings, by_number, query))

    def last_number(self) -> int:
        """The highest customer number ever stored."""
        return self._state.last_number

    def search(
        self,
        query: CustomerQuery,
        *,
        sort: SortKey = "number",
        descending: bool = False,
        offset: int = 0,
        limit: int | None = None,
    ) -> SearchResult:
        """One page of the matching customers; the total is counted when first asked for."""
        with self._lock:
            postings, by_number = self._state.index.postings()
            matching = _matching(postings, by_number, query)
            if sort == "number" and not descending:
                page = list(_take(matching, offset, limit))
            else:
                ordered = sorted(matching, key=_SORT_KEYS[sort], reverse=descending)
                page = ordered[offset : None if limit is None else offset + limit]
        return SearchResult(page, functools.partial(self.count, query), offset)

    def duplicates(self, keys: Iterable[DuplicateKey]) -> tuple[DuplicateMatch, ...]:
        """Stored customers sharing any of ``keys``, by number, with the evidence."""
        evidence: dict[int, list[str]] = {}
        with self._lock:
            postings, by_number = self._state.index.postings()
            for kind, key in keys:
                for number in postings.matches(kind, key):
                    if kind not in evidence.setdefault(number, []):
                        evidence[number].append(kind)
            return tuple(
                DuplicateMatch(by_number[number], tuple(evidence[number]))
                for number in sorted(evidence)
            )

    # -- records -----------------------------------------------------------------------

    def invoice(self, invoice_id: uuid.UUID) -> Invoice | None:
        """The invoice with this id, or ``None``."""
        with self._lock:
            return self._state.ledger.invoices.get(invoice_id)

    def invoices(self, customer_id: uuid.UUID | None = None) -> list[Invoice]:
        """Every invoice, or a customer's, by number."""
        with self._lock:
            ledger = self._state.ledger
            found = (
                list(ledger.invoices.values())
                if customer_id is None
                else ledger.invoices_of(customer_id)
            )
        return sorted(found, key=lambda i: i.number)

    def last_invoice_number(self) -> int:
        """The highest invoice number stored."""
        return self._state.ledger.last_invoice_number

    def paid(self, invoice_id: uuid.UUID) -> decimal.Decimal:
        """The sum of the payments on an invoice."""
        with self._lock:
            return self._state.ledger.paid(invoice_id)

    def has_welcome(self, customer_id: uuid.UUID) -> bool:
        """Whether the customer has (or, before a merge, had) a welcome invoice."""
        with self._lock:
            return self._state.ledger.has_welcome(customer_id)

    def pending_deliveries(self, due_by: dt.datetime | None = None) -> list[Delivery]:
        """Deliveries not yet sent (only those due by ``due_by``, if given)."""
        with self._lock:
            return self._state.ledger.pending(due_by)

    def due_reminders(self, today: dt.date, schedule: Sequence[int]) -> list[DueReminder]:
        """Reminders of sent, unpaid welcome invoices due by ``today`` and not yet sent."""
        with self._lock:
            return self._state.ledger.due_reminders(today, schedule)

    def account(self, customer_id: uuid.UUID, as_of: dt.date) -> AccountSummary:
        """The customer's invoices, payments and totals."""
        with self._lock:
            return self._state.ledger.account(customer_id, as_of)

    def merged_into(self, customer_id: uuid.UUID) -> uuid.UUID | None:
        """The customer a merged-away customer was merged into, or ``None``."""
        with self._lock:
            return self._state.ledger.forwards.get(customer_id)

    def merged_number(self, number: int) -> uuid.UUID | None:
        """The customer the holder of a merged-away number was merged into, or ``None``."""
        if not is_number(number):  # True or 1.0 is no number, though equal to 1
            return None
        with self._lock:
            return self._state.ledger.forwarded_numbers.get(number)

    def merged_from(self, customer_id: uuid.UUID) -> list[uuid.UUID]:
        """The customers merged into this one (one step)."""
        with self._lock:
            return [k for k, v in self._state.ledger.forwards.items() if v == customer_id]

    def erasures(self) -> list[Erasure]:
        """Every erasure, read from the store."""
        store = self._state.store
        return [] if store is None else list(store.records(Erasure))

    def records_about(self, customer_ids: Collection[uuid.UUID]) -> list[Record]:
        """Every record about these customers, read from the store (see the protocol)."""
        store = self._state.store
        return [] if store is None else records_about(store, customer_ids)

    def history(self, customer_id: uuid.UUID) -> list[HistoryEntry]:
        """The history entries of a customer, oldest first (read from the store)."""
        with self._lock:
            state = self._state
            store = state.store
            if store is None:
                return []
            if state.history is None:
                index: dict[uuid.UUID, list[str]] = {}
                for entry in store.records(HistoryEntry):
                    index.setdefault(entry.customer_id, []).append(entry.key)
                state.history = index
            keys = list(state.history.get(customer_id, ()))
        entries = []
        for key in keys:
            try:
                entries.append(store.record(HistoryEntry, key))
            except NotFound:  # pragma: no cover - entries are never deleted
                continue
        return entries

    def account_totals(self, query: CustomerQuery, as_of: dt.date) -> dict[str, Totals]:
        """The account totals of every matching customer, summed by currency."""
        sums: dict[str, Totals] = {}
        with self._lock:
            postings, by_number = self._state.index.postings()
            ledger = self._state.ledger
            for customer in _matching(postings, by_number, query):
                for currency, totals in ledger.account(customer.id, as_of).totals.items():
                    sums[currency] = sums.get(currency, Totals()) + totals
        return sums


def _private_fields(definitions: Definitions) -> tuple[str, ...]:
    """The custom fields searched as private text: text fields holding personal data."""
    return private_field_keys(definitions.fields.values())


def _matching(
    postings: Postings, by_number: dict[int, Customer], query: CustomerQuery
) -> Iterator[Customer]:
    """The customers matching ``query``, by number (the caller holds the index's lock)."""
    checks = _checks(query)
    for number in _candidates(postings, query):
        customer = by_number[number]
        if all(check(customer) for check in checks):
            yield customer


def _candidates(postings: Postings, query: CustomerQuery) -> Iterable[int]:
    """Numbers to check, sorted: the fewest the postings can narrow the query to."""
    groups = query.categories
    by_category = postings.by_category
    if query.text.strip():
        words = search_words(query.text)
        return sorted(postings.search_text(words, include_private=query.include_private))
    if groups and not query.match_all:
        return merge_unique([by_category.get(c, []) for c in set().union(*groups)])
    if groups:
        smallest = min(groups, key=lambda g: sum(len(by_category.get(c, [])) for c in g))
        return merge_unique([by_category.get(c, []) for c in smallest])
    return postings.numbers


def _checks(query: CustomerQuery) -> list[Callable[[Customer], bool]]:
    """The conditions of ``query`` the candidates do not already meet."""
    checks: list[Callable[[Customer], bool]] = []
    archived = query.archived
    if archived is not None:
        checks.append(lambda c: c.archived == archived)
    groups = query.categories
    if groups and query.text.strip() and not query.match_all:  # text chose the candidates
        checks.append(lambda c: any(not g.isdisjoint(c.categories) for g in groups))
    if groups and (len(groups) > 1 or query.text.strip()) and query.match_all:
        checks.append(lambda c: all(not g.isdisjoint(c.categories) for g in groups))
    if query.country is not None:
        country = query.country
        checks.append(lambda c: c.address.country == country)
    if query.city is not None:
        city = fold(query.city)
        checks.append(lambda c: c.address.city is not None and fold(c.address.city) == city)
    checks += [
        functools.partial(field_matches, key=key, wanted=value)
        for key, value in query.custom_fields
    ]
    if query.with_field is not None:
        key = query.with_field
        checks.append(lambda c: key in c.custom_fields)
    return checks


def _take(items: Iterator[Customer], offset: int, limit: int | None) -> Iterator[Customer]:
    for position, item in enumerate(items):
        if position < offset:
            continue
        if limit is not None and position >= offset + limit:
            return
        yield item
