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
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable, Sequence
from typing import Literal, Protocol, runtime_checkable

import attrs

from debitor_core._invoice import Delivery, Invoice, Payment, ReminderLog
from debitor_core._model import Customer, FieldValue
from debitor_core._text import DuplicateKey, fold

__all__ = ["CustomerQueries", "CustomerQuery", "DuplicateRow", "QuerySort", "field_matches"]

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
