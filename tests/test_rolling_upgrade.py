"""A process of the release before, still running after an upgrade, cannot write.

A rolling deploy: several app servers run the release before (PostgreSQL schema 3,
SQLite schema 6), one is restarted with this one and migrates the schema. The old
processes checked the version when they opened their store, and would go on writing rows
without the checksums of the new schema, which this release then refuses as damage.
The guards (PostgreSQL: a trigger that wants ``debitor.writer``; SQLite: triggers that
call ``debitor_writer()``) make the old process's write fail and roll back instead.

These tests run the release before itself (``git archive`` of its commit) in a child
process; they are skipped where git or that commit is not at hand.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import psycopg
import pytest

from debitor_core import CorruptStore
from debitor_core.storage import PostgresStore, SqliteStore
from debitor_core.storage._postgres import _schema as pg_schema_module
from debitor_core.storage._sqlite import _schema as sqlite_schema
from debitor_core.testing import sample_customer

PREVIOUS_RELEASE = "fc37efc"
"""The commit of the release before the checksums of PostgreSQL 4 and SQLite 7."""

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def previous_release(tmp_path_factory):
    """The ``src`` folder of the release before, unpacked from git (skip if not at hand)."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed: the release before cannot be unpacked")
    found = subprocess.run(
        [git, "-C", str(ROOT), "cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    if found.returncode != 0:
        pytest.skip(f"commit {PREVIOUS_RELEASE} (the release before) is not in this clone")
    archive = subprocess.run(
        [git, "-C", str(ROOT), "archive", "--format=tar", PREVIOUS_RELEASE, "src"],
        capture_output=True,
        check=True,
    ).stdout
    folder = tmp_path_factory.mktemp("previous-release")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


# The old process: opens the store, adds customer 1, says so, waits for a line (the
# upgrade happens meanwhile), then tries three write transactions and prints, as JSON,
# what became of each: "ok", or the exception's class and message.
_OLD = """
import json, sys, attrs
import debitor_core
assert debitor_core.__file__.startswith({source!r}), debitor_core.__file__
from debitor_core.storage import {opener}
from debitor_core.testing import sample_customer
store = {open_store}
first = sample_customer(1)
with store.transaction() as tx:
    tx.add(first)
print("ready", flush=True)
sys.stdin.readline()

def update(tx):
    tx.update(attrs.evolve(first, name="Renamed by the old release", version=2),
              expected_version=1)

def add_two(tx):
    tx.add(sample_customer(2))
    tx.add(sample_customer(3))

def delete(tx):
    tx.delete(first.id)

outcome = {{}}
for name, work in (("update", update), ("add", add_two), ("delete", delete)):
    try:
        with store.transaction() as tx:
            work(tx)
    except Exception as exc:
        outcome[name] = [type(exc).__name__, str(exc)]
    else:
        outcome[name] = "ok"
print(json.dumps(outcome), flush=True)
"""


def run_old_process(source: Path, opener: str, open_store: str, upgrade) -> dict:
    """Run the release before against a book; ``upgrade()`` runs between its two steps."""
    script = textwrap.dedent(_OLD).format(source=str(source), opener=opener, open_store=open_store)
    env = {**os.environ, "PYTHONPATH": str(source)}
    old = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        ready = old.stdout.readline().strip()
        assert ready == "ready", old.stderr.read()
        upgrade()
        out, err = old.communicate("\n", timeout=120)
    finally:
        if old.poll() is None:
            old.kill()
            old.wait()
    assert old.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


class TestPostgres:
    """Schema 3 to 4 while a process of the release before goes on running."""

    def test_the_old_release_cannot_write_after_the_upgrade(
        self, postgres, fresh_schema, previous_release
    ):
        """Its updates, adds and deletes fail and roll back; the book reads clean after."""
        book = "rolling"
        open_store = (
            f"PostgresStore.connect({postgres.conninfo!r}, book_id={book!r}, "
            f"schema={fresh_schema!r}, max_size=1)"
        )

        def upgrade():
            with PostgresStore.connect(
                postgres.conninfo, book_id=book, schema=fresh_schema, max_size=1
            ) as new:
                assert 1 == new.revision()

        outcome = run_old_process(previous_release, "PostgresStore", open_store, upgrade)
        assert set(outcome) == {"update", "add", "delete"}
        for name, result in outcome.items():
            assert result != "ok", name
            kind, message = result
            assert kind == "StorageError", (name, result)
            assert "restart the process with the new release" in message, (name, message)
        with PostgresStore.connect(
            postgres.conninfo, book_id=book, schema=fresh_schema, max_size=1
        ) as new:
            new.verify()
            assert 1 == new.revision()
            assert [(1, sample_customer(1).name, 1)] == [
                (c.number, c.name, c.version) for c in new.customers()
            ]
            changes = new.changes_since(0)
            assert changes is not None
            assert [1] == [c.number for c in changes.customers]
            assert not changes.deleted
            # No false refusal: the new release writes, its rows read clean.
            with new.transaction() as tx:
                tx.add(sample_customer(2))
            new.verify()
            assert [1, 2] == [c.number for c in new.customers()]

    def test_old_release_opens_the_upgraded_book_never(
        self, postgres, fresh_schema, previous_release
    ):
        """The release before refuses schema 4 when it opens it (its own check, kept)."""
        PostgresStore.connect(postgres.conninfo, book_id="b", schema=fresh_schema).close()
        script = (
            "from debitor_core.storage import PostgresStore\n"
            f"PostgresStore.connect({postgres.conninfo!r}, book_id='b', schema={fresh_schema!r})"
        )
        child = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(previous_release)},
            check=False,
            timeout=120,
        )
        assert child.returncode != 0
        assert "UnsupportedFormatVersion" in child.stderr


