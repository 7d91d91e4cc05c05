"""`BookReads`: the reads and queries of a `PostgresStore` book.

The reads fetch customers, categories, custom fields and records by key or in order.
The customer queries (`CustomerQueries`: search, count, customers sharing a key, the
invoices of matching customers) build their ``WHERE`` with ``_queries.py``; the record
queries (invoices, payments, deliveries, reminders) are one statement each. Each runs
through the store's read (`PostgresStore._read`: this thread's transaction, or a fresh
connection), and every row is checked as it is decoded (`RowCodec`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Protocol, TypeVar

from debitor_core._category import Category
from debitor_core._fields import CustomFieldDefinition
from debitor_core._invoice import Delivery, Invoice, Payment, Record, ReminderLog
from debitor_core._limits import MAX_NUMBER
from debitor_core._model import Customer
from debitor_core._text import DuplicateKey
from debitor_core.storage import _refusals as refused
from debitor_core.storage._arguments import checked_query, checked_sort, is_text, is_uuid, sql_count
from debitor_core.storage._postgres._derived import key_string, query_keys, storable
from debitor_core.storage._postgres._queries import ORDERS, TextSample, selective, where
from debitor_core.storage._postgres._rows import RowCodec
from debitor_core.storage._postgres._statements import SchemaStatements
from debitor_core.storage._postgres._transaction import Cursor
from debitor_core.storage._queries import CustomerQuery, DuplicateRow, QuerySort

__all__ = ["BookReads", "Reader"]

R = TypeVar("R", bound=Record)
T = TypeVar("T")


class Reader(Protocol):
    """How the reads run: the store's `_read` (its errors translated, retried once)."""

    def __call__(self, work: Callable[[Cursor], T], /) -> T:
        """Run ``work`` on a cursor and return what it returns."""
        ...


