"""PostgresStore against a real server: the contract, the feed, bulk import, faults.

The server comes from tests/postgres_server.py (DEBITOR_PG_DSN, the local server, or a
throwaway cluster); without one these tests skip with one line.
"""

import contextlib
import functools
import json
import multiprocessing
import os
import pickle
import re
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import attrs
import psycopg
import psycopg_pool
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import errors
from psycopg.rows import dict_row

import postgres_server
from conftest import FakeClock
from debitor_core import (
    AlreadyExists,
    CommitOutcomeUnknown,
    ConcurrencyConflict,
    CorruptStore,
    CustomerBook,
    DebitorError,
    NotFound,
    StorageError,
    StoreLocked,
    UnsupportedFormatVersion,
    ValidationError,
)
from debitor_core._category import Category
from debitor_core._fields import CustomFieldDefinition, FieldType
from debitor_core._invoice import Invoice
from debitor_core.storage import ChangeFeed, PostgresStore
from debitor_core.storage._postgres import _errors, _schema
from debitor_core.testing import StoreContract, sample_customer, sample_records

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
APP = f"debitor-tests-{os.getpid()}"


def new_book_id():
    return f"t{uuid.uuid4().hex[:20]}"


@pytest.fixture(scope="session")
def pg_schema(postgres):
    """One schema for the session's books, dropped at the end."""
    name = f"debitor_test_{uuid.uuid4().hex[:12]}"
    yield name
    with postgres.admin() as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture
def fresh_schema(postgres):
    """A schema of the test's own (for schema versions), dropped at the end."""
    name = f"debitor_test_{uuid.uuid4().hex[:12]}"
    yield name
    with postgres.admin() as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture(scope="session")
def pg_pool(postgres):
    pool = psycopg_pool.ConnectionPool(
        postgres.conninfo,
        min_size=2,
        max_size=12,
        open=False,
        kwargs={"application_name": APP},
    )
    pool.open(wait=True, timeout=30)
    yield pool
    pool.close()


@pytest.fixture
def store(pg_pool, pg_schema):
    store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
    yield store
    store.close()


@contextlib.contextmanager
def own_pool(conninfo, **options):
    """A pool of the test's own, with a name of its own to find its backends by."""
    name = f"debitor-own-{uuid.uuid4().hex[:8]}"
    kwargs = {"application_name": name, **options.pop("kwargs", {})}
    pool = psycopg_pool.ConnectionPool(
        conninfo, min_size=1, max_size=4, open=False, kwargs=kwargs, **options
    )
    pool.open(wait=True, timeout=30)
    pool.application_name = name
    try:
        yield pool
    finally:
        pool.close()


def add(store, *customers):
    with store.transaction() as tx:
        for customer in customers:
            tx.add(customer)


def terminate(server, where, *params):
    """Terminate the backends that ``where`` (over pg_stat_activity) selects; wait for it."""
    with server.admin() as conn:
        conn.execute(
            f"SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE {where}",
            params,
        )


class TestPostgresStoreContract(StoreContract):
    durable = True

    @pytest.fixture(autouse=True)
    def _server(self, postgres, pg_pool, pg_schema):
        self.conninfo, self.pool, self.schema = postgres.conninfo, pg_pool, pg_schema

    def store_opener(self, store):
        return functools.partial(
            PostgresStore.connect,
            self.conninfo,
            book_id=store.book_id,
            schema=self.schema,
            max_size=2,
        )

    def make_store(self):
        return PostgresStore(self.pool, book_id=new_book_id(), schema=self.schema)

    def make_pruning_store(self, retention):
        return PostgresStore(
            self.pool, book_id=new_book_id(), schema=self.schema, feed_retention=retention
        )

    def reopen(self, store):
        store.close()
        return PostgresStore(self.pool, book_id=store.book_id, schema=self.schema)


