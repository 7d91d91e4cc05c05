"""`StoreReadModel`: the customer read model answered by the store's own queries.

When a store implements `debitor_core.storage.CustomerQueries`, the book keeps no
index of customers and no ledger of records: each question goes to the store, which
answers it from indexed columns. What the book still holds is a few numbers (the last
customer and invoice numbers as of the revision it reflects), so that a transaction
numbers its writes exactly as with the in-memory model, whose counters move only when
a commit is taken in.

A customer's history, the forwards of its merges and the records about it come from
the store's `HistoryQueries` when it has them (an index lookup each), else from a read
of every record of the kind (`ScannedHistory`).

Account summaries and reminders are worked out by the same code as in memory (a
`Ledger`), over just the records the store hands back for the customer or the
invoices concerned.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import uuid
from collections.abc import Collection, Iterable, Sequence
from typing import Protocol

from debitor_core._errors import NotFound
from debitor_core._history import Erasure, Forward, HistoryEntry
from debitor_core._invoice import Delivery, Invoice, Record
from debitor_core._model import Customer
from debitor_core._text import DuplicateKey
from debitor_core.book._accounts import AccountSummary, DueReminder, Totals
from debitor_core.book._in_memory import InMemoryReadModel
from debitor_core.book._ledger import Ledger
from debitor_core.book._read_model import Changes, CustomerQuery, CustomerReadModel, records_about
from debitor_core.book._types import Definitions, DuplicateMatch, SearchResult, SortKey
from debitor_core.storage._protocol import Store
from debitor_core.storage._queries import CustomerQueries, HistoryQueries, is_number

__all__ = ["QueryingStore", "ScannedHistory", "StoreReadModel", "read_model_for"]

_ZERO = decimal.Decimal(0)


class QueryingStore(Store, CustomerQueries, Protocol):
    """A store that answers the book's queries itself."""


def read_model_for(store: Store) -> CustomerReadModel:
    """The read model a book on ``store`` uses: the store's queries if it has them."""
    if isinstance(store, CustomerQueries):
        return StoreReadModel(store)
    return InMemoryReadModel()


