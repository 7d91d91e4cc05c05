"""`PostgresStore`: many books in one PostgreSQL database, shared by many processes.

`PostgresStore` opens a book (on a pool it is given, or one `connect` makes), folds it
again when its fold is not current, borrows connections (retrying a read once), opens
its write transactions (a `PostgresTransaction`, from ``_transaction.py``) and keeps
the sample of its rows that steers text queries. Its other methods delegate: reads and
queries to ``_reads.py``, the change feed and waiting to ``_feed.py``, `verify` to
``_verify.py``, `scrub` to ``_scrub.py``, the pool `connect` makes to
``_connection.py``. The SQL text it runs is in ``_statements.py`` (the checks of its
arguments are ``_arguments.py``'s).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import uuid
from collections.abc import Callable, Collection, Generator, Iterable, Iterator, Sequence
from typing import Any, Literal, Self, TypeVar

import psycopg
import psycopg.sql
import psycopg_pool
from psycopg.rows import tuple_row

from debitor_core._category import Category
from debitor_core._errors import StorageError, StoreLocked
from debitor_core._fields import CustomFieldDefinition
from debitor_core._history import Forward, HistoryEntry
from debitor_core._i18n import render_message
from debitor_core._invoice import Delivery, Invoice, Payment, Record, ReminderLog
from debitor_core._model import Customer
from debitor_core._text import DuplicateKey
from debitor_core.storage._feed import ChangeSet
from debitor_core.storage._postgres import _schema
from debitor_core.storage._postgres._arguments import (
    Pool,
    checked_book_id,
    checked_pool,
    checked_retention,
    checked_scrub,
    milliseconds,
)
from debitor_core.storage._postgres._connection import (
    lent,
    own_pool,
    pool_timed_out,
    reach_server,
    read_retried,
)
from debitor_core.storage._postgres._derived import FieldKeys
from debitor_core.storage._postgres._errors import commit_failed, lost_connection, translate
from debitor_core.storage._postgres._feed import FeedReader, channel
from debitor_core.storage._postgres._fold import FieldKeyCache, fold_is_current, refuse_newer_fold
from debitor_core.storage._postgres._lookups import Lookups
from debitor_core.storage._postgres._queries import (
    RESAMPLE_AFTER,
    SAMPLE_ROWS,
    TextSample,
    sample_random,
)
from debitor_core.storage._postgres._reads import BookReads
from debitor_core.storage._postgres._rows import BookRow, RowCodec
from debitor_core.storage._postgres._schema import Names, prepare
from debitor_core.storage._postgres._scrub import scrub_tables
from debitor_core.storage._postgres._statements import SchemaStatements
from debitor_core.storage._postgres._transaction import Cursor, PostgresTransaction
from debitor_core.storage._postgres._verify import BookVerifier
from debitor_core.storage._queries import (
    CustomerQuery,
    DuplicateRow,
    QuerySort,
    gather_records_about,
)

__all__ = ["PostgresStore", "PostgresTransaction"]

R = TypeVar("R", bound=Record)
T = TypeVar("T")


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
            that does not exist yet is created (with a new `store_id`), unless
            ``create`` is false.
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
        create: Whether a missing book is created (the default). ``False`` opens only a
            book that is there: a mistyped book id is a `StorageError`
            (``storage.missing_book``), and nothing is created, not even the tables.

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
        create: bool = True,
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
        self._feed = FeedReader(self._sql, self._codec, self.book_id, self._book_row)
        self._verifier = BookVerifier(self._sql, self._codec, self.book_id, self._book_row)
        self.channel = channel(self._names.schema, self.book_id)
        """The notification channel of this book (see `wait_for_change`)."""
        self._field_keys_cache = FieldKeyCache(self._sql, self._codec, self.book_id)
        self._reads = BookReads(self._sql, self._codec, self.book_id, self._read, self._text_sample)
        self._lookups = Lookups(self._names, self._reads.fetch_records)
        self._sample: tuple[int, TextSample] = (RESAMPLE_AFTER, TextSample(()))
        self._random = sample_random()
        self._read(
            lambda cur: prepare(cur.connection, self._names, self.book_id, create=bool(create))
        )
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
        create: bool = True,
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
            create: See the class docstring.
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
        where = reach_server(conninfo, connect_timeout, pool_options)
        pool = own_pool(conninfo, book_id, pool_options)
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
                create=create,
            )
        except psycopg_pool.PoolTimeout as exc:
            pool.close()
            raise pool_timed_out(where, connect_timeout) from exc
        except BaseException:
            pool.close()
            raise
        store._owns_pool = True
        return store

    # -- connections ---------------------------------------------------------------

    @contextlib.contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """Borrow a connection of the pool (see `lent`), unless the store is closed."""
        if self._closed:
            msg = f"The store of {self._name} is closed."
            params = {"book": repr(self.book_id), "rule": "database"}
            raise StorageError(msg, code="storage.closed", params=params)
        with lent(self._pool) as conn:
            yield conn

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
        return read_retried(self._connection, self._pool, self._name, work)

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

    # -- reads (see _reads.py) ------------------------------------------------------

    def get(self, customer_id: uuid.UUID) -> Customer:
        """Return the customer with this id (`NotFound` otherwise)."""
        return self._reads.get(customer_id)

    def get_by_number(self, number: int) -> Customer:
        """Return the customer with this number (`NotFound` otherwise)."""
        return self._reads.get_by_number(number)

    def customers(self, *, offset: int = 0, limit: int | None = None) -> Sequence[Customer]:
        """Return customers in number order, skipping ``offset``, at most ``limit``."""
        return self._reads.customers(offset=offset, limit=limit)

    def count(self) -> int:
        """Return how many customers are stored."""
        return self._reads.count()

    def categories(self) -> Sequence[Category]:
        """Return every category, in the order first stored."""
        return self._reads.categories()

    def custom_fields(self) -> Sequence[CustomFieldDefinition]:
        """Return every custom-field definition, in the order first stored."""
        return self._reads.custom_fields()

    def records(self, kind: type[R]) -> Sequence[R]:
        """Return every record of ``kind`` in the order added."""
        return self._reads.records(kind)

    def record(self, kind: type[R], key: str) -> R:
        """Return the record of ``kind`` with ``key`` (`NotFound` otherwise)."""
        return self._reads.record(kind, key)

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
        snapshot = getattr(self._local, "conn", None) is None
        return self._read(lambda cur: self._feed.changes(cur, revision, snapshot=snapshot))

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
        if fold_is_current(book, self._lookups_missing):
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
        refuse_newer_fold(self._name, self.book_id, version)

    def _field_keys(self, cur: Cursor, revision: int) -> FieldKeys:
        """The custom fields searched as text as of the committed ``revision`` of them."""
        return self._field_keys_cache.keys(cur, revision)

    def _load_field_keys(self, cur: Cursor) -> FieldKeys:
        return self._field_keys_cache.load(cur)

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
        return self._reads.search_customers(
            query, sort=sort, descending=descending, offset=offset, limit=limit
        )

    def count_customers(self, query: CustomerQuery) -> int:
        """Return how many customers match ``query``."""
        return self._reads.count_customers(query)

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
        return self._reads.customers_sharing(keys)

    def invoices_of(self, customer_id: uuid.UUID | None = None) -> Sequence[Invoice]:
        """Return every invoice, or a customer's, by invoice number."""
        return self._reads.invoices_of(customer_id)

    def invoices_matching(self, query: CustomerQuery) -> Sequence[Invoice]:
        """Return the invoices of every customer matching ``query``, by invoice number."""
        return self._reads.invoices_matching(query)

    def payments_of(self, invoice_ids: Collection[uuid.UUID]) -> Sequence[Payment]:
        """Return the payments on these invoices, in the order added."""
        return self._reads.payments_of(invoice_ids)

    def last_invoice_number(self) -> int:
        """Return the highest invoice number stored (0 when there is none)."""
        return self._reads.last_invoice_number()

    def has_welcome(self, customer_id: uuid.UUID) -> bool:
        """Return whether the customer has a welcome delivery or a welcome invoice."""
        return self._reads.has_welcome(customer_id)

    def pending_deliveries(self, due_by: dt.datetime | None = None) -> Sequence[Delivery]:
        """Return the pending deliveries due by ``due_by`` (all, without it), in the order added."""
        return self._reads.pending_deliveries(due_by)

    def welcome_invoices_due(self, due_by: dt.date) -> Sequence[Invoice]:
        """Return the sent welcome invoices due on or before ``due_by``, by number."""
        return self._reads.welcome_invoices_due(due_by)

    def reminders_of(self, invoice_ids: Collection[uuid.UUID]) -> Sequence[ReminderLog]:
        """Return the reminder logs of these invoices, in the order added."""
        return self._reads.reminders_of(invoice_ids)

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
            return self._feed.wait(conn, self.channel, revision, seconds)

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
        # This thread's transaction, if any: the rows are read through it, its own too.
        self._read(lambda cur: self._verifier.verify(cur, getattr(self._local, "tx", None)))

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
        with self._translated(), self._connection() as conn:
            scrub_tables(conn, self._names, self._lock_ms, rewrite=self._rewrite, name=self._name)

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