class TestOpening:
    @pytest.mark.parametrize(
        "book_id", ["", "a" * 65, "a b", "bērziņš", "a\n", "x;drop", "a/b", "\u200b"]
    )
    def test_invalid_book_ids(self, pg_pool, book_id):
        """A book id is 1 to 64 letters, digits, hyphens or underscores."""
        with pytest.raises(ValidationError) as info:
            PostgresStore(pg_pool, book_id=book_id)
        assert ("book_id", "book_id.invalid") == (
            info.value.problems[0].path,
            info.value.problems[0].code,
        )

    def test_invalid_book_id_message(self, pg_pool):
        """The message says what a book id may hold."""
        with pytest.raises(ValidationError) as info:
            PostgresStore(pg_pool, book_id="a b")
        assert (
            "book_id: The book id 'a b' is not valid: use 1 to 64 letters, digits, hyphens or underscores."
            == str(info.value)
        )

    @pytest.mark.parametrize("book_id", [None, 7, b"shop", object()])
    def test_book_id_must_be_text(self, pg_pool, book_id):
        """A book id of another type is a TypeError naming the type."""
        with pytest.raises(TypeError, match="book_id must be a str"):
            PostgresStore(pg_pool, book_id=book_id)

    @pytest.mark.parametrize("schema", ["", "Public", "1abc", "a-b", 'x"y', "a" * 64])
    def test_invalid_schema_names(self, pg_pool, schema):
        """Schema names are plain lower-case identifiers."""
        with pytest.raises(ValueError, match=r"The schema name .* is not valid"):
            PostgresStore(pg_pool, book_id="b", schema=schema)

    @pytest.mark.parametrize(
        ("options", "error"),
        [
            ({"lock_timeout": 0}, ValueError),
            ({"lock_timeout": -1}, ValueError),
            ({"lock_timeout": float("nan")}, ValueError),
            ({"lock_timeout": "10"}, TypeError),
            ({"lock_timeout": True}, TypeError),
            ({"statement_timeout": 0.0}, ValueError),
            ({"feed_retention": 0}, ValueError),
            ({"feed_retention": 1.5}, TypeError),
        ],
    )
    def test_invalid_options(self, pg_pool, options, error):
        """Timeouts and the feed's retention are checked."""
        with pytest.raises(error):
            PostgresStore(pg_pool, book_id="b", **options)

    def test_pool_must_be_a_pool(self):
        """Anything but a psycopg_pool pool is a TypeError."""
        with pytest.raises(TypeError, match="pool must be a psycopg_pool ConnectionPool"):
            PostgresStore("postgresql://localhost/test", book_id="b")

    def test_books_are_separate(self, pg_pool, pg_schema):
        """Books in one schema share no customer, number, revision or store id."""
        first = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
        second = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
        add(first, sample_customer(1), sample_customer(2))
        add(second, sample_customer(1))
        assert (2, 1, 1, 2, 1) == (
            first.count(),
            second.count(),
            second.revision(),
            first.last_number(),
            second.last_number(),
        )
        assert first.store_id() != second.store_id()

    def test_reopening_keeps_the_store_id(self, store, pg_pool, pg_schema):
        """The store id is made with the book and kept."""
        again = PostgresStore(pg_pool, book_id=store.book_id, schema=pg_schema)
        assert uuid.UUID(store.store_id()) == uuid.UUID(again.store_id())

    def test_search_path(self, postgres, fresh_schema):
        """Without schema=, the tables go to the first schema of the search path."""
        conninfo = postgres.with_options(options=f"-c search_path={fresh_schema}")
        with postgres.admin() as conn:
            conn.execute(f'CREATE SCHEMA "{fresh_schema}"')
        with own_pool(conninfo) as pool:
            store = PostgresStore(pool, book_id="b")
            add(store, sample_customer(1))
            assert 1 == store.count()
        with postgres.admin() as conn:
            row = conn.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s",
                (fresh_schema,),
            ).fetchone()
        assert 7 == row[0]

    @pytest.mark.parametrize("autocommit", [False, True])
    def test_app_pool_settings_are_respected(self, postgres, pg_schema, autocommit):
        """Dict rows and either autocommit setting work; connections go back as lent."""
        with own_pool(
            postgres.conninfo, kwargs={"row_factory": dict_row, "autocommit": autocommit}
        ) as pool:
            store = PostgresStore(pool, book_id=new_book_id(), schema=pg_schema)
            customer = sample_customer(1)
            add(store, customer)
            assert customer == store.get(customer.id)
            assert [customer] == list(store.customers())
            with pool.connection() as conn:
                assert autocommit == conn.autocommit
                assert {"one": 1} == conn.execute("SELECT 1 AS one").fetchone()

    def test_null_pool_without_prepared_statements(self, postgres, pg_schema):
        """A NullConnectionPool with prepare_threshold=None (pgbouncer's setting) works."""
        pool = psycopg_pool.NullConnectionPool(
            postgres.conninfo, max_size=3, open=False, kwargs={"prepare_threshold": None}
        )
        pool.open(wait=True)
        try:
            store = PostgresStore(pool, book_id=new_book_id(), schema=pg_schema)
            customers = [sample_customer(n) for n in range(1, 8)]
            for customer in customers:
                add(store, customer)
            for _ in range(6):
                assert customers == list(store.customers())
            store.close()
            assert not pool.closed
        finally:
            pool.close()

    def test_store_never_closes_the_apps_pool(self, store, pg_pool):
        """close() leaves a pool the app owns open; the store refuses work afterwards."""
        store.close()
        store.close()
        assert not pg_pool.closed
        with pytest.raises(StorageError) as info:
            store.count()
        assert f"The store of the book {store.book_id!r} is closed." == str(info.value)

    def test_connect_makes_and_closes_its_pool(self, postgres, pg_schema):
        """connect() opens a pool of its own and close() closes it."""
        store = PostgresStore.connect(
            postgres.conninfo, book_id=new_book_id(), schema=pg_schema, max_size=2
        )
        add(store, sample_customer(1))
        assert 1 == store.count()
        pool = store._pool
        store.close()
        assert pool.closed

    def test_with_closes_the_store(self, postgres, pg_schema):
        """``with PostgresStore.connect(...) as store`` closes it (and its pool) at the end."""
        with PostgresStore.connect(
            postgres.conninfo, book_id=new_book_id(), schema=pg_schema, max_size=2
        ) as store:
            add(store, sample_customer(1))
            pool = store._pool
        assert pool.closed

    def test_idempotent_registration_across_books(self, store, pg_pool, pg_schema, clock):
        """A registration log is a record like any other: another book on the store sees it."""
        form = {"name": "Anna Ozola", "address": {"country": "LV"}}
        first = CustomerBook(store, clock=clock).register(form, idempotency_key="k")
        other = PostgresStore(pg_pool, book_id=store.book_id, schema=pg_schema)
        with CustomerBook(other, clock=clock) as again:
            assert first.id == again.register(form, idempotency_key="k").id
            assert 1 == len(again)

    def test_connect_to_nothing(self):
        """A server that does not answer is a StorageError that names it, never the password."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with pytest.raises(StorageError) as info:
            PostgresStore.connect(
                f"postgresql://anna:s3cret@127.0.0.1:{port}/shop",
                book_id="b",
                connect_timeout=2,
            )
        message = str(info.value)
        assert message.startswith(
            f"Could not connect to the PostgreSQL server anna@127.0.0.1:{port}/shop: "
        )
        assert "s3cret" not in message

    def test_connect_with_a_bad_connection_string(self):
        """An unreadable connection string is a StorageError that does not repeat it."""
        with pytest.raises(StorageError) as info:
            PostgresStore.connect("host=x password='s3cret", book_id="b")
        assert "s3cret" not in str(info.value)

    def test_repr(self, store, pg_schema):
        """The repr names the book and the schema, never the connection string."""
        assert f"<PostgresStore book {store.book_id!r} in schema {pg_schema!r}>" == repr(store)

    def test_hostile_lookups(self, store):
        """Lookups with values of the wrong type are NotFound, never a driver error."""
        for value in (None, "", "3f2a", object(), 7, b"x"):
            with pytest.raises(NotFound):
                store.get(value)
        for value in (None, "1", 0, -1, 2**70, True, 1.5):
            with pytest.raises(NotFound):
                store.get_by_number(value)
        for value in (None, 7, object()):
            with pytest.raises(NotFound):
                store.record(Invoice, value)
        with pytest.raises(NotFound), store.transaction() as tx:
            tx.delete("not an id")
        with pytest.raises(NotFound), store.transaction() as tx:
            tx.delete_category(None)

    @pytest.mark.parametrize(
        ("arguments", "error"),
        [
            ({"offset": -1}, ValueError),
            ({"limit": -1}, ValueError),
            ({"offset": "1"}, TypeError),
            ({"limit": 1.5}, TypeError),
        ],
    )
    def test_listing_arguments(self, store, arguments, error):
        """Listing offsets and limits are counts."""
        with pytest.raises(error):
            store.customers(**arguments)

    @pytest.mark.parametrize("number", [0, -5, 2**53 + 1, 2**64])
    def test_numbers_out_of_range(self, store, number):
        """A customer number outside 1..2**53 is refused before it reaches the database."""
        with pytest.raises(ValidationError) as info, store.transaction() as tx:
            tx.add(sample_customer(number))
        assert "number.range" == info.value.problems[0].code
        assert 0 == store.revision()

    def test_lone_surrogates_are_kept(self, store):
        """Text that UTF-8 cannot hold (a lone surrogate) is stored exactly, escaped."""
        customer = sample_customer(1, name="Koks \ud800")
        add(store, customer)
        assert customer == store.get(customer.id)

    def test_nested_transactions_are_refused(self, store):
        """A transaction opened inside another on the same thread is refused."""
        with store.transaction(), pytest.raises(StorageError, match="cannot be nested"):
            store.transaction().__enter__()
        add(store, sample_customer(1))
        assert 1 == store.revision()

    def test_reads_inside_a_transaction(self, pg_pool, pg_schema):
        """In its thread, a transaction reads its own writes, even with a one-connection pool."""
        pool = psycopg_pool.ConnectionPool(
            pg_pool.conninfo, min_size=1, max_size=1, open=False, timeout=5
        )
        pool.open(wait=True)
        try:
            store = PostgresStore(pool, book_id=new_book_id(), schema=pg_schema)
            customer = sample_customer(1)
            with store.transaction() as tx:
                tx.add(customer)
                assert (customer, 1, 0, 1) == (
                    store.get(customer.id),
                    store.count(),
                    store.revision(),
                    store.last_number(),
                )
                changes = store.changes_since(0)
                assert changes is not None
                assert changes.empty
            assert 1 == store.revision()
        finally:
            pool.close()


def schema_dump(conn, schema):
    """The shape of a schema, without its name: columns, indexes, constraints."""
    columns = conn.execute(
        "SELECT table_name, column_name, data_type, is_nullable, column_default, "
        "collation_name FROM information_schema.columns WHERE table_schema = %s "
        "ORDER BY table_name, ordinal_position",
        (schema,),
    ).fetchall()
    indexes = conn.execute(
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %s "
        "ORDER BY tablename, indexname",
        (schema,),
    ).fetchall()
    constraints = conn.execute(
        "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
        "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s ORDER BY c.relname, k.conname",
        (schema,),
    ).fetchall()
    text = json.dumps(
        {
            "columns": [list(row) for row in columns],
            "indexes": [list(row) for row in indexes],
            "constraints": [list(row) for row in constraints],
        },
        indent=1,
        ensure_ascii=False,
    )
    return json.loads(text.replace(f'"{schema}"', "{s}").replace(schema, "{s}"))


class TestSchema:
    @pytest.mark.parametrize("version", range(1, _schema.SCHEMA_VERSION + 1))
    def test_golden_schema(self, postgres, pg_pool, fresh_schema, monkeypatch, version):
        """Each schema version has exactly the tables, columns and indexes of its golden dump.

        Set DEBITOR_UPDATE_GOLDEN=1 to write the dump of a new version (then review it).
        """
        monkeypatch.setattr(_schema, "SCHEMA_VERSION", version)
        PostgresStore(pg_pool, book_id="golden", schema=fresh_schema)
        with postgres.admin() as conn:
            dump = schema_dump(conn, fresh_schema)
        golden = GOLDEN / f"postgres-schema-v{version}.json"
        if os.environ.get("DEBITOR_UPDATE_GOLDEN") == "1":
            golden.write_text(json.dumps(dump, indent=1, ensure_ascii=False) + "\n")
        assert json.loads(golden.read_text()) == dump

    @pytest.mark.usefixtures("store")
    def test_every_key_leads_with_the_book(self, postgres, pg_schema):
        """Every index and primary key of every book table starts with book_id."""
        with postgres.admin() as conn:
            rows = conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s "
                "AND tablename <> 'debitor_schema_version'",
                (pg_schema,),
            ).fetchall()
        assert len(rows) >= 9
        for name, definition in rows:
            assert re.search(r"\(book_id[,)]", definition), name

    @pytest.mark.usefixtures("store")
    def test_version_is_recorded(self, postgres, pg_schema):
        """Each applied migration leaves one row in debitor_schema_version."""
        with postgres.admin() as conn:
            rows = conn.execute(
                f'SELECT version FROM "{pg_schema}".debitor_schema_version ORDER BY version'
            ).fetchall()
        assert [(v,) for v in range(1, _schema.SCHEMA_VERSION + 1)] == rows

    def test_migration_chain(self, postgres, pg_pool, fresh_schema, monkeypatch):
        """An older schema is brought up step by step, keeping its books."""
        first = PostgresStore(pg_pool, book_id="b", schema=fresh_schema)
        customer = sample_customer(1)
        add(first, customer)
        monkeypatch.setattr(_schema, "SCHEMA_VERSION", 2)
        monkeypatch.setitem(
            _schema.MIGRATIONS, 1, ("ALTER TABLE {s}debitor_customer ADD COLUMN folded text",)
        )
        again = PostgresStore(pg_pool, book_id="b", schema=fresh_schema)
        assert [customer] == list(again.customers())
        with postgres.admin() as conn:
            columns = conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = 'debitor_customer'",
                (fresh_schema,),
            ).fetchall()
            versions = conn.execute(
                f'SELECT version FROM "{fresh_schema}".debitor_schema_version ORDER BY version'
            ).fetchall()
        assert ("folded",) in columns
        assert [(1,), (2,)] == versions

    def test_failed_migration_changes_nothing(self, postgres, pg_pool, fresh_schema, monkeypatch):
        """A migration that fails is rolled back whole and says which step failed."""
        PostgresStore(pg_pool, book_id="b", schema=fresh_schema)
        monkeypatch.setattr(_schema, "SCHEMA_VERSION", 2)
        monkeypatch.setitem(
            _schema.MIGRATIONS,
            1,
            (
                "ALTER TABLE {s}debitor_customer ADD COLUMN folded text",
                "ALTER TABLE {s}nowhere ADD COLUMN x text",
            ),
        )
        with pytest.raises(StorageError, match="from version 1 to 2 failed"):
            PostgresStore(pg_pool, book_id="b", schema=fresh_schema)
        with postgres.admin() as conn:
            versions = conn.execute(
                f'SELECT version FROM "{fresh_schema}".debitor_schema_version'
            ).fetchall()
            columns = conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = %s AND column_name = 'folded'",
                (fresh_schema,),
            ).fetchall()
        assert ([(1,)], []) == (versions, columns)

    def test_newer_schema(self, postgres, pg_pool, fresh_schema):
        """A schema written by a newer release is refused and left alone."""
        PostgresStore(pg_pool, book_id="b", schema=fresh_schema)
        with postgres.admin() as conn:
            conn.execute(f'INSERT INTO "{fresh_schema}".debitor_schema_version VALUES (7)')
        with pytest.raises(UnsupportedFormatVersion) as info:
            PostgresStore(pg_pool, book_id="b", schema=fresh_schema)
        assert (
            "The database has debitor-core schema version 7, written by a newer "
            "debitor-core; this one knows up to 1. Upgrade debitor-core to open it. The "
            "database was not changed." == str(info.value)
        )

    def test_tables_without_a_version(self, postgres, pg_pool, fresh_schema):
        """Tables of ours without the version table are not taken over."""
        with postgres.admin() as conn:
            conn.execute(f'CREATE SCHEMA "{fresh_schema}"')
            conn.execute(f'CREATE TABLE "{fresh_schema}".debitor_book (book_id text)')
        with pytest.raises(CorruptStore, match="have no debitor_schema_version table"):
            PostgresStore(pg_pool, book_id="b", schema=fresh_schema)

    def test_opening_on_a_read_only_connection(self, postgres, pg_pool, pg_schema):
        """An existing book opens and reads where writing is refused (a standby)."""
        store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
        add(store, sample_customer(1))
        conninfo = postgres.with_options(options="-c default_transaction_read_only=on")
        with own_pool(conninfo) as pool:
            reader = PostgresStore(pool, book_id=store.book_id, schema=pg_schema)
            assert 1 == reader.count()
            with pytest.raises(StorageError, match="accepts no writes"), reader.transaction() as tx:
                tx.add(sample_customer(2))
        assert 1 == store.count()

    def test_three_processes_create_the_schema_at_once(self, postgres, fresh_schema):
        """Three processes opening a new schema at once: one creates it, all open the book."""
        factory = functools.partial(
            PostgresStore.connect, postgres.conninfo, book_id="shared", schema=fresh_schema
        )
        results = run_children(postgres_server.open_in_child, [(pickle.dumps(factory),)] * 3)
        assert 1 == len({store_id for _, store_id in results}), results
        with postgres.admin() as conn:
            versions = conn.execute(
                f'SELECT version FROM "{fresh_schema}".debitor_schema_version'
            ).fetchall()
        assert [(1,)] == versions


def run_children(target, arguments):
    """Start a spawned process per tuple of ``arguments``: ``target(*args, barrier, results)``."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(len(arguments)), context.Queue()
    processes = [
        context.Process(target=target, args=(*args, barrier, results)) for args in arguments
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    return outcomes


class TestProcesses:
    def test_factory_pickles_and_opens_in_a_child(self, postgres, pg_schema):
        """partial(PostgresStore.connect, ...) opens the same book in other processes."""
        book_id = new_book_id()
        factory = functools.partial(
            PostgresStore.connect, postgres.conninfo, book_id=book_id, schema=pg_schema
        )
        forms = [
            [{"name": f"Child {i}-{j}", "address": {"country": "LV"}} for j in range(12)]
            for i in range(3)
        ]
        blob = pickle.dumps(factory)
        outcomes = run_children(postgres_server.register_in_child, [(blob, part) for part in forms])
        numbers = sorted(n for _, part in outcomes for n in part)
        assert list(range(1, 37)) == numbers
        store = factory()
        try:
            assert (36, 36, 36) == (store.count(), store.last_number(), store.revision())
        finally:
            store.close()


class TestConcurrency:
    def test_lock_timeout(self, postgres, pg_pool, pg_schema):
        """A book locked by another connection longer than lock_timeout is StoreLocked."""
        store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema, lock_timeout=0.2)
        with postgres.admin() as other, other.transaction():
            other.execute(
                f'SELECT 1 FROM "{pg_schema}".debitor_book WHERE book_id = %s FOR UPDATE',
                (store.book_id,),
            )
            with pytest.raises(StoreLocked) as info, store.transaction() as tx:
                tx.add(sample_customer(1))
        assert (
            f"The book {store.book_id!r} is locked by another transaction that did not "
            "finish in time. Nothing was changed; try again later." == str(info.value)
        )
        add(store, sample_customer(1))
        assert (1, 1) == (store.count(), store.revision())

    def test_lock_timeout_within_the_process(self, pg_pool, pg_schema):
        """A thread that waits too long for another thread's transaction gets StoreLocked."""
        store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema, lock_timeout=0.1)
        opened, done = threading.Event(), threading.Event()

        def hold():
            with store.transaction():
                opened.set()
                done.wait(10)

        holder = threading.Thread(target=hold)
        holder.start()
        opened.wait(10)
        try:
            with pytest.raises(StoreLocked, match="another transaction of this process"):
                add(store, sample_customer(1))
        finally:
            done.set()
            holder.join()

    def test_statement_timeout(self, postgres, pg_pool, pg_schema):
        """A statement over statement_timeout is cancelled; nothing of its transaction stays."""
        store = PostgresStore(
            pg_pool, book_id=new_book_id(), schema=pg_schema, statement_timeout=0.2
        )
        kept = sample_customer(1)
        add(store, kept)
        with postgres.admin() as other, other.transaction():
            other.execute(
                f'SELECT 1 FROM "{pg_schema}".debitor_customer WHERE book_id = %s FOR UPDATE',
                (store.book_id,),
            )
            with pytest.raises(StorageError) as info, store.transaction() as tx:
                tx.add(sample_customer(2))
                tx.update(attrs.evolve(kept, name="Changed", version=2), expected_version=1)
        assert str(info.value).startswith(
            f"The database cancelled a statement on the book {store.book_id!r} "
        )
        assert ([kept], 1, 1) == (list(store.customers()), store.revision(), store.last_number())

    def test_a_caught_failure_still_rolls_back(self, postgres, pg_pool, pg_schema):
        """A failed statement whose error is caught spoils the transaction: nothing is stored."""
        store = PostgresStore(
            pg_pool, book_id=new_book_id(), schema=pg_schema, statement_timeout=0.2
        )
        kept = sample_customer(1)
        add(store, kept)
        with postgres.admin() as other, other.transaction():
            other.execute(
                f'SELECT 1 FROM "{pg_schema}".debitor_customer WHERE book_id = %s FOR UPDATE',
                (store.book_id,),
            )
            with (
                pytest.raises(StorageError, match="was rolled back: a statement in it failed"),
                store.transaction() as tx,
            ):
                tx.add(sample_customer(2))
                with contextlib.suppress(StorageError):
                    tx.update(attrs.evolve(kept, version=2), expected_version=1)
                with pytest.raises(StorageError, match="cannot go on"):
                    tx.add(sample_customer(3))
        assert (1, 1) == (store.count(), store.revision())

    def test_precondition_errors_leave_the_transaction_usable(self, store):
        """AlreadyExists, NotFound and ConcurrencyConflict can be caught and the work go on."""
        first = sample_customer(1)
        add(store, first)
        with store.transaction() as tx:
            with pytest.raises(AlreadyExists, match=r"The customer number 1 is already taken\."):
                tx.add(sample_customer(1))
            with pytest.raises(AlreadyExists, match=f"A customer with the id {first.id} is"):
                tx.add(sample_customer(2, id=first.id))
            with pytest.raises(NotFound):
                tx.update(sample_customer(3), expected_version=1)
            with pytest.raises(ConcurrencyConflict):
                tx.update(attrs.evolve(first, version=5), expected_version=4)
            tx.add(sample_customer(2))
        assert ([1, 2], 2) == ([c.number for c in store.customers()], store.revision())

    def test_two_books_on_one_database(self, pg_pool, pg_schema):
        """Two books on one PostgreSQL book see each other's commits, numbers in turn."""
        book_id = new_book_id()
        first = CustomerBook(
            PostgresStore(pg_pool, book_id=book_id, schema=pg_schema), clock=FakeClock()
        )
        second = CustomerBook(
            PostgresStore(pg_pool, book_id=book_id, schema=pg_schema), clock=FakeClock()
        )
        first.register({"name": "A", "address": {"country": "LV"}})
        second.register({"name": "B", "address": {"country": "LV"}})
        first.register({"name": "C", "address": {"country": "LV"}})
        assert [(1, "A"), (2, "B"), (3, "C")] == [(c.number, c.name) for c in second.customers()]


