"""The customer read model: every question the book asks about customers and their records.

The book's parts never read the store directly; they ask a `CustomerReadModel`. Today's
implementation keeps indexes in memory (`InMemoryReadModel`); a store that can answer
these queries itself (SQL with indexed folded text, for one) implements the same
protocol, and the book then holds no per-customer state at all. Every method is a query
with its filters, order and paging spelled out, so that it maps onto one SQL statement.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Collection, Iterable, Sequence
from typing import Final, Protocol

from debitor_core._category import Category
from debitor_core._errors import NotFound
from debitor_core._history import Erasure, HistoryEntry
from debitor_core._invoice import Delivery, Invoice, Payment, Record, ReminderLog
from debitor_core._model import Customer
from debitor_core._shown import shown
from debitor_core._text import DuplicateKey
from debitor_core.book._accounts import AccountSummary, DueReminder, Totals
from debitor_core.book._types import Definitions, DuplicateMatch, SearchResult, SortKey
from debitor_core.storage._protocol import Store
from debitor_core.storage._queries import CustomerQuery

__all__ = [
    "EVERYONE",
    "Changes",
    "CustomerQuery",
    "CustomerReadModel",
    "customer_not_found",
    "find",
    "find_by_number",
    "find_by_number_forwarded",
    "find_forwarded",
    "find_invoice",
    "in_categories",
    "records_about",
]


EVERYONE: Final = CustomerQuery(archived=None)
"""Every customer, archived ones included."""


def in_categories(
    definitions: Definitions,
    category: Category,
    *,
    subcategories: bool = True,
    archived: bool | None = None,
) -> CustomerQuery:
    """The customers in ``category`` (and, by default, in its sub-categories)."""
    return CustomerQuery(
        categories=(definitions.group(category, subcategories),), archived=archived
    )


class Changes(Protocol):
    """What commits changed, collapsed per key: each thing once, in its latest state.

    The shape of the store's change feed (``debitor_core.storage.ChangeSet``), so that a
    read model takes in what another process committed exactly as it takes in the
    book's own commits (the unit of work records those as `Writes`).

    Attributes:
        customers: Every customer added or changed, as it is now (a renumbered one with
            its new number).
        deleted: The ids of the customers deleted.
        records: Every record added or changed, as it is now.
        categories: Whether any category was added, changed or deleted.
        custom_fields: Whether any custom-field definition was added or changed.
    """

    @property
    def customers(self) -> Collection[Customer]:
        """Customers added or changed."""
        ...

    @property
    def deleted(self) -> Collection[uuid.UUID]:
        """Ids of customers deleted."""
        ...

    @property
    def records(self) -> Collection[Record]:
        """Records added or changed."""
        ...

    @property
    def categories(self) -> bool:
        """Whether categories changed."""
        ...

    @property
    def custom_fields(self) -> bool:
        """Whether custom-field definitions changed."""
        ...


class CustomerReadModel(Protocol):
    """The book's queries over customers and records, answered as of one store revision.

    Keeping in step: the unit of work calls `reload` when the book opens or falls
    behind the store, and `apply` after each of the book's own commits (under the
    book's lock, so never two at once), and with what other processes committed when
    the store has a change feed. Both may run while other
    threads query.

    Thread safety: a query sees the state before or after a `reload` or `apply`, never
    a part of one; in particular `get`, `get_by_number` and `count` never miss a
    customer that is being changed. Returned objects are immutable.
    """

    def reload(self, store: Store, definitions: Definitions) -> None:
        """Forget everything and read ``store`` afresh (its customers and records)."""
        ...

    def apply(
        self, changes: Changes, definitions: Definitions, *, last_number: int | None = None
    ) -> None:
        """Take in what commits changed; ``definitions`` are the book's from then on.

        ``last_number`` is the store's highest customer number ever when the changes
        come from its feed (a customer added and deleted within them is in neither
        list, yet its number is never handed out again); for the book's own commit it
        is ``None`` and follows from the customers saved.
        """
        ...

    # -- customers ---------------------------------------------------------------------

    def get(self, customer_id: uuid.UUID) -> Customer | None:
        """The customer with this id, or ``None``."""
        ...

    def get_by_number(self, number: int) -> Customer | None:
        """The customer with this number, or ``None``."""
        ...

    def count(self, query: CustomerQuery | None = None) -> int:
        """How many customers match ``query`` (all customers, archived included, for ``None``)."""
        ...

    def last_number(self) -> int:
        """The highest customer number ever stored (numbers of deleted ones count)."""
        ...

    def search(
        self,
        query: CustomerQuery,
        *,
        sort: SortKey = "number",
        descending: bool = False,
        offset: int = 0,
        limit: int | None = None,
    ) -> SearchResult:
        """One page of the customers matching ``query``, in order; the total is counted lazily.

        Orders: ``number``; ``name`` (folded, then number); ``created`` (then number).
        """
        ...

    def duplicates(self, keys: Iterable[DuplicateKey]) -> tuple[DuplicateMatch, ...]:
        """Stored customers sharing any of ``keys``, by number, each with what it shares.

        Evidence is listed in the order of ``keys`` (see `debitor_core._text.duplicate_keys`).
        """
        ...

    # -- records -----------------------------------------------------------------------

    def invoice(self, invoice_id: uuid.UUID) -> Invoice | None:
        """The invoice with this id, or ``None``."""
        ...

    def invoices(self, customer_id: uuid.UUID | None = None) -> list[Invoice]:
        """Every invoice, or a customer's, by invoice number."""
        ...

    def last_invoice_number(self) -> int:
        """The highest invoice number stored (0 when there is none)."""
        ...

    def paid(self, invoice_id: uuid.UUID) -> decimal.Decimal:
        """The sum of the payments on an invoice."""
        ...

    def has_welcome(self, customer_id: uuid.UUID) -> bool:
        """Whether the customer has (or, before a merge, had) a welcome invoice."""
        ...

    def pending_deliveries(self, due_by: dt.datetime | None = None) -> list[Delivery]:
        """Welcome-invoice deliveries not yet sent (only those due by ``due_by``, if given)."""
        ...

    def due_reminders(self, today: dt.date, schedule: Sequence[int]) -> list[DueReminder]:
        """Reminders of sent, unpaid welcome invoices due by ``today`` and not yet sent."""
        ...

    def account(self, customer_id: uuid.UUID, as_of: dt.date) -> AccountSummary:
        """The customer's invoices, payments and totals, worked out for ``as_of``."""
        ...

    def account_totals(self, query: CustomerQuery, as_of: dt.date) -> dict[str, Totals]:
        """The account totals of every customer matching ``query``, summed by currency."""
        ...

    def history(self, customer_id: uuid.UUID) -> list[HistoryEntry]:
        """The history entries of a customer (deleted ones too), in the order stored."""
        ...

    def merged_into(self, customer_id: uuid.UUID) -> uuid.UUID | None:
        """The customer a merged-away customer was merged into (one step), or ``None``."""
        ...

    def merged_number(self, number: int) -> uuid.UUID | None:
        """The customer the holder of a merged-away number was merged into, or ``None``."""
        ...

    def merged_from(self, customer_id: uuid.UUID) -> list[uuid.UUID]:
        """The customers merged into this one (one step), in no particular order."""
        ...

    def erasures(self) -> list[Erasure]:
        """Every erasure, in the order stored."""
        ...

    def records_about(self, customer_ids: Collection[uuid.UUID]) -> list[Record]:
        """Every invoice, payment, delivery, reminder log and erasure about these customers.

        Invoices are those of the customers; payments and reminder logs those of the
        invoices; deliveries and erasures those keyed by the customers. In the order
        stored, kind by kind (history entries are read with `history`).
        """
        ...


