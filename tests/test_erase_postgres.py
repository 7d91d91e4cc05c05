"""Erasure on PostgreSQL: after `erase` no page of the tables holds an erased value.

The pages are read raw (``pageinspect``'s ``get_raw_page``): every page of every table
and index of the book's schema, their TOAST tables and TOAST indexes, and the planner's
statistics (``pg_statistic``), which sample column values. The tests run in a database
of their own, so that no other session's transaction holds old row versions back.
"""

import contextlib
import datetime as dt
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import psycopg.sql
import psycopg_pool
import pytest

import postgres_server
from conftest import FakeClock
from debitor_core import CustomerBook, InvoiceLine, StorageError, StoreLocked
from debitor_core._text import fold
from debitor_core.storage import PostgresStore
from postgres_server import ENV_REQUIRE

_RANDOM = random.Random(15)
_NOTE = "".join(_RANDOM.choice("bcdfghjklmnpqrstvwxz") for _ in range(4_000))
"""A long note that does not compress: PostgreSQL stores it out of line, in TOAST."""

PERSON = {
    "kind": "person",
    "name": "Žqxjkvb Wyxtrplé",
    "email": "Old.Zqxmail@Example.com",
    "phone": "+37129876543",
    "website": "https://zqxsite.example",
    "tax_id": "LV40003090006",
    "address": {"country": "LV", "city": "Zqxoldcity", "street": "Zqxoldstreet 17"},
    "notes": "Qwfpgjluynote " + _NOTE,
    "custom_fields": {"diary": "Vzkxqjdiary"},
    "consent": {"email": True, "source": "signup form"},
}
CHANGES = {
    "email": "new.zqxmail@example.com",
    "address": {"city": "Zqxnewcity", "street": "Zqxnewstreet 9"},
}
# What only the person's record, history and indexes hold (never an invoice copy).
SECRETS = (
    "+37129876543",
    "Qwfpgjluynote",
    "Vzkxqjdiary",
    "Old.Zqxmail@Example.com",
    "Zqxoldcity",
    "Zqxoldstreet 17",
    "zqxsite.example",
    _NOTE[:32],
    _NOTE[2_000:2_032],
    _NOTE[-32:],
)
# What the invoice copies keep (as written) until their retention ends.
ON_INVOICES = ("Žqxjkvb Wyxtrplé", "new.zqxmail@example.com", "Zqxnewcity", "LV40003090006")
# Trigrams of the note as the trigram index keeps them (pg_trgm's gin_trgm_ops: an int4).
TRIGRAMS = tuple("qwfpgjluynote"[i : i + 3] for i in range(len("qwfpgjluynote") - 2))


def forms(value):
    """``value`` as the store may hold it: as written, JSON-escaped, lower case, folded."""
    return {value, json.dumps(value)[1:-1], value.lower(), fold(value)}


def trigram_key(trigram):
    value = (ord(trigram[0]) << 16) | (ord(trigram[1]) << 8) | ord(trigram[2])
    return value.to_bytes(4, sys.byteorder)


def written(value):
    """``value`` as an invoice copy holds it: as written, or JSON-escaped."""
    return {value, json.dumps(value)[1:-1]}


def folded_only(value):
    """The forms of ``value`` that an invoice copy never holds (folded, lower case)."""
    return forms(value) - written(value)


def one_line(exc):
    return " ".join(str(exc).split()) or type(exc).__name__


def prepare_pages_db(conninfo):
    """Add pageinspect and pg_trgm; return None, or why they cannot be had."""
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("CREATE SCHEMA pageinspect")
            conn.execute("CREATE EXTENSION pageinspect SCHEMA pageinspect")
            conn.execute("CREATE EXTENSION pg_trgm")
    except psycopg.Error as exc:
        return f"the pageinspect extension cannot be created ({one_line(exc)})"
    return None