class TestFaults:
    def test_connection_dropped_mid_transaction(self, postgres, store):
        """A backend killed mid-transaction: a StorageError, nothing of it stored, then work goes on."""
        kept = sample_customer(1)
        add(store, kept)
        with pytest.raises(StorageError) as info, store.transaction() as tx:
            tx.add(sample_customer(2))
            terminate(postgres, "pid = %s", tx._cur.connection.info.backend_pid)
            tx.add(sample_customer(3))
        assert str(info.value).startswith(
            f"The connection to the database of the book {store.book_id!r} was lost"
        )
        assert ([kept], 1, 1) == (list(store.customers()), store.revision(), store.last_number())
        add(store, sample_customer(2))
        assert 2 == store.revision()

    def test_connection_dropped_just_before_commit(self, postgres, store):
        """A backend killed after the last write but before COMMIT: nothing of it is stored."""
        add(store, sample_customer(1))
        with pytest.raises(StorageError, match="was lost") as info, store.transaction() as tx:
            tx.add(sample_customer(2))
            terminate(postgres, "pid = %s", tx._cur.connection.info.backend_pid)
        assert not isinstance(info.value, CommitOutcomeUnknown)
        assert (1, 1) == (store.count(), store.revision())

    @pytest.mark.parametrize(("mode", "stored"), [("commit", False), ("answer", True)])
    def test_connection_lost_during_commit(self, postgres, pg_schema, mode, stored):
        """The connection lost during COMMIT is CommitOutcomeUnknown, never retried.

        Lost before the server had the COMMIT, nothing is stored; lost after it
        committed, the commit is there. The caller cannot tell which, and is told so.
        """
        proxy = postgres_server.CommitDroppingProxy(postgres)
        proxy.mode = mode
        try:
            with own_pool(proxy.conninfo) as pool:
                store = PostgresStore(pool, book_id=new_book_id(), schema=pg_schema)
                add(store, sample_customer(1))
                proxy.armed.set()
                customer = sample_customer(2)
                with pytest.raises(CommitOutcomeUnknown) as info, store.transaction() as tx:
                    tx.add(customer)
                assert proxy.dropped.is_set()
                assert (
                    f"The connection to the database was lost while committing to the book "
                    f"{store.book_id!r} (revision 2), so it is unknown whether the commit was "
                    "stored. Nothing was retried: read the book again to see whether your "
                    "changes are there before making them again." == str(info.value)
                )
                assert (stored, 1 + stored, 1 + stored) == (
                    customer in store.customers(),
                    store.revision(),
                    store.count(),
                )
        finally:
            proxy.close()

    def test_every_backend_terminated_between_calls(self, postgres, pg_schema):
        """Every connection of the pool dropped (a restart, a failover): the next calls work."""
        with own_pool(postgres.conninfo) as pool:
            store = PostgresStore(pool, book_id=new_book_id(), schema=pg_schema)
            customers = [sample_customer(n) for n in (1, 2)]
            add(store, *customers)
            for _ in range(2):
                terminate(postgres, "application_name = %s", pool.application_name)
                assert customers == list(store.customers())
            terminate(postgres, "application_name = %s", pool.application_name)
            add(store, sample_customer(3))
            assert (3, 2) == (store.count(), store.revision())

    def test_server_restarted_between_calls(self, throwaway_cluster):
        """A real server restart between calls loses nothing, and the store carries on."""
        with own_pool(throwaway_cluster.conninfo) as pool:
            store = PostgresStore(pool, book_id="restart", schema="debitor_restart")
            customers = [sample_customer(n) for n in (1, 2)]
            add(store, *customers)
            throwaway_cluster.cluster.restart()
            assert customers == list(store.customers())
            throwaway_cluster.cluster.restart()
            add(store, sample_customer(3))
            assert (3, 2, 3) == (store.count(), store.revision(), store.last_number())

    def test_book_deleted_under_the_store(self, postgres, store, pg_schema):
        """A book whose row was deleted behind the store's back is a StorageError."""
        with postgres.admin() as conn:
            conn.execute(
                f'DELETE FROM "{pg_schema}".debitor_book WHERE book_id = %s', (store.book_id,)
            )
        with pytest.raises(StorageError, match="is no longer in the database"):
            store.revision()
        with pytest.raises(StorageError, match="is no longer in the database"):
            add(store, sample_customer(1))

    def test_tables_dropped(self, postgres, pg_pool, fresh_schema):
        """Tables dropped under a store are CorruptStore, with a sentence."""
        store = PostgresStore(pg_pool, book_id="b", schema=fresh_schema)
        with postgres.admin() as conn:
            conn.execute(f'DROP TABLE "{fresh_schema}".debitor_customer')
        with pytest.raises(CorruptStore, match="The tables of the book 'b' are missing"):
            store.count()


