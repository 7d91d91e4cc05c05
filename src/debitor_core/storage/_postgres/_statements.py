"""`SchemaStatements`: the SQL text of every statement of `PostgresStore` and its transactions.

Each is made once per store, with the table names of its schema (`Names`): the store
runs the same text over and over, which psycopg prepares after a few runs.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from debitor_core.storage._postgres import _schema
from debitor_core.storage._postgres._derived import COMPUTED_COLUMNS, RECORD_COMPUTED_COLUMNS
from debitor_core.storage._postgres._rows import (
    BOOK_COLUMNS,
    CHANGED_COLUMNS,
    ORDER_COLUMNS,
    RECORD_COLUMNS,
)
from debitor_core.storage._postgres._schema import Names

__all__ = ["CUSTOMER_COLUMNS", "SchemaStatements", "Verifying"]

CUSTOMER_COLUMNS: Final = f"id, number, version, data, checksum, {CHANGED_COLUMNS}"
"""The columns a customer is read from, in `RowCodec.customer`'s order."""
_COMPUTED: Final = COMPUTED_COLUMNS
_RECORD_COMPUTED: Final = RECORD_COMPUTED_COLUMNS


class Verifying(NamedTuple):
    """The statements of `PostgresStore.verify`, each taking the book id."""

    categories: str
    """Every category row (`RowCodec.category`)."""
    custom_fields: str
    """Every custom-field row (`RowCodec.custom_field`)."""
    tombstones: str
    """Every tombstone row (`RowCodec.tombstone`)."""
    highest: str
    """The highest customer number, and the highest revision any row names (``%(b)s``)."""