def may_create_pageinspect(conninfo):
    """Return None when this role may create pageinspect, or why not (rolled back, in place).

    Asked before a database is made, so that a role without the right neither creates nor
    drops one: DROP DATABASE waits until every backend of the server has answered a signal
    barrier, and a backend in ``COPY FROM STDIN`` waiting for its client (an import that
    validates as it copies, in another test run) answers only when its COPY ends.
    """
    try:
        with psycopg.connect(conninfo) as conn:
            try:
                conn.execute("CREATE EXTENSION pageinspect")
            except psycopg.errors.DuplicateObject:
                pass  # the database has it already: the database of the tests decides
            finally:
                conn.rollback()
    except psycopg.Error as exc:
        return f"the pageinspect extension cannot be created ({one_line(exc)})"
    return None


@pytest.fixture(scope="module")
def pages_db(postgres):
    """A database of its own with ``pageinspect``; skips (one line) when it cannot be had.

    It is copied from ``template0``: CREATE DATABASE from ``template1`` fails while any
    other session is connected to ``template1``.
    """
    why = may_create_pageinspect(postgres.conninfo)
    if why is not None:
        postgres_server.unavailable(why)
    name = f"debitor_erase_{uuid.uuid4().hex[:12]}"
    try:
        with postgres.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    except psycopg.Error as exc:
        why = f"a database for the page tests cannot be created ({one_line(exc)})"
        postgres_server.unavailable(why)
    conninfo = psycopg.conninfo.make_conninfo(postgres.conninfo, dbname=name)
    try:
        why = prepare_pages_db(conninfo)
        if why is not None:
            postgres_server.unavailable(why)
        yield conninfo
    finally:
        with postgres.admin() as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def schema(pages_db):
    """A schema of the test's own in the page tests' database, dropped at the end."""
    name = f"erase_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(pages_db, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


_RELATIONS = """
WITH mine AS (
    SELECT oid, reltoastrelid FROM pg_class
    WHERE relnamespace = %(schema)s::regnamespace AND relkind IN ('r', 'i')
    UNION ALL
    SELECT oid, reltoastrelid FROM pg_class WHERE oid = 'pg_catalog.pg_statistic'::regclass
), toast AS (
    SELECT reltoastrelid AS oid FROM mine WHERE reltoastrelid <> 0
)
SELECT oid::regclass::text FROM mine
UNION ALL SELECT oid::regclass::text FROM toast
UNION ALL SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid IN (SELECT oid FROM toast)
"""


def read_pages(conninfo, schema):
    """Every page of the schema's relations (TOAST too) and of pg_statistic, by relation."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        names = [row[0] for row in conn.execute(_RELATIONS, {"schema": schema})]
        found = {}
        for name in names:
            rows = conn.execute(
                "SELECT pageinspect.get_raw_page(%(r)s::text, 'main', b) FROM generate_series(0, "
                "pg_relation_size(%(r)s::text::regclass) / current_setting('block_size')::int - 1) b",
                {"r": name},
            )
            found[name] = b"".join(row[0] for row in rows)
    return found


def traces(pages, values):
    """The values (any of their `forms`) found in ``pages``, sorted."""
    return sorted(v for v in values if any(f.encode() in p for f in forms(v) for p in pages))


def trigram_traces(pages):
    return [t for t in TRIGRAMS if any(trigram_key(t) in p for p in pages)]


def open_store(conninfo, schema, **options):
    return PostgresStore.connect(conninfo, book_id="erase", schema=schema, **options)


def fill(store, *, invoice=True):
    """The person, changed three times, with an invoice and a payment; a neighbour."""
    book = CustomerBook(store, clock=FakeClock())
    book.define_field("diary", "Diary", "text", personal_data=True)
    book.register({"name": "Anna Neighbour", "address": {"country": "LV"}})
    person = book.register(PERSON, author="anna")
    person = book.update(person.id, CHANGES, expected_version=person.version)
    for phone in ("+37129876543", "+37120000001", "+37129876543"):
        person = book.update(person.id, {"phone": phone}, expected_version=person.version)
    if invoice:
        issued = book.issue_invoice(
            person.id, [InvoiceLine("Chair", 1, 10)], issue_date=dt.date(2026, 1, 5)
        )
        book.record_payment(issued.id, 5, date=dt.date(2026, 1, 6))
    return book, person


def settle(conninfo):
    """Wait until no other session of the database has a snapshot or a transaction id.

    What a transaction older than the erasure can see stays (the tests of that say so);
    autovacuum's ANALYZE of the catalogs, which the tests' DDL keeps busy, is one.
    """
    query = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND (backend_xmin IS NOT NULL OR backend_xid IS NOT NULL)"
    )
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for _ in range(6_000):
            if conn.execute(query).fetchone()[0] == 0:
                return
            time.sleep(0.01)
    pytest.fail("Another session of the test database kept a transaction open for a minute.")


def analyze(conninfo, schema):
    """What autovacuum does now and then: the statistics then sample the person's values."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'ANALYZE "{schema}".debitor_customer, "{schema}".debitor_record')