class TestDamage:
    @pytest.fixture
    def damaged(self, postgres, store, pg_schema):
        customer = sample_customer(1)
        add(store, customer)

        def damage(sql, *params):
            with postgres.admin() as conn:
                sql = sql.replace("{s}", f'"{pg_schema}".')
                conn.execute(sql, (*params, store.book_id) if "%s" in sql else None)

        return store, customer, damage

    def test_checksum_mismatch(self, damaged):
        """A row whose data no longer matches its checksum is CorruptStore, on every read."""
        store, customer, damage = damaged
        damage("UPDATE {s}debitor_customer SET data = replace(data, 'Ko', 'Xo') WHERE book_id = %s")
        message = (
            f"The customer row {customer.id} of the book {store.book_id!r} cannot be read: its "
            "checksum does not match its data. The row was changed outside debitor-core or "
            "damaged; it was left as it is. Restore it from a backup."
        )
        for read in (
            lambda: store.get(customer.id),
            lambda: store.get_by_number(1),
            store.customers,
            lambda: store.changes_since(0),
        ):
            with pytest.raises(CorruptStore) as info:
                read()
            assert message == str(info.value)

    def test_key_columns_disagree(self, damaged):
        """A row whose number column was changed behind the data is CorruptStore."""
        store, _, damage = damaged
        damage("UPDATE {s}debitor_customer SET number = 9 WHERE book_id = %s")
        with pytest.raises(CorruptStore, match="its key columns do not match its data"):
            store.get_by_number(9)

    def test_unreadable_json(self, damaged):
        """Data with a matching checksum that is not a customer is CorruptStore."""
        import zlib

        store, customer, damage = damaged
        text = '{"name": 5}'
        damage(
            "UPDATE {s}debitor_customer SET data = %s, checksum = %s WHERE book_id = %s",
            text,
            zlib.crc32(text.encode()),
        )
        with pytest.raises(CorruptStore, match="its data cannot be read"):
            store.get(customer.id)

    def test_unknown_record_kind(self, damaged):
        """A record row of a kind this release does not know is CorruptStore in the feed."""
        store, customer, damage = damaged
        with store.transaction() as tx:
            tx.put_record(sample_records(customer)[0], expected_version=None)
        damage("UPDATE {s}debitor_record SET kind = 'quote' WHERE book_id = %s")
        with pytest.raises(CorruptStore, match="its kind 'quote' is unknown"):
            store.changes_since(0)

    def test_damage_in_other_tables(self, damaged):
        """Categories, custom fields and records are checked like customers."""
        store, customer, damage = damaged
        with store.transaction() as tx:
            tx.put_category(Category(uuid.uuid4(), "W"))
            tx.put_custom_field(CustomFieldDefinition("tier", "Tier", FieldType.TEXT))
            tx.put_record(sample_records(customer)[0], expected_version=None)
        for table in ("debitor_category", "debitor_custom_field", "debitor_record"):
            damage(f"UPDATE {{s}}{table} SET checksum = checksum + 1 WHERE book_id = %s")
        for read in (store.categories, store.custom_fields, lambda: store.records(Invoice)):
            with pytest.raises(CorruptStore, match="checksum does not match"):
                read()

    def test_null_data(self, damaged):
        """A NULL checksum (a column edited by hand) is CorruptStore, not a TypeError."""
        store, _, damage = damaged
        damage("ALTER TABLE {s}debitor_category ALTER COLUMN checksum DROP NOT NULL")
        with store.transaction() as tx:
            tx.put_category(Category(uuid.uuid4(), "W"))
        damage("UPDATE {s}debitor_category SET checksum = NULL WHERE book_id = %s")
        with pytest.raises(CorruptStore, match="of a wrong type"):
            store.categories()


