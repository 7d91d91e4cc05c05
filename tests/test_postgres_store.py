"""PostgresStore against a real server: the contract, the feed, bulk import, faults.

The server comes from tests/postgres_server.py (DEBITOR_PG_DSN, the local server, or a
throwaway cluster); without one these tests skip with one line.
"""

import contextlib
import datetime as dt
import functools
import json
import multiprocessing
import os
import pickle
import random
import re
import socket
import subprocess
import sys
import threading
import types
import uuid
import zlib
from decimal import Decimal
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
    strategies,
)
from debitor_core._category import Category
from debitor_core._converter import to_data
from debitor_core._fields import CustomFieldDefinition, FieldType
from debitor_core._integrity import structural_problems
from debitor_core._invoice import DeliveryState, Invoice, InvoiceState
from debitor_core._model import Address, Note
from debitor_core._text import FOLD_VERSION, UNICODE_VERSION, duplicate_keys, fold
from debitor_core.book._in_memory import InMemoryReadModel
from debitor_core.book._types import Definitions
from debitor_core.storage import ChangeFeed, PostgresStore
from debitor_core.storage._postgres import _derived, _errors, _rows, _schema
from debitor_core.storage._postgres import _queries as _pg_queries
from debitor_core.storage._postgres import _reads as _pg_reads
from debitor_core.storage._postgres import _store as _pg_store
from debitor_core.storage._postgres._rows import RowCodec, array_literal, copy_fields, copy_text
from debitor_core.storage._postgres._transaction import PostgresTransaction
from debitor_core.storage._queries import CustomerQuery
from debitor_core.testing import (
    QueriesContract,
    StoreContract,
    sample_customer,
    sample_records,
)
from debitor_core.testing._queries_contract import _LIFE
from postgres_server import named_pool

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
APP = f"debitor-tests-{os.getpid()}"


def new_book_id():
    return f"t{uuid.uuid4().hex[:20]}"


@pytest.fixture(autouse=True)
def _seeded_samples(monkeypatch):
    """Every store of these tests draws the rows of its text sample from a seeded source.

    The rows a sample holds steer which lookup a query takes (`_queries.TextSample`):
    seeded, a test takes the same path on every run, and a failure reproduces.
    """
    monkeypatch.setattr(_pg_store, "sample_random", lambda: random.Random(0))


@pytest.fixture(scope="session")
def pg_schema(postgres):
    """One schema for the session's books, dropped at the end."""
    name = f"debitor_test_{uuid.uuid4().hex[:12]}"
    yield name
    with postgres.admin() as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture(scope="session")
def pg_pool(postgres):
    with named_pool(postgres.conninfo, APP, min_size=2, max_size=12) as pool:
        yield pool


@pytest.fixture
def store(pg_pool, pg_schema):
    store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
    yield store
    store.close()


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