class TestRewrite:
    @pytest.mark.parametrize("deleted", [False, True], ids=["live", "deleted"])
    def test_no_trace_in_any_page(self, pages_db, schema, deleted):
        """Tables, indexes, TOAST and statistics hold no erased value, but the invoice copies."""
        with open_store(pages_db, schema) as store:
            book, person = fill(store, invoice=not deleted)
            analyze(pages_db, schema)
            if deleted:  # a customer without invoices may be deleted
                book.delete(person.id)
            before = read_pages(pages_db, schema)
            toast = [p for name, p in before.items() if name.startswith("pg_toast.")]
            assert (sorted(SECRETS), list(TRIGRAMS), [_NOTE[:32]], True) == (
                traces(before.values(), SECRETS),
                trigram_traces(before.values()),
                traces(toast, [_NOTE[:32]]),
                bool(traces([before["pg_statistic"]], SECRETS)),
            )
            settle(pages_db)
            assert "Erased customer 2" == book.erase(person.id, reason="Request").name
            after = read_pages(pages_db, schema)
            folded = [f for v in ON_INVOICES for f in folded_only(v)]
            kept = [] if deleted else list(ON_INVOICES)  # only invoices keep them
            assert ([], [], [], kept) == (
                traces(after.values(), SECRETS),
                trigram_traces(after.values()),
                [f for f in folded if any(f.encode() in p for p in after.values())],
                [
                    v
                    for v in ON_INVOICES
                    if any(f.encode() in p for f in written(v) for p in after.values())
                ],
            )
            settle(pages_db)
            book.erase_invoice_copies(issued_before=dt.date(2030, 1, 1))
            last = read_pages(pages_db, schema)
            assert [] == traces(last.values(), SECRETS + ON_INVOICES)
            assert "Anna Neighbour" == book.get_by_number(1).name

    def test_the_statistics_are_rewritten(self, pages_db, schema):
        """pg_statistic's file is rewritten by a superuser's scrub, with new statistics."""
        with open_store(pages_db, schema) as store:
            book, person = fill(store)
            analyze(pages_db, schema)
            relfilenode = "SELECT pg_relation_filenode('pg_catalog.pg_statistic')"
            with psycopg.connect(pages_db, autocommit=True) as conn:
                before = conn.execute(relfilenode).fetchone()[0]
                book.erase(person.id, reason="Request")
                after = conn.execute(relfilenode).fetchone()[0]
                sampled = conn.execute(
                    "SELECT count(*) FROM pg_stats WHERE schemaname = %s "
                    "AND tablename = 'debitor_customer'",
                    (schema,),
                ).fetchone()[0]
            assert (True, True) == (before != after, sampled > 0)

    def test_an_older_transaction_keeps_what_it_sees(self, pages_db, schema):
        """A transaction begun before the erasure keeps its rows; a later scrub removes them."""
        with open_store(pages_db, schema) as store:
            book, person = fill(store)
            visible = set(SECRETS) - {"Old.Zqxmail@Example.com"}  # the last version's values
            with psycopg.connect(pages_db) as reader:
                # Its snapshot is taken now; it locks none of the tables.
                reader.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                reader.execute("SELECT 1")
                book.erase(person.id, reason="Request")
                kept = traces(read_pages(pages_db, schema).values(), SECRETS)
                query = psycopg.sql.SQL(
                    "SELECT count(*) FROM {}.debitor_customer WHERE data LIKE %s"
                )
                query = query.format(psycopg.sql.Identifier(schema))
                seen = reader.execute(query, ("%Qwfpgjluynote%",)).fetchone()[0]
            settle(pages_db)
            store.scrub()
            assert (set(), 1, []) == (
                visible - set(kept),
                seen,
                traces(read_pages(pages_db, schema).values(), SECRETS),
            )

    def test_a_lock_held_too_long(self, pages_db, schema):
        """A table locked by another transaction: StoreLocked after lock_timeout, erasure kept."""
        with open_store(pages_db, schema, lock_timeout=0.2, max_size=1) as store:
            book, person = fill(store)
            with psycopg.connect(pages_db) as other:
                other.execute(f'LOCK TABLE "{schema}".debitor_record IN ACCESS SHARE MODE')
                with pytest.raises(StoreLocked):
                    book.erase(person.id, reason="Request")
            assert "Erased customer 2" == book.get(person.id).name
            with store._connection() as conn:  # the pool's one connection
                setting = conn.execute("SHOW lock_timeout").fetchone()[0]
            settle(pages_db)
            store.scrub()
        assert "0" == setting
        assert [] == traces(read_pages(pages_db, schema).values(), SECRETS)

    def test_the_connection_lost_while_rewriting(self, pages_db, schema):
        """A scrub whose backend is terminated: StorageError, the store goes on, scrub again."""
        with open_store(pages_db, schema, lock_timeout=60, max_size=1) as store:
            book, person = fill(store)
            outcome = []

            def erase():
                try:
                    book.erase(person.id, reason="Request")
                except StorageError as exc:
                    outcome.append(exc)

            waiting = (
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND query LIKE 'VACUUM (FULL)%%' AND wait_event_type = 'Lock'"
            )
            with psycopg.connect(pages_db) as other, psycopg.connect(pages_db) as admin:
                other.execute(f'LOCK TABLE "{schema}".debitor_record IN ACCESS SHARE MODE')
                worker = threading.Thread(target=erase)
                worker.start()
                admin.autocommit = True
                for _ in range(6_000):  # the rewrite waits for the lock: end its session
                    row = admin.execute(waiting).fetchone()
                    if row is not None:
                        admin.execute("SELECT pg_terminate_backend(%s)", (row[0],))
                        break
                    time.sleep(0.01)
                worker.join(timeout=120)
            settle(pages_db)
            store.scrub()
            assert (["storage.connection_lost"], "Erased customer 2") == (
                [e.code for e in outcome],
                book.get(person.id).name,
            )
        assert [] == traces(read_pages(pages_db, schema).values(), SECRETS)