class StoreReadModel:
    """The read model of a book whose store answers queries (`CustomerQueries`)."""

    def __init__(self, store: QueryingStore) -> None:
        """Ask ``store`` every question (the unit of work reloads the counters)."""
        self._store = store
        self._history: HistoryQueries = (
            store if isinstance(store, HistoryQueries) else ScannedHistory(store)
        )
        self._last_number = 0
        self._last_invoice_number = 0

    def reload(self, store: Store, definitions: Definitions) -> None:  # noqa: ARG002 - protocol
        """Read the counters afresh: nothing else is kept."""
        queries = self._store
        self._last_number = queries.last_number()
        self._last_invoice_number = queries.last_invoice_number()

    def apply(
        self,
        changes: Changes,
        definitions: Definitions,  # noqa: ARG002 - the protocol's
        *,
        last_number: int | None = None,
    ) -> None:
        """Move the counters past what commits wrote: the store holds the rest."""
        if last_number is not None:
            self._last_number = max(self._last_number, last_number)
        for customer in changes.customers:
            self._last_number = max(self._last_number, customer.number)
        for record in changes.records:
            if isinstance(record, Invoice):
                self._last_invoice_number = max(self._last_invoice_number, record.number)

    # -- customers ---------------------------------------------------------------------

    def get(self, customer_id: uuid.UUID) -> Customer | None:
        """The customer with this id, or ``None``."""
        try:
            return self._store.get(customer_id)
        except NotFound:
            return None

    def get_by_number(self, number: int) -> Customer | None:
        """The customer with this number, or ``None``."""
        try:
            return self._store.get_by_number(number)
        except NotFound:
            return None

    def count(self, query: CustomerQuery | None = None) -> int:
        """How many customers match ``query`` (all of them for ``None``)."""
        if query is None:
            return self._store.count()
        return self._store.count_customers(query)

    def last_number(self) -> int:
        """The highest customer number ever stored, as of the revision taken in."""
        return self._last_number

    def search(
        self,
        query: CustomerQuery,
        *,
        sort: SortKey = "number",
        descending: bool = False,
        offset: int = 0,
        limit: int | None = None,
    ) -> SearchResult:
        """One page of the matching customers; the store counts the total when asked."""
        page = self._store.search_customers(
            query, sort=sort, descending=descending, offset=offset, limit=limit
        )
        return SearchResult(page, functools.partial(self.count, query), offset)

    def duplicates(self, keys: Iterable[DuplicateKey]) -> tuple[DuplicateMatch, ...]:
        """Stored customers sharing any of ``keys``, by number, with the evidence."""
        return tuple(
            DuplicateMatch(customer, evidence)
            for customer, evidence in self._store.customers_sharing(list(keys))
        )

    # -- records -----------------------------------------------------------------------

    def invoice(self, invoice_id: uuid.UUID) -> Invoice | None:
        """The invoice with this id, or ``None``."""
        try:
            return self._store.record(Invoice, str(invoice_id))
        except NotFound:
            return None

    def invoices(self, customer_id: uuid.UUID | None = None) -> list[Invoice]:
        """Every invoice, or a customer's, by number."""
        return list(self._store.invoices_of(customer_id))

    def last_invoice_number(self) -> int:
        """The highest invoice number stored, as of the revision taken in."""
        return self._last_invoice_number

    def paid(self, invoice_id: uuid.UUID) -> decimal.Decimal:
        """The sum of the payments on an invoice."""
        return sum((p.amount for p in self._store.payments_of([invoice_id])), _ZERO)

    def has_welcome(self, customer_id: uuid.UUID) -> bool:
        """Whether the customer has (or, before a merge, had) a welcome invoice."""
        return self._store.has_welcome(customer_id)

    def pending_deliveries(self, due_by: dt.datetime | None = None) -> list[Delivery]:
        """Deliveries not yet sent (only those due by ``due_by``, if given)."""
        return list(self._store.pending_deliveries(due_by))

    def due_reminders(self, today: dt.date, schedule: Sequence[int]) -> list[DueReminder]:
        """Reminders of sent, unpaid welcome invoices due by ``today`` and not yet sent."""
        if not schedule:
            return []
        invoices = self._store.welcome_invoices_due(today - dt.timedelta(days=min(schedule)))
        return self._ledger(invoices, reminders=True).due_reminders(today, schedule)

    def account(self, customer_id: uuid.UUID, as_of: dt.date) -> AccountSummary:
        """The customer's invoices, payments and totals."""
        return self._ledger(self._store.invoices_of(customer_id)).account(customer_id, as_of)

    def account_totals(self, query: CustomerQuery, as_of: dt.date) -> dict[str, Totals]:
        """The account totals of every matching customer, summed by currency."""
        invoices = self._store.invoices_matching(query)
        ledger = self._ledger(invoices)
        return ledger.totals(ledger.line(invoice, as_of) for invoice in invoices)

    # -- history, merges and erasures ---------------------------------------------------
    # Looked up by customer when the store can (`HistoryQueries`); otherwise read kind by
    # kind from its records (`ScannedHistory`).

    def history(self, customer_id: uuid.UUID) -> list[HistoryEntry]:
        """The history entries of a customer (deleted ones too), in the order stored."""
        return list(self._history.history_of(customer_id))

    def merged_into(self, customer_id: uuid.UUID) -> uuid.UUID | None:
        """The customer a merged-away customer was merged into (one step), or ``None``."""
        try:
            return self._store.record(Forward, str(customer_id)).to
        except NotFound:
            return None

    def merged_number(self, number: int) -> uuid.UUID | None:
        """The customer the holder of a merged-away number was merged into, or ``None``."""
        forwards = self._history.forwards_numbered(number)
        return forwards[0].to if forwards else None

    def merged_from(self, customer_id: uuid.UUID) -> list[uuid.UUID]:
        """The customers merged into this one (one step)."""
        return [f.customer_id for f in self._history.forwards_to(customer_id)]

    def erasures(self) -> list[Erasure]:
        """Every erasure, in the order stored."""
        return list(self._store.records(Erasure))

    def records_about(self, customer_ids: Collection[uuid.UUID]) -> list[Record]:
        """Every record about these customers (see `CustomerReadModel.records_about`)."""
        return list(self._history.records_about(customer_ids))

    def _ledger(self, invoices: Sequence[Invoice], *, reminders: bool = False) -> Ledger:
        """A ledger of ``invoices`` with their payments (and reminder logs)."""
        ids = [invoice.id for invoice in invoices]
        records: list[Record] = [*invoices, *self._store.payments_of(ids)]
        if reminders:
            records += self._store.reminders_of(ids)
        return Ledger(records)

    def __repr__(self) -> str:
        return f"<StoreReadModel over {self._store!r}>"


class ScannedHistory:
    """`HistoryQueries` answered by reading every record of the kind asked about.

    For a query store without `HistoryQueries`: each answer costs a read of all the
    records of its kind, which the store's own lookups spare.
    """

    def __init__(self, store: Store) -> None:
        """Read ``store``'s records."""
        self._store = store

    def history_of(self, customer_id: uuid.UUID) -> list[HistoryEntry]:
        """The customer's history entries, in the order stored."""
        return [e for e in self._store.records(HistoryEntry) if e.customer_id == customer_id]

    def forwards_to(self, customer_id: uuid.UUID) -> list[Forward]:
        """The forwards of the customers merged into this one."""
        return [f for f in self._store.records(Forward) if f.to == customer_id]

    def forwards_numbered(self, number: int) -> list[Forward]:
        """The forwards of the customers merged away with this number (none for junk)."""
        if not is_number(number):  # True or 1.0 is no number, though equal to 1
            return []
        return [f for f in self._store.records(Forward) if f.number == number]

    def records_about(self, customer_ids: Collection[uuid.UUID]) -> list[Record]:
        """Every record about these customers (see `HistoryQueries.records_about`)."""
        return records_about(self._store, customer_ids)

    def __repr__(self) -> str:
        return f"<ScannedHistory of {self._store!r}>"