class TestPostgresQueriesContract(QueriesContract):
    """The store-side queries answer as the in-memory index, book for book."""

    @pytest.fixture(autouse=True)
    def _server(self, pg_pool, pg_schema):
        self.pool, self.schema = pg_pool, pg_schema

    def make_store(self):
        return PostgresStore(self.pool, book_id=new_book_id(), schema=self.schema)

    # The contract's own wrapper is shared with every other subclass (SQLite's), and
    # Hypothesis refuses one wrapper run from two classes (differing_executors, which
    # QueriesContract does not suppress, unlike StoreContract): a wrapper of our own.
    @given(data=st.data())
    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    def test_same_answers_as_the_in_memory_index(self, data):
        """Searches, counts and duplicate lookups answer as the in-memory index does."""
        inner = QueriesContract.test_same_answers_as_the_in_memory_index.hypothesis.inner_test
        inner(self, data)

    @given(steps=_LIFE)
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def test_history_lookups(self, steps):
        """History, forwards of merges, erasures and records about customers answer as in memory."""
        QueriesContract.test_history_lookups.hypothesis.inner_test(self, steps)


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
        with named_pool(conninfo) as pool:
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
        with named_pool(
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

    def test_writes_refuse_what_loading_would_refuse(self, store):
        """A record that breaks a structural invariant is ValidationError; nothing is written.

        As in the other durable stores: every problem is named, and the transaction goes
        on without the refused record.
        """
        add(store, sample_customer(1))
        customer = sample_customer(2)
        with store.transaction() as tx:
            with pytest.raises(ValidationError) as info:
                tx.add(sample_customer(3, name="", version=0))
            assert [("name", "integrity.empty"), ("version", "integrity.version")] == [
                (p.path, p.code) for p in info.value.problems
            ]
            for refused in (
                lambda: tx.add(sample_customer(3, name="Koks \ud800")),
                lambda: tx.update(
                    attrs.evolve(store.get_by_number(1), name="Tab\there", version=2),
                    expected_version=1,
                ),
                lambda: tx.put_category(Category(uuid.uuid4(), "Line\nbreak")),
                lambda: tx.put_custom_field(CustomFieldDefinition("Tier", "Tier", FieldType.TEXT)),
                lambda: tx.put_record(
                    attrs.evolve(sample_records(customer)[0], number=0), expected_version=None
                ),
            ):
                with pytest.raises(ValidationError):
                    refused()
            tx.add(customer)
        assert ([1, 2], 2) == ([c.number for c in store.customers()], store.revision())
        assert ([], [], 1) == (
            store.categories(),
            store.custom_fields(),
            store.get_by_number(1).version,
        )
        assert [] == list(store.records(Invoice))

    def test_nested_transactions_are_refused(self, store):
        """A transaction opened inside another on the same thread is refused."""
        with store.transaction(), pytest.raises(StorageError, match="cannot be nested") as info:
            store.transaction().__enter__()
        book = repr(store.book_id)
        assert ("storage.nested", {"book": book}) == (info.value.code, dict(info.value.params))
        assert (
            f"Šajā pavedienā jau ir atvērta transakcija grāmatā {book}; transakcijas nevar "
            "atvērt vienu otrā."
        ) == info.value.message_in("lv")
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
    """The shape of a schema, without its name: columns, indexes, constraints, triggers."""
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
    shape = {
        "columns": [list(row) for row in columns],
        "indexes": [list(row) for row in indexes],
        "constraints": [list(row) for row in constraints],
    }
    # Triggers and functions from schema 4 on (the guard); absent before, as in their dumps.
    triggers = conn.execute(
        "SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND NOT t.tgisinternal ORDER BY c.relname, t.tgname",
        (schema,),
    ).fetchall()
    functions = conn.execute(
        "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s ORDER BY 1",
        (schema,),
    ).fetchall()
    if triggers or functions:
        shape["triggers"] = [list(row) for row in triggers]
        shape["functions"] = [[name, *definition.splitlines()] for name, definition in functions]
    text = json.dumps(shape, indent=1, ensure_ascii=False)
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
        """Every B-tree index and primary key starts with book_id; GIN indexes have no lead."""
        with postgres.admin() as conn:
            rows = conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s "
                "AND tablename <> 'debitor_schema_version'",
                (pg_schema,),
            ).fetchall()
        assert len(rows) >= 9
        gin = {name for name, definition in rows if " USING gin " in definition}
        assert {
            "debitor_customer_text",
            "debitor_customer_private",
            "debitor_customer_keys",
            "debitor_customer_tags",
        } == gin
        for name, definition in rows:
            assert name in gin or re.search(r"\(book_id[,)]", definition), name

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
        monkeypatch.setattr(_schema, "SCHEMA_VERSION", _schema.SCHEMA_VERSION + 1)
        monkeypatch.setitem(
            _schema.MIGRATIONS,
            _schema.SCHEMA_VERSION - 1,
            ("ALTER TABLE {s}debitor_customer ADD COLUMN folded text",),
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
        assert [(v,) for v in range(1, _schema.SCHEMA_VERSION + 1)] == versions

    def test_failed_migration_changes_nothing(self, postgres, pg_pool, fresh_schema, monkeypatch):
        """A migration that fails is rolled back whole and says which step failed."""
        PostgresStore(pg_pool, book_id="b", schema=fresh_schema)
        current = _schema.SCHEMA_VERSION
        monkeypatch.setattr(_schema, "SCHEMA_VERSION", current + 1)
        monkeypatch.setitem(
            _schema.MIGRATIONS,
            current,
            (
                "ALTER TABLE {s}debitor_customer ADD COLUMN folded text",
                "ALTER TABLE {s}nowhere ADD COLUMN x text",
            ),
        )
        with pytest.raises(StorageError, match=f"from version {current} to {current + 1} failed"):
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
        assert ([(v,) for v in range(1, current + 1)], []) == (versions, columns)

    def test_newer_schema(self, postgres, pg_pool, fresh_schema):
        """A schema written by a newer release is refused and left alone."""
        PostgresStore(pg_pool, book_id="b", schema=fresh_schema)
        with postgres.admin() as conn:
            conn.execute(f'INSERT INTO "{fresh_schema}".debitor_schema_version VALUES (7)')
        with pytest.raises(UnsupportedFormatVersion) as info:
            PostgresStore(pg_pool, book_id="b", schema=fresh_schema)
        assert (
            "The database has debitor-core schema version 7, written by a newer "
            f"debitor-core; this one knows up to {_schema.SCHEMA_VERSION}. Upgrade debitor-core "
            "to open it. The database was not changed." == str(info.value)
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
        with named_pool(conninfo) as pool:
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
        assert [(v,) for v in range(1, _schema.SCHEMA_VERSION + 1)] == versions


def reseal_book(conn, schema, book_id):
    """Give the book's row the checksum of what it holds now (as debitor-core writes it)."""
    table = f'"{schema}".debitor_book'
    row = conn.execute(
        f"SELECT {_rows.BOOK_COLUMNS} FROM {table} WHERE book_id = %s",
        (book_id,),
    ).fetchone()
    checksum = _rows.book_checksum(book_id, _rows.BookRow(*row[:-1]))
    conn.execute(
        f"UPDATE {table} SET checksum = %s WHERE book_id = %s",
        (checksum, book_id),
    )


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
            with named_pool(proxy.conninfo) as pool:
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
        with named_pool(postgres.conninfo) as pool:
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
        with named_pool(throwaway_cluster.conninfo) as pool:
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
        assert "storage.corrupt" == info.value.code
        assert {
            "book": repr(store.book_id),
            "record": "customer",
            "key": str(customer.id),
            "rule": "row",
            "fault": "checksum",
        } == dict(info.value.params)
        assert (
            f"Grāmatas {store.book_id!r} rindu {customer.id} (ieraksts „klients”) nevar nolasīt: "
            "tās kontrolsumma neatbilst datiem. Rinda ir mainīta ārpus debitor-core vai bojāta; "
            "tā atstāta, kāda ir. Atjaunojiet to no rezerves kopijas."
        ) == info.value.message_in("lv")

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

    @pytest.mark.parametrize(
        ("change", "reason"),
        [
            ({"name": ""}, "name: The text is empty"),
            ({"name": "Tab\there", "email": "a\x00b"}, "name: .* \\(and 1 more\\)\\)"),
            ({"contact_person": "x" * 1000}, "contact_person: .*; at most 200 are allowed"),
            ({"language": "Latvian"}, "language: .Latvian. is not a code"),
        ],
    )
    def test_structural_damage_with_a_right_checksum(self, damaged, change, reason):
        """A row edited with its checksum made to match is still refused by the structural checks."""
        store, customer, damage = damaged
        data = {**to_data(customer), **change}
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        damage(
            "UPDATE {s}debitor_customer SET data = %s, checksum = %s WHERE book_id = %s",
            text,
            zlib.crc32(text.encode()),
        )
        for read in (lambda: store.get(customer.id), store.customers):
            with pytest.raises(CorruptStore, match=f"its data is damaged \\({reason}") as info:
                read()
        assert ("storage.corrupt", "structure") == (info.value.code, info.value.params["fault"])
        assert "tās dati ir bojāti (" in info.value.message_in("lv")

    def test_structural_damage_in_other_tables(self, damaged):
        """Categories, custom fields and records pass the same checks when read."""
        store, customer, damage = damaged
        invoice = sample_records(customer)[0]
        with store.transaction() as tx:
            tx.put_category(Category(uuid.uuid4(), "W"))
            tx.put_custom_field(CustomFieldDefinition("tier", "Tier", FieldType.TEXT))
            tx.put_record(invoice, expected_version=None)
        for table, value, change in (
            ("debitor_category", store.categories()[0], {"name": ""}),
            ("debitor_custom_field", store.custom_fields()[0], {"label": "a\x00b"}),
            ("debitor_record", invoice, {"number": 0}),
        ):
            text = json.dumps({**to_data(value), **change})
            damage(
                f"UPDATE {{s}}{table} SET data = %s, checksum = %s WHERE book_id = %s",
                text,
                zlib.crc32(text.encode()),
            )
        for read in (store.categories, store.custom_fields, lambda: store.records(Invoice)):
            with pytest.raises(CorruptStore, match="its data is damaged"):
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


def _pending_pages(postgres, schema):
    """The pages in the pending list of each GIN index of ``schema`` (pgstattuple)."""
    with postgres.admin() as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
        return {
            index: conn.execute(
                "SELECT pending_pages FROM pgstatginindex(%s::regclass)", (f'"{schema}".{index}',)
            ).fetchone()[0]
            for index in _schema.GIN_INDEXES
        }


AN_ODD_MOMENT = dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC)


class TestBulkImport:
    def test_a_big_import_leaves_no_pending_list(self, postgres, pg_pool, fresh_schema):
        """A big import moves its index entries out of the pending lists, then caps them again."""
        store = PostgresStore(pg_pool, book_id="bulk", schema=fresh_schema)
        customers = [sample_customer(n, name=f"Bulk Import {n}") for n in range(1, 1001)]
        with store.transaction() as tx:
            tx._cur.execute("SET LOCAL work_mem = '5MB'")
            tx.add_many(customers)
            settings = tx._cur.execute(
                "SELECT current_setting('gin_pending_list_limit'), current_setting('work_mem')"
            ).fetchone()
            assert ("256kB", "5MB") == settings  # both back as they were
        assert dict.fromkeys(_schema.GIN_INDEXES, 0) == _pending_pages(postgres, fresh_schema)
        found = store.search_customers(CustomerQuery(text="import 777"), limit=5)
        assert [777] == [customer.number for customer in found]
        assert 1000 == store.count_customers(CustomerQuery(text="bulk"))

    def test_every_write_transaction_caps_the_pending_list(self, pg_pool, fresh_schema):
        """The indexes carry no cap of their own (schema 3): each write transaction sets it."""
        store = PostgresStore(pg_pool, book_id="cap", schema=fresh_schema)
        with store.transaction() as tx:
            tx.add(sample_customer(1))
            assert "256kB" == tx._cur.execute("SHOW gin_pending_list_limit").fetchone()[0]
            options = tx._cur.execute(
                "SELECT reloptions FROM pg_class WHERE oid = ANY(%s::regclass[])",
                ([f'"{fresh_schema}".{index}' for index in _schema.GIN_INDEXES],),
            ).fetchall()
        assert [(None,)] * 4 == options

    def test_a_role_that_does_not_own_the_indexes_imports_under_the_cap(
        self, postgres, pg_pool, fresh_schema
    ):
        """Only an index's owner may empty its pending list: another role imports all the same."""
        PostgresStore(pg_pool, book_id="guest", schema=fresh_schema).close()
        role = f"debitor_test_{uuid.uuid4().hex[:12]}"
        with postgres.admin() as conn:
            conn.execute(f'CREATE ROLE "{role}" NOLOGIN')
            conn.execute(f'GRANT USAGE ON SCHEMA "{fresh_schema}" TO "{role}"')
            conn.execute(f'GRANT ALL ON ALL TABLES IN SCHEMA "{fresh_schema}" TO "{role}"')
        try:
            with named_pool(postgres.with_options(options=f"-c role={role}")) as pool:
                store = PostgresStore(pool, book_id="guest", schema=fresh_schema)
                with store.transaction() as tx:
                    assert 1000 == tx.add_many(
                        sample_customer(n, name=f"Guest {n}") for n in range(1, 1001)
                    )
                    assert "256kB" == tx._cur.execute("SHOW gin_pending_list_limit").fetchone()[0]
                assert 1000 == store.count()
                assert 1000 == store.count_customers(CustomerQuery(text="guest"))
        finally:
            with postgres.admin() as conn:
                conn.execute(f'DROP OWNED BY "{role}"')
                conn.execute(f'DROP ROLE "{role}"')

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
        """Two imports in one transaction: each is one COPY, both commit together."""
        with store.transaction() as tx:
            tx.add_many(sample_customer(n) for n in (1, 2))
            tx.add_many(sample_customer(n) for n in (3, 4))
        assert ([1, 2, 3, 4], 1) == ([c.number for c in store.customers()], store.revision())

    def test_hostile_text_survives_copy(self, store):
        """Newlines, backslashes, NUL-escapes, quotes and emoji survive COPY exactly."""
        customers = [
            sample_customer(1, name='Back\\N \\. "q" {a,b} NULL 🙂'),
            sample_customer(2, contact_person="and \\\\ back, \\t \\n as text"),
            sample_customer(3, address=Address("Iela 1\n\\.\n2. stāvs", None, "Rīga", None, "LV")),
        ]
        with store.transaction() as tx:
            tx.add_many(customers)
        assert customers == list(store.customers())

    @pytest.mark.parametrize(
        "change",
        [{"name": "Tab\there"}, {"notes": (Note("\ud800", AN_ODD_MOMENT, "a"),)}, {"version": 0}],
    )
    def test_an_unsound_customer_refuses_the_whole_import(self, store, change):
        """One customer a stored record may not be, after 600 good ones: ValidationError, none stored."""
        batch = [sample_customer(n) for n in range(2, 602)]
        unsound = attrs.evolve(sample_customer(700), **change)
        with store.transaction() as tx:
            with pytest.raises(ValidationError):
                tx.add_many(iter([*batch, unsound]))
            tx.add(sample_customer(1))
        assert ([1], 1) == ([c.number for c in store.customers()], store.revision())

    def test_import_writes_the_columns_a_single_add_writes(self, pg_pool, pg_schema):
        """COPY text built by hand: every stored and computed column as add() writes it.

        Hostile text sits where the COPY text and array formats have special characters:
        newlines (where a field has lines), backslashes, quotes, braces, commas, NULL and
        its escapes.
        """
        hostile = 'Back\\N "q" {a,b} NULL \\. \\t, 🙂'
        customers = [
            sample_customer(1, name=hostile),
            sample_customer(
                2,
                contact_person=hostile,
                address=Address("Iela\n1", "LV-1050", 'Rī"ga\\', None, "LV"),
                custom_fields={
                    "note": f"{hostile}\n\\.\n",
                    "pick": ("NULL", '"', "\\", "{}", "a,b"),
                },
            ),
            sample_customer(3, custom_fields={}, categories=(), created=AN_ODD_MOMENT),
        ]
        one_by_one = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
        imported = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
        add(one_by_one, *customers)
        with imported.transaction() as tx:
            assert 3 == tx.add_many(customers)
        columns = (
            "number, id, version, changed_revision, data, checksum, search_text, private_text, "
            "folded_name, created, match_keys, tags"
        )
        with pg_pool.connection() as conn:
            rows = {
                store.book_id: conn.execute(
                    f'SELECT {columns} FROM "{pg_schema}".debitor_customer '
                    "WHERE book_id = %s ORDER BY number",
                    (store.book_id,),
                ).fetchall()
                for store in (one_by_one, imported)
            }
        assert rows[one_by_one.book_id] == rows[imported.book_id]
        assert customers == list(imported.customers())
        fields = _derived.FieldKeys()
        assert [tuple(_derived.customer_columns(c, fields)) for c in customers] == [
            row[6:] for row in rows[imported.book_id]
        ]

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        text=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0")),
        items=st.lists(
            st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"))
        ),
    )
    def test_copy_fields_read_back_exactly(self, pg_pool, text, items):
        """copy_fields and array_literal: whatever the text, the server reads back what was meant."""
        with pg_pool.connection() as conn, conn.transaction(force_rollback=True):
            conn.execute("CREATE TEMPORARY TABLE copied (t text, a text[]) ON COMMIT DROP")
            with conn.cursor().copy("COPY copied (t, a) FROM STDIN") as copy:
                copy.write(f"{copy_fields([text, array_literal(items)])}\n")
            assert [(text, items)] == conn.execute("SELECT t, a FROM copied").fetchall()

    def test_a_value_of_a_wrong_type_cannot_add_columns_or_rows(self, pg_pool, pg_schema):
        """A version that is text with tabs and a newline is refused, never read as rows.

        Unescaped, this one would fill its own row and write a second one into another book.
        The structural checks refuse it before COPY sees it (and `copy_fields` would
        escape it: `TestCopyRows`).
        """
        victim = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
        store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
        rest = "{}\t0\t\t\t\t2026-01-01 00:00:00+00\t{}\t{}"
        version = f"1\t{rest}\n{victim.book_id}\t1\t{uuid.uuid4()}\t7\t1"
        forged = attrs.evolve(sample_customer(1), version=version)
        with pytest.raises(ValidationError, match="version"), store.transaction() as tx:
            tx.add_many([sample_customer(2), forged])
        assert (0, 0) == (victim.count(), store.count())

    def test_an_import_cut_short_stores_nothing(self, pg_pool, pg_schema):
        """The customers' iterator fails after many rows were sent: none of them is stored."""
        store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
        add(store, sample_customer(1))

        def customers():
            yield from (sample_customer(n) for n in range(2, 1502))
            raise ValueError("the source broke")

        with store.transaction() as tx:
            with pytest.raises(ValueError, match="the source broke"):
                tx.add_many(customers())
            assert "256kB" == tx._cur.execute("SHOW gin_pending_list_limit").fetchone()[0]
            tx.add(sample_customer(9))
        assert ([1, 9], 2, 9) == (
            [c.number for c in store.customers()],
            store.revision(),
            store.last_number(),
        )

    def test_a_late_clash_in_a_big_import_stores_nothing(self, pg_pool, pg_schema):
        """The last of 1,200 clashes with a stored number: AlreadyExists, none stored, cap back."""
        store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
        add(store, sample_customer(5000))
        batch = [sample_customer(n) for n in range(1, 1200)] + [sample_customer(5000)]
        with store.transaction() as tx:
            with pytest.raises(AlreadyExists, match="The customer number 5000 is already taken"):
                tx.add_many(batch)
            assert "256kB" == tx._cur.execute("SHOW gin_pending_list_limit").fetchone()[0]
        assert ([5000], 1) == ([c.number for c in store.customers()], store.revision())

    def test_connection_dropped_during_an_import(self, postgres, pg_pool, pg_schema):
        """The backend killed while rows stream: a StorageError, nothing stored, then work goes on."""
        store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
        add(store, sample_customer(1))

        def customers(tx):
            for n in range(2, 3002):
                if n == 1500:
                    terminate(postgres, "pid = %s", tx._cur.connection.info.backend_pid)
                yield sample_customer(n)

        with pytest.raises(StorageError, match="was lost"), store.transaction() as tx:
            tx.add_many(customers(tx))
        assert ([1], 1) == ([c.number for c in store.customers()], store.revision())
        add(store, sample_customer(2))
        assert 2 == store.count()


