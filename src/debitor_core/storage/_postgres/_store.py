"""`PostgresStore`: many books in one PostgreSQL database, shared by many processes.

- `PostgresStore`: opens a book (on a pool it is given, or one `connect` makes), reads
  it, answers its queries and change feed, opens its write transactions (a
  `PostgresTransaction`, from ``_transaction.py``), waits for other processes' commits
  and scrubs its tables. The SQL text it runs is in ``_statements.py``.
- The name of a book's notification channel (the checks of the store's arguments are
  ``_arguments.py``'s).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import math
import threading
import uuid
from collections.abc import (
    Callable,
    Collection,
    Generator,
    Iterable,
    Iterator,
    Sequence,
)
from typing import Any, Final, Literal, Self, TypeVar

import psycopg
import psycopg.sql
import psycopg_pool
from psycopg import errors
from psycopg.pq import TransactionStatus
from psycopg.rows import tuple_row

from debitor_core._category import Category
from debitor_core._errors import (
    StorageError,
    StoreLocked,
    UnsupportedFormatVersion,
)
from debitor_core._fields import CustomFieldDefinition
from debitor_core._history import Forward, HistoryEntry
from debitor_core._i18n import render_message
from debitor_core._invoice import Delivery, Invoice, Payment, Record, ReminderLog
from debitor_core._limits import MAX_NUMBER
from debitor_core._model import Customer
from debitor_core._text import (
    FOLD_VERSION,
    UNICODE_VERSION,
    DuplicateKey,
    private_field_keys,
    text_field_keys,
)
from debitor_core.storage import _refusals as refused
from debitor_core.storage._arguments import checked_query, checked_sort, is_text, sql_count
from debitor_core.storage._feed import ChangeSet
from debitor_core.storage._postgres import _schema
from debitor_core.storage._postgres._arguments import (
    Pool,
    checked_book_id,
    checked_pool,
    checked_retention,
    checked_scrub,
    describe_server,
    milliseconds,
    read_conninfo,
)
from debitor_core.storage._postgres._derived import (
    FieldKeys,
    key_string,
    query_keys,
    storable,
)
from debitor_core.storage._postgres._errors import commit_failed, lost_connection, translate
from debitor_core.storage._postgres._lookups import Lookups
from debitor_core.storage._postgres._queries import (
    ORDERS,
    RESAMPLE_AFTER,
    SAMPLE_ROWS,
    TextSample,
    sample_random,
    selective,
    where,
)
from debitor_core.storage._postgres._rows import BookRow, RowCodec
from debitor_core.storage._postgres._schema import Names, prepare
from debitor_core.storage._postgres._statements import SchemaStatements
from debitor_core.storage._postgres._transaction import Cursor, PostgresTransaction
from debitor_core.storage._queries import (
    CustomerQuery,
    DuplicateRow,
    QuerySort,
    gather_records_about,
)

__all__ = ["PostgresStore", "PostgresTransaction"]

R = TypeVar("R", bound=Record)
T = TypeVar("T")


_VERIFY_BATCH: Final = 2_000
"""How many rows `PostgresStore.verify` fetches from the server at a time."""


class PostgresStore:
    """Customer books in a PostgreSQL database, shared by processes on many hosts.

    Many books live in one database, each under its ``book_id``; every key, index and
    query leads with it, and no transaction, join or sequence spans two books. Each
    write transaction locks its book's row (``SELECT ... FOR UPDATE``), so the writes
    of one book are serialised, across processes and hosts, while other books and all
    readers go on. Reads return committed state.

    The store borrows connections from ``pool``, which the app owns and closes: the
    store never closes it, relies on no session state between transactions and
    prepares no statements itself, so a `psycopg_pool.NullConnectionPool` behind
    pgbouncer in transaction mode works (give its connections ``prepare_threshold=None``
    unless pgbouncer is 1.21 or newer with prepared statements on).

    Args:
        pool: A psycopg_pool ``ConnectionPool`` or ``NullConnectionPool``.
        book_id: The book: 1 to 64 letters, digits, hyphens or underscores. A book
            that does not exist yet is created (with a new `store_id`).
        schema: The PostgreSQL schema of the tables (created if missing; not
            PostgreSQL's own ``pg_...`` or ``information_schema``), or ``None`` for the
            first schema on the connections' ``search_path``.
        lock_timeout: Seconds a transaction waits for the book's lock before
            `StoreLocked`.
        statement_timeout: Seconds any statement of a write transaction may run before
            it is cancelled (`StorageError`); ``None`` keeps the server's setting.
        feed_retention: How many revisions the change feed can look back over deleted
            customers; older tombstones are pruned, and `changes_since` an older
            revision returns ``None``. ``None`` keeps every tombstone.
        notify: Whether each commit also sends a notification (``pg_notify``) that
            `wait_for_change` wakes up on: a hint, never the only way to learn of a
            change (see `wait_for_change`). Off by default: PostgreSQL serialises the
            commits of all transactions that notify, across books.
        scrub: How `scrub` (run by `CustomerBook.erase`) destroys replaced values:
            ``"rewrite"`` (the default) rewrites the customer and record tables and
            their indexes, so that no byte of a replaced row is left in their pages;
            ``"vacuum"`` only vacuums them, which is quick and locks nothing but leaves
            bytes in the pages' free space and keys in the GIN indexes (see `scrub`).

    Raises:
        ValidationError: the book id is not valid.
        ValueError: the schema name or a timeout is not valid.
        TypeError: ``pool`` is not a psycopg_pool connection pool.
        UnsupportedFormatVersion: the tables were written by a newer debitor-core.
        StorageError: the database cannot be reached or refused the work.
    """

    def __init__(
        self,
        pool: Pool,
        *,
        book_id: str,
        schema: str | None = None,
        lock_timeout: float = 10.0,
        statement_timeout: float | None = None,
        feed_retention: int | None = 10_000,
        notify: bool = False,
        scrub: Literal["rewrite", "vacuum"] = "rewrite",
    ) -> None:
        """Open the book ``book_id`` in the database behind ``pool``; see the class docstring."""
        self._pool = checked_pool(pool)
        self.book_id = checked_book_id(book_id)
        self._names = Names(schema)
        self._lock_ms = milliseconds("lock_timeout", lock_timeout)
        self._statement_ms = (
            None
            if statement_timeout is None
            else milliseconds("statement_timeout", statement_timeout)
        )
        self._retention = checked_retention(feed_retention)
        self._notify = bool(notify)
        self._rewrite = checked_scrub(scrub)
        self._owns_pool = False
        self._closed = False
        self._name = f"the book {self.book_id!r}"
        self._codec = RowCodec(self._name, self.book_id)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._sql = SchemaStatements(self._names, self._lock_ms, self._statement_ms)
        self.channel = _channel(self._names.schema, self.book_id)
        """The notification channel of this book (see `wait_for_change`)."""
        self._field_cache: tuple[int, FieldKeys] = (0, FieldKeys())
        self._lookups = Lookups(self._names, self._records)
        self._sample: tuple[int, TextSample] = (RESAMPLE_AFTER, TextSample(()))
        self._random = sample_random()
        self._read(lambda cur: prepare(cur.connection, self._names, self.book_id))
        self._fold_if_needed()

    @classmethod
    def connect(
        cls,
        conninfo: str,
        *,
        book_id: str,
        schema: str | None = None,
        lock_timeout: float = 10.0,
        statement_timeout: float | None = None,
        feed_retention: int | None = 10_000,
        notify: bool = False,
        scrub: Literal["rewrite", "vacuum"] = "rewrite",
        connect_timeout: float = 10.0,
        **pool_options: Any,  # noqa: ANN401 - passed through to ConnectionPool
    ) -> PostgresStore:
        """Open a book with a connection pool of its own, closed by `close`.

        ``functools.partial(PostgresStore.connect, conninfo, book_id=...)`` pickles, so
        it can open the same book in a child process.

        Args:
            conninfo: A libpq connection string or ``postgresql://`` URL.
            book_id: The book (see the class docstring).
            schema: See the class docstring.
            lock_timeout: See the class docstring.
            statement_timeout: See the class docstring.
            feed_retention: See the class docstring.
            notify: See the class docstring.
            scrub: See the class docstring.
            connect_timeout: Seconds to wait for the first connection.
            **pool_options: Passed to ``psycopg_pool.ConnectionPool`` (``min_size``,
                ``max_size``, ``kwargs={"prepare_threshold": None}``, ...). By default
                the pool keeps 1 to 4 connections.

        Returns:
            The store.

        Raises:
            StorageError: the server cannot be reached, or ``conninfo`` cannot be read as
                written (a URL password with an unencoded ``@`` or ``/``); the message
                says why (it never repeats a password).
        """
        checked_book_id(book_id)
        params = read_conninfo(conninfo)
        if params is None:
            # Raised outside any except block: no psycopg text (which may hold part of
            # the password) travels along as the cause or context.
            msg = (
                "Could not connect to the PostgreSQL server: the connection string could "
                "not be read. In a URL, percent-encode @ : / ? # and the percent sign in the "
                "user name, password and parameters (@ becomes %40)."
            )
            params_unreadable = {"rule": "unreadable"}
            raise StorageError(msg, code="storage.unavailable", params=params_unreadable)
        where = describe_server(params)
        connect_args = dict(pool_options.get("kwargs") or {})
        try:
            # One direct connection first: it fails fast, with the server's reason.
            connect_args["connect_timeout"] = max(1, math.ceil(connect_timeout))
            psycopg.connect(conninfo, **connect_args).close()
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            for password in (params.get("password"), connect_args.get("password")):
                if isinstance(password, str) and password:
                    reason = reason.replace(password, "***")
            msg = f"Could not connect to the PostgreSQL server {where}: {reason}."
            params = {"server": where, "reason": reason}
            raise StorageError(msg, code="storage.unavailable", params=params) from exc
        options: dict[str, Any] = {"min_size": 1, "max_size": 4, "name": f"debitor-{book_id}"}
        options.update(pool_options)
        pool: Pool = psycopg_pool.ConnectionPool(conninfo, open=False, **options)
        try:
            pool.open(wait=True, timeout=connect_timeout)
            store = cls(
                pool,
                book_id=book_id,
                schema=schema,
                lock_timeout=lock_timeout,
                statement_timeout=statement_timeout,
                feed_retention=feed_retention,
                notify=notify,
                scrub=scrub,
            )
        except psycopg_pool.PoolTimeout as exc:
            pool.close()
            msg = f"Could not connect to the PostgreSQL server {where} in {connect_timeout} s."
            params = {"server": where, "seconds": f"{connect_timeout}", "rule": "timeout"}
            raise StorageError(msg, code="storage.unavailable", params=params) from exc
        except BaseException:
            pool.close()
            raise
        store._owns_pool = True
        return store

    # -- connections ---------------------------------------------------------------

    @contextlib.contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """Borrow a connection in autocommit mode, speaking UTF-8 (put back as it was lent).

        A connection with another client encoding (``client_encoding=`` or
        ``PGCLIENTENCODING``) speaks UTF-8 while the store has it: two more round trips
        for such a pool, none for a UTF-8 one (the server reports the encoding).
        """
        if self._closed:
            msg = f"The store of {self._name} is closed."
            params = {"book": repr(self.book_id), "rule": "database"}
            raise StorageError(msg, code="storage.closed", params=params)
        with self._pool.connection() as conn:
            autocommit = conn.autocommit
            if not autocommit:
                conn.autocommit = True
            encoding = conn.pgconn.parameter_status(b"client_encoding")
            foreign = encoding is not None and encoding != b"UTF8"
            try:
                if foreign:
                    conn.execute(b"SET client_encoding TO 'UTF8'")
                yield conn
            finally:
                idle = not conn.closed and conn.info.transaction_status == TransactionStatus.IDLE
                if foreign and idle and encoding is not None:
                    restore = psycopg.sql.SQL("SET client_encoding TO {}")
                    conn.execute(restore.format(psycopg.sql.Literal(encoding.decode())))
                if not autocommit and idle:
                    conn.autocommit = False

    def _read(self, work: Callable[[Cursor], T]) -> T:
        """Run ``work`` on a cursor and return what it returns; errors become ours.

        Inside a transaction, the thread that opened it reads through its connection.
        Elsewhere a read that finds its connection dead (a restarted server, a failover,
        pgbouncer) is repeated once on a fresh one: reads are safe to repeat.
        """
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            self._local.tx._refuse_while_importing()  # noqa: SLF001 - its own transaction
            with self._translated():
                return work(conn.cursor(row_factory=tuple_row))
        for attempt in (1, 2):
            try:
                with self._connection() as fresh:
                    result = work(fresh.cursor(row_factory=tuple_row))
            except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
                if attempt == 1 and lost_connection(exc):
                    self._pool.check()
                    continue
                raise translate(exc, self._name) from exc
            else:
                return result
        raise AssertionError  # pragma: no cover - the loop returns or raises

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            raise translate(exc, self._name) from exc

    def _book_row(self, cur: Cursor, *, lock: bool = False) -> BookRow:
        """The book's row, its checksum checked (`RowCodec.book`); locked for ``lock``.

        Raises:
            CorruptStore: the row was changed outside debitor-core.
            StorageError: the book's row is gone.
        """
        row = cur.execute(self._sql.book(lock=lock), (self.book_id,)).fetchone()
        if row is None:
            msg = (
                f"{self._name.capitalize()} is no longer in the database: it was deleted "
                "since this store opened it."
            )
            raise StorageError(msg, code="storage.deleted", params={"book": repr(self.book_id)})
        return self._codec.book(row)

    # -- reads ---------------------------------------------------------------------

    def get(self, customer_id: uuid.UUID) -> Customer:
        """Return the customer with this id (`NotFound` otherwise)."""
        row = None
        if isinstance(customer_id, uuid.UUID):
            row = self._read(
                lambda cur: cur.execute(
                    self._sql.customer_by_id, (self.book_id, customer_id)
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
                    self._sql.customer_by_number, (self.book_id, number)
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
            lambda cur: cur.execute(self._sql.customers, (self.book_id, limit, offset)).fetchall()
        )
        return [self._codec.customer(row) for row in rows]

    def count(self) -> int:
        """Return how many customers are stored."""
        row = self._read(lambda cur: cur.execute(self._sql.count, (self.book_id,)).fetchone())
        return int(row[0]) if row else 0

    def categories(self) -> Sequence[Category]:
        """Return every category, in the order first stored."""
        rows = self._read(lambda cur: cur.execute(self._sql.categories, (self.book_id,)).fetchall())
        return [self._codec.category(row) for row in rows]

    def custom_fields(self) -> Sequence[CustomFieldDefinition]:
        """Return every custom-field definition, in the order first stored."""
        rows = self._read(
            lambda cur: cur.execute(self._sql.custom_fields, (self.book_id,)).fetchall()
        )
        return [self._codec.custom_field(row) for row in rows]

    def records(self, kind: type[R]) -> Sequence[R]:
        """Return every record of ``kind`` in the order added."""
        rows = self._read(
            lambda cur: cur.execute(self._sql.records, (self.book_id, kind.KIND)).fetchall()
        )
        return [self._codec.record(kind, row) for row in rows]

    def record(self, kind: type[R], key: str) -> R:
        """Return the record of ``kind`` with ``key`` (`NotFound` otherwise)."""
        row = None
        # No stored key holds NUL or a lone surrogate: PostgreSQL's text cannot.
        if isinstance(key, str) and "\x00" not in key and storable(key) == key:
            row = self._read(
                lambda cur: cur.execute(self._sql.record, (self.book_id, kind.KIND, key)).fetchone()
            )
        if row is None:
            raise refused.record_not_found(kind.KIND, key)
        return self._codec.record(kind, row)

    def last_number(self) -> int:
        """Return the highest customer number ever stored in this book.

        In the thread of an open transaction, the numbers it added count too.
        """
        stored = self._read(self._book_row).last_number
        tx = getattr(self._local, "tx", None)
        return stored if tx is None else max(stored, tx.last_number)

    def revision(self) -> int:
        """Return the number of transactions ever committed to this book."""
        return self._read(self._book_row).revision

    # -- the change feed -----------------------------------------------------------

    def store_id(self) -> str:
        """Return the identity of this book's history (a UUID made with its row)."""
        return str(self._read(self._book_row).store_id)

    def changes_since(self, revision: int) -> ChangeSet | None:
        """Return what changed in this book after ``revision`` (see `ChangeFeed`).

        Read in one ``REPEATABLE READ`` snapshot. ``None`` when ``revision`` is negative,
        ahead of the book, or older than the pruned history (see ``feed_retention``).
        """
        if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0:
            return None
        book = self._read(self._book_row)
        store_id, current = book.store_id, book.revision
        if revision > current:
            return None
        if revision == current:
            return ChangeSet(str(store_id), revision, current)
        if getattr(self._local, "conn", None) is not None:
            return self._read(lambda cur: self._changes(cur, revision))
        return self._read(lambda cur: self._snapshot(cur, revision))

    def _snapshot(self, cur: Cursor, revision: int) -> ChangeSet | None:
        with cur.connection.transaction():
            cur.execute(b"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            return self._changes(cur, revision)

    def _changes(self, cur: Cursor, since: int) -> ChangeSet | None:
        book = self._book_row(cur)
        if since > book.revision or since < book.feed_horizon:
            return None
        book_id = self.book_id
        customers = cur.execute(self._sql.changed_customers, (book_id, since)).fetchall()
        deleted = cur.execute(self._sql.deleted_customers, (book_id, since)).fetchall()
        records = cur.execute(self._sql.changed_records, (book_id, since)).fetchall()
        return ChangeSet(
            str(book.store_id),
            since,
            book.revision,
            customers=tuple(self._codec.customer(row) for row in customers),
            deleted=tuple(self._codec.tombstone(row) for row in deleted),
            records=tuple(self._codec.any_record(row) for row in records),
            categories=book.categories_revision > since,
            custom_fields=book.custom_fields_revision > since,
        )

    # -- the fold --------------------------------------------------------------------

    def _fold_if_needed(self) -> None:
        """Fold the book again if its computed columns come from another fold (or none).

        Raises:
            UnsupportedFormatVersion: a newer debitor-core folded the book.
        """
        if _schema.SCHEMA_VERSION < _schema.SEALED:
            # Only the schema's own tests open older versions: to make their tables.
            return
        book = self._read(self._book_row)
        stamp = (book.fold_version, book.unicode_version)
        if stamp == (FOLD_VERSION, UNICODE_VERSION) and not self._lookups_missing():
            return
        self._refuse_newer_fold(book.fold_version)
        with self.transaction() as tx:
            tx.fold_book()

    def _lookups_missing(self, cur: Cursor | None = None) -> bool:
        """Whether some record lacks the columns the history lookups read (see `_lookups`)."""
        if cur is not None:
            return self._lookups.missing(cur, self.book_id)
        return self._read(lambda fresh: self._lookups.missing(fresh, self.book_id))

    def _refuse_newer_fold(self, version: int | None) -> None:
        if version is not None and version > FOLD_VERSION:
            msg = (
                f"{self._name.capitalize()} was folded for search by a newer debitor-core "
                f"(fold version {version}; this one has {FOLD_VERSION}). Upgrade "
                "debitor-core to open it. The database was not changed."
            )
            params = {"book": repr(self.book_id), "version": version, "known": FOLD_VERSION}
            params["rule"] = "fold"
            raise UnsupportedFormatVersion(msg, code="storage.newer", params=params)

    def _field_keys(self, cur: Cursor, revision: int) -> FieldKeys:
        """The custom fields searched as text as of the committed ``revision`` of them."""
        cached_revision, keys = self._field_cache
        if revision != cached_revision:
            keys = self._load_field_keys(cur)
            self._field_cache = (revision, keys)
        return keys

    def _load_field_keys(self, cur: Cursor) -> FieldKeys:
        rows = cur.execute(self._sql.custom_fields, (self.book_id,)).fetchall()
        definitions = [self._codec.custom_field(row) for row in rows]
        return FieldKeys(text_field_keys(definitions), private_field_keys(definitions))

    # -- queries (CustomerQueries) ---------------------------------------------------

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
        found = where(self.book_id, query, sample)
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
        found = where(self.book_id, query, self._text_sample(query))
        if found is None:
            return 0
        sql, params = found
        statement = self._sql.count_where(sql)
        row = self._read(lambda cur: cur.execute(statement, params, prepare=False).fetchone())
        return int(row[0]) if row else 0

    def _text_sample(self, query: CustomerQuery) -> TextSample | None:
        """Some of the book's rows, for a query with free text; taken again now and then.

        The sample only steers how a query runs (`TextSample`), so a stale one (the
        book grew since) costs speed, never a wrong answer.
        """
        if not query.text.strip():
            return None
        used, sample = self._sample
        if used >= RESAMPLE_AFTER:
            draws = [self._random.random() for _ in range(SAMPLE_ROWS)]
            params = (self.book_id, draws, self.book_id)
            rows = self._read(lambda cur: cur.execute(self._sql.sample(), params).fetchall())
            used, sample = 0, TextSample([f"{text}\n{private}" for text, private in rows])
        self._sample = (used + 1, sample)
        return sample

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
            lambda cur: cur.execute(self._sql.sharing, (self.book_id, strings)).fetchall()
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
            return self._records(Invoice, self._sql.invoices, ())
        if not _is_uuid(customer_id):
            return []
        return self._records(Invoice, self._sql.invoices_of, (customer_id,))

    def invoices_matching(self, query: CustomerQuery) -> Sequence[Invoice]:
        """Return the invoices of every customer matching ``query``, by invoice number."""
        query = checked_query(query)
        found = where(self.book_id, query, self._text_sample(query))
        if found is None:
            return []
        sql, params = found
        return self._records(Invoice, self._sql.invoices_matching(sql), params, prepare=False)

    def payments_of(self, invoice_ids: Collection[uuid.UUID]) -> Sequence[Payment]:
        """Return the payments on these invoices, in the order added."""
        ids = [i for i in invoice_ids if isinstance(i, uuid.UUID)]
        return self._records(Payment, self._sql.of_invoices, (Payment.KIND, ids)) if ids else []

    def last_invoice_number(self) -> int:
        """Return the highest invoice number stored (0 when there is none)."""
        row = self._read(
            lambda cur: cur.execute(self._sql.last_invoice, (self.book_id,)).fetchone()
        )
        return int(row[0]) if row else 0

    def has_welcome(self, customer_id: uuid.UUID) -> bool:
        """Return whether the customer has a welcome delivery or a welcome invoice."""
        if not _is_uuid(customer_id):
            return False
        params = (self.book_id, customer_id, self.book_id, customer_id)
        row = self._read(lambda cur: cur.execute(self._sql.has_welcome, params).fetchone())
        return bool(row and row[0])

    def pending_deliveries(self, due_by: dt.datetime | None = None) -> Sequence[Delivery]:
        """Return the pending deliveries due by ``due_by`` (all, without it), in the order added."""
        return self._records(Delivery, self._sql.pending, (due_by, due_by))

    def welcome_invoices_due(self, due_by: dt.date) -> Sequence[Invoice]:
        """Return the sent welcome invoices due on or before ``due_by``, by number."""
        return self._records(Invoice, self._sql.welcome_due, (due_by,))

    def reminders_of(self, invoice_ids: Collection[uuid.UUID]) -> Sequence[ReminderLog]:
        """Return the reminder logs of these invoices, in the order added."""
        ids = [i for i in invoice_ids if isinstance(i, uuid.UUID)]
        if not ids:
            return []
        return self._records(ReminderLog, self._sql.of_invoices, (ReminderLog.KIND, ids))

    # -- history lookups (HistoryQueries, see _lookups.py) ------------------------------

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

    def _records(
        self, kind: type[R], statement: str, params: Sequence[object], *, prepare: bool = True
    ) -> list[R]:
        rows = self._read(
            lambda cur: cur.execute(
                statement, (self.book_id, *params), prepare=None if prepare else False
            ).fetchall()
        )
        return [self._codec.record(kind, row) for row in rows]

    # -- writes --------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[PostgresTransaction]:
        """Open a write transaction on this book (see `Store`).

        It locks the book's row, so it waits for other processes' transactions on the
        same book (at most ``lock_timeout`` seconds, then `StoreLocked`).

        Raises:
            StoreLocked: the book stayed locked longer than ``lock_timeout``.
            CommitOutcomeUnknown: the connection was lost during COMMIT.
            StorageError: the database failed; nothing of the transaction was stored.
        """
        if getattr(self._local, "conn", None) is not None:
            params = {"book": repr(self.book_id)}
            raise StorageError(
                render_message("storage.nested", params), code="storage.nested", params=params
            )
        if not self._lock.acquire(timeout=self._lock_ms / 1000):
            msg = (
                f"{self._name.capitalize()} is locked by another transaction of this "
                "process that did not finish in time. Nothing was changed; try again later."
            )
            params = {"book": repr(self.book_id), "rule": "process"}
            raise StoreLocked(msg, code="storage.locked", params=params)
        try:
            yield from self._transaction()
        finally:
            self._lock.release()

    def _transaction(self) -> Generator[PostgresTransaction, None, None]:
        for attempt in (1, 2):
            phase = "begin"
            tx: PostgresTransaction | None = None
            try:
                with self._connection() as conn, conn.transaction():
                    cur = conn.cursor(row_factory=tuple_row)
                    cur.execute(self._sql.settings)
                    tx = PostgresTransaction(self, cur, self._book_row(cur, lock=True))
                    phase = "body"
                    self._local.conn, self._local.tx = conn, tx
                    try:
                        yield tx
                    finally:
                        self._local.conn = self._local.tx = None
                    tx.finish()
                    phase = "commit"
            except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
                if phase == "begin" and attempt == 1 and lost_connection(exc):
                    # Nothing was sent but BEGIN: safe to start again on a fresh connection.
                    self._pool.check()
                    continue
                if phase == "commit" and isinstance(exc, psycopg.Error) and tx is not None:
                    raise commit_failed(exc, self._name, tx.revision) from exc
                raise translate(exc, self._name) from exc
            else:
                return

    def wait_for_change(self, revision: int, timeout: float) -> int:
        """Wait until the book is past ``revision``, or ``timeout`` seconds; return its revision.

        A wake-up for hosts that want to react to other processes' commits (refresh a
        screen, run a job) without asking the store over and over: it listens on the
        book's channel (`channel`), which commits of stores opened with
        ``notify=True`` notify. Notifications are lost across reconnects and through
        pgbouncer in transaction mode, and stores without ``notify`` send none, so the
        revision is read again when the wait ends either way: a lost notification
        costs at most ``timeout``, never a change. The wait holds one of the pool's
        connections.

        Args:
            revision: The revision the caller has seen.
            timeout: Seconds to wait at most (0.001 to 86,400).

        Returns:
            The book's revision when the wait ended (``revision`` itself when nothing
            was committed).

        Raises:
            StorageError: the database failed.
        """
        if isinstance(revision, bool) or not isinstance(revision, int):
            msg = f"revision must be an int, not {type(revision).__name__}."
            raise TypeError(msg)
        seconds = milliseconds("timeout", timeout) / 1000
        with self._translated(), self._connection() as conn:
            listen = psycopg.sql.SQL("LISTEN {}").format(psycopg.sql.Identifier(self.channel))
            conn.execute(listen)
            try:
                # Read after LISTEN: a commit between the two is seen one way or the other.
                current = self._book_row(conn.cursor(row_factory=tuple_row)).revision
                if current <= revision:
                    for _ in conn.notifies(timeout=seconds, stop_after=1):
                        pass
                    current = self._book_row(conn.cursor(row_factory=tuple_row)).revision
            finally:
                if not conn.closed:
                    conn.execute(b"UNLISTEN *")
        return current

    def verify(self) -> None:
        """Check every row of the book, and that none is ahead of the book's row.

        Reads check what they read: the book's row at the start of every transaction and
        feed read, every customer, category, custom-field and record row they load, the
        tombstones a feed read returns. This reads them all, in one ``REPEATABLE READ``
        snapshot: the book's row, every customer, category, custom field, record (with
        their order columns and changed revisions) and tombstone. It also finds what no
        single read can: a tombstone whose deleted revision, or a customer or record
        whose changed revision, was lowered (which the feed then skips) fails its
        checksum here; and a customer number past the book's last number, or a row
        that names a revision past the book's, means the book's row was moved back (or
        the row's revision forward).
        It takes time in proportion to the book (every row is read once); run it after a
        restore, a hand edit, or from a periodic health check.

        Raises:
            CorruptStore: a row was changed outside debitor-core or damaged; the message
                names the first one found.
            StorageError: the database failed.
        """
        self._read(self._verify)

    def _verify(self, cur: Cursor) -> None:
        if getattr(self._local, "conn", None) is not None:
            # In this thread's transaction: what it sees, its own writes too.
            self._verify_rows(cur)
            return
        with cur.connection.transaction():
            cur.execute(b"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            self._verify_rows(cur)

    def _verify_rows(self, cur: Cursor) -> None:
        sql, codec, book_id = self._sql, self._codec, self.book_id
        verifying = sql.verifying()
        book = self._book_row(cur)
        for statement, check in (
            (sql.all_customers, codec.customer),
            (verifying.categories, codec.category),
            (verifying.custom_fields, codec.custom_field),
            (sql.all_records, codec.any_record),
            (verifying.tombstones, codec.tombstone),
        ):
            # A cursor on the server: a book of millions of rows is read a batch at a
            # time, never held whole in this process's memory.
            with cur.connection.cursor("debitor_verify", row_factory=tuple_row) as rows:
                rows.itersize = _VERIFY_BATCH
                for row in rows.execute(statement, (book_id,)):
                    check(row)
        highest = cur.execute(verifying.highest, {"b": book_id}).fetchone()
        number, revision = highest if highest is not None else (None, None)
        last_number, newest = book.last_number, book.revision
        tx = getattr(self._local, "tx", None)
        if tx is not None:
            # This thread's transaction wrote rows that its commit moves the book's row to.
            last_number, newest = max(last_number, tx.last_number), tx.revision
        if number is not None and number > last_number:
            raise codec.ahead("last_number", book.last_number, number)
        if revision is not None and revision > newest:
            raise codec.ahead("revision", book.revision, revision)

    def scrub(self) -> None:
        """Destroy the replaced and deleted rows of the book's tables, in their pages too.

        `CustomerBook.erase` calls this after its commit. The customer and record tables
        are vacuumed (``VACUUM (ANALYZE, INDEX_CLEANUP ON)``), and then, with
        ``scrub="rewrite"`` (the default), rewritten with their indexes
        (``VACUUM (FULL)``): the new files hold only the rows that are there now, and
        the GIN indexes only their keys. The rewrite takes an ``ACCESS EXCLUSIVE`` lock
        on each table while it is written, and the tables are shared by all the books
        of the schema: every book waits, reads too (erase took 4 s with 10,000
        customers and 26 s with 100,000, against 0.8 s and 3.2 s with ``"vacuum"``; the
        Privacy page has the figures). When the role may (a superuser or the database's
        owner), the planner's statistics (``pg_statistic``), which can hold sampled
        values, are rewritten as well. With ``scrub="vacuum"`` the tables are only
        vacuumed: nothing is locked, but bytes of replaced rows stay in the pages' free
        space, and their keys in the GIN indexes, until the pages are reused or the
        tables rewritten.

        A transaction still open from before the erasure keeps the rows it can see, a
        rewrite copies them along, and the write-ahead log, replicas, base backups and
        WAL archives keep what they hold until they are recycled (see the Privacy page).

        Raises:
            StoreLocked: another transaction held a lock on a table for longer than
                ``lock_timeout``; the erasure is committed, call `scrub` again later.
            StorageError: the role does not own the tables (only their owner, the
                database's owner or a superuser may vacuum them), or the database could
                not be reached or refused.
        """
        tables = ", ".join(f"{{s}}{table}" for table in _SCRUBBED)
        with self._translated(), self._connection() as conn:
            cur = conn.cursor(row_factory=tuple_row)
            names = [self._names.regclass(table) for table in _SCRUBBED]
            row = cur.execute(_MAY_VACUUM, (names, names)).fetchone()
            assert row is not None  # noqa: S101 - an aggregate without GROUP BY returns one row
            owned, statistics = row
            if not owned:
                reason = (
                    "only the owner of the tables, the database's owner or a superuser "
                    "may vacuum them"
                )
                raise translate(errors.InsufficientPrivilege(reason), self._name)
            # VACUUM cannot run in a transaction: the lock timeout is the session's, for now.
            cur.execute(f"SET lock_timeout = {self._lock_ms}".encode())
            try:
                # A plain VACUUM first: it removes what no transaction of this database
                # can see. VACUUM FULL alone would copy along what the oldest transaction
                # of the whole server (another database's too) began before.
                vacuum = f"VACUUM (ANALYZE, INDEX_CLEANUP ON) {tables}"
                cur.execute(self._names.sql(vacuum).encode())
                if self._rewrite:
                    cur.execute(self._names.sql(f"VACUUM (FULL) {tables}").encode())
                if self._rewrite and statistics:
                    cur.execute(b"VACUUM pg_catalog.pg_statistic")
                    cur.execute(b"VACUUM (FULL) pg_catalog.pg_statistic")
            finally:
                if not conn.broken:
                    cur.execute(b"RESET lock_timeout")

    def close(self) -> None:
        """Stop using the pool (and close it if `connect` made it). Closing twice is harmless."""
        if self._closed:
            return
        self._closed = True
        if self._owns_pool:
            self._pool.close()

    def __enter__(self) -> Self:
        """Use the store in a ``with`` block that closes it at the end."""
        return self

    def __exit__(self, *_: object) -> None:
        """Close the store (see `close`)."""
        self.close()

    def __repr__(self) -> str:
        where = f" in schema {self._names.schema!r}" if self._names.schema else ""
        return f"<PostgresStore book {self.book_id!r}{where}>"


def _channel(schema: str | None, book_id: str) -> str:
    """The notification channel of a book: short, and one per schema and book."""
    digest = hashlib.sha256(f"{schema or ''}\x1f{book_id}".encode()).hexdigest()[:32]
    return f"debitor_{digest}"


def _is_uuid(value: object) -> bool:
    """Whether ``value`` is a UUID (callers may pass anything; no row has anything else)."""
    return isinstance(value, uuid.UUID)


_SCRUBBED: Final = ("debitor_customer", "debitor_record", "debitor_customer_deleted")
"""The tables that hold a customer's data or its past, which `PostgresStore.scrub` vacuums."""

# Whether this role may vacuum every table named (twice), and pg_statistic (as the
# database's owner: superusers are members of every role).
_MAY_VACUUM: Final = (
    "SELECT count(*) FILTER (WHERE pg_has_role(c.relowner, 'USAGE') OR pg_has_role(d.datdba, "
    "'USAGE')) = cardinality(%s::text[]), bool_or(pg_has_role(d.datdba, 'USAGE')) "
    "FROM pg_class c, pg_database d WHERE d.datname = current_database() "
    "AND c.oid IN (SELECT to_regclass(x) FROM unnest(%s::text[]) x)"
)