class TestErrorMapping:
    @pytest.mark.parametrize(
        ("raised", "expected", "start"),
        [
            (psycopg_pool.PoolTimeout("couldn't get a connection after 1.00 sec"), StorageError, "No database connection for the book 'b' became free in time"),
            (psycopg_pool.PoolClosed("the pool is closed"), StorageError, "The connection pool of the book 'b' is closed"),
            (errors.LockNotAvailable("canceling statement due to lock timeout"), StoreLocked, "The book 'b' is locked by another transaction"),
            (errors.SerializationFailure("could not serialize"), StoreLocked, "A transaction on the book 'b' ran into another one"),
            (errors.DeadlockDetected("deadlock detected"), StoreLocked, "A transaction on the book 'b' ran into another one"),
            (errors.QueryCanceled("canceling statement due to statement timeout"), StorageError, "The database cancelled a statement on the book 'b'"),
            (errors.UniqueViolation("duplicate key"), AlreadyExists, "The book 'b' already holds that record"),
            (errors.UndefinedTable("relation does not exist"), CorruptStore, "The tables of the book 'b' are missing"),
            (errors.UndefinedColumn("column does not exist"), CorruptStore, "The tables of the book 'b' are missing"),
            (errors.ReadOnlySqlTransaction("read-only transaction"), StorageError, "The database of the book 'b' accepts no writes"),
            (errors.InsufficientPrivilege("permission denied"), StorageError, "The database user may not do this"),
            (errors.DiskFull("could not extend file"), StorageError, "The database server ran out of resources"),
            (errors.TooManyConnections("too many clients"), StorageError, "The database server ran out of resources"),
            (errors.AdminShutdown("terminating connection"), StorageError, "The connection to the database of the book 'b' was lost"),
            (errors.CannotConnectNow("the database system is starting up"), StorageError, "The connection to the database of the book 'b' was lost"),
            (errors.ConnectionFailure("connection failure"), StorageError, "The connection to the database of the book 'b' was lost"),
            (psycopg.OperationalError("server closed the connection unexpectedly"), StorageError, "The connection to the database of the book 'b' was lost"),
            (psycopg.InterfaceError("the connection is closed"), StorageError, "The database failed while working on the book 'b' (InterfaceError"),
            (errors.NumericValueOutOfRange("out of range"), StorageError, "The database failed while working on the book 'b' (NumericValueOutOfRange"),
            (errors.CheckViolation("violates check constraint"), StorageError, "The database failed while working on the book 'b' (CheckViolation"),
            (psycopg.Error(""), StorageError, "The database failed while working on the book 'b' (Error: Error)"),
        ],
    )  # fmt: skip
    def test_translate(self, raised, expected, start):
        """Every driver error becomes one of ours, with a sentence."""
        error = _errors.translate(raised, "the book 'b'")
        assert expected is type(error)
        assert str(error).startswith(start), str(error)

    @pytest.mark.parametrize(
        ("raised", "expected"),
        [
            (errors.AdminShutdown("terminating connection"), CommitOutcomeUnknown),
            (psycopg.OperationalError("server closed the connection unexpectedly"), CommitOutcomeUnknown),
            (errors.DiskFull("could not write"), CommitOutcomeUnknown),
            (errors.SerializationFailure("could not serialize"), StoreLocked),
            (errors.UniqueViolation("duplicate key"), AlreadyExists),
            (errors.InFailedSqlTransaction("aborted"), StorageError),
        ],
    )  # fmt: skip
    def test_failed_commit(self, raised, expected):
        """A COMMIT's failure is unknown unless the server said that it rolled back."""
        assert expected is type(_errors.commit_failed(raised, "the book 'b'", 3))

    def test_everything_is_ours(self):
        """Each translated error is a DebitorError raised from the driver's."""
        assert issubclass(CommitOutcomeUnknown, StorageError)
        assert isinstance(_errors.translate(psycopg.Error("x"), "the book 'b'"), DebitorError)