_HOSTILE_TEXT = st.text(
    st.one_of(
        st.sampled_from('\t\n\r\\"{},NUL \u0085\u2028\ufeffäöüĒ'),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),  # lone surrogates
        st.characters(),
    ),
    max_size=12,
)
_SOUND_TEXT = st.text(
    st.sampled_from('\\"{},NUL äöüĒ🙂')
    | st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Co", "Cn", "Zl", "Zp", "Zs")),
    min_size=1,
    max_size=12,
)
"""Text a stored name may hold, with COPY's and arrays' special characters."""
_OFFSETS = st.timedeltas(-dt.timedelta(hours=23, minutes=59), dt.timedelta(hours=23, minutes=59))


@st.composite
def _odd_customers(draw):
    """Valid customers, then text, times, versions and categories no form would give.

    Half of them hold only what a stored record may (the store writes them), the others
    anything (the store refuses most).
    """
    customer = draw(strategies.customers())
    sound = draw(st.booleans())
    text_of = _SOUND_TEXT if sound else _HOSTILE_TEXT
    text = draw(st.dictionaries(st.sampled_from(["note", "secret", "other"]), text_of))
    zones = st.just(dt.UTC) if sound else _OFFSETS.map(dt.timezone)
    created = draw(st.datetimes(dt.datetime(1900, 1, 1), timezones=zones))  # noqa: DTZ001 - naive bounds, as Hypothesis takes them
    return attrs.evolve(
        customer,
        name=draw(text_of),
        contact_person=draw(st.none() | text_of),
        address=attrs.evolve(customer.address, city=draw(st.none() | text_of)),
        custom_fields={**customer.custom_fields, **text},
        version=draw(st.integers(1, 10**6) | (st.nothing() if sound else _HOSTILE_TEXT)),
        created=created,
        updated=draw(st.just(created) | st.datetimes(timezones=st.just(dt.UTC))),
    )


def _copy_line_as_written_before(book, revision, fields, customer):
    """A customer's COPY row as add_many wrote it before it was made faster: part by part.

    The JSON by ``json.dumps`` (escaped when a lone surrogate is in it), the columns by
    `customer_columns` with its own look for lone surrogates, each field by `copy_text`;
    the changed revision's checksum by `_rows.changed_checksum`, the slow way.
    """
    data = to_data(customer)
    try:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        checksum = zlib.crc32(text.encode())
    except UnicodeEncodeError:
        text = json.dumps(data, separators=(",", ":"))
        checksum = zlib.crc32(text.encode())
    search, private, name, created, keys, tags = _derived.customer_columns(customer, fields)
    sealed = _rows.changed_checksum(book, ("customer", customer.id), revision)
    return (
        f"{book}\t{revision}\t{sealed}\t{copy_text(str(customer.id))}\t{customer.number}\t"
        f"{copy_text(str(customer.version))}\t{copy_text(text)}\t{checksum}\t"
        f"{copy_text(search)}\t{copy_text(private)}\t{copy_text(name)}\t"
        f"{copy_text(str(created))}\t{copy_text(array_literal(keys))}\t{copy_text(array_literal(tags))}\n"
    )


_JSON_DATA = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _HOSTILE_TEXT,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            _HOSTILE_TEXT | st.integers() | st.floats() | st.booleans() | st.none(),
            inner,
            max_size=3,
        )
    ),
    max_leaves=10,
)


class TestCopyRows:
    """The bulk import's COPY text, without a server: the same as each part made alone."""

    @settings(max_examples=300, deadline=None)
    @given(customer=_odd_customers())
    def test_a_row_is_what_its_parts_make(self, customer):
        """_copy_line writes the very text of the parts made one by one, or refuses the customer.

        It refuses exactly the customers the structural checks refuse, before taking
        their id and number.
        """
        codec = RowCodec("the book 'b1'")
        fields = _derived.FieldKeys(("note",), ("secret",))
        tx = types.SimpleNamespace(
            _codec=codec,
            field_keys=fields,
            _book="b1",
            revision=7,
            _seal_changed=_rows.changed_sealer("b1", "customer", 7),
        )
        ids, numbers = set(), set()
        if structural_problems(customer):
            with pytest.raises(ValidationError):
                PostgresTransaction._copy_line(tx, customer, ids, numbers)
            assert (set(), set()) == (ids, numbers)
            return
        line = PostgresTransaction._copy_line(tx, customer, ids, numbers)
        assert _copy_line_as_written_before("b1", 7, fields, customer) == line
        assert ({str(customer.id)}, {customer.number}) == (ids, numbers)

    def test_a_lone_surrogate_is_replaced_in_the_columns_only(self):
        """The computed columns hold U+FFFD for a lone surrogate, which UTF-8 cannot hold.

        The structural checks keep such customers out of the store; the columns are made
        storable all the same.
        """
        customer = sample_customer(
            1, name="Koks \ud800", categories=(uuid.UUID(int=5),), custom_fields={}
        )
        columns = _derived.customer_columns(customer, _derived.FieldKeys())
        tags = ["a:0", f"g:{uuid.UUID(int=5)}", "c:LV", "t:riga"]
        assert ("koks \ufffd", tags) == (columns.folded_name, columns.tags)

    @settings(max_examples=300, deadline=None)
    @given(_JSON_DATA)
    def test_json_text_is_json_dumps(self, data):
        """The codec's JSON writer writes exactly what json.dumps writes, NaN and surrogates too."""
        expected = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        assert expected == _rows._json_writer()(data)

    def test_json_writer_refuses_what_json_dumps_refuses(self):
        """An object JSON cannot hold is a TypeError, as with json.dumps."""
        with pytest.raises(TypeError, match="not JSON serializable"):
            _rows._json_writer()({"a": [object()]})

    @given(st.lists(_HOSTILE_TEXT, max_size=6))
    def test_copy_fields_escapes_each_field(self, fields):
        """copy_fields is copy_text of each field, joined by tabs."""
        assert "\t".join(map(copy_text, fields)) == copy_fields(fields)


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


# -- store-side queries: the same answers as the in-memory read model ---------------------