def records_about(store: Store, customer_ids: Collection[uuid.UUID]) -> list[Record]:
    """Every record ``store`` keeps about these customers (see `CustomerReadModel.records_about`).

    Read from the store's records kind by kind, for the rare question of a subject-access
    request or an erasure.
    """
    ids = set(customer_ids)
    invoices = [i for i in store.records(Invoice) if i.customer_id in ids]
    invoice_ids = {i.id for i in invoices}
    found: list[Record] = list(invoices)
    found += [p for p in store.records(Payment) if p.invoice_id in invoice_ids]
    found += [d for d in store.records(Delivery) if d.customer_id in ids]
    found += [r for r in store.records(ReminderLog) if r.invoice_id in invoice_ids]
    found += [e for e in store.records(Erasure) if e.customer_id in ids]
    return found


def find(model: CustomerReadModel, customer_id: uuid.UUID | str) -> Customer:
    """Return the customer with this id (given as a UUID or its text).

    Raises:
        NotFound: no customer has the id.
    """
    key = customer_id if isinstance(customer_id, uuid.UUID) else _parse_uuid(customer_id)
    customer = model.get(key) if key else None
    if customer is None:
        params = {"id": _named(customer_id)}
        raise NotFound.coded("customer.not_found", params)
    return customer


def find_by_number(model: CustomerReadModel, number: int) -> Customer:
    """Return the customer with this number.

    Raises:
        NotFound: no customer has the number.
    """
    customer = model.get_by_number(number)
    if customer is None:
        params = {"number": shown(number)}
        raise NotFound.coded("customer.no_number", params)
    return customer