class TestVacuumOnly:
    def test_keys_stay_in_the_indexes(self, pages_db, schema):
        """scrub="vacuum" locks nothing, and leaves keys of erased values in the GIN indexes."""
        with open_store(pages_db, schema, scrub="vacuum") as store:
            book, person = fill(store)
            book.erase(person.id, reason="Request")
            indexes = read_pages(pages_db, schema)
        keys = indexes[f"{schema}.debitor_customer_keys"]
        assert (True, list(TRIGRAMS)) == (
            fold("Old.Zqxmail@Example.com").encode() in keys,
            trigram_traces([indexes[f"{schema}.debitor_customer_private"]]),
        )

    def test_bad_option(self, pages_db, schema):
        """The scrub option is "rewrite" or "vacuum"; anything else is a ValueError."""
        with pytest.raises(ValueError, match="scrub must be 'rewrite' or 'vacuum', not 'full'"):
            open_store(pages_db, schema, scrub="full")


@contextlib.contextmanager
def role_pool(conninfo, schema, *, owner):
    """A pool whose role owns the schema's tables (``owner``) or was only granted them."""
    role = f"debitor_erase_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" NOLOGIN')
        if owner:
            conn.execute(f'CREATE SCHEMA "{schema}" AUTHORIZATION "{role}"')
            database = conn.info.dbname
            conn.execute(f'GRANT CREATE ON DATABASE "{database}" TO "{role}"')
        else:
            PostgresStore.connect(conninfo, book_id="erase", schema=schema).close()
            conn.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
            conn.execute(f'GRANT ALL ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"')
    options = psycopg.conninfo.make_conninfo(conninfo, options=f"-c role={role}")
    pool = psycopg_pool.ConnectionPool(options, min_size=1, max_size=2, open=False)
    pool.open(wait=True, timeout=30)
    try:
        yield pool
    finally:
        pool.close()
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')