operations = st.lists(
    st.lists(
        st.tuples(
            st.sampled_from(["add", "update", "renumber", "delete", "category", "field", "record"]),
            st.integers(0, 4),
        ),
        max_size=4,
    ),
    min_size=1,
    max_size=7,
)


class FeedModel:
    """What a book should hold, kept beside a store while operations are applied to both."""

    def __init__(self):
        self.ids = [uuid.UUID(int=k + 1) for k in range(5)]
        self.customers, self.records = {}, {}
        self.categories = self.fields = self.number = 0

    def state(self):
        return dict(self.customers), dict(self.records), self.categories, self.fields

    def apply(self, tx, operation, k):
        """Apply one operation (when it makes sense) to the transaction and the model."""
        current = self.customers.get(self.ids[k])
        if operation == "add" and current is None:
            self.number += 1
            self.customers[self.ids[k]] = sample_customer(self.number, id=self.ids[k])
            tx.add(self.customers[self.ids[k]])
        elif operation in {"update", "renumber"} and current is not None:
            self.number += operation == "renumber"
            changed = attrs.evolve(
                current,
                name=f"{current.name}+",
                number=self.number if operation == "renumber" else current.number,
                version=current.version + 1,
            )
            tx.update(changed, expected_version=current.version)
            self.customers[current.id] = changed
        elif operation == "delete" and current is not None:
            tx.delete(current.id)
            del self.customers[current.id]
        elif operation == "category":
            tx.put_category(Category(self.ids[k], f"Category {k}"))
            self.categories += 1
        elif operation == "field":
            tx.put_custom_field(CustomFieldDefinition(f"f{k}", "F", FieldType.TEXT))
            self.fields += 1
        elif operation == "record" and current is not None:
            invoice = sample_records(current)[0]
            tx.put_record(invoice, expected_version=None)
            self.records[invoice.key] = invoice