def find_forwarded(model: CustomerReadModel, customer_id: uuid.UUID | str) -> Customer:
    """Return the customer with this id, or the one it was merged into (chains followed).

    Raises:
        NotFound: no customer has the id, and none was merged away with it (or the
            customer it was merged into is gone).
    """
    try:
        return find(model, customer_id)
    except NotFound:
        key = customer_id if isinstance(customer_id, uuid.UUID) else _parse_uuid(customer_id)
        customer = _follow(model, model.merged_into(key)) if key is not None else None
        if customer is None:
            raise
        return customer


def find_by_number_forwarded(model: CustomerReadModel, number: int) -> Customer:
    """Return the customer with this number, or the one its holder was merged into.

    Raises:
        NotFound: no customer has (or had, before a merge) the number.
    """
    try:
        return find_by_number(model, number)
    except NotFound:
        customer = _follow(model, model.merged_number(number))
        if customer is None:
            raise
        return customer


def customer_not_found(customer_id: object) -> NotFound:
    """The `NotFound` of a customer id no customer has (the id shown bounded)."""
    return NotFound.coded("customer.not_found", {"id": _named(customer_id)})


def _follow(model: CustomerReadModel, target: uuid.UUID | None) -> Customer | None:
    """The live customer at the end of a chain of merges starting at ``target``."""
    seen: set[uuid.UUID] = set()
    while target is not None and target not in seen:
        customer = model.get(target)
        if customer is not None:
            return customer
        seen.add(target)
        target = model.merged_into(target)
    return None


def find_invoice(model: CustomerReadModel, invoice_id: uuid.UUID) -> Invoice:
    """Return the invoice with this id.

    Raises:
        NotFound: no invoice has the id.
    """
    invoice = model.invoice(invoice_id) if isinstance(invoice_id, uuid.UUID) else None
    if invoice is None:
        params = {"id": _named(invoice_id)}
        raise NotFound.coded("invoice.not_found", params)
    return invoice


def _named(value: object) -> str:
    """An id as asked for: as written when it is a UUID or short text, else quoted and cut."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str) and len(value) <= _NAMED and value.isprintable():
        return value
    return shown(value)


_NAMED = 100


def _parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(text))
    except ValueError:
        return None