class TestRoles:
    def test_a_role_that_does_not_own_the_tables(self, pages_db, schema):
        """Only the tables' owner may vacuum them: the erasure is kept, scrub says why."""
        with role_pool(pages_db, schema, owner=False) as pool:
            store = PostgresStore(pool, book_id="erase", schema=schema)
            book, person = fill(store)
            with pytest.raises(StorageError) as caught:
                book.erase(person.id, reason="Request")
            assert ("storage.forbidden", "Erased customer 2") == (
                caught.value.code,
                book.get(person.id).name,
            )
            assert "only the owner of the tables" in str(caught.value)

    def test_the_owner_leaves_the_statistics_to_the_database_owner(self, pages_db, schema):
        """A role that owns the tables, not the database: tables rewritten, pg_statistic not."""
        with role_pool(pages_db, schema, owner=True) as pool:
            store = PostgresStore(pool, book_id="erase", schema=schema)
            book, person = fill(store)
            relfilenode = "SELECT pg_relation_filenode('pg_catalog.pg_statistic')"
            settle(pages_db)
            with psycopg.connect(pages_db, autocommit=True) as conn:
                before = conn.execute(relfilenode).fetchone()[0]
                book.erase(person.id, reason="Request")
                after = conn.execute(relfilenode).fetchone()[0]
            tables = {
                name: data
                for name, data in read_pages(pages_db, schema).items()
                if "pg_statistic" not in name
            }
            assert (before, []) == (after, traces(tables.values(), SECRETS))


CHILD_TIMEOUT = 300
"""Seconds the child pytest may take (it takes a few); then it fails with what it wrote."""