class TestFeed:
    def test_is_a_change_feed(self, store):
        """PostgresStore has the optional feed."""
        assert isinstance(store, ChangeFeed)

    def test_collapsed_per_key(self, store):
        """Several changes to one customer in the span come as its latest state, once."""
        first, second = sample_customer(1), sample_customer(2)
        category = Category(uuid.uuid4(), "Wholesalers")
        field = CustomFieldDefinition("tier", "Tier", FieldType.TEXT)
        add(store, first, second)
        with store.transaction() as tx:
            tx.update(attrs.evolve(first, name="Second name", version=2), expected_version=1)
            tx.put_category(category)
        with store.transaction() as tx:
            tx.update(attrs.evolve(first, name="Third name", version=3), expected_version=2)
            tx.delete(second.id)
            tx.put_custom_field(field)
        changes = store.changes_since(1)
        assert (
            store.store_id(),
            1,
            3,
            (store.get(first.id),),
            (second.id,),
            True,
            True,
        ) == (
            changes.store_id,
            changes.since,
            changes.revision,
            changes.customers,
            changes.deleted,
            changes.categories,
            changes.custom_fields,
        )
        later = store.changes_since(2)
        assert (True, False) == (later.custom_fields, later.categories)

    def test_renumbering(self, store):
        """A renumbered customer comes with its new number."""
        customer = sample_customer(1)
        add(store, customer)
        with store.transaction() as tx:
            tx.update(attrs.evolve(customer, number=7, version=2), expected_version=1)
        changes = store.changes_since(1)
        assert [7] == [c.number for c in changes.customers]
        assert 7 == store.last_number()

    def test_added_then_deleted_in_the_span(self, store):
        """A customer added and deleted within the span is only among the deleted."""
        add(store, sample_customer(1))
        passing = sample_customer(2)
        add(store, passing)
        with store.transaction() as tx:
            tx.delete(passing.id)
        changes = store.changes_since(1)
        assert ((), (passing.id,)) == (changes.customers, changes.deleted)

    def test_deleted_then_added_again(self, store):
        """A customer deleted and added again (same id) is among the customers only."""
        customer = sample_customer(1)
        add(store, customer)
        with store.transaction() as tx:
            tx.delete(customer.id)
        back = attrs.evolve(customer, number=2)
        add(store, back)
        changes = store.changes_since(1)
        assert ((back,), ()) == (changes.customers, changes.deleted)
        assert ((back,), ()) == (store.changes_since(0).customers, store.changes_since(0).deleted)

    def test_records(self, store):
        """Records added or changed in the span come in the order first stored."""
        customer = sample_customer(1)
        invoice, payment, delivery, reminder = sample_records(customer)
        add(store, customer)
        with store.transaction() as tx:
            for record in (invoice, payment, delivery):
                tx.put_record(record, expected_version=None)
        with store.transaction() as tx:
            tx.put_record(attrs.evolve(invoice, version=2), expected_version=1)
            tx.put_record(reminder, expected_version=None)
        assert [attrs.evolve(invoice, version=2), reminder] == list(store.changes_since(2).records)
        assert [attrs.evolve(invoice, version=2), payment, delivery, reminder] == list(
            store.changes_since(1).records
        )

    def test_pruning(self, pg_pool, pg_schema):
        """Tombstones older than feed_retention are pruned; asking from before them is None."""
        store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema, feed_retention=2)
        gone = sample_customer(1)
        add(store, gone)
        with store.transaction() as tx:
            tx.delete(gone.id)
        assert (gone.id,) == store.changes_since(1).deleted
        for number in (2, 3, 4):
            add(store, sample_customer(number))
        assert (None, None) == (store.changes_since(0), store.changes_since(1))
        changes = store.changes_since(2)
        assert ([2, 3, 4], ()) == ([c.number for c in changes.customers], changes.deleted)

    def test_kept_forever_without_retention(self, pg_pool, pg_schema):
        """feed_retention=None keeps every tombstone."""
        store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema, feed_retention=None)
        gone = sample_customer(1)
        add(store, gone)
        with store.transaction() as tx:
            tx.delete(gone.id)
        for number in range(2, 6):
            add(store, sample_customer(number))
        assert (gone.id,) == store.changes_since(0).deleted

    @pytest.mark.parametrize("revision", [-1, 5, True, "1", None, 1.0])
    def test_cannot_tell(self, store, revision):
        """A negative revision, one ahead of the store, or not an int: None."""
        add(store, sample_customer(1))
        assert store.changes_since(revision) is None

    def test_nothing_changed(self, store):
        """Asking at the current revision gives an empty change set of this store."""
        add(store, sample_customer(1))
        changes = store.changes_since(1)
        assert (True, store.store_id(), 1, 1) == (
            changes.empty,
            changes.store_id,
            changes.since,
            changes.revision,
        )

    def test_replaced_book(self, postgres, pg_pool, pg_schema):
        """A book deleted and made again has another store id; a caller ahead of it gets None."""
        book_id = new_book_id()
        old = PostgresStore(pg_pool, book_id=book_id, schema=pg_schema)
        for number in (1, 2, 3):
            add(old, sample_customer(number))
        old_id = old.store_id()
        with postgres.admin() as conn:
            for table in _schema.TABLES:
                conn.execute(
                    f'DELETE FROM "{pg_schema}".{table} WHERE book_id = %s',
                    (book_id,),
                )
        new = PostgresStore(pg_pool, book_id=book_id, schema=pg_schema)
        add(new, sample_customer(1))
        assert new.changes_since(3) is None
        changes = new.changes_since(0)
        assert old_id != changes.store_id == new.store_id()

    def test_one_snapshot(self, pg_pool, pg_schema):
        """A change set never mixes two commits: its counts match its revision exactly."""
        store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
        reader = PostgresStore(pg_pool, book_id=store.book_id, schema=pg_schema)
        done, seen = threading.Event(), []

        def write():
            try:
                for number in range(1, 41):
                    customer = sample_customer(number)
                    with store.transaction() as tx:
                        tx.add(customer)
                        tx.put_record(sample_records(customer)[0], expected_version=None)
            finally:
                done.set()

        writer = threading.Thread(target=write)
        writer.start()
        while not done.is_set():
            changes = reader.changes_since(0)
            seen.append((changes.revision, len(changes.customers), len(changes.records)))
        writer.join()
        assert all(revision == customers == records for revision, customers, records in seen)

    @given(operations)
    @settings(
        max_examples=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    def test_replaying_changes_gives_the_current_state(self, pg_pool, pg_schema, commits):
        """From any earlier revision, its state plus the change set is the current state."""
        store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
        model = FeedModel()
        states = {0: model.state()}
        for commit in commits:
            with store.transaction() as tx:
                for operation, k in commit:
                    model.apply(tx, operation, k)
            states[store.revision()] = model.state()
        now, customers = store.revision(), model.customers
        for since, (before, records_before, categories_before, fields_before) in states.items():
            changes = store.changes_since(since)
            after = {i: c for i, c in before.items() if i not in changes.deleted}
            after.update({c.id: c for c in changes.customers})
            assert customers == after
            assert {i for i, c in customers.items() if before.get(i) != c} == {
                c.id for c in changes.customers
            }
            assert not set(changes.deleted) & set(customers)
            assert set(before) - set(customers) <= set(changes.deleted)
            assert {k for k in model.records if k not in records_before} == {
                r.key for r in changes.records
            }
            assert (now, model.categories != categories_before, model.fields != fields_before) == (
                changes.revision,
                changes.categories,
                changes.custom_fields,
            )


class TestBulkImport:
    def test_imports_many_at_once(self, store):
        """add_many stores every customer in one commit, with the numbers and the feed."""
        customers = [sample_customer(n) for n in range(1, 501)]
        with store.transaction() as tx:
            assert 500 == tx.add_many(customers)
        assert (500, 500, 1) == (store.count(), store.last_number(), store.revision())
        assert customers[:3] == list(store.customers(limit=3))
        assert 500 == len(store.changes_since(0).customers)

    def test_clash_with_a_stored_number(self, store):
        """A number already stored: AlreadyExists names it, nothing of the batch is stored."""
        add(store, sample_customer(3))
        with store.transaction() as tx:
            with pytest.raises(AlreadyExists) as info:
                tx.add_many([sample_customer(n) for n in range(1, 6)])
            tx.add(sample_customer(9))
        assert "The customer number 3 is already taken." == str(info.value)
        assert ([3, 9], 2, 9) == (
            [c.number for c in store.customers()],
            store.revision(),
            store.last_number(),
        )

    def test_clash_with_a_stored_id(self, store):
        """An id already stored: AlreadyExists names it."""
        stored = sample_customer(1)
        add(store, stored)
        with pytest.raises(AlreadyExists) as info, store.transaction() as tx:
            tx.add_many([sample_customer(2), sample_customer(3, id=stored.id)])
        assert f"A customer with the id {stored.id} is already stored." == str(info.value)
        assert 1 == store.count()

    @pytest.mark.parametrize(
        ("batch", "message"),
        [
            (lambda c: [c, attrs.evolve(c, number=2)], "The customer id {id} is given twice."),
            (lambda c: [c, sample_customer(1)], "The customer number 1 is given twice."),
        ],
    )
    def test_duplicates_within_the_batch(self, store, batch, message):
        """The same id or number twice in a batch: nothing of it is stored, the work goes on."""
        customer = sample_customer(1)
        with store.transaction() as tx:
            with pytest.raises(AlreadyExists) as info:
                tx.add_many(batch(customer))
            tx.add(sample_customer(5))
        assert message.format(id=customer.id) == str(info.value)
        assert ([5], 1) == ([c.number for c in store.customers()], store.revision())

    def test_invalid_number_in_the_batch(self, store):
        """A number out of range anywhere in a batch refuses the batch, nothing else."""
        with store.transaction() as tx:
            with pytest.raises(ValidationError):
                tx.add_many([sample_customer(1), sample_customer(0)])
            tx.add(sample_customer(2))
        assert [2] == [c.number for c in store.customers()]

    def test_empty_batch(self, store):
        """An empty batch adds nothing and commits nothing."""
        with store.transaction() as tx:
            assert 0 == tx.add_many([])
        assert 0 == store.revision()

    def test_two_batches_in_one_transaction(self, store):
        """Two imports in one transaction each get their own staging table."""
        with store.transaction() as tx:
            tx.add_many(sample_customer(n) for n in (1, 2))
            tx.add_many(sample_customer(n) for n in (3, 4))
        assert ([1, 2, 3, 4], 1) == ([c.number for c in store.customers()], store.revision())

    def test_hostile_text_survives_copy(self, store):
        """Tabs, newlines, backslashes, NUL-escapes and emoji survive COPY exactly."""
        customers = [
            sample_customer(1, name="Tab\there\\N \\. \u0085 🙂"),
            sample_customer(2, contact_person="Line\nbreak\r\nand \\\\ back"),
        ]
        with store.transaction() as tx:
            tx.add_many(customers)
        assert customers == list(store.customers())


class TestOptionalDependency:
    def test_storage_imports_without_psycopg(self):
        """Without psycopg, debitor_core.storage imports, and PostgresStore says what to install."""
        script = (
            "import sys\n"
            "sys.modules['psycopg'] = None\n"
            "sys.modules['psycopg_pool'] = None\n"
            "import debitor_core.storage as storage\n"
            "print(storage.SqliteStore.__name__)\n"
            "try:\n"
            "    storage.PostgresStore\n"
            "except ImportError as exc:\n"
            "    print(exc)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        )
        lines = result.stdout.splitlines()
        assert "SqliteStore" == lines[0]
        assert lines[1].startswith("PostgresStore needs psycopg 3 and psycopg-pool")
        assert "pip install 'debitor-core[postgres]'" in lines[1]

    def test_unknown_attribute(self):
        """Other missing names of debitor_core.storage are still AttributeErrors."""
        import debitor_core.storage

        with pytest.raises(AttributeError):
            debitor_core.storage.NoSuchStore  # noqa: B018 - the access is the test


def run_pytest_without_server(**env):
    """Run two of these tests in a child pytest whose DEBITOR_PG_DSN answers nothing."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    child_env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBITOR_REQUIRE_POSTGRES", "COV_CORE_SOURCE"}
    }
    child_env["DEBITOR_PG_DSN"] = f"host=127.0.0.1 port={port} user=postgres dbname=test"
    child_env.update(env)
    here = "tests/test_postgres_store.py"
    return subprocess.run(
        [
            sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
            f"{here}::TestPostgresStoreContract::test_new_store_is_empty",
            f"{here}::TestBulkImport::test_empty_batch",
        ],
        capture_output=True, text=True, cwd=ROOT, env=child_env, check=False, timeout=300,
    )  # fmt: skip


class TestWithoutServer:
    def test_skipped_with_one_line(self):
        """Without a server the PostgreSQL tests skip, saying why in one line."""
        result = run_pytest_without_server()
        skipped = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
        assert 0 == result.returncode, result.stdout
        assert 1 == len(skipped), result.stdout
        assert (
            "PostgreSQL tests skipped: DEBITOR_PG_DSN is set, but its server did not answer: "
            in skipped[0]
        )
        assert "2 skipped" in result.stdout

    def test_required_server_fails(self):
        """With DEBITOR_REQUIRE_POSTGRES=1 a missing server fails the tests instead."""
        result = run_pytest_without_server(DEBITOR_REQUIRE_POSTGRES="1")
        assert 1 == result.returncode
        assert (
            "PostgreSQL is required (DEBITOR_REQUIRE_POSTGRES=1) but not available" in result.stdout
        )


class TestDocs:
    @pytest.mark.usefixtures("frozen_wall_clock")
    def test_page_examples_run(self, postgres, fresh_schema):
        """The examples of docs/postgres.md run against the test server."""
        page = (ROOT / "docs" / "postgres.md").read_text(encoding="utf-8")
        blocks = re.findall(r"```py\n(.*?)```", page, re.DOTALL)
        assert len(blocks) >= 3
        with postgres.admin() as conn:
            conn.execute(f'CREATE SCHEMA "{fresh_schema}"')
        dsn = postgres.with_options(options=f"-c search_path={fresh_schema}")
        namespace = {"__name__": "docs_postgres"}
        for number, block in enumerate(blocks, 1):
            code = block.replace('"postgresql://app@db.internal/shop"', repr(dsn))
            exec(compile(code, f"postgres.md, block {number}", "exec"), namespace)  # noqa: S102 - our own docs
