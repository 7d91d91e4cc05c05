"""Store-side queries: an optional capability of a store, so that a book outgrows memory.

A book asks every question about customers and records through its read model. With a
plain `Store`, the book keeps that model in memory: an index of every customer and a
ledger of every record, read whole when the book opens. A store that also implements
`CustomerQueries` answers those questions itself (SQL over indexed columns, for
example), and the book then keeps no per-customer state at all: opening it costs the
same for ten customers as for ten million.

The contract (checked by `debitor_core.testing.QueriesContract`): every query answers
exactly what the in-memory read model answers for the same committed state: the same
customers, in the same order, with the same totals and the same duplicate evidence.
The folding that decides when text matches is `debitor_core._text` (`fold`,
`search_words`, `keys_and_text`); a store computes its output in Python when it
writes, and keeps it in indexed columns, never folding with its database's own rules.

Queries read committed state, like the store's other reads; inside an open
transaction, the thread that opened it also sees the transaction's own writes.

`HistoryQueries` is a second, smaller capability: the records about one customer (its
history, the forwards of merges, its invoices and their payments, ...) looked up by
the customer, so that a profile's history costs the same in a book of a thousand
customers as in one of a million. A store with `CustomerQueries` but without it is
still a query store; the book then reads those records kind by kind.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable, Sequence
from typing import Literal, Protocol, TypeGuard, TypeVar, runtime_checkable

import attrs

from debitor_core._history import Erasure, Forward, HistoryEntry
from debitor_core._invoice import Delivery, Invoice, Payment, Record, ReminderLog
from debitor_core._limits import MAX_NUMBER
from debitor_core._model import Customer, FieldValue
from debitor_core._text import DuplicateKey, fold

__all__ = [
    "CustomerQueries",
    "CustomerQuery",
    "DuplicateRow",
    "HistoryQueries",
    "QuerySort",
    "RecordsByCustomer",
    "field_matches",
    "gather_records_about",
    "is_number",
    "record_subject",
]

R = TypeVar("R", bound=Record)

QuerySort = Literal["number", "name", "created"]
"""How a search orders customers: number; folded name, then number; created, then number."""


@attrs.frozen
class CustomerQuery:
    """Which customers a search or count is about: free text and filters, all of them applied.

    Attributes:
        text: Words each to be found (folded, see `debitor_core._text.fold`) in the
            customer's search text; blank for no text condition.
        categories: Groups of category ids; a customer is in a group when it is in any
            of its categories (a group is a category with its sub-categories).
        match_all: With several groups: the customer must be in every group (``True``)
            or in any (``False``).
        country: Only customers in this country (an ISO code).
        city: Only customers in this city, compared folded.
        custom_fields: ``(key, value)`` pairs, values as the field's definition stores
            them; text compares folded, a multiple choice must include every choice.
        archived: ``False`` leaves archived customers out, ``True`` keeps only them,
            ``None`` keeps both.
        with_field: Only customers with a value for this custom field.
        include_private: Whether the text may be found in private text too (notes,
            personal-data text fields): each word in the search text or the private
            text. A view without access to private data sets it ``False``.
    """

    text: str = ""
    categories: tuple[frozenset[uuid.UUID], ...] = ()
    match_all: bool = False
    country: str | None = None
    city: str | None = None
    custom_fields: tuple[tuple[str, FieldValue], ...] = ()
    archived: bool | None = False
    with_field: str | None = None
    include_private: bool = True


def field_matches(customer: Customer, key: str, wanted: object) -> bool:
    """Whether the customer's custom field ``key`` has the value a query asks for.

    Text compares folded; a multiple choice must include every choice asked for; any
    other value compares equal.
    """
    stored = customer.custom_fields.get(key)
    if isinstance(stored, tuple) and isinstance(wanted, tuple):
        return set(wanted) <= set(stored)
    if isinstance(stored, str) and isinstance(wanted, str):
        return fold(stored) == fold(wanted)
    return stored == wanted


def is_number(value: object) -> TypeGuard[int]:
    """Whether ``value`` can be a stored customer number: an int (not a bool), 1..MAX_NUMBER.

    A lookup by anything else finds nothing (and is never handed to a database).
    """
    return type(value) is int and 1 <= value <= MAX_NUMBER


DuplicateRow = tuple[Customer, tuple[str, ...]]
"""A stored customer that shares duplicate keys, with the kinds it shares, in key order."""


@runtime_checkable
class CustomerQueries(Protocol):
    """The queries a store may answer itself (optional; see the module's docstring).

    Free text is matched as `debitor_core._text` says: the query's words
    (`search_words`) must each be a substring of the customer's search text, or, with
    ``include_private``, of its search text or its private text (`keys_and_text`, with
    the text fields of the store's current custom-field definitions). Words that
    contain a character no search text holds (a control character) match nothing.
    """

    def search_customers(
        self,
        query: CustomerQuery,
        *,
        sort: QuerySort = "number",
        descending: bool = False,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[Customer]:
        """Return one page of the customers matching ``query``, in the order asked for."""
        ...

    def count_customers(self, query: CustomerQuery) -> int:
        """Return how many customers match ``query``."""
        ...

    def customers_sharing(self, keys: Iterable[DuplicateKey]) -> Sequence[DuplicateRow]:
        """Return the customers with any of ``keys`` (`debitor_core._text.duplicate_keys`).

        By customer number; each with the kinds it shares, in the order of ``keys``,
        each kind once.
        """
        ...

    def invoices_of(self, customer_id: uuid.UUID | None = None) -> Sequence[Invoice]:
        """Return every invoice, or a customer's, by invoice number."""
        ...

    def invoices_matching(self, query: CustomerQuery) -> Sequence[Invoice]:
        """Return the invoices of every customer matching ``query``, by invoice number."""
        ...

    def payments_of(self, invoice_ids: Collection[uuid.UUID]) -> Sequence[Payment]:
        """Return the payments on these invoices, in the order added."""
        ...

    def last_invoice_number(self) -> int:
        """Return the highest invoice number stored (0 when there is none)."""
        ...

    def has_welcome(self, customer_id: uuid.UUID) -> bool:
        """Return whether the customer has a welcome delivery or a welcome invoice."""
        ...

    def pending_deliveries(self, due_by: dt.datetime | None = None) -> Sequence[Delivery]:
        """Return the pending deliveries due by ``due_by`` (all, without it), in the order added.

        A delivery with no next attempt set is always due.
        """
        ...

    def welcome_invoices_due(self, due_by: dt.date) -> Sequence[Invoice]:
        """Return the sent welcome invoices due on or before ``due_by``, by number."""
        ...

    def reminders_of(self, invoice_ids: Collection[uuid.UUID]) -> Sequence[ReminderLog]:
        """Return the reminder logs of these invoices."""
        ...


@runtime_checkable
class HistoryQueries(Protocol):
    """The records about a customer, looked up by the customer (optional; see the module).

    Each answer is what a read of every record of the kind, filtered in Python, gives
    (`debitor_core.testing.QueriesContract` checks it), but costs a lookup in an index:
    O(records about the customer), whatever the size of the book. Records come in the
    order stored, as `Store.records` gives them.
    """

    def history_of(self, customer_id: uuid.UUID) -> Sequence[HistoryEntry]:
        """Return the history entries of the customer (deleted or erased ones too)."""
        ...

    def forwards_to(self, customer_id: uuid.UUID) -> Sequence[Forward]:
        """Return the forwards of the customers merged into this one (one step)."""
        ...

    def forwards_numbered(self, number: int) -> Sequence[Forward]:
        """Return the forwards of the customers merged away that had this number.

        Anything but a customer number (`is_number`) finds none.
        """
        ...

    def records_about(self, customer_ids: Collection[uuid.UUID]) -> Sequence[Record]:
        """Return every invoice, payment, delivery, reminder log and erasure about them.

        Invoices are those of the customers; payments and reminder logs those of the
        invoices; deliveries and erasures those keyed by the customers. Kind by kind in
        that order, each kind in the order stored (history entries: `history_of`).
        """
        ...


def record_subject(record: Record) -> tuple[uuid.UUID | None, int | None]:
    """The customer a record is looked up by, and the number it is looked up by.

    The customer is a history entry's, an invoice's, a delivery's and an erasure's
    customer, and for a forward the customer it leads to (so that the customers merged
    into one are a lookup too); the number is a forward's customer number. Other kinds
    have neither (a payment or a reminder log is found through its invoice). Stores
    that implement `HistoryQueries` keep both in indexed columns.
    """
    if isinstance(record, Forward):
        return record.to, record.number
    if isinstance(record, (HistoryEntry, Invoice, Delivery, Erasure)):
        return record.customer_id, None
    return None, None


class RecordsByCustomer(Protocol):
    """A store's lookup of the records of one kind about some customers, in the order stored."""

    def __call__(self, kind: type[R], customer_ids: Collection[uuid.UUID]) -> Sequence[R]:
        """Return the records of ``kind`` whose `record_subject` is one of ``customer_ids``."""
        ...


def gather_records_about(
    about: RecordsByCustomer, queries: CustomerQueries, customer_ids: Collection[uuid.UUID]
) -> list[Record]:
    """`HistoryQueries.records_about` from a store's lookup by customer and its queries."""
    invoices = about(Invoice, customer_ids)
    invoice_ids = [invoice.id for invoice in invoices]
    return [
        *invoices,
        *queries.payments_of(invoice_ids),
        *about(Delivery, customer_ids),
        *queries.reminders_of(invoice_ids),
        *about(Erasure, customer_ids),
    ]