def run_as(conninfo, role, *, require):
    """Run one page test in a child pytest whose server is reached as ``role``.

    Should the child not finish in `CHILD_TIMEOUT` seconds, the test fails with what the
    child wrote, and the stacks of its threads: pytest's faulthandler dumps them a minute
    before the timeout.
    """
    env = {k: v for k, v in os.environ.items() if k not in {ENV_REQUIRE, "COV_CORE_SOURCE"}}
    env["DEBITOR_PG_DSN"] = psycopg.conninfo.make_conninfo(conninfo, user=role)
    if require:
        env[ENV_REQUIRE] = "1"
    test = "tests/test_erase_postgres.py::TestVacuumOnly::test_bad_option"
    options = ["-p", "no:cacheprovider", "-q", "-p", "no:randomly"]
    options += ["-o", f"faulthandler_timeout={CHILD_TIMEOUT - 60}"]
    try:
        return subprocess.run(
            [sys.executable, "-m", "pytest", *options, test],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            check=False,
            timeout=CHILD_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(timed_out(exc), pytrace=False)


def timed_out(exc):
    """What a child that ran out of time wrote (its stdout, then its stderr)."""

    def text(output):
        return output.decode(errors="replace") if isinstance(output, bytes) else output or ""

    return (
        f"The child pytest did not finish in {exc.timeout:g} seconds.\n"
        f"--- its stdout ---\n{text(exc.stdout)}\n--- its stderr ---\n{text(exc.stderr)}"
    )


@contextlib.contextmanager
def new_role(postgres, *attributes):
    """A role that may log in (with ``attributes``, such as CREATEDB), dropped at the end."""
    name = f"debitor_erase_{uuid.uuid4().hex[:12]}"
    with postgres.admin() as conn:
        conn.execute(f'CREATE ROLE "{name}" LOGIN {" ".join(attributes)}')
    try:
        try:
            with psycopg.connect(postgres.conninfo, user=name, connect_timeout=5):
                pass
        except psycopg.Error as exc:
            pytest.skip(f"the server does not let a new role log in ({one_line(exc)})")
        yield name
    finally:
        with postgres.admin() as conn:
            conn.execute(f'DROP ROLE "{name}"')


@pytest.fixture(scope="module")
def login_role(postgres):
    """A role that may log in, but neither create databases nor pageinspect.

    Its skip must still name pageinspect: the page tests ask for it before they make a
    database.
    """
    with new_role(postgres) as name:
        yield name


@pytest.fixture(scope="module")
def createdb_role(postgres):
    """A role that may log in and create databases, but not pageinspect."""
    with new_role(postgres, "CREATEDB") as name:
        yield name


@contextlib.contextmanager
def copy_waiting(conninfo):
    """A session elsewhere in the server in ``COPY FROM STDIN``, waiting for its client.

    So an import waits while it validates the next rows. Until its COPY ends, its backend
    answers no signal barrier, and DROP DATABASE anywhere in the server waits for it.
    """
    with psycopg.connect(conninfo) as conn:
        conn.execute("CREATE TEMPORARY TABLE waiting (x int)")
        with conn.cursor() as cur, cur.copy("COPY waiting FROM STDIN") as copy:
            copy.write_row((1,))
            yield


class TestWithoutSuperuser:
    def test_skipped_with_one_line(self, postgres, login_role):
        """Without the right to create pageinspect the page tests skip, saying why."""
        result = run_as(postgres.conninfo, login_role, require=False)
        skipped = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
        assert (0, 1) == (result.returncode, len(skipped)), result.stdout
        assert (
            "PostgreSQL tests skipped: the pageinspect extension cannot be created "
            "(permission denied to create extension" in skipped[0]
        )

    def test_required_in_ci(self, postgres, login_role):
        """With DEBITOR_REQUIRE_POSTGRES=1 (CI) the skip is a failure."""
        result = run_as(postgres.conninfo, login_role, require=True)
        assert 1 == result.returncode
        assert "PostgreSQL is required (DEBITOR_REQUIRE_POSTGRES=1) but not available" in (
            result.stdout
        )

    def test_a_copy_elsewhere_in_the_server(self, postgres, createdb_role):
        """A role that may create databases skips as well while another session copies.

        It makes no database it would have to drop: the DROP would wait for the COPY.
        """
        with copy_waiting(postgres.conninfo):
            result = run_as(postgres.conninfo, createdb_role, require=False)
        skipped = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
        assert (0, 1) == (result.returncode, len(skipped)), result.stdout
        assert "the pageinspect extension cannot be created" in skipped[0]

    def test_a_child_out_of_time_shows_what_it_wrote(self):
        """A timeout reports the child's output (bytes, as subprocess may leave it)."""
        exc = subprocess.TimeoutExpired(["pytest"], 300, output=b"collected 1 item", stderr=None)
        assert timed_out(exc) == (
            "The child pytest did not finish in 300 seconds.\n"
            "--- its stdout ---\ncollected 1 item\n--- its stderr ---\n"
        )