class BookReads:
    """The reads and the customer and record queries of one book.

    Args:
        sql: The store's statements.
        codec: The store's row codec (it raises `CorruptStore` for a damaged row).
        book_id: The book.
        read: The store's read.
        text_sample: Some of the book's rows, for a query with free text (the store
            keeps the sample and takes it again now and then).
    """

    def __init__(
        self,
        sql: SchemaStatements,
        codec: RowCodec,
        book_id: str,
        read: Reader,
        text_sample: Callable[[CustomerQuery], TextSample | None],
    ) -> None:
        """Keep what the reads use; see the class docstring."""
        self._sql = sql
        self._codec = codec
        self._book_id = book_id
        self._read = read
        self._text_sample = text_sample

    def get(self, customer_id: uuid.UUID) -> Customer:
        """Return the customer with this id (`NotFound` otherwise)."""
        row = None
        if isinstance(customer_id, uuid.UUID):
            row = self._read(
                lambda cur: cur.execute(
                    self._sql.customer_by_id, (self._book_id, customer_id)
                ).fetchone()
            )
        if row is None:
            raise refused.customer_not_found(customer_id)
        return self._codec.customer(row)

    def get_by_number(self, number: int) -> Customer:
        """Return the customer with this number (`NotFound` otherwise)."""
        row = None
        if isinstance(number, int) and not isinstance(number, bool) and 1 <= number <= MAX_NUMBER:
            row = self._read(
                lambda cur: cur.execute(
                    self._sql.customer_by_number, (self._book_id, number)
                ).fetchone()
            )
        if row is None:
            raise refused.number_not_found(number)
        return self._codec.customer(row)

    def customers(self, *, offset: int = 0, limit: int | None = None) -> Sequence[Customer]:
        """Return customers in number order, skipping ``offset``, at most ``limit``."""
        offset = sql_count("offset", offset)
        if limit is not None:
            limit = sql_count("limit", limit)
        rows = self._read(
            lambda cur: cur.execute(self._sql.customers, (self._book_id, limit, offset)).fetchall()
        )
        return [self._codec.customer(row) for row in rows]

    def count(self) -> int:
        """Return how many customers are stored."""
        row = self._read(lambda cur: cur.execute(self._sql.count, (self._book_id,)).fetchone())
        return int(row[0]) if row else 0

    def categories(self) -> Sequence[Category]:
        """Return every category, in the order first stored."""
        rows = self._read(
            lambda cur: cur.execute(self._sql.categories, (self._book_id,)).fetchall()
        )
        return [self._codec.category(row) for row in rows]

    def custom_fields(self) -> Sequence[CustomFieldDefinition]:
        """Return every custom-field definition, in the order first stored."""
        rows = self._read(
            lambda cur: cur.execute(self._sql.custom_fields, (self._book_id,)).fetchall()
        )
        return [self._codec.custom_field(row) for row in rows]

    def records(self, kind: type[R]) -> Sequence[R]:
        """Return every record of ``kind`` in the order added."""
        rows = self._read(
            lambda cur: cur.execute(self._sql.records, (self._book_id, kind.KIND)).fetchall()
        )
        return [self._codec.record(kind, row) for row in rows]

    def record(self, kind: type[R], key: str) -> R:
        """Return the record of ``kind`` with ``key`` (`NotFound` otherwise)."""
        row = None
        # No stored key holds NUL or a lone surrogate: PostgreSQL's text cannot.
        if isinstance(key, str) and "\x00" not in key and storable(key) == key:
            row = self._read(
                lambda cur: cur.execute(
                    self._sql.record, (self._book_id, kind.KIND, key)
                ).fetchone()
            )
        if row is None:
            raise refused.record_not_found(kind.KIND, key)
        return self._codec.record(kind, row)

    def search_customers(
        self,
        query: CustomerQuery,
        *,
        sort: QuerySort = "number",
        descending: bool = False,
        offset: int = 0,
        limit: int | None = None,
    ) -> Sequence[Customer]:
        """Return one page of the customers matching ``query`` (see `CustomerQueries`).

        Raises:
            TypeError: ``query`` is not a `CustomerQuery`, or a count is not an int.
            ValueError: an unknown ``sort``, or a negative count.
        """
        offset = sql_count("offset", offset)
        if limit is not None:
            limit = sql_count("limit", limit)
        order = ORDERS[checked_sort(sort), bool(descending)]
        query = checked_query(query)
        sample = self._text_sample(query)
        found = where(self._book_id, query, sample)
        if found is None:
            return []
        sql, params = found
        statement = self._sql.search(sql, order, found_first=selective(query, sample))
        # Never prepared: a generic plan cannot see how rare the words are (the trigram
        # index's selectivity), and would read the whole book for every search.
        rows = self._read(
            lambda cur: cur.execute(statement, (*params, limit, offset), prepare=False).fetchall()
        )
        return [self._codec.customer(row) for row in rows]

    def count_customers(self, query: CustomerQuery) -> int:
        """Return how many customers match ``query``."""
        query = checked_query(query)
        found = where(self._book_id, query, self._text_sample(query))
        if found is None:
            return 0
        sql, params = found
        statement = self._sql.count_where(sql)
        row = self._read(lambda cur: cur.execute(statement, params, prepare=False).fetchone())
        return int(row[0]) if row else 0

    def customers_sharing(self, keys: Iterable[DuplicateKey]) -> Sequence[DuplicateRow]:
        """Return the customers with any of ``keys``, by number, with the kinds they share.

        A kind or key that is not text PostgreSQL can hold (not a str, a NUL, a lone
        surrogate) finds nobody, as on the other stores.
        """
        asked = [
            (kind, key)
            for kind, key in keys
            if is_text(kind) and is_text(key) and "\x00" not in kind + key
        ]
        strings = query_keys(asked)
        if not strings:
            return []
        rows = self._read(
            lambda cur: cur.execute(self._sql.sharing, (self._book_id, strings)).fetchall()
        )
        found = []
        for *row, stored in rows:
            held = set(stored)
            evidence: list[str] = []
            for kind, key in asked:
                if key_string((kind, key)) in held and kind not in evidence:
                    evidence.append(kind)
            found.append((self._codec.customer(tuple(row)), tuple(evidence)))
        return found

    def invoices_of(self, customer_id: uuid.UUID | None = None) -> Sequence[Invoice]:
        """Return every invoice, or a customer's, by invoice number."""
        if customer_id is None:
            return self.fetch_records(Invoice, self._sql.invoices, ())
        if not is_uuid(customer_id):
            return []
        return self.fetch_records(Invoice, self._sql.invoices_of, (customer_id,))

    def invoices_matching(self, query: CustomerQuery) -> Sequence[Invoice]:
        """Return the invoices of every customer matching ``query``, by invoice number."""
        query = checked_query(query)
        found = where(self._book_id, query, self._text_sample(query))
        if found is None:
            return []
        sql, params = found
        return self.fetch_records(Invoice, self._sql.invoices_matching(sql), params, prepare=False)

    def payments_of(self, invoice_ids: Collection[uuid.UUID]) -> Sequence[Payment]:
        """Return the payments on these invoices, in the order added."""
        ids = [i for i in invoice_ids if isinstance(i, uuid.UUID)]
        return (
            self.fetch_records(Payment, self._sql.of_invoices, (Payment.KIND, ids)) if ids else []
        )

    def last_invoice_number(self) -> int:
        """Return the highest invoice number stored (0 when there is none)."""
        row = self._read(
            lambda cur: cur.execute(self._sql.last_invoice, (self._book_id,)).fetchone()
        )
        return int(row[0]) if row else 0

    def has_welcome(self, customer_id: uuid.UUID) -> bool:
        """Return whether the customer has a welcome delivery or a welcome invoice."""
        if not is_uuid(customer_id):
            return False
        params = (self._book_id, customer_id, self._book_id, customer_id)
        row = self._read(lambda cur: cur.execute(self._sql.has_welcome, params).fetchone())
        return bool(row and row[0])

    def pending_deliveries(self, due_by: dt.datetime | None = None) -> Sequence[Delivery]:
        """Return the pending deliveries due by ``due_by`` (all, without it), in the order added."""
        return self.fetch_records(Delivery, self._sql.pending, (due_by, due_by))

    def welcome_invoices_due(self, due_by: dt.date) -> Sequence[Invoice]:
        """Return the sent welcome invoices due on or before ``due_by``, by number."""
        return self.fetch_records(Invoice, self._sql.welcome_due, (due_by,))

    def reminders_of(self, invoice_ids: Collection[uuid.UUID]) -> Sequence[ReminderLog]:
        """Return the reminder logs of these invoices, in the order added."""
        ids = [i for i in invoice_ids if isinstance(i, uuid.UUID)]
        if not ids:
            return []
        return self.fetch_records(ReminderLog, self._sql.of_invoices, (ReminderLog.KIND, ids))

    def fetch_records(
        self, kind: type[R], statement: str, params: Sequence[object], *, prepare: bool = True
    ) -> list[R]:
        """The records of ``kind`` that ``statement`` finds: the book's id, then ``params``."""
        rows = self._read(
            lambda cur: cur.execute(
                statement, (self._book_id, *params), prepare=None if prepare else False
            ).fetchall()
        )
        return [self._codec.record(kind, row) for row in rows]