_CATEGORIES = (uuid.UUID(int=11), uuid.UUID(int=12), uuid.UUID(int=13))
_FIELDS = (
    CustomFieldDefinition("segment", "Segment"),
    CustomFieldDefinition("secret", "Secret", personal_data=True),
    CustomFieldDefinition("visits", "Visits", type=FieldType.INTEGER),
    CustomFieldDefinition("vip", "VIP", type=FieldType.BOOLEAN),
    CustomFieldDefinition("since", "Since", type=FieldType.DATE),
    CustomFieldDefinition("tags", "Tags", type=FieldType.MULTI_CHOICE, choices=("a", "b", "c")),
)
_NAMES = (
    "SIA Bērziņš",
    "Müller GmbH",
    "MUELLER Straße",
    "Koks",
    "K\u043eks",  # a Cyrillic o
    "KOKS",
    "Ko\u200bks",  # a zero width space
    "Æsir æbler",
    "\ufb01ne \ufb02owers",  # ligatures
    "O'Brien_100%",
    "back\\slash",
    "Ωμέγα",
    "Ke\u0301vin",  # a combining accent
    "A",
    "Zoë",
)
_CITIES = ("Rīga", "RIGA", "Köln", "Koeln", None)
_WORDS = (
    "%",
    "_",
    "\\",
    "\x00",
    "ß",
    "ss",
    "æ",
    "ae",
    "\ufb01",
    "e\u0301",
    "a",
    "ko",
    "%k",
    "k_k",
    "mueller",
    "muller",
    "berzins",
    "\u200b",
    "o'b",
    "1050",
    "lv",
    "100%",
)
_FIELD_VALUES = {
    "segment": st.sampled_from(["Mēbeles", "MEBELES", "koks", "Straße"]),
    "secret": st.sampled_from(["slepens", "Geheimnis", "mueller"]),
    "visits": st.integers(0, 3),
    "vip": st.booleans(),
    "since": st.sampled_from([dt.date(2020, 2, 29), dt.date(2021, 1, 1)]),
    "tags": st.lists(st.sampled_from(["a", "b", "c"]), unique=True).map(tuple),
}
_MOMENTS = (
    dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    dt.datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC),
    dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC),
)


def _recase(draw, text):
    """``text`` with each letter's case drawn."""
    return "".join(c.upper() if draw(st.booleans()) else c.lower() for c in text)


@st.composite
def query_books(draw):
    """A few customers that look alike in the ways the fold cares about."""
    base = draw(st.lists(strategies.customers(countries=["LV", "DE", "GB"]), max_size=8))
    book = []
    for number, customer in enumerate(base, 1):
        values = draw(
            st.dictionaries(st.sampled_from(list(_FIELD_VALUES)), st.just(None), max_size=4)
        )
        fields = {key: draw(_FIELD_VALUES[key]) for key in values}
        city = draw(st.sampled_from(_CITIES))
        book.append(
            attrs.evolve(
                customer,
                number=number,
                name=_recase(draw, draw(st.sampled_from(_NAMES))),
                address=attrs.evolve(customer.address, city=city),
                categories=tuple(sorted(draw(st.sets(st.sampled_from(_CATEGORIES), max_size=2)))),
                custom_fields=fields,
                email=draw(st.sampled_from([None, "info@koks.lv", "INFO@koks.lv", customer.email])),
                created=draw(st.sampled_from(_MOMENTS)),
            )
        )
    return book


def _texts(customer):
    """What a clerk may type a piece of to find ``customer``, as stored."""
    texts = [customer.name, customer.address.city or "", customer.email or ""]
    texts += [note.text for note in customer.notes]
    texts += [v for v in customer.custom_fields.values() if isinstance(v, str)]
    return [t for t in texts if t.strip()]


@st.composite
def customer_queries(draw, book):
    """Queries over ``book``: pieces of what it holds, odd words, and now and then filters."""
    pieces = _texts(draw(st.sampled_from(book))) if book else []
    words = []
    for _ in range(draw(st.integers(0, 2))):
        if pieces and draw(st.integers(0, 3)):
            text = draw(st.sampled_from(pieces))
            start = draw(st.integers(0, len(text) - 1))
            word = text[start : start + draw(st.integers(1, 8))]
        else:
            word = draw(st.sampled_from(_WORDS))
        words.append(_recase(draw, word))
    groups = draw(
        st.just(())
        | st.just(())
        | st.lists(st.frozensets(st.sampled_from(_CATEGORIES), max_size=2), max_size=2).map(tuple)
    )
    field_filters = draw(
        st.lists(
            st.sampled_from(list(_FIELD_VALUES)).flatmap(
                lambda key: st.tuples(st.just(key), _FIELD_VALUES[key])
            ),
            max_size=1,
        ).map(tuple)
        | st.just(())
        | st.just(())
    )

    def rarely(*values):
        return draw(st.sampled_from([None, None, None, *values]))

    query = CustomerQuery(
        text=" ".join(words),
        categories=groups,
        match_all=draw(st.booleans()),
        country=rarely("LV", "DE"),
        city=rarely("riga", "Koln", "KÖLN"),
        custom_fields=field_filters,
        archived=draw(st.sampled_from([None, False, True])),
        with_field=rarely("segment", "tags", "nowhere"),
        include_private=draw(st.booleans()),
    )
    # Mostly text alone or with one filter, so that many queries find someone.
    keep = draw(st.sampled_from(["text", "one", "all"]))
    if keep == "all":
        return query
    plain = CustomerQuery(text=query.text, include_private=query.include_private, archived=None)
    if keep == "text":
        return plain
    one = draw(st.sampled_from(["categories", "country", "city", "custom_fields", "archived"]))
    changes = {one: getattr(query, one)}
    if one == "categories":
        changes["match_all"] = query.match_all
    return attrs.evolve(plain, **changes)


def _in_memory(store):
    model = InMemoryReadModel()
    model.reload(store, Definitions((), _FIELDS))
    return model


def _query_store(pg_pool, pg_schema, book):
    store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
    with store.transaction() as tx:
        for definition in _FIELDS:
            tx.put_custom_field(definition)
        for customer in book:
            tx.add(customer)
    return store