class TestPostgresGuard:
    """The trigger of schema 4 on every table, without the release before."""

    @pytest.fixture
    def book(self, postgres, fresh_schema):
        with PostgresStore.connect(
            postgres.conninfo, book_id="guarded", schema=fresh_schema, max_size=1
        ) as store:
            with store.transaction() as tx:
                tx.add(sample_customer(1))
            yield store

    @staticmethod
    def table_rows(conn, schema):
        return {
            table: conn.execute(f'SELECT * FROM "{schema}".{table} ORDER BY 1, 2').fetchall()  # noqa: S608 - our own names
            for table in pg_schema_module.TABLES
        }

    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE {s}debitor_book SET revision = revision + 1",
            "UPDATE {s}debitor_customer SET changed_revision = 0 WHERE false",
            "DELETE FROM {s}debitor_customer",
            "DELETE FROM {s}debitor_customer_deleted",
            "INSERT INTO {s}debitor_category SELECT * FROM {s}debitor_category WHERE false",
            "UPDATE {s}debitor_custom_field SET data = data",
            "DELETE FROM {s}debitor_record",
            "TRUNCATE {s}debitor_customer",
            "TRUNCATE {s}debitor_book CASCADE",
        ],
    )
    @pytest.mark.parametrize("writer", [None, "", "3", "0", "4x", " 4", "-4", "99999999999"])
    def test_a_write_without_the_setting_is_refused(
        self, postgres, fresh_schema, book, statement, writer
    ):
        """Even one that changes no row; a setting below 4, or not a number, is no better."""
        with postgres.admin(writer=False) as conn:
            before = self.table_rows(conn, fresh_schema)

            def attempt():
                with conn.transaction():
                    if writer is not None:
                        conn.execute("SELECT set_config('debitor.writer', %s, true)", (writer,))
                    conn.execute(statement.replace("{s}", f'"{fresh_schema}".'))

            with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState) as refused:
                attempt()
            assert "restart the process with the new release" in str(refused.value)
            assert "SET LOCAL debitor.writer = '4'" in (refused.value.diag.message_hint or "")
            assert before == self.table_rows(conn, fresh_schema)
        book.verify()

    @pytest.mark.usefixtures("book")
    def test_copy_without_the_setting_is_refused(self, postgres, fresh_schema):
        """COPY fires the statement trigger too: nothing is copied."""
        with postgres.admin(writer=False) as conn:
            table = f'"{fresh_schema}".debitor_custom_field'
            with (
                pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState),
                conn.cursor().copy(f"COPY {table} FROM STDIN") as copy,
            ):
                copy.write_row(("guarded", "k", 1, 1, "{}", 0, 0))
            assert [] == conn.execute(f"SELECT * FROM {table}").fetchall()  # noqa: S608 - our own name

    @pytest.mark.usefixtures("book")
    @pytest.mark.parametrize("writer", ["4", "5", "10"])
    def test_a_write_with_the_setting_passes(self, postgres, fresh_schema, writer):
        """An administrator who sets it may write (and must write the checksums too)."""
        with postgres.admin(writer=False) as conn, conn.transaction():
            conn.execute("SELECT set_config('debitor.writer', %s, true)", (writer,))
            conn.execute(
                f'UPDATE "{fresh_schema}".debitor_customer SET changed_revision = 0 WHERE false'  # noqa: S608 - our own name
            )
        with postgres.admin(writer=False) as conn, conn.transaction():
            conn.execute(f"SET LOCAL debitor.writer = '{writer}'")
            conn.execute(f'DELETE FROM "{fresh_schema}".debitor_customer_deleted')  # noqa: S608 - our own name

    def test_a_hand_edit_past_the_guard_is_still_found(self, postgres, fresh_schema, book):
        """The guard is no licence: a row changed without its checksum is still refused."""
        with postgres.admin(writer=False) as conn, conn.transaction():
            conn.execute("SET LOCAL debitor.writer = '4'")
            conn.execute(f'UPDATE "{fresh_schema}".debitor_book SET revision = 7')  # noqa: S608 - our own name
        with pytest.raises(CorruptStore):
            book.revision()

    def test_the_setting_is_the_transactions_own(self, fresh_schema, book):
        """The store's SET LOCAL ends with its transaction: its connection, later, is refused."""
        with book.transaction() as tx:
            tx.add(sample_customer(2))
            conn = book._local.conn
            assert "4" == conn.execute("SHOW debitor.writer").fetchone()[0]
        with book._pool.connection() as again:
            assert again is conn
            assert again.execute("SELECT current_setting('debitor.writer', true)").fetchone()[
                0
            ] in {None, ""}
            with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
                again.execute(f'DELETE FROM "{fresh_schema}".debitor_customer')  # noqa: S608 - our own name
        assert 2 == book.revision()
        assert [1, 2] == [c.number for c in book.customers()]

    @pytest.mark.usefixtures("book")
    def test_a_later_migration_writes_past_the_guard(self, postgres, fresh_schema, monkeypatch):
        """A migration's transaction sets debitor.writer: a step that writes rows works."""

        def touch(cur, names):
            cur.execute(names.sql("UPDATE {s}debitor_book SET feed_horizon = feed_horizon"))

        monkeypatch.setitem(pg_schema_module.MIGRATIONS, 4, (touch,))
        monkeypatch.setattr(pg_schema_module, "SCHEMA_VERSION", 5)
        PostgresStore.connect(
            postgres.conninfo, book_id="guarded", schema=fresh_schema, max_size=1
        ).close()
        with postgres.admin() as conn:
            version = conn.execute(
                f'SELECT max(version) FROM "{fresh_schema}".debitor_schema_version'  # noqa: S608 - our own name
            ).fetchone()[0]
        assert 5 == version