class SchemaStatements:
    """Every statement of the store, with the table names of one schema."""

    def __init__(self, names: Names, lock_ms: int, statement_ms: int | None) -> None:
        s = names.sql
        self._s = s
        settings = (
            f"SET TRANSACTION ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = {lock_ms}"
        )
        # The guard of schema 4 refuses writes of transactions without the last one
        # (`_schema.WRITER`).
        settings += (
            f"; SET LOCAL gin_pending_list_limit = {_schema.PENDING_LIST_KB}"
            f"; {_schema.WRITER_SETTING}"
        )
        if statement_ms is not None:
            settings += f"; SET LOCAL statement_timeout = {statement_ms}"
        self.settings = settings.encode()
        select = f"SELECT {CUSTOMER_COLUMNS} FROM {{s}}debitor_customer WHERE book_id = %s"  # noqa: S608 - our own columns
        self.customer_by_id = s(f"{select} AND id = %s")
        self.customer_by_number = s(f"{select} AND number = %s")
        self.customers = s(f"{select} ORDER BY number LIMIT %s OFFSET %s")
        self.count = s("SELECT count(*) FROM {s}debitor_customer WHERE book_id = %s")
        self.categories = s(
            f"SELECT id, data, checksum, {ORDER_COLUMNS} FROM {{s}}debitor_category "  # noqa: S608 - our own columns
            "WHERE book_id = %s "
            "ORDER BY added_revision, added_seq"
        )
        self.custom_fields = s(
            f"SELECT key, data, checksum, {ORDER_COLUMNS} FROM {{s}}debitor_custom_field "  # noqa: S608 - our own columns
            "WHERE book_id = %s "
            "ORDER BY added_revision, added_seq"
        )
        record = (
            f"SELECT {RECORD_COLUMNS} FROM {{s}}debitor_record "  # noqa: S608 - our own columns
            "WHERE book_id = %s AND kind = %s"
        )
        self.records = s(f"{record} ORDER BY added_revision, added_seq")
        self.record = s(f"{record} AND key = %s")
        self.changed_customers = s(f"{select} AND changed_revision > %s ORDER BY number")
        self.deleted_customers = s(
            "SELECT t.id, t.deleted_revision, t.checksum FROM {s}debitor_customer_deleted t "
            "WHERE t.book_id = %s AND t.deleted_revision > %s AND NOT EXISTS ("
            "SELECT 1 FROM {s}debitor_customer c WHERE c.book_id = t.book_id AND c.id = t.id) "
            "ORDER BY t.deleted_revision, t.id"
        )
        self.changed_records = s(
            f"SELECT kind, {RECORD_COLUMNS} FROM {{s}}debitor_record "  # noqa: S608 - our own columns
            "WHERE book_id = %s AND changed_revision > %s ORDER BY added_revision, added_seq"
        )
        self.add_customer = s(
            "INSERT INTO {s}debitor_customer "  # noqa: S608 - our own columns
            f"(book_id, id, number, version, {CHANGED_COLUMNS}, data, checksum, {_COMPUTED}) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
        )
        self.customer_clash = s(
            "SELECT id FROM {s}debitor_customer WHERE book_id = %s AND (id = %s OR number = %s) "
            "ORDER BY number LIMIT 1"
        )
        self.update_customer = s(
            "UPDATE {s}debitor_customer SET number = %s, version = %s, changed_revision = %s, "
            "changed_checksum = %s, data = %s, checksum = %s, search_text = %s, "
            "private_text = %s, folded_name = %s, created = %s, match_keys = %s, tags = %s "
            "WHERE book_id = %s AND id = %s AND version = %s "
            "AND NOT EXISTS (SELECT 1 FROM {s}debitor_customer o "
            "WHERE o.book_id = %s AND o.number = %s AND o.id <> %s)"
        )
        self.customer_version = s(
            "SELECT version, number FROM {s}debitor_customer WHERE book_id = %s AND id = %s"
        )
        self.delete_customer = s(
            "WITH gone AS (DELETE FROM {s}debitor_customer WHERE book_id = %s AND id = %s "
            "RETURNING id) "
            "INSERT INTO {s}debitor_customer_deleted (book_id, id, deleted_revision, checksum) "
            "SELECT %s, id, %s, %s FROM gone ON CONFLICT (book_id, id) "
            "DO UPDATE SET deleted_revision = excluded.deleted_revision, "
            "checksum = excluded.checksum"
        )
        self.put_category = s(
            "INSERT INTO {s}debitor_category (book_id, id, added_revision, added_seq, "
            "order_checksum, data, checksum) VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (book_id, id) "
            "DO UPDATE SET data = excluded.data, checksum = excluded.checksum"
        )
        self.delete_category = s("DELETE FROM {s}debitor_category WHERE book_id = %s AND id = %s")
        self.put_custom_field = s(
            "INSERT INTO {s}debitor_custom_field (book_id, key, added_revision, added_seq, "
            "order_checksum, data, checksum) VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (book_id, key) "
            "DO UPDATE SET data = excluded.data, checksum = excluded.checksum"
        )
        self.add_record = s(
            "INSERT INTO {s}debitor_record (book_id, kind, key, version, added_revision, "  # noqa: S608 - our own columns
            f"added_seq, order_checksum, {CHANGED_COLUMNS}, data, checksum, {_RECORD_COMPUTED}) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING"
        )
        self.update_record = s(
            "UPDATE {s}debitor_record SET version = %s, changed_revision = %s, "
            "changed_checksum = %s, data = %s, "
            "checksum = %s, customer_id = %s, invoice_id = %s, invoice_number = %s, "
            "welcome = %s, state = %s, due_date = %s, next_attempt = %s "
            "WHERE book_id = %s AND kind = %s AND key = %s AND version = %s"
        )
        self.record_version = s(
            "SELECT version FROM {s}debitor_record WHERE book_id = %s AND kind = %s AND key = %s"
        )
        self.import_clash = s(
            "(SELECT 'id', id, number FROM {s}debitor_customer "
            "WHERE book_id = %s AND id = ANY(%s::uuid[]) ORDER BY number LIMIT 1) UNION ALL "
            "(SELECT 'number', id, number FROM {s}debitor_customer "
            "WHERE book_id = %s AND number = ANY(%s::bigint[]) ORDER BY number LIMIT 1) LIMIT 1"
        )
        # The checksum is made for the horizon as it was; a commit that prunes a tombstone
        # past it moves it, which RETURNING tells, and writes the checksum again (`seal_book`).
        self.commit_book = s(
            "WITH pruned AS (DELETE FROM {s}debitor_customer_deleted "
            "WHERE book_id = %s AND deleted_revision <= %s RETURNING deleted_revision) "
            "UPDATE {s}debitor_book SET revision = %s, last_number = %s, "
            "categories_revision = %s, custom_fields_revision = %s, "
            "feed_horizon = greatest(feed_horizon, (SELECT max(deleted_revision) FROM pruned)), "
            "checksum = %s WHERE book_id = %s RETURNING feed_horizon"
        )
        self.seal_book = s("UPDATE {s}debitor_book SET checksum = %s WHERE book_id = %s")

        # -- queries: every one led by book_id, the first parameter --
        self._search = s(f"SELECT {CUSTOMER_COLUMNS} FROM {{s}}debitor_customer WHERE ")  # noqa: S608 - our own columns
        self.sharing = s(
            f"SELECT {CUSTOMER_COLUMNS}, match_keys FROM {{s}}debitor_customer "  # noqa: S608 - our own columns
            "WHERE book_id = %s AND match_keys && %s::text[] ORDER BY number"
        )
        invoices = (
            f"SELECT {RECORD_COLUMNS} FROM {{s}}debitor_record "  # noqa: S608 - our own columns
            "WHERE book_id = %s AND kind = 'invoice'"
        )
        self._invoices = invoices
        self.invoices = s(f"{invoices} ORDER BY invoice_number")
        self.invoices_of = s(f"{invoices} AND customer_id = %s ORDER BY invoice_number")
        self.welcome_due = s(
            f"{invoices} AND welcome AND state = 'sent' AND due_date <= %s ORDER BY invoice_number"
        )
        self.of_invoices = s(
            f"{record} AND invoice_id = ANY(%s::uuid[]) ORDER BY added_revision, added_seq"
        )
        self.last_invoice = s(
            "SELECT coalesce(max(invoice_number), 0) FROM {s}debitor_record "
            "WHERE book_id = %s AND kind = 'invoice'"
        )
        self.has_welcome = s(
            "SELECT EXISTS (SELECT 1 FROM {s}debitor_record WHERE book_id = %s "
            "AND kind = 'delivery' AND customer_id = %s) OR EXISTS (SELECT 1 FROM "
            "{s}debitor_record WHERE book_id = %s AND kind = 'invoice' AND customer_id = %s "
            "AND welcome)"
        )
        self.pending = s(
            f"SELECT {RECORD_COLUMNS} FROM {{s}}debitor_record WHERE book_id = %s "  # noqa: S608 - our own columns
            "AND kind = 'delivery' AND state = 'pending' AND (%s::timestamptz IS NULL "
            "OR next_attempt IS NULL OR next_attempt <= %s) ORDER BY added_revision, added_seq"
        )
        # -- folding again --
        self.set_fold_stamp = s(
            "UPDATE {s}debitor_book SET fold_version = %s, unicode_version = %s, checksum = %s "
            "WHERE book_id = %s"
        )
        self.all_customers = s(select)
        self.all_records = s(
            f"SELECT kind, {RECORD_COLUMNS} FROM {{s}}debitor_record WHERE book_id = %s"  # noqa: S608 - our own columns
        )
        self.refold_customers = s(
            "UPDATE {s}debitor_customer c SET search_text = r.search_text, "
            "private_text = r.private_text, folded_name = r.folded_name, created = r.created, "
            "match_keys = r.match_keys, tags = r.tags FROM pg_temp.debitor_refold r "
            "WHERE c.book_id = %s AND c.id = r.id"
        )
        self.refold_records = s(
            "UPDATE {s}debitor_record c SET customer_id = r.customer_id, "
            "invoice_id = r.invoice_id, invoice_number = r.invoice_number, welcome = r.welcome, "
            "state = r.state, due_date = r.due_date, next_attempt = r.next_attempt "
            "FROM pg_temp.debitor_refold_records r "
            "WHERE c.book_id = %s AND c.kind = r.kind AND c.key = r.key"
        )

    def verifying(self) -> Verifying:
        """The statements only `PostgresStore.verify` runs: every row of the book."""
        s = self._s
        return Verifying(
            categories=s(
                f"SELECT id, data, checksum, {ORDER_COLUMNS} FROM {{s}}debitor_category "  # noqa: S608 - our own columns
                "WHERE book_id = %s"
            ),
            custom_fields=s(
                f"SELECT key, data, checksum, {ORDER_COLUMNS} FROM {{s}}debitor_custom_field "  # noqa: S608 - our own columns
                "WHERE book_id = %s"
            ),
            tombstones=s(
                "SELECT id, deleted_revision, checksum FROM {s}debitor_customer_deleted "
                "WHERE book_id = %s"
            ),
            highest=s(
                "SELECT (SELECT max(number) FROM {s}debitor_customer WHERE book_id = %(b)s), "
                "greatest((SELECT max(changed_revision) FROM {s}debitor_customer "
                "WHERE book_id = %(b)s), (SELECT max(greatest(added_revision, changed_revision)) "
                "FROM {s}debitor_record WHERE book_id = %(b)s), (SELECT max(added_revision) "
                "FROM {s}debitor_category WHERE book_id = %(b)s), (SELECT max(added_revision) "
                "FROM {s}debitor_custom_field WHERE book_id = %(b)s), "
                "(SELECT max(deleted_revision) FROM {s}debitor_customer_deleted "
                "WHERE book_id = %(b)s))"
            ),
        )

    def search(self, condition: str, order: str, *, found_first: bool = False) -> str:
        """One page of the customers meeting ``condition`` (a complete WHERE), in ``order``.

        ``found_first`` finds every match before ordering them (for a rare word): the
        ``OFFSET 0`` keeps the planner from walking the book in ``order`` instead.
        """
        if not found_first:
            return f"{self._search}{condition} ORDER BY {order} LIMIT %s OFFSET %s"
        inner = f"SELECT {CUSTOMER_COLUMNS}, folded_name, created FROM {{s}}debitor_customer"  # noqa: S608 - our own columns
        return self._s(
            f"SELECT {CUSTOMER_COLUMNS} FROM ({inner} WHERE {condition} OFFSET 0) found "  # noqa: S608 - built by _queries
            f"ORDER BY {order} LIMIT %s OFFSET %s"
        )

    def sample(self) -> str:
        """Search and private text of rows drawn by number (`TextSample`; gaps give fewer).

        Each draw is a fraction in [0, 1) from the store's random source (`sample_random`)
        times the book's last number: a seeded source draws the same rows every time.
        """
        return self._s(
            "SELECT coalesce(search_text, ''), coalesce(private_text, '') "
            "FROM {s}debitor_customer WHERE book_id = %s AND number = ANY(ARRAY("
            "SELECT (1 + floor(f * b.last_number))::bigint "
            "FROM {s}debitor_book b, unnest(%s::float8[]) f WHERE b.book_id = %s))"
        )

    def count_where(self, condition: str) -> str:
        """How many customers meet ``condition`` (a complete WHERE)."""
        return self._s(f"SELECT count(*) FROM {{s}}debitor_customer WHERE {condition}")  # noqa: S608 - built by _queries

    def invoices_matching(self, condition: str) -> str:
        """The invoices of the customers meeting ``condition``, by invoice number."""
        customers = f"SELECT id FROM {{s}}debitor_customer WHERE {condition}"  # noqa: S608 - built by _queries
        return self._s(f"{self._invoices} AND customer_id IN ({customers}) ORDER BY invoice_number")

    def book(self, *, lock: bool = False) -> str:
        """The statement that reads the book's row (`BOOK_COLUMNS`), locking it for ``lock``."""
        end = " FOR UPDATE" if lock else ""
        return self._s(f"SELECT {BOOK_COLUMNS} FROM {{s}}debitor_book WHERE book_id = %s{end}")  # noqa: S608 - our own columns

    def copy_customers(self) -> str:
        """``COPY`` of new customers into the book (`PostgresTransaction._copy_line`)."""
        return self._s(
            f"COPY {{s}}debitor_customer (book_id, {CHANGED_COLUMNS}, id, number, version, "
            f"data, checksum, {_COMPUTED}) FROM STDIN"
        )

    def records_clash(self) -> str:
        """Which of the records given (book id, kinds, keys) are stored: kind and key."""
        return self._s(
            "SELECT kind, key FROM {s}debitor_record WHERE book_id = %s "
            "AND (kind, key) IN (SELECT * FROM unnest(%s::text[], %s::text[]))"
        )

    def copy_records(self) -> str:
        """``COPY`` of new records into the book (`PostgresTransaction._record_line`)."""
        return self._s(
            "COPY {s}debitor_record (book_id, kind, key, version, added_revision, added_seq, "
            f"order_checksum, {CHANGED_COLUMNS}, data, checksum, {_RECORD_COMPUTED}) FROM STDIN"
        )

    def gin_indexes(self) -> list[str]:
        """The GIN indexes of the customer table, as ``to_regclass`` takes them."""
        return [self._s(f"{{s}}{index}") for index in _schema.GIN_INDEXES]