class TestQueries:
    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data())
    def test_same_answers_as_the_in_memory_model(self, pg_pool, pg_schema, data):
        """Generated books and queries: the same customers, order, totals and evidence."""
        book = data.draw(query_books())
        store = _query_store(pg_pool, pg_schema, book)
        model = _in_memory(store)
        try:
            for _ in range(4):
                query = data.draw(customer_queries(book))
                for sort in ("number", "name", "created"):
                    for descending in (False, True):
                        expected = list(model.search(query, sort=sort, descending=descending))
                        found = store.search_customers(query, sort=sort, descending=descending)
                        assert expected == list(found), (query, sort, descending)
                offset, limit = data.draw(st.integers(0, 3)), data.draw(st.integers(0, 3))
                page = model.search(query, sort="name", offset=offset, limit=limit)
                assert list(page) == list(
                    store.search_customers(query, sort="name", offset=offset, limit=limit)
                )
                assert model.count(query) == store.count_customers(query), query
            for customer in data.draw(st.lists(st.sampled_from(book), max_size=2)) if book else []:
                keys = duplicate_keys(customer)
                expected = [(m.customer, m.evidence) for m in model.duplicates(keys)]
                assert expected == list(store.customers_sharing(keys))
        finally:
            store.close()

    def test_text_and_category_both_apply(self, pg_pool, pg_schema):
        """Free text within a category: the customers in it that have the text."""
        inside = sample_customer(1, name="SIA Koks", categories=(_CATEGORIES[0],))
        outside = sample_customer(2, name="SIA Zari", categories=(_CATEGORIES[1],))
        store = _query_store(pg_pool, pg_schema, [inside, outside])
        query = CustomerQuery(text="sia", categories=(frozenset({_CATEGORIES[0]}),))
        assert ([inside], 1) == (list(store.search_customers(query)), store.count_customers(query))

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("_100%", [1]),  # % and _ are themselves, not wildcards
            ("n_1", [1]),
            ("%", [1]),
            ("\\s", [3]),  # a backslash is itself, not an escape
            ("k\\", [3]),
            ("100", [1, 2]),
            ("o'b", [1, 2]),
            ("sl", [3]),  # under three letters: by scan
            ("x", [2]),
            ("\x00", []),  # PostgreSQL's text cannot hold NUL: nothing has it
            ("ab\x00cd", []),
            ("sia\x01", []),  # a control character: no text holds one
            ("\x1f", [1, 2, 3]),  # whitespace to Python: no word, no text condition
            ("\u200b", []),  # folds to nothing: no word, nothing found
        ],
    )
    def test_wildcards_and_short_words(self, pg_pool, pg_schema, text, expected):
        """LIKE's wildcards and escape are plain characters; short words are found too."""
        book = [
            sample_customer(1, name="O'Brien_100%"),
            sample_customer(2, name="O'Brien-100x"),
            sample_customer(3, name="back\\slash"),
        ]
        store = _query_store(pg_pool, pg_schema, book)
        query = CustomerQuery(text=text, include_private=False)
        assert [c.number for c in _in_memory(store).search(query)] == expected
        assert [c.number for c in store.search_customers(query)] == expected
        assert len(expected) == store.count_customers(query)

    def test_private_text_only_when_asked(self, pg_pool, pg_schema):
        """Notes and personal-data fields are found only with include_private."""
        customer = sample_customer(
            1, notes=(Note("Maksā skaidrā naudā", _MOMENTS[0]),), custom_fields={"secret": "Geheim"}
        )
        store = _query_store(pg_pool, pg_schema, [customer])
        for text in ("skaidra", "geheim", "naud geheim"):
            assert [customer] == list(store.search_customers(CustomerQuery(text=text)))
            hidden = CustomerQuery(text=text, include_private=False)
            assert ([], 0) == (list(store.search_customers(hidden)), store.count_customers(hidden))

    def test_books_do_not_see_each_other(self, pg_pool, pg_schema):
        """Two books with the same customers: each query answers from its own book."""
        customer = sample_customer(1, name="Koks")
        renamed = attrs.evolve(customer, name="Zari")
        first = _query_store(pg_pool, pg_schema, [customer])
        second = _query_store(pg_pool, pg_schema, [renamed])
        zari = CustomerQuery(text="zari")
        assert (0, 1) == (first.count_customers(zari), second.count_customers(zari))
        assert [renamed] == list(second.search_customers(zari))
        evidence = ("tax_id", "email", "phone")
        assert [(renamed, evidence)] == list(second.customers_sharing(duplicate_keys(customer)))

    def test_search_text_follows_the_custom_fields(self, pg_pool, pg_schema):
        """A field made searchable (or private) changes what finds its stored values."""
        store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
        customer = sample_customer(1, custom_fields={"segment": "Mēbeles"})
        add(store, customer)
        query = CustomerQuery(text="mebeles", include_private=False)
        assert [] == list(store.search_customers(query))
        with store.transaction() as tx:
            tx.put_custom_field(CustomFieldDefinition("segment", "Segment"))
            assert [customer] == list(store.search_customers(query))  # in the transaction
        assert [customer] == list(store.search_customers(query))
        with store.transaction() as tx:
            tx.put_custom_field(CustomFieldDefinition("segment", "Segment", personal_data=True))
        assert [] == list(store.search_customers(query))
        assert [customer] == list(store.search_customers(attrs.evolve(query, include_private=True)))

    def test_a_failed_transaction_leaves_the_text_as_it_was(self, pg_pool, pg_schema):
        """A rolled-back change of the searched fields leaves the stored text alone."""
        store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
        customer = sample_customer(1, custom_fields={"segment": "Mēbeles"})
        add(store, customer)
        with pytest.raises(RuntimeError), store.transaction() as tx:
            tx.put_custom_field(CustomFieldDefinition("segment", "Segment"))
            raise RuntimeError
        assert [] == list(store.search_customers(CustomerQuery(text="mebeles")))
        add(store, sample_customer(2, custom_fields={"segment": "Mēbeles"}))
        assert [] == list(store.search_customers(CustomerQuery(text="mebeles")))

    def test_bad_arguments(self, store):
        """A query that is not a CustomerQuery, an unknown sort or a bad page is refused."""
        with pytest.raises(TypeError, match="must be a CustomerQuery"):
            store.search_customers("koks")
        with pytest.raises(TypeError, match="must be a CustomerQuery"):
            store.count_customers(None)
        with pytest.raises(ValueError, match="sort must be number, name or created"):
            store.search_customers(CustomerQuery(), sort="size")
        with pytest.raises(ValueError, match="offset must be 0 or more"):
            store.search_customers(CustomerQuery(), offset=-1)
        with pytest.raises(TypeError, match="limit must be an int"):
            store.search_customers(CustomerQuery(), limit="9")

    def test_nothing_matches_impossible_filters(self, store):
        """Empty category groups, a NaN or NUL in a filter: no match, no error."""
        add(store, sample_customer(1))
        for query in (
            CustomerQuery(categories=(frozenset(),)),
            CustomerQuery(custom_fields=(("limit", Decimal("NaN")),)),
            CustomerQuery(city="Rī\x00ga"),
            CustomerQuery(text="sia", categories=(frozenset(), frozenset()), match_all=True),
        ):
            assert ([], 0) == (list(store.search_customers(query)), store.count_customers(query))
            assert [] == list(store.invoices_matching(query))
        assert [] == list(store.customers_sharing([("email", "a\x00b")]))
        assert [] == list(store.customers_sharing([]))

    @pytest.mark.parametrize(
        ("values", "wanted", "found"),
        [
            ({"visits": 7}, ("visits", Decimal("7.00")), True),
            ({"visits": 7}, ("visits", True), False),
            ({"vip": True}, ("vip", 1), True),
            ({"limit": Decimal(100)}, ("limit", Decimal("1E+2")), True),
            ({"limit": Decimal("-0")}, ("limit", 0), True),
            ({"since": dt.date(2020, 2, 29)}, ("since", dt.date(2020, 2, 29)), True),
            ({"since": dt.date(2020, 2, 29)}, ("since", "2020-02-29"), False),
            ({"tags": ("a", "b")}, ("tags", ("b",)), True),
            ({"tags": ("a", "b")}, ("tags", ()), True),
            ({"tags": ("a",)}, ("tags", ("a", "c")), False),
            ({"tags": ("a",)}, ("tags", "a"), False),
            ({"segment": "MĒBELES"}, ("segment", "mebeles"), True),
            ({"segment": "1"}, ("segment", 1), False),
            ({}, ("tags", ()), False),
        ],
    )
    def test_custom_field_filters(self, store, values, wanted, found):
        """Field filters compare as Python does: numbers by value, text folded, choices held."""
        customer = sample_customer(1, custom_fields=values)
        add(store, customer)
        query = CustomerQuery(custom_fields=(wanted,))
        expected = [customer] if found else []
        assert expected == list(_in_memory(store).search(query))
        assert expected == list(store.search_customers(query))

    def test_the_trigram_index_answers_long_words(self, postgres, pg_pool, fresh_schema):
        """A word of three letters or more is looked up in the trigram index, led by book_id.

        The rows are written by SQL (only their search text matters to the plan): 20,000
        of them, so that the planner prefers an index to reading the book.
        """
        store = PostgresStore(pg_pool, book_id="big", schema=fresh_schema)
        with postgres.admin() as conn:
            conn.execute("SET gin_pending_list_limit = 256")  # as the store's writes do
            conn.execute(
                f'INSERT INTO "{fresh_schema}".debitor_customer (book_id, id, number, version, '
                "changed_revision, changed_checksum, data, checksum, search_text, private_text, "
                "tags) SELECT 'big', gen_random_uuid(), g, 1, 1, 0, '', 0, "
                "md5(g::text) || ' ' || g, '', "
                "'{a:0}' FROM generate_series(1, 20000) g"
            )
            conn.execute(f'ANALYZE "{fresh_schema}".debitor_customer')
            conn.execute(f'SET search_path = "{fresh_schema}", public')
            for text, index in (("c4ca4238", "debitor_customer_text"), ("c4ca 1", None)):
                query = CustomerQuery(text=text, include_private=False)
                condition, params = _pg_queries.where(store.book_id, query)
                plan = conn.execute(
                    f"EXPLAIN SELECT id FROM debitor_customer WHERE {condition}", params
                ).fetchall()
                shown = "\n".join(row[0] for row in plan)
                if index:
                    assert index in shown, shown
                else:  # "1" is checked on the rows the index found for "c4ca"
                    assert "debitor_customer_text" in shown, shown
                    assert "strpos(search_text, '1'::text)" in shown, shown


@pytest.fixture
def by_pieces(monkeypatch):
    """Thresholds under which a tiny book looks words up by their rare pieces.

    A sample of one row is enough, a trigram in half the rows is common, and every
    word is rare, so that every page is found first: the generated books and queries
    then go through the rare-piece lookup (``strpos``) and the found-first page.
    """
    monkeypatch.setattr(_pg_queries, "MIN_SAMPLE", 1)
    monkeypatch.setattr(_pg_queries, "COMMON_TRIGRAM", 0.5)
    monkeypatch.setattr(_pg_queries, "RARE_WORD", 1.01)


@pytest.mark.usefixtures("by_pieces")
class TestPostgresQueriesContractByPieces(QueriesContract):
    """The contract again, with words looked up by their rare pieces, pages found first."""

    @pytest.fixture(autouse=True)
    def _server(self, pg_pool, pg_schema):
        self.pool, self.schema = pg_pool, pg_schema

    def make_store(self):
        return PostgresStore(self.pool, book_id=new_book_id(), schema=self.schema)

    @given(data=st.data())
    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    def test_same_answers_as_the_in_memory_index(self, data):
        """Searches, counts and duplicate lookups answer as the in-memory index does."""
        inner = QueriesContract.test_same_answers_as_the_in_memory_index.hypothesis.inner_test
        inner(self, data)


def _customer_book(pg_pool, pg_schema, count):
    """A book of ``count`` customers whose emails all start with "customer"."""
    store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
    with store.transaction() as tx:
        tx.add_many(
            [
                sample_customer(n, name=f"SIA Nr {n}", email=f"customer{n}@example.com")
                for n in range(1, count + 1)
            ]
        )
    return store


def _recording_where(monkeypatch):
    """Record the sample and the WHERE of every query the store builds."""
    calls = []

    def recording(book_id, query, sample=None):
        found = _pg_queries.where(book_id, query, sample)
        calls.append((sample, found))
        return found

    monkeypatch.setattr(_pg_reads, "where", recording)
    return calls