class TestSqlite:
    """Schema 6 to 7 while a process of the release before goes on running."""

    def test_the_old_release_cannot_write_after_the_upgrade(self, tmp_path, previous_release):
        """It opened before the upgrade; its writes fail at the write, and roll back."""
        path = tmp_path / "book.db"

        def upgrade():
            with SqliteStore(path) as new:
                assert 1 == new.revision()

        outcome = run_old_process(
            previous_release, "SqliteStore", f"SqliteStore({str(path)!r})", upgrade
        )
        assert set(outcome) == {"update", "add", "delete"}
        for name, result in outcome.items():
            assert result != "ok", name
            kind, message = result
            assert kind == "StorageError", (name, result)
            assert "unknown function: debitor_writer()" in message, (name, message)
        with SqliteStore(path) as new:
            new.verify()
            assert 1 == new.revision()
            assert [(1, sample_customer(1).name, 1)] == [
                (c.number, c.name, c.version) for c in new.customers()
            ]
            with new.transaction() as tx:
                tx.add(sample_customer(2))
            new.verify()
            assert [1, 2] == [c.number for c in new.customers()]

    def test_a_connection_without_the_function_reads_and_fails_at_its_write(self, tmp_path):
        """The triggers are not checked at open nor by reads: only a write names the function.

        (A schema 7 file itself the release before refuses, by its version, when it opens.)
        """
        path = tmp_path / "book.db"
        SqliteStore(path).close()
        child = subprocess.run(
            [sys.executable, "-c", _READ_THEN_WRITE, str(path)],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        assert ["0", "unknown function: debitor_writer()"] == child.stdout.split("\n")[:2]


_READ_THEN_WRITE = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT count(*) FROM customer").fetchone()[0])
try:
    db.execute("UPDATE meta SET value = value WHERE key = 'none'")
except sqlite3.OperationalError as exc:
    print(exc)
"""


class TestSqliteGuard:
    """The CHECK constraint of schema 7 on meta, without the release before."""

    @pytest.fixture
    def path(self, tmp_path):
        path = tmp_path / "book.db"
        gone = sample_customer(1)
        with SqliteStore(path) as store, store.transaction() as tx:
            tx.add(gone)
            tx.delete(gone.id)
            tx.add(sample_customer(2))
        return path

    @staticmethod
    def dump(path):
        with sqlite3.connect(path) as db:
            return list(db.iterdump())

    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE meta SET value = value + 1 WHERE key = 'revision'",
            "UPDATE meta SET value = 0 WHERE 0",
            "UPDATE meta SET checksum = checksum",
            "UPDATE meta SET key = key",
            "INSERT INTO meta VALUES ('x', 1, 0)",
            "INSERT OR REPLACE INTO meta VALUES ('revision', 9, 0)",
            "REPLACE INTO meta SELECT * FROM meta",
        ],
    )
    def test_a_connection_without_the_function_cannot_write_meta(self, path, statement):
        """The sqlite3 shell's, the release before's: the statement fails, nothing changes."""
        before = self.dump(path)
        db = sqlite3.connect(path, isolation_level=None)
        try:
            with pytest.raises(
                sqlite3.OperationalError, match=r"unknown function: debitor_writer\(\)"
            ):
                db.execute(statement)
        finally:
            db.close()
        assert before == self.dump(path)

    @pytest.mark.parametrize("answer", [6, 0, -1, None, 6.9, -(2**63)])
    def test_an_older_writer_is_refused(self, path, answer):
        """A release whose function answers less (as a later schema will see this one)."""
        before = self.dump(path)
        db = sqlite3.connect(path, isolation_level=None)
        db.create_function("debitor_writer", -1, lambda *_: answer, deterministic=True)
        try:
            with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
                db.execute("UPDATE meta SET value = value + 1 WHERE key = 'revision'")
        finally:
            db.close()
        assert before == self.dump(path)

    def test_a_connection_with_the_function_writes(self, path):
        """`register_writer` lets a write through; the checksums are still the writer's task."""
        db = sqlite3.connect(path, isolation_level=None)
        sqlite_schema.register_writer(db)
        db.execute("UPDATE meta SET value = 9 WHERE key = 'revision'")
        db.close()
        with SqliteStore(path) as store, pytest.raises(CorruptStore):
            store.verify()

    def test_verify_runs_the_check_with_the_function(self, path):
        """integrity_check evaluates CHECK constraints: the store's own connection has it."""
        with SqliteStore(path) as store:
            store.verify()

    def test_the_migration_from_6_keeps_meta_and_writes_past_its_guard(self, tmp_path):
        """The golden book of schema 6 is upgraded (meta rebuilt whole) and written."""
        path = tmp_path / "book.db"
        shutil.copy(Path(__file__).parent / "golden" / "book-v6.db", path)
        with sqlite3.connect(path) as db:
            before = dict(db.execute("SELECT key, value FROM meta").fetchall())
        with SqliteStore(path) as store:
            store.verify()
            revision = store.revision()
            with store.transaction() as tx:
                tx.add(sample_customer(9))
            store.verify()
            assert revision + 1 == store.revision()
        with sqlite3.connect(path) as db:
            assert sqlite_schema.SCHEMA_VERSION == db.execute("PRAGMA user_version").fetchone()[0]
            after = dict(db.execute("SELECT key, value FROM meta").fetchall())
        assert before.keys() == after.keys()
        assert {k: v for k, v in before.items() if k not in {"revision", "last_number"}} == {
            k: v for k, v in after.items() if k not in {"revision", "last_number"}
        }
        assert after["revision"] == before["revision"] + 1
