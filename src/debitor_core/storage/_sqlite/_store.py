"""`SqliteStore`: the store itself, its reads, change feed and queries.

It opens the database (``_connection.py``), creates or upgrades the schema
(``_schema.py``) and folds the query rows again when they are stale; reads go through
`RowCodec` (``_rows.py``), which refuses a damaged row, and writes through
`SqliteTransaction` (``_transaction.py``); the customer queries are SQL from
``_queries.py``, the record lookups `RecordLookups` (``_lookups.py``), and sqlite3's
exceptions are translated by ``_errors.py``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, Self, TypeVar

from debitor_core._category import Category
from debitor_core._errors import NotFound
from debitor_core._fields import CustomFieldDefinition
from debitor_core._history import Forward, HistoryEntry
from debitor_core._invoice import RECORD_KINDS, Delivery, Invoice, Payment, Record, ReminderLog
from debitor_core._limits import MAX_NUMBER
from debitor_core._model import Customer
from debitor_core._text import DuplicateKey
from debitor_core.storage import _refusals as refused
from debitor_core.storage._arguments import (
    checked_query,
    checked_sort,
    is_uuid,
    sql_count,
)
from debitor_core.storage._feed import ChangeSet
from debitor_core.storage._files import check_folder
from debitor_core.storage._queries import (
    CustomerQuery,
    DuplicateRow,
    QuerySort,
    gather_records_about,
)
from debitor_core.storage._sqlite import _queries as q
from debitor_core.storage._sqlite._connection import (
    checked_retention,
    checked_synchronous,
    refuse_json_book,
    switch_to_wal,
)
from debitor_core.storage._sqlite._errors import translated
from debitor_core.storage._sqlite._lookups import RecordLookups
from debitor_core.storage._sqlite._rows import (
    C_COLUMNS,
    CUSTOMER_COLUMNS,
    RECORD_COLUMNS,
    RowCodec,
    checksum,
)
from debitor_core.storage._sqlite._schema import migrate
from debitor_core.storage._sqlite._transaction import SqliteTransaction, search_fields

__all__ = ["SqliteStore"]

R = TypeVar("R", bound=Record)


class SqliteStore:
    """A book in an SQLite database: one row per customer, indexed lookups, JSON for the rest.

    Every row carries a checksum over all its columns (a record's derived lookup
    columns aside: a damaged one can make a lookup miss, never return a wrong record),
    checked whenever the row is read, and every record read passes the structural
    checks; what fails either is `CorruptStore`. Writes refuse (`ValidationError`) a
    record that would fail them.

    Args:
        path: The database file (created if missing; its folder must exist), or
            ``":memory:"``.
        wal: Use write-ahead logging (faster commits, readers never wait for writers).
        synchronous: SQLite's ``PRAGMA synchronous`` (``FULL`` by default: a commit that
            returned survives power loss).
        timeout: Seconds to wait for another writer before `StoreLocked`.
        create_folder: Create the database's folder when it is missing (by default a
            missing folder is refused, so a typo never starts a new, empty book).
        feed_retention: How many revisions the change feed can look back over deleted
            customers: older tombstones are pruned when a transaction commits, and
            `changes_since` an older revision returns ``None``. ``None`` keeps every
            tombstone (a few bytes per deleted customer).

    Raises:
        StorageError: the folder is missing, or the file is a JSON book.
        CorruptStore: the file is not an SQLite database of ours.
        UnsupportedFormatVersion: the schema is newer than this release knows.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        wal: bool = False,
        synchronous: str = "FULL",
        timeout: float = 10.0,
        create_folder: bool = False,
        feed_retention: int | None = 10_000,
    ) -> None:
        """Open (or create) the database; see the class docstring."""
        self.path = str(path)
        self.feed_retention = checked_retention(feed_retention)
        self._codec = RowCodec(self.path)
        self._lookups = RecordLookups(self._rows, self._codec)
        self._lock = threading.RLock()
        self._fields_at: tuple[int, tuple[tuple[str, ...], tuple[str, ...]]] | None = None
        level = checked_synchronous(synchronous)
        if self.path != ":memory:":
            check_folder(Path(self.path), create=create_folder, what="database")
            refuse_json_book(self.path)
        with translated(self.path):
            self._db = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
            try:
                self._db.create_function("debitor_checksum", -1, checksum, deterministic=True)
                self._db.create_function("debitor_new_id", 0, lambda: str(uuid.uuid4()))
                if wal:
                    switch_to_wal(self._db, timeout)
                self._db.execute(f"PRAGMA synchronous={level}")
                migrate(self._db, self.path)
                self._refold_if_stale()
            except BaseException:
                self._db.close()
                raise

    def _refold_if_stale(self) -> None:
        """Fold every customer again when the query rows were made by another fold.

        The fold's version and Python's Unicode version are kept in ``meta``; a database
        migrated from schema 3, or opened by a Python with another Unicode version, has
        its query rows rebuilt from the customers and records, in one transaction that
        does not count as a commit (the data did not change).
        """
        if self._fold_stamp() == q.fold_stamp():
            return
        with self._lock, translated(self.path):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if self._fold_stamp() != q.fold_stamp():
                    self._refold()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _fold_stamp(self) -> tuple[int, int]:
        return self._meta("fold_version"), self._meta("unicode_version")

    def _refold(self) -> None:
        """Rebuild every query row (the caller holds a write transaction)."""
        q.clear(self._db)
        fields = search_fields(self.custom_fields())
        q.index_customers(self._db, self.customers(), *fields)
        for kind in RECORD_KINDS.values():
            lookups = []
            for record in self.records(kind):
                q.index_record(self._db, record)
                lookups.append((*q.record_lookup(record), record.KIND, record.key))
            self._db.executemany(
                "UPDATE record SET customer = ?, number = ? WHERE kind = ? AND key = ?", lookups
            )
        for key, value in zip(("fold_version", "unicode_version"), q.fold_stamp(), strict=True):
            self._db.execute(
                "UPDATE meta SET value = ?, checksum = ? WHERE key = ?",
                (value, checksum(key, value), key),
            )

    # -- reads ---------------------------------------------------------------------

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock, translated(self.path):
            return self._db.execute(sql, args).fetchall()

    def _meta(self, key: str) -> int:
        value = self._meta_value(key)
        if type(value) is not int or not 0 <= value <= MAX_NUMBER:
            raise self._codec.damaged(f"its {key} {value!r} is not a whole number from 0")
        return value

    def _meta_value(self, key: str) -> object:
        rows = self._rows("SELECT key, value, checksum FROM meta WHERE key = ?", (key,))
        if not rows:
            raise self._codec.damaged(f"its {key} is missing")
        return self._codec.verified(rows[0], f"{key} row")[1]

    def get(self, customer_id: uuid.UUID) -> Customer:
        """Return the customer with this id (`NotFound` otherwise, or for anything but a UUID)."""
        if not is_uuid(customer_id):
            raise refused.customer_not_found(customer_id)
        rows = self._rows(
            f"SELECT {CUSTOMER_COLUMNS} FROM customer WHERE id = ?",  # noqa: S608 - our columns
            (str(customer_id),),
        )
        if not rows:
            raise refused.customer_not_found(customer_id)
        customer = self._codec.customer(rows[0])
        if customer.id != customer_id:
            raise self._codec.damaged(
                f"the index of ids gave customer {customer.id} for {customer_id}"
            )
        return customer

    def get_by_number(self, number: int) -> Customer:
        """Return the customer with this number (`NotFound` otherwise)."""
        if type(number) is not int or not 1 <= number <= MAX_NUMBER:
            raise refused.number_not_found(number)
        rows = self._rows(
            f"SELECT {CUSTOMER_COLUMNS} FROM customer WHERE number = ?",  # noqa: S608
            (number,),
        )
        if not rows:
            raise refused.number_not_found(number)
        customer = self._codec.customer(rows[0])
        if customer.number != number:
            what = f"the index of numbers gave customer {customer.number} for {number}"
            raise self._codec.damaged(what)
        return customer

    def find(
        self, *, email: str | None = None, tax_id: str | None = None, phone: str | None = None
    ) -> list[Customer]:
        """Return customers with this normalised email (any case), VAT number or E.164 phone.

        Uses the indexed columns; an extra of this store for host apps' own queries. A
        value that is not text, or that no column can hold (a lone surrogate), finds nobody.
        """
        clauses, args = [], []
        for column, value in (("email", email), ("tax_id", tax_id), ("phone", phone)):
            if isinstance(value, str) and q.storable(value):
                clauses.append(f"{column} = ?")
                args.append(value.casefold() if column == "email" else value)
        if not clauses:
            return []
        where = " OR ".join(clauses)
        query = f"SELECT {CUSTOMER_COLUMNS} FROM customer WHERE {where} ORDER BY number"  # noqa: S608 - our columns
        return [self._codec.customer(row) for row in self._rows(query, tuple(args))]

    def customers(self, *, offset: int = 0, limit: int | None = None) -> Sequence[Customer]:
        """Return customers in number order (see `checked_count` for offset and limit)."""
        rows = self._rows(
            f"SELECT {CUSTOMER_COLUMNS} FROM customer ORDER BY number LIMIT ? OFFSET ?",  # noqa: S608
            _page(offset, limit),
        )
        return [self._codec.customer(row) for row in rows]

    def count(self) -> int:
        """Return how many customers are stored."""
        return int(self._rows("SELECT count(*) FROM customer")[0][0])

    def categories(self) -> Sequence[Category]:
        """Return every category."""
        categories = []
        query = "SELECT id, data, changed_revision, checksum FROM category ORDER BY rowid"
        for row in self._rows(query):
            what = f"category row {row[0]!r}"
            row_id, data, _ = self._codec.verified(row, what)
            category: Category = self._codec.build(data, Category, what)
            if str(category.id) != row_id:
                raise self._codec.damaged(f"the columns of the {what} do not agree with its data")
            categories.append(category)
        return categories

    def custom_fields(self) -> Sequence[CustomFieldDefinition]:
        """Return every custom-field definition in the order first stored."""
        definitions = []
        query = (
            "SELECT key, position, data, changed_revision, checksum FROM custom_field "
            "ORDER BY position"
        )
        for row in self._rows(query):
            what = f"custom field row {row[0]!r}"
            key, _, data, _ = self._codec.verified(row, what)
            definition: CustomFieldDefinition = self._codec.build(data, CustomFieldDefinition, what)
            if definition.key != key:
                raise self._codec.damaged(f"the columns of the {what} do not agree with its data")
            definitions.append(definition)
        return definitions

    def records(self, kind: type[R]) -> Sequence[R]:
        """Return every record of ``kind`` in the order added."""
        rows = self._rows(
            f"SELECT {RECORD_COLUMNS} FROM record WHERE kind = ? ORDER BY rowid",  # noqa: S608
            (kind.KIND,),
        )
        return [self._codec.record(kind, row) for row in rows]

    def record(self, kind: type[R], key: str) -> R:
        """Return the record of ``kind`` with ``key`` (`NotFound` otherwise).

        A key that is not text SQLite can hold (not a str, a lone surrogate) is not found.
        """
        if not q.storable(key):
            raise refused.record_not_found(kind.KIND, key)
        rows = self._rows(
            f"SELECT {RECORD_COLUMNS} FROM record WHERE kind = ? AND key = ?",  # noqa: S608
            (kind.KIND, key),
        )
        if not rows:
            raise refused.record_not_found(kind.KIND, key)
        return self._codec.record(kind, rows[0])

    def last_number(self) -> int:
        """Return the highest customer number ever stored."""
        return self._meta("last_number")

    def revision(self) -> int:
        """Return the number of committed transactions."""
        return self._meta("revision")

    # -- the change feed -----------------------------------------------------------

    def store_id(self) -> str:
        """Return the identity of this database's history (a UUID made with its schema)."""
        value = self._meta_value("store_id")
        if not isinstance(value, str) or not value:
            raise self._codec.damaged(f"its store_id {value!r} is not an id")
        return value

    def changes_since(self, revision: int) -> ChangeSet | None:
        """Return what changed after ``revision`` (see `ChangeFeed`), or ``None``.

        Read in one snapshot (one read transaction), through the indexes on the rows'
        ``changed_revision``: the cost is in proportion to the changes, not the book.
        ``None`` when ``revision`` is not a whole number from 0, is ahead of the
        database, or is older than the feed's horizon (tombstones pruned after
        ``feed_retention`` revisions, or a database upgraded from schema 3 later).

        Raises:
            CorruptStore: a row read fails its checksum or the structural checks.
        """
        if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0:
            return None
        with self._lock, self._snapshot():
            current = self._meta("revision")
            if revision > current or revision < self._meta("feed_horizon"):
                return None
            store_id = self.store_id()
            if revision == current:
                return ChangeSet(store_id, revision, current)
            customers = self._rows(
                f"SELECT {CUSTOMER_COLUMNS} FROM customer "  # noqa: S608 - our columns
                "WHERE changed_revision > ? ORDER BY +number",  # + : by the index, then sort
                (revision,),
            )
            deleted = self._rows(
                "SELECT id, deleted_revision, checksum FROM customer_deleted t "
                "WHERE deleted_revision > ? AND NOT EXISTS "
                "(SELECT 1 FROM customer c WHERE c.id = t.id) ORDER BY deleted_revision, id",
                (revision,),
            )
            records = self._rows(
                f"SELECT {RECORD_COLUMNS} FROM record "  # noqa: S608 - our columns
                "WHERE changed_revision > ? ORDER BY +rowid",
                (revision,),
            )
            return ChangeSet(
                store_id,
                revision,
                current,
                customers=tuple(self._codec.customer(row) for row in customers),
                deleted=tuple(self._codec.tombstone(row) for row in deleted),
                records=tuple(self._codec.any_record(row) for row in records),
                categories=self._meta("categories_revision") > revision,
                custom_fields=self._meta("custom_fields_revision") > revision,
            )

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Read in one transaction (the caller holds the lock), unless one is open."""
        if self._db.in_transaction:  # this thread's write transaction: its view
            yield
            return
        with translated(self.path):
            self._db.execute("BEGIN")
        try:
            yield
        finally:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("COMMIT")

    # -- writes --------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[SqliteTransaction]:
        """Open a write transaction (``BEGIN IMMEDIATE``); see `Store`.

        Besides the checks of `Transaction`, a write raises `ValidationError` for a
        record that breaks a structural invariant: the store never commits what it
        would refuse to load.
        """
        with self._lock:
            with translated(self.path):
                self._db.execute("BEGIN IMMEDIATE")
            try:
                tx = SqliteTransaction(self, self._meta("revision"), self._meta("last_number"))
                tx.search_fields = self._search_fields(tx.revision)
                yield tx
                with translated(self.path):
                    if tx.wrote:
                        tx.finish()
                    self._db.execute("COMMIT")
                if tx.wrote:  # what the next transaction searches needs no reading
                    self._fields_at = (tx.revision + 1, tx.search_fields)
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise

    def _search_fields(self, revision: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The custom fields searched as text and as private text, as of ``revision``."""
        known = self._fields_at
        if known is None or known[0] != revision:
            known = self._fields_at = (revision, search_fields(self.custom_fields()))
        return known[1]

    # -- queries (CustomerQueries) -----------------------------------------------------

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
        page = _page(offset, limit)
        query, sort = checked_query(query), checked_sort(sort)
        found = q.search_sql(query, C_COLUMNS, sort=sort, descending=descending)
        if found is None:
            return []
        sql, args = found
        check = q.field_filter(query)
        if check is None:
            sql += " LIMIT ? OFFSET ?"
            rows = self._rows(sql, (*args, *page))
            return [self._codec.customer(row) for row in rows]
        matching = [c for c in map(self._codec.customer, self._rows(sql, tuple(args))) if check(c)]
        return matching[offset : None if limit is None else offset + limit]

    def count_customers(self, query: CustomerQuery) -> int:
        """Return how many customers match ``query`` (`TypeError` if it is no `CustomerQuery`)."""
        query = checked_query(query)
        if q.field_filter(query) is not None:
            return len(self.search_customers(query))
        found = q.count_sql(query)
        if found is None:
            return 0
        return int(self._rows(found[0], tuple(found[1]))[0][0])

    def customers_sharing(self, keys: Iterable[DuplicateKey]) -> Sequence[DuplicateRow]:
        """Return the customers with any of ``keys``, by number, with the kinds they share."""
        evidence: dict[int, list[str]] = {}
        for kind, key in keys:
            if not q.storable(kind, key):
                continue
            rows = self._rows(
                "SELECT number FROM customer_key WHERE kind = ? AND key = ?", (kind, key)
            )
            for (number,) in rows:
                if kind not in evidence.setdefault(number, []):
                    evidence[number].append(kind)
        found = []
        for number in sorted(evidence):
            try:
                found.append((self.get_by_number(number), tuple(evidence[number])))
            except NotFound:
                continue  # a stale query row: the customer is gone
        return found

    def invoices_of(self, customer_id: uuid.UUID | None = None) -> Sequence[Invoice]:
        """Return every invoice, or a customer's, by invoice number (none for a non-UUID)."""
        if customer_id is None:
            return self._lookups.invoices("", ())
        if not is_uuid(customer_id):
            return []
        return self._lookups.invoices(" WHERE i.customer = ?", (str(customer_id),))

    def invoices_matching(self, query: CustomerQuery) -> Sequence[Invoice]:
        """Return the invoices of every customer matching ``query``, by invoice number."""
        query = checked_query(query)
        if q.field_filter(query) is None:
            found = q.ids_sql(query)
            if found is None:
                return []
            sql, args = found
            return self._lookups.invoices(f" WHERE i.customer IN ({sql})", tuple(args))
        ids = [str(c.id) for c in self.search_customers(query)]
        invoices = []
        for marks, chunk in q.in_lists(ids):
            invoices += self._lookups.invoices(f" WHERE i.customer IN ({marks})", tuple(chunk))
        return sorted(invoices, key=lambda i: i.number)

    def payments_of(self, invoice_ids: Collection[uuid.UUID]) -> Sequence[Payment]:
        """Return the payments on these invoices, in the order added."""
        return self._lookups.of_invoices(Payment, invoice_ids)

    def reminders_of(self, invoice_ids: Collection[uuid.UUID]) -> Sequence[ReminderLog]:
        """Return the reminder logs of these invoices, in the order added."""
        return self._lookups.of_invoices(ReminderLog, invoice_ids)

    def last_invoice_number(self) -> int:
        """Return the highest invoice number stored (0 when there is none)."""
        return int(self._rows("SELECT coalesce(max(number), 0) FROM invoice_index")[0][0])

    def has_welcome(self, customer_id: uuid.UUID) -> bool:
        """Return whether the customer has a welcome delivery or a welcome invoice."""
        if not is_uuid(customer_id):
            return False
        key = str(customer_id)
        rows = self._rows(
            "SELECT EXISTS (SELECT 1 FROM record WHERE kind = 'delivery' AND key = ?) "
            "OR EXISTS (SELECT 1 FROM invoice_index WHERE customer = ? AND welcome = 1)",
            (key, key),
        )
        return bool(rows[0][0])

    def pending_deliveries(self, due_by: dt.datetime | None = None) -> Sequence[Delivery]:
        """Return the pending deliveries due by ``due_by`` (all, without it), in the order added."""
        return self._lookups.pending_deliveries(due_by)

    def welcome_invoices_due(self, due_by: dt.date) -> Sequence[Invoice]:
        """Return the sent welcome invoices due on or before ``due_by``, by number."""
        return self._lookups.invoices(
            " WHERE i.welcome = 1 AND i.sent = 1 AND i.due <= ?", (due_by.isoformat(),)
        )

    # -- history lookups (HistoryQueries) ----------------------------------------------

    def history_of(self, customer_id: uuid.UUID) -> Sequence[HistoryEntry]:
        """Return the customer's history entries, in the order stored (see `HistoryQueries`)."""
        return self._lookups.about(HistoryEntry, [customer_id])

    def forwards_to(self, customer_id: uuid.UUID) -> Sequence[Forward]:
        """Return the forwards of the customers merged into this one, in the order stored."""
        return self._lookups.about(Forward, [customer_id])

    def forwards_numbered(self, number: int) -> Sequence[Forward]:
        """Return the forwards of the customers merged away with this number."""
        return self._lookups.numbered(number)

    def records_about(self, customer_ids: Collection[uuid.UUID]) -> Sequence[Record]:
        """Return every record about these customers (see `HistoryQueries.records_about`)."""
        return gather_records_about(self._lookups.about, self, customer_ids)

    def verify(self) -> None:
        """Check the whole database: SQLite's own integrity check, then every row.

        Reads check the rows they read; this reads them all (customers, categories,
        custom fields, records and their lookup columns, tombstones, counters), and also
        runs ``PRAGMA integrity_check``, which finds damage no row checksum can see, such
        as a damaged index page. Run it after a crash of the machine, or from a periodic
        health check.

        It reads in one snapshot (one read transaction, or this thread's own transaction
        inside one), holding the store's lock, so other threads of this store wait for
        it. The rows are fetched `_VERIFY_BATCH` at a time and checked one by one: the
        memory it takes does not grow with the book.

        Raises:
            CorruptStore: SQLite reports damage, or a row fails its checksum (which
                covers its ``changed_revision``) or the structural checks, or a record's
                lookup columns do not match it, or a record has an unknown kind, or a row
                names a revision past the database's (the message names it).
        """
        with self._lock:
            # In this thread's write transaction (the lock is held by it: another
            # thread's would have made this wait), its rows name the revision its
            # commit makes.
            writing = self._db.in_transaction
            with self._snapshot():
                self._verify_rows(writing=writing)

    def _verify_rows(self, *, writing: bool) -> None:
        """`verify` in its snapshot, under the lock."""
        report = [row[0] for row in self._rows("PRAGMA integrity_check")]
        if report != ["ok"]:
            raise self._codec.damaged(f"SQLite's integrity check reports: {'; '.join(report[:5])}")
        codec = self._codec
        self._check_each(
            f"SELECT {CUSTOMER_COLUMNS} FROM customer ORDER BY number",  # noqa: S608 - ours
            codec.customer,
        )
        self.categories()  # definitions: a few, read as the book reads them
        self.custom_fields()
        self._check_each(
            f"SELECT {RECORD_COLUMNS}, customer, number FROM record ORDER BY rowid",  # noqa: S608
            self._check_record_row,
        )
        self._check_each(
            "SELECT id, deleted_revision, checksum FROM customer_deleted ORDER BY rowid",
            codec.tombstone,
        )
        self.last_number()
        self.store_id()
        for key in ("feed_horizon", "categories_revision", "custom_fields_revision"):
            self._meta(key)
        revision = self.revision()
        newest = revision + 1 if writing else revision
        latest = self._rows(_LATEST_REVISION)[0][0]
        if latest > newest:
            what = f"a row names revision {latest}, past the database's revision {revision}"
            raise codec.damaged(what)

    def _check_record_row(self, row: tuple[Any, ...]) -> None:
        """A row of `RECORD_COLUMNS` and its lookup columns: the record, and that they match it."""
        record = self._codec.any_record(row[:-2])
        if row[-2:] != q.record_lookup(record):
            what = f"the lookup columns of the {record.KIND} {record.key} do not match it"
            raise self._codec.damaged(what)

    def _check_each(self, sql: str, check: Callable[[tuple[Any, ...]], object]) -> None:
        """Pass every row of ``sql`` to ``check`` (the caller holds the lock).

        The rows are fetched `_VERIFY_BATCH` at a time, never as a list of the whole
        table: only one batch is held at once.
        """
        with translated(self.path):
            cursor = self._db.execute(sql)
        try:
            while True:
                with translated(self.path):
                    batch = cursor.fetchmany(_VERIFY_BATCH)
                if not batch:
                    return
                for row in batch:
                    check(row)
        finally:
            cursor.close()

    def scrub(self) -> None:
        """Rewrite the database so that no replaced or deleted value is left in its files.

        `CustomerBook.erase` calls this after its commit: with ``secure_delete`` on,
        ``VACUUM`` rebuilds the file from the live rows only (free pages, old cells of
        rows and index entries go; each FTS5 index is first merged by its ``optimize``
        command, which drops the entries of deleted rows), and in WAL mode a
        ``wal_checkpoint(TRUNCATE)`` empties the write-ahead log. It takes time in
        proportion to the book's size, and waits (up to the store's timeout) for other
        connections' transactions.

        Raises:
            StoreLocked: another connection kept the database busy.
            StorageError: the database could not be rewritten.
        """
        with self._lock, translated(self.path):
            self._db.execute("PRAGMA secure_delete=ON")
            for (name,) in self._db.execute(_FTS5_TABLES).fetchall():
                quoted = '"' + str(name).replace('"', '""') + '"'
                self._db.execute(f"INSERT INTO {quoted}({quoted}) VALUES ('optimize')")  # noqa: S608
            self._db.execute("VACUUM")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        """Close the connection. Closing twice is harmless."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Self:
        """Use the store in a ``with`` block, which closes it at the end."""
        return self

    def __exit__(self, *_: object) -> None:
        """Close the store."""
        self.close()

    def __repr__(self) -> str:
        return f"<SqliteStore {self.path!r}>"


_VERIFY_BATCH: Final = 2_000
"""How many rows `SqliteStore.verify` fetches at a time (as `PostgresStore.verify` does)."""

_LATEST_REVISION = (  # SQLite's max(a, b) is NULL if either is: an empty table counts 0
    "SELECT max(coalesce((SELECT max(changed_revision) FROM customer), 0), "
    "coalesce((SELECT max(changed_revision) FROM category), 0), "
    "coalesce((SELECT max(changed_revision) FROM custom_field), 0), "
    "coalesce((SELECT max(changed_revision) FROM record), 0), "
    "coalesce((SELECT max(deleted_revision) FROM customer_deleted), 0))"
)
"""The highest revision any row names (`SqliteStore.verify`: none may be past the book's)."""

_FTS5_TABLES = (
    "SELECT name FROM sqlite_master WHERE type = 'table' "
    "AND lower(sql) LIKE 'create virtual table%using fts5%'"
)


def _page(offset: object, limit: object) -> tuple[int, int]:
    """``(limit, offset)`` as SQL's LIMIT and OFFSET take them (-1: no limit).

    Each is checked by `checked_count`; more than SQLite's INTEGER holds skips or keeps
    every row.
    """
    offset = sql_count("offset", offset)
    return -1 if limit is None else sql_count("limit", limit), offset