class TestRarePieces:
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data())
    @pytest.mark.usefixtures("by_pieces")
    def test_same_answers_as_the_in_memory_model(self, pg_pool, pg_schema, data):
        """Private text and custom fields too: the same answers by pieces, pages found first."""
        inner = TestQueries.test_same_answers_as_the_in_memory_model.hypothesis.inner_test
        inner(self, pg_pool, pg_schema, data)

    def test_a_common_prefix_is_checked_whole(self, pg_pool, pg_schema, monkeypatch):
        """Every email starts "customer": the index looks up the rest, strpos the word.

        With 300 rows the sample is usable under the shipped thresholds; the answers
        are the in-memory index's, for every order and page.
        """
        store = _customer_book(pg_pool, pg_schema, 300)
        calls = _recording_where(monkeypatch)
        model = _in_memory(store)
        try:
            for text in ("customer12", "CUSTOMER29", "customer300@", "customer3000"):
                query = CustomerQuery(text=text)
                assert model.count(query) == store.count_customers(query)
                for sort in ("number", "name", "created"):
                    for descending in (False, True):
                        page = {"sort": sort, "descending": descending, "offset": 1, "limit": 5}
                        assert list(model.search(query, **page)) == list(
                            store.search_customers(query, **page)
                        ), (text, sort, descending)
        finally:
            store.close()
        assert model.count(CustomerQuery(text="customer12")) == 11  # 12, 120-129
        sample, (condition, params) = calls[0]
        assert sample is not None
        assert sample.usable
        assert "strpos(search_text, %s) > 0" in condition, condition
        patterns = [p for p in params if isinstance(p, str) and p.startswith("%")]
        assert patterns, params
        assert not any("cus" in p for p in patterns), params
        assert "customer12" in params

    def test_the_sample_is_taken_again(self, pg_pool, pg_schema, monkeypatch):
        """A store samples at its first free-text query and again after RESAMPLE_AFTER.

        The first sample of a new book is empty (nothing is rare or common); once the
        book has grown, the next sample sees its rows. Queries without text take none.
        """
        monkeypatch.setattr(_pg_store, "RESAMPLE_AFTER", 3)
        calls = _recording_where(monkeypatch)
        store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
        try:
            text = CustomerQuery(text="customer7")
            store.count_customers(CustomerQuery(city="Rīga"))
            store.search_customers(text)
            with store.transaction() as tx:
                tx.add_many(
                    [sample_customer(n, email=f"customer{n}@example.com") for n in range(1, 301)]
                )
            store.count_customers(text)
            store.invoices_matching(text)
            store.count_customers(text)
            store.count_customers(text)
        finally:
            store.close()
        sizes = [None if sample is None else len(sample.texts) for sample, _ in calls]
        assert sizes[:4] == [None, 0, 0, 0], sizes
        assert sizes[4] == sizes[5] >= _pg_queries.MIN_SAMPLE, sizes
        assert calls[4][0] is calls[5][0]


class _Draws(random.Random):
    """A random source that gives ``fractions`` in turn, over and over."""

    def __init__(self, fractions):
        super().__init__(0)
        self._fractions = fractions
        self._next = 0

    def random(self):
        fraction = self._fractions[self._next % len(self._fractions)]
        self._next += 1
        return fraction


_ODD = "ab1\u00e9%_\\\u00df\u00c6"
"""Letters that repeat into the same trigrams ("aaaa", "abab"), fold (é, ß to "ss", Æ to
"ae") or are LIKE's own (``%``, ``_``, a backslash)."""


@st.composite
def odd_books(draw):
    """Up to eight customers with short names and notes of `_ODD` letters, names often tied."""
    names, book = [], []
    text = st.text(_ODD + " ", min_size=1, max_size=12).filter(str.strip)
    for number in range(1, draw(st.integers(0, 8)) + 1):
        name = draw(st.sampled_from(names)) if names and draw(st.booleans()) else draw(text)
        names.append(name)
        notes = draw(st.lists(text, max_size=2))
        customer = sample_customer(
            number,
            name=name,
            contact_person=None,
            email=None,
            other_emails=(),
            phone=None,
            other_phones=(),
            website=None,
            tax_id=None,
            company_id=None,
            address=Address(None, None, draw(st.sampled_from(["Köln", None])), None, None),
            custom_fields={},
            categories=(),
            notes=tuple(Note(note, _MOMENTS[0]) for note in notes),
            created=draw(st.sampled_from(_MOMENTS)),
        )
        book.append(customer)
    return book


def _sampled_text(customer):
    """A customer's text as a store's sample holds it (search text, newline, private text)."""
    columns = _derived.customer_columns(customer, _derived.FieldKeys(("segment",), ("secret",)))
    return f"{columns.search_text}\n{columns.private_text}"


@st.composite
def odd_words(draw, book):
    """A query word: a piece of a customer's text (re-cased), odd letters, or a word across.

    The word across is the end of the name and the number: no text holds it, since
    they are apart.
    """
    if book and draw(st.integers(0, 2)):
        customer = draw(st.sampled_from(book))
        if draw(st.integers(0, 4)) == 0:
            return f"{fold(customer.name).split()[-1][-2:]}{customer.number}"
        pieces = [customer.name, str(customer.number), *(n.text for n in customer.notes)]
        piece = draw(st.sampled_from([p for p in pieces if p.strip()]))
        start = draw(st.integers(0, len(piece) - 1))
        word = piece[start : start + draw(st.integers(1, 9))]
        if draw(st.booleans()):  # a near miss: the piece with more around it
            around = st.text(_ODD, max_size=2)
            word = f"{draw(around)}{word}{draw(around)}"
        return _recase(draw, word)
    return draw(st.text(_ODD, min_size=1, max_size=9))


@st.composite
def odd_samples(draw, book, words):
    """A sample that makes any trigram look common or rare, any word rare or not.

    Rows are the customers' texts, the query's words, their trigrams and odd text, each
    repeated; padding with empty rows moves the sample across MIN_SAMPLE and every share.
    """
    folded = [fold(w) for w in words]
    trigrams = sorted({w[i : i + 3] for w in folded for i in range(len(w) - 2)})
    rows = []
    for trigram in trigrams:  # each common or rare, as drawn
        if draw(st.booleans()):
            rows += [trigram] * draw(st.integers(25, 80))
    choices = [_sampled_text(c) for c in book] + folded + trigrams
    row = st.one_of(st.sampled_from(choices), st.text(_ODD + " ", max_size=8))
    for text, times in draw(st.lists(st.tuples(row, st.integers(1, 80)), max_size=4)):
        rows += [text] * times
    rows += [""] * draw(st.sampled_from([0, 150, 200, 200, 300]))  # mostly usable
    return _pg_queries.TextSample(rows)


class TestAdversarialSamples:
    """Whatever the sample says, PostgreSQL's answers are the in-memory index's.

    The sample is drawn (and replaces the store's own, as a stale one would): it makes
    any trigram of a word common or rare, so that any run of pieces is looked up, and
    any word rare, so that pages are found first, for words like "aaaa" and "abab",
    words of one to three letters, folded letters, ``%``, ``_`` and a backslash, with
    private text asked for or not, names tied, and every order and page.
    """

    @settings(
        max_examples=50,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
        ],
    )
    @given(data=st.data())
    def test_any_sample_gives_the_same_answers(self, pg_pool, pg_schema, monkeypatch, data):
        """Every order and page, and the count, as in memory, under any sample."""
        calls = _recording_where(monkeypatch)
        book = data.draw(odd_books(), label="book")
        store = _query_store(pg_pool, pg_schema, book)
        model = _in_memory(store)
        try:
            for _ in range(3):
                words = data.draw(st.lists(odd_words(book), min_size=1, max_size=3))
                query = CustomerQuery(
                    text=" ".join(words), include_private=data.draw(st.booleans())
                )
                sample = data.draw(odd_samples(book, words), label="sample")
                store._sample = (0, sample)  # as if the store had drawn it
                for sort in ("number", "name", "created"):
                    for descending in (False, True):
                        page = {"sort": sort, "descending": descending}
                        want = list(model.search(query, **page))
                        assert want == list(store.search_customers(query, **page)), (query, page)
                offset = data.draw(st.integers(0, len(book) + 1))
                limit = data.draw(st.one_of(st.none(), st.integers(0, len(book) + 1)))
                sort = data.draw(st.sampled_from(["number", "name", "created"]))
                page = {"sort": sort, "descending": data.draw(st.booleans())}
                page |= {"offset": offset, "limit": limit}
                want = list(model.search(query, **page))
                assert want == list(store.search_customers(query, **page)), (query, page)
                assert model.count(query) == store.count_customers(query), query
                steered = [used for used, _ in calls[-8:]]  # None: no text to look up
                assert steered == [sample if query.text.strip() else None] * 8
        finally:
            store.close()

    def test_pages_found_first_break_ties_by_number(self, pg_pool, pg_schema, monkeypatch):
        """Tied names and moments, pages found first: every offset and limit, every order.

        Names differ in case and accents only (one fold: the number orders them), or in
        a space, "-" or "~" that a language's collation orders before letters or passes
        over, and code point order (COLLATE "C", as Python) puts "~" after them; the
        sample holds no word, so every word is rare.
        """
        names = ["Äbc", "abc", "ABC", "a-c", "a c", "abc", "A~c"]
        book = [
            sample_customer(n, name=name, created=_MOMENTS[n % 2], notes=())
            for n, name in enumerate(names, 1)
        ]
        store = _query_store(pg_pool, pg_schema, book)
        model = _in_memory(store)
        calls = _recording_where(monkeypatch)
        empty = _pg_queries.TextSample([""] * _pg_queries.MIN_SAMPLE)
        query = CustomerQuery(text="koks", include_private=False)
        try:
            assert _pg_queries.selective(query, empty)
            for sort in ("number", "name", "created"):
                for descending in (False, True):
                    for offset in range(len(book) + 2):
                        for limit in (None, *range(len(book) + 2)):
                            store._sample = (0, empty)
                            page = {"sort": sort, "descending": descending}
                            page |= {"offset": offset, "limit": limit}
                            want = [c.number for c in model.search(query, **page)]
                            got = [c.number for c in store.search_customers(query, **page)]
                            assert want == got, page
        finally:
            store.close()
        assert [c.number for c in model.search(query, sort="name")] == [5, 4, 1, 2, 3, 6, 7]
        assert all(sample is empty for sample, _ in calls)

    def test_the_sample_draws_rows_by_number(self, pg_pool, pg_schema, monkeypatch):
        """Each draw f in [0, 1) picks the row numbered 1 + floor(f * last number).

        0 picks the first row, a fraction just under 1 the last (never one past it);
        a row drawn twice is sampled once.
        """
        store = _customer_book(pg_pool, pg_schema, 10)
        monkeypatch.setattr(_pg_store, "sample_random", lambda: _Draws([0.0, 0.5, 1 - 2**-53]))
        calls = _recording_where(monkeypatch)
        again = PostgresStore(pg_pool, book_id=store.book_id, schema=pg_schema)
        try:
            again.count_customers(CustomerQuery(text="customer"))
        finally:
            again.close()
            store.close()
        sample = calls[0][0]
        numbers = sorted(int(n) for t in sample.texts for n in re.findall(r"customer(\d+)@", t))
        assert numbers == [1, 6, 10]


class TestFolding:
    def _admin_sql(self, postgres, schema, sql, *params):
        with postgres.admin() as conn:
            conn.execute(f'SET search_path = "{schema}"')
            cursor = conn.execute(sql, params)
            if sql.startswith("UPDATE debitor_book"):
                # The fold stamp is covered by the book row's checksum: made to match, as
                # a release that folds otherwise would write it.
                reseal_book(conn, schema, params[-1])
            return cursor.fetchall() if sql.startswith("SELECT") else None

    def test_a_fold_stamp_edited_by_hand_is_refused(self, postgres, pg_pool, pg_schema):
        """A fold stamp changed outside debitor-core (checksum not made to match) is damage."""
        store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
        with postgres.admin() as conn:
            conn.execute(
                f'UPDATE "{pg_schema}".debitor_book SET fold_version = NULL WHERE book_id = %s',
                (store.book_id,),
            )
        with pytest.raises(CorruptStore, match="its checksum does not match its columns"):
            PostgresStore(pg_pool, book_id=store.book_id, schema=pg_schema)

    def test_a_version_1_book_is_migrated_and_folded(
        self, postgres, pg_pool, fresh_schema, monkeypatch
    ):
        """Rows written before schema 2 get their computed columns when a store opens them."""
        with monkeypatch.context() as patched:
            patched.setattr(_schema, "SCHEMA_VERSION", 1)
            PostgresStore(pg_pool, book_id="old", schema=fresh_schema)
        customer = sample_customer(1, name="Müller Bērziņš")
        invoice = attrs.evolve(sample_records(customer)[0], state=InvoiceState.SENT)
        codec = RowCodec("the book 'old'")
        data, checksum = codec.dump(customer)
        self._admin_sql(
            postgres,
            fresh_schema,
            "INSERT INTO debitor_customer VALUES ('old', %s, 1, 1, 1, %s, %s)",
            customer.id,
            data,
            checksum,
        )
        data, checksum = codec.dump(invoice)
        self._admin_sql(
            postgres,
            fresh_schema,
            "INSERT INTO debitor_record VALUES ('old', 'invoice', %s, 1, 1, 1, 1, %s, %s)",
            invoice.key,
            data,
            checksum,
        )
        store = PostgresStore(pg_pool, book_id="old", schema=fresh_schema)
        assert [customer] == list(store.search_customers(CustomerQuery(text="mueller berzins")))
        assert [customer] == list(store.search_customers(CustomerQuery(), sort="name"))
        assert ([invoice], 1) == (list(store.invoices_of(customer.id)), store.last_invoice_number())
        assert [(customer, ("tax_id", "email", "phone", "name_city"))] == list(
            store.customers_sharing(duplicate_keys(customer))
        )
        assert [(FOLD_VERSION, UNICODE_VERSION)] == self._admin_sql(
            postgres, fresh_schema, "SELECT fold_version, unicode_version FROM debitor_book"
        )
        assert 0 == store.revision()  # folding is no change of the book

    def test_another_unicode_version_folds_again(self, postgres, pg_pool, pg_schema):
        """A book folded under another Unicode version is folded again on open."""
        store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
        customer = sample_customer(1, name="Koks")
        add(store, customer)
        self._admin_sql(
            postgres,
            pg_schema,
            "UPDATE debitor_customer SET search_text = 'zzz', match_keys = '{}' WHERE book_id = %s",
            store.book_id,
        )
        self._admin_sql(
            postgres,
            pg_schema,
            "UPDATE debitor_book SET unicode_version = '1.1.0' WHERE book_id = %s",
            store.book_id,
        )
        assert [] == list(store.search_customers(CustomerQuery(text="koks")))
        again = PostgresStore(pg_pool, book_id=store.book_id, schema=pg_schema)
        assert [customer] == list(again.search_customers(CustomerQuery(text="koks")))
        assert 1 == len(again.customers_sharing(duplicate_keys(customer)))

    def test_folding_twice_is_done_once(self, postgres, pg_pool, pg_schema):
        """A store that finds the book folded meanwhile (under the lock) leaves it alone."""
        store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
        add(store, sample_customer(1, name="Koks"))
        self._admin_sql(
            postgres,
            pg_schema,
            "UPDATE debitor_customer SET search_text = 'zzz' WHERE book_id = %s",
            store.book_id,
        )
        with store.transaction() as tx:
            tx.fold_book()
        assert 1 == store.count_customers(CustomerQuery(text="zzz"))

    def test_a_newer_fold_is_refused(self, postgres, pg_pool, pg_schema):
        """A book folded by a newer release is not folded back, and not opened."""
        store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
        add(store, sample_customer(1))
        self._admin_sql(
            postgres,
            pg_schema,
            "UPDATE debitor_book SET fold_version = %s WHERE book_id = %s",
            FOLD_VERSION + 1,
            store.book_id,
        )
        with pytest.raises(UnsupportedFormatVersion) as info:
            PostgresStore(pg_pool, book_id=store.book_id, schema=pg_schema)
        assert (
            f"The book {store.book_id!r} was folded for search by a newer debitor-core (fold "
            f"version {FOLD_VERSION + 1}; this one has {FOLD_VERSION}). Upgrade debitor-core "
            "to open it. The database was not changed." == str(info.value)
        )

    def test_a_damaged_row_stops_the_fold(self, postgres, pg_pool, pg_schema):
        """A damaged customer row is refused while folding; the book is left as it was."""
        store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
        add(store, sample_customer(1), sample_customer(2))
        self._admin_sql(
            postgres,
            pg_schema,
            "UPDATE debitor_customer SET checksum = checksum + 1 WHERE book_id = %s AND number = 2",
            store.book_id,
        )
        self._admin_sql(
            postgres,
            pg_schema,
            "UPDATE debitor_book SET fold_version = NULL WHERE book_id = %s",
            store.book_id,
        )
        with pytest.raises(CorruptStore, match=r"customer row .* checksum does not match"):
            PostgresStore(pg_pool, book_id=store.book_id, schema=pg_schema)
        assert [(None,)] == self._admin_sql(
            postgres,
            pg_schema,
            "SELECT fold_version FROM debitor_book WHERE book_id = %s",
            store.book_id,
        )


class TestRecordQueries:
    def test_records_answer_as_the_ledger(self, store):
        """Invoices, payments, deliveries, reminders and welcomes, each filtered and ordered."""
        koks, zari, third = (sample_customer(n, name=f"C{n}") for n in (1, 2, 3))
        invoice, payment, delivery, reminder = sample_records(koks)
        sent = attrs.evolve(invoice, state=InvoiceState.SENT, number=5)
        late = attrs.evolve(
            sample_records(zari)[0], number=2, state=InvoiceState.SENT, due_date=dt.date(2027, 1, 1)
        )
        plain = attrs.evolve(sample_records(third)[0], number=9, welcome=False)
        void = attrs.evolve(sample_records(third)[0], number=7, state=InvoiceState.VOID)
        sent_delivery = attrs.evolve(
            sample_records(zari)[2], state=DeliveryState.SENT, sent_at=_MOMENTS[0]
        )
        no_time = attrs.evolve(sample_records(third)[2], next_attempt=None)
        second_payment = attrs.evolve(payment, id=uuid.uuid4(), invoice_id=late.id)
        add(store, koks, zari, third)
        with store.transaction() as tx:
            for record in (sent, late, plain, void, no_time, second_payment, payment):
                tx.put_record(record, expected_version=None)
            tx.put_record(delivery, expected_version=None)
            tx.put_record(sent_delivery, expected_version=None)
            tx.put_record(reminder, expected_version=None)
        moment = delivery.next_attempt
        assert [late, sent, void, plain] == list(store.invoices_of())
        assert ([sent], [], []) == (
            list(store.invoices_of(koks.id)),
            list(store.invoices_of(uuid.uuid4())),
            list(store.invoices_of("nobody")),
        )
        assert 9 == store.last_invoice_number()
        assert [second_payment, payment] == list(store.payments_of({sent.id, late.id}))
        assert [] == list(store.payments_of([void.id, "x"]))
        assert [reminder] == list(store.reminders_of([sent.id]))
        assert [] == list(store.reminders_of([]))
        assert (True, True, False, False) == tuple(
            store.has_welcome(c) for c in (koks.id, zari.id, uuid.uuid4(), "x")
        )
        assert [no_time, delivery] == list(store.pending_deliveries())
        assert [no_time, delivery] == list(store.pending_deliveries(moment))
        assert [no_time] == list(store.pending_deliveries(moment - dt.timedelta(seconds=1)))
        assert ([], [sent], [late, sent]) == tuple(
            list(store.welcome_invoices_due(day))
            for day in (dt.date(2026, 12, 9), sent.due_date, late.due_date)
        )
        assert [sent] == list(store.invoices_matching(CustomerQuery(text="c1")))
        assert [late, sent, void, plain] == list(store.invoices_matching(CustomerQuery()))
        moved = attrs.evolve(sent, customer_id=third.id, version=2)
        with store.transaction() as tx:
            tx.put_record(moved, expected_version=1)
        assert ([], [moved, void, plain]) == (
            list(store.invoices_of(koks.id)),
            list(store.invoices_of(third.id)),
        )
        assert [no_time, delivery] == list(_in_memory(store).pending_deliveries())


def test_searches_are_never_prepared(postgres, pg_schema):
    """Searches are planned for their words each time: no generic plan reads the book."""
    pool = psycopg_pool.ConnectionPool(postgres.conninfo, min_size=1, max_size=1, open=False)
    pool.open(wait=True, timeout=30)
    try:
        store = PostgresStore(pool, book_id=new_book_id(), schema=pg_schema)
        add(store, sample_customer(1))
        query = CustomerQuery(text="koks sia", city="Rīga")
        for _ in range(8):
            store.search_customers(query, limit=5)
            store.count_customers(query)
            store.invoices_matching(query)
            store.invoices_of()
        with pool.connection() as conn:
            prepared = [
                row[0] for row in conn.execute("SELECT statement FROM pg_prepared_statements")
            ]
    finally:
        pool.close()
    assert [s for s in prepared if "kind = 'invoice'" in s and "customer_id IN" not in s]
    assert [] == [s for s in prepared if "LIKE" in s or "tags @>" in s], prepared


def _until_listening(postgres, application_name):
    """Wait until a backend of ``application_name`` listens and has read the revision."""
    with postgres.admin() as conn:
        for _ in range(600):
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
                "AND state = 'idle' AND query LIKE 'SELECT store_id, revision, %%'",
                (application_name,),
            ).fetchone()
            if row[0]:
                return
            conn.execute("SELECT pg_sleep(0.05)")
    raise AssertionError("the store never started listening")


class TestWaitForChange:
    def test_a_notifying_commit_wakes_the_wait(self, postgres, pg_pool, pg_schema):
        """A commit of a store with notify=True ends another store's wait at once."""
        book_id = new_book_id()
        writer = PostgresStore(pg_pool, book_id=book_id, schema=pg_schema, notify=True)
        with named_pool(postgres.conninfo) as pool:
            reader = PostgresStore(pool, book_id=book_id, schema=pg_schema)
            results = []
            waiting = threading.Thread(
                target=lambda: results.append(reader.wait_for_change(0, 3600)), daemon=True
            )
            waiting.start()
            _until_listening(postgres, pool.application_name)
            add(writer, sample_customer(1))
            waiting.join(60)
            assert not waiting.is_alive(), "the notification did not wake the wait"
        assert [1] == results

    def test_a_wait_that_is_behind_returns_at_once(self, store):
        """A book already past the revision given returns without waiting."""
        add(store, sample_customer(1), sample_customer(2))
        add(store, sample_customer(3))
        assert 2 == store.wait_for_change(0, 3600)

    def test_without_notifications_the_wait_times_out(self, pg_pool, pg_schema):
        """A store without notify sends none: the wait ends at its timeout, revision read."""
        book_id = new_book_id()
        quiet = PostgresStore(pg_pool, book_id=book_id, schema=pg_schema)
        add(quiet, sample_customer(1))
        assert 1 == quiet.wait_for_change(1, 0.05)
        assert 1 == quiet.wait_for_change(5, 0.05)  # ahead of the book: nothing to wait for

    def test_only_committed_changes_notify(self, postgres, pg_pool, pg_schema):
        """A rolled-back transaction notifies nobody; a commit notifies its revision."""
        store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema, notify=True)
        with psycopg.connect(postgres.conninfo, autocommit=True) as listener:
            listener.execute(f'LISTEN "{store.channel}"')
            with pytest.raises(RuntimeError), store.transaction() as tx:
                tx.add(sample_customer(1))
                raise RuntimeError
            add(store, sample_customer(1))
            received = [n.payload for n in listener.notifies(timeout=10, stop_after=1)]
        assert ["1"] == received

    def test_channels_are_per_book_and_schema(self, pg_pool, pg_schema, fresh_schema):
        """Each book of each schema has a channel of its own, a valid identifier."""
        channels = {
            PostgresStore(pg_pool, book_id=book, schema=schema).channel
            for book in ("a", "b")
            for schema in (pg_schema, fresh_schema)
        }
        assert 4 == len(channels)
        assert all(re.fullmatch(r"debitor_[0-9a-f]{32}", c) for c in channels)

    @pytest.mark.parametrize(
        ("revision", "timeout", "error"),
        [("1", 1, TypeError), (True, 1, TypeError), (0, 0, ValueError), (0, "1", TypeError)],
    )
    def test_bad_arguments(self, store, revision, timeout, error):
        """A revision that is not an int, or a timeout out of range, is refused."""
        with pytest.raises(error):
            store.wait_for_change(revision, timeout)

    def test_a_closed_store(self, pg_pool, pg_schema):
        """Waiting on a closed store is a StorageError."""
        store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
        store.close()
        with pytest.raises(StorageError, match="is closed"):
            store.wait_for_change(0, 1)

    def test_a_wait_whose_connection_dies(self, postgres, pg_schema):
        """A wait whose backend is terminated raises StorageError, not a driver error."""
        with named_pool(postgres.conninfo) as pool:
            store = PostgresStore(pool, book_id=new_book_id(), schema=pg_schema)
            errors_seen = []

            def wait():
                try:
                    store.wait_for_change(0, 3600)
                except StorageError as exc:
                    errors_seen.append(exc)

            waiting = threading.Thread(target=wait, daemon=True)
            waiting.start()
            _until_listening(postgres, pool.application_name)
            terminate(postgres, "application_name = %s", pool.application_name)
            waiting.join(60)
        assert not waiting.is_alive()
        assert 1 == len(errors_seen)


def test_a_failure_while_folding_rolls_back(pg_pool, pg_schema, monkeypatch):
    """A database error in the middle of folding again leaves the book as it was."""
    store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
    customer = sample_customer(1, custom_fields={"segment": "Mēbeles"})
    add(store, customer)

    def cancelled(*_):
        raise errors.QueryCanceled("canceling statement due to statement timeout")

    monkeypatch.setattr(PostgresTransaction, "_computed", cancelled)
    with pytest.raises(StorageError), store.transaction() as tx:
        tx.put_custom_field(CustomFieldDefinition("segment", "Segment"))
    monkeypatch.undo()
    assert [] == list(store.custom_fields())
    assert [] == list(store.search_customers(CustomerQuery(text="mebeles")))


@pytest.mark.parametrize(
    ("value", "stored", "expected"), [(object(), True, []), (object(), False, None)]
)
def test_field_values_of_no_known_type(value, stored, expected):
    """A value of no custom-field type has no tags, and a filter on it matches nothing."""
    assert expected == _derived.field_tags("k", value, stored=stored)


class TestHistoryLookups:
    """History, forwards and records about a customer, by the existing indexed columns."""

    @pytest.fixture
    def merged(self, store, clock):
        """Customer 3 merged into 2 and 2 into 1, customer 1 erased; returns (book, ids)."""
        book = CustomerBook(store, clock=clock)
        ids = [
            book.register({"name": name, "address": {"country": "LV"}}, author="anna").id
            for name in ("Anna Ozola", "Berta Kalna", "Cilda Liepa")
        ]
        book.merge(ids[1], ids[2], author="anna")
        book.merge(ids[0], ids[1], author="anna")
        book.erase(ids[0], reason="asked")
        return book, ids

    def columns(self, store, sql, *params):
        with store._pool.connection() as conn:
            table = f'"{store._names.schema}".debitor_record'
            return conn.execute(sql.format(table=table), (store.book_id, *params)).fetchall()

    def test_the_columns_hold_customer_and_number(self, store, merged):
        """History entries, forwards and erasures fill customer_id (a forward its number)."""
        _, ids = merged
        rows = self.columns(
            store,
            "SELECT kind, customer_id, invoice_number FROM {table} WHERE book_id = %s "
            "AND kind IN ('history', 'forward', 'erasure')",
        )
        assert all(row[1] in ids for row in rows)
        assert {(ids[1], 3), (ids[0], 2)} == {(r[1], r[2]) for r in rows if r[0] == "forward"}
        assert [ids[0]] == [r[1] for r in rows if r[0] == "erasure"]

    def test_lookups_answer_as_the_book(self, store, merged):
        """Forwards by number and target, history oldest first, the erasure among the records."""
        book, ids = merged
        assert [ids[1]] == [f.to for f in store.forwards_numbered(3)]
        assert [ids[2]] == [f.customer_id for f in store.forwards_to(ids[1])]
        assert book.history(ids[2]) == list(store.history_of(ids[2]))
        assert ["Erasure"] == [type(r).__name__ for r in store.records_about(ids)]
        assert ids[0] == book.get_by_number(3).id

    @pytest.mark.usefixtures("merged")
    @pytest.mark.parametrize("junk", [True, 0, -1, 2**53 + 1, 2**80, "3", 3.0, None])
    def test_no_number_finds_nothing(self, store, junk):
        """Anything but a customer number finds no forward (and never reaches PostgreSQL)."""
        assert [] == list(store.forwards_numbered(junk))
        assert [] == list(store.history_of(junk))

    def test_a_damaged_column_never_gives_a_wrong_record(self, store, merged):
        """A history row whose customer_id names another customer is left out."""
        _, ids = merged
        with store._pool.connection() as conn, conn.transaction():
            conn.execute("SET LOCAL debitor.writer = '4'")  # past the guard of schema 4
            conn.execute(
                f'UPDATE "{store._names.schema}".debitor_record SET customer_id = %s '
                "WHERE book_id = %s AND kind = 'history' AND customer_id = %s",
                (ids[1], store.book_id, ids[2]),
            )
        assert all(e.customer_id == ids[1] for e in store.history_of(ids[1]))
        assert [] == list(store.history_of(ids[2]))

    def test_rows_without_the_columns_are_filled_when_the_book_opens(
        self, pg_pool, pg_schema, store, merged
    ):
        """Rows written before these kinds had columns: the book is folded again on open."""
        book, ids = merged
        with store._pool.connection() as conn, conn.transaction():
            conn.execute("SET LOCAL debitor.writer = '4'")  # past the guard of schema 4
            conn.execute(
                f'UPDATE "{pg_schema}".debitor_record SET customer_id = NULL, '
                "invoice_number = NULL WHERE book_id = %s "
                "AND kind IN ('history', 'forward', 'erasure')",
                (store.book_id,),
            )
        assert [] == list(store.history_of(ids[2]))  # what the lookups would miss
        revision = store.revision()
        with PostgresStore(pg_pool, book_id=store.book_id, schema=pg_schema) as reopened:
            assert book.history(ids[2]) == list(reopened.history_of(ids[2]))
            assert [ids[1]] == [f.to for f in reopened.forwards_numbered(3)]
            assert revision == reopened.revision()  # the data did not change
