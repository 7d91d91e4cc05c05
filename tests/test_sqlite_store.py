"""SqliteStore beyond the contract: schema versions, damage, locks, lookups, processes."""

import json
import os
import random
import shutil
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import attrs
import pytest

from conftest import FakeClock
from debitor_core import (
    Category,
    CorruptStore,
    CustomerBook,
    CustomFieldDefinition,
    NotFound,
    StorageError,
    StoreLocked,
    UnsupportedFormatVersion,
    ValidationError,
)
from debitor_core._invoice import Invoice
from debitor_core.storage import JsonFileStore, SqliteStore
from debitor_core.storage._sqlite import _rows, _schema
from debitor_core.testing import sample_customer, sample_records

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture
def path(tmp_path):
    return tmp_path / "book.db"


def add(store, *customers):
    with store.transaction() as tx:
        for customer in customers:
            tx.add(customer)


def raw(path):
    """A plain connection, as a person with the sqlite3 shell would have."""
    db = sqlite3.connect(path, isolation_level=None)
    db.create_function("debitor_checksum", -1, _rows.checksum)
    _schema.register_writer(db)  # as one who knows the guard of schema 7 (docs/storage.md)
    return db


def sample_book(path):
    """A database with two customers, a category, a custom field and every kind of record."""
    store = SqliteStore(path)
    customer = sample_customer(1, address=attrs.evolve(sample_customer().address, city="Riga"))
    add(store, customer, sample_customer(2))
    with store.transaction() as tx:
        tx.put_category(sample_category())
        tx.put_custom_field(sample_field())
        for record in sample_records(customer):
            tx.put_record(record, expected_version=None)
    return store, customer


def sample_category():
    return Category(uuid.UUID(int=7), "Wholesalers")


def sample_field():
    return CustomFieldDefinition("tier", "Tier")


def read_everything(store):
    return (
        list(store.customers()),
        list(store.categories()),
        list(store.custom_fields()),
        [list(store.records(type(r))) for r in sample_records(sample_customer())],
        store.last_number(),
        store.revision(),
    )


class TestSchema:
    def test_indexed_columns_checksums_and_user_version(self, path):
        """One row per customer with indexed lookup columns and a checksum; the schema version is recorded."""
        store = SqliteStore(path)
        add(store, sample_customer(1))
        db = sqlite3.connect(path)
        assert _schema.SCHEMA_VERSION == db.execute("PRAGMA user_version").fetchone()[0]
        indexes = {row[1] for row in db.execute("PRAGMA index_list(customer)")}
        assert {"customer_email", "customer_tax_id", "customer_phone"} <= indexes
        row = db.execute("SELECT number, email, tax_id, phone FROM customer").fetchone()
        assert (1, "jānis@bērziņš.lv", "LV40003521600", "+37120000000") == row
        for table in ("customer", "category", "custom_field", "record", "meta"):
            assert "checksum" in {c[1] for c in db.execute(f"PRAGMA table_info({table})")}

    @pytest.mark.parametrize("version", [1, 2, 3, 4, 5, 6])
    def test_golden_files(self, tmp_path, version):
        """The golden database of every schema version opens with every record."""
        shutil.copy(GOLDEN / f"book-v{version}.db", tmp_path / "book.db")
        store = SqliteStore(tmp_path / "book.db")
        db = sqlite3.connect(tmp_path / "book.db")
        assert _schema.SCHEMA_VERSION == db.execute("PRAGMA user_version").fetchone()[0]
        assert [(1, "SIA Bērziņš & Ko — Ωμέγα 王"), (2, "Anna Ozola")] == [
            (c.number, c.name) for c in store.customers()
        ]
        assert ["Wholesalers"] == [c.name for c in store.categories()]
        assert ["tier"] == [f.key for f in store.custom_fields()]
        store.verify()

    def test_upgrade_fills_the_checksums(self, tmp_path):
        """Upgrading a database of schema 2 gives every row its checksum, which then guards it."""
        path = tmp_path / "book.db"
        shutil.copy(GOLDEN / "book-v2.db", path)
        SqliteStore(path).close()
        db = raw(path)
        checks = {
            "customer": "id, number, version, email, tax_id, phone, data, changed_revision",
            "category": "id, data, changed_revision",
            "custom_field": "key, position, data, changed_revision",
            "record": "kind, key, version, data, changed_revision",
            "meta": "key, value",
        }
        for table, columns in checks.items():
            rows = db.execute(f"SELECT checksum, {columns} FROM {table}").fetchall()  # noqa: S608
            assert rows
            assert all(row[0] == _rows.checksum(*row[1:]) for row in rows)
        db.execute("UPDATE customer SET data = replace(data, 'Rīga', 'Rīgc') WHERE number = 1")
        with pytest.raises(CorruptStore, match="does not match its checksum"):
            SqliteStore(path).get_by_number(1)

    def test_migration_chain(self, tmp_path, monkeypatch):
        """An older schema is upgraded step by step inside a transaction."""
        shutil.copy(GOLDEN / "book-v1.db", tmp_path / "book.db")
        last = _schema.SCHEMA_VERSION
        monkeypatch.setattr(_schema, "SCHEMA_VERSION", last + 1)
        monkeypatch.setitem(
            _schema.SCHEMA_MIGRATIONS, last, "ALTER TABLE customer ADD COLUMN note TEXT"
        )
        store = SqliteStore(tmp_path / "book.db")
        assert 2 == len(store.customers())
        db = sqlite3.connect(tmp_path / "book.db")
        assert last + 1 == db.execute("PRAGMA user_version").fetchone()[0]
        assert "note" in {row[1] for row in db.execute("PRAGMA table_info(customer)")}

    def test_failed_migration_changes_nothing(self, tmp_path, monkeypatch):
        """A migration that fails is rolled back, all steps of it."""
        shutil.copy(GOLDEN / "book-v1.db", tmp_path / "book.db")
        monkeypatch.setitem(_schema.SCHEMA_MIGRATIONS, 2, "ALTER TABLE nowhere ADD COLUMN x")
        with pytest.raises(StorageError):
            SqliteStore(tmp_path / "book.db")
        db = sqlite3.connect(tmp_path / "book.db")
        assert 1 == db.execute("PRAGMA user_version").fetchone()[0]
        assert "record" not in {r[0] for r in db.execute("SELECT name FROM sqlite_master")}

    def test_newer_schema(self, path):
        """A newer schema is refused and left alone."""
        db = sqlite3.connect(path)
        db.execute(f"PRAGMA user_version={_schema.SCHEMA_VERSION + 1}")
        db.close()
        newer = f"schema version {_schema.SCHEMA_VERSION + 1}"
        with pytest.raises(UnsupportedFormatVersion, match=newer):
            SqliteStore(path)

    def test_foreign_database(self, path):
        """A database with tables of someone else's is not taken over."""
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE orders (id INTEGER)")
        db.close()
        with pytest.raises(CorruptStore, match="not a debitor-core book"):
            SqliteStore(path)

    def test_not_a_database(self, path):
        """A file that is not SQLite raises CorruptStore and is left alone."""
        path.write_bytes(b"this is not a database" * 100)
        with pytest.raises(CorruptStore, match="left as it is"):
            SqliteStore(path)
        assert b"this is not a database" * 100 == path.read_bytes()

    def test_json_book_is_recognised(self, tmp_path):
        """A JSON book opened as a database says which store to use, and is left alone."""
        path = tmp_path / "book.json"
        JsonFileStore(path)
        content = path.read_bytes()
        with pytest.raises(StorageError) as info:
            SqliteStore(path)
        assert (
            f"The file {path} is a JSON book, not an SQLite database: open it with "
            f"JsonFileStore({str(path)!r}). It was left as it is."
        ) == str(info.value)
        assert content == path.read_bytes()

    def test_missing_folder_is_refused(self, tmp_path):
        """A missing folder is refused as JsonFileStore refuses it; create_folder=True makes it."""
        path = tmp_path / "typo" / "book.db"
        with pytest.raises(StorageError) as info:
            SqliteStore(path)
        assert (
            f"The folder {tmp_path / 'typo'} does not exist, so the database {path} cannot be "
            "opened or created there. Check the path, or create the folder first (or pass "
            "create_folder=True)."
        ) == str(info.value)
        assert [] == list(tmp_path.iterdir())
        add(SqliteStore(path, create_folder=True), sample_customer(1))
        assert 1 == SqliteStore(path).count()

    def test_folder_in_place_of_the_database(self, path):
        """A folder where the database should be is a StorageError sentence."""
        path.mkdir()
        with pytest.raises(StorageError, match="is a folder, where a file is needed"):
            SqliteStore(path)

    def test_bad_synchronous(self, path):
        """Only SQLite's synchronous levels are accepted."""
        with pytest.raises(ValueError, match="synchronous"):
            SqliteStore(path, synchronous="SOMETIMES")

    def test_with_block_closes_the_store(self, path):
        """`with SqliteStore(path) as store:` closes the connection at the end."""
        with SqliteStore(path) as store:
            add(store, sample_customer(1))
        with pytest.raises(StorageError):
            store.count()


class TestDamage:
    @pytest.mark.parametrize(
        ("statement", "read", "message"),
        [
            (
                "UPDATE customer SET data = replace(data, 'Riga', 'Rigc') WHERE number = 1",
                lambda s: s.get_by_number(1),
                "the customer row '{id}' does not match its checksum",
            ),
            (
                "UPDATE customer SET email = 'x@y.lv' WHERE number = 1",
                lambda s: s.customers(),
                "the customer row '{id}' does not match its checksum",
            ),
            (
                "UPDATE customer SET number = 5 WHERE number = 1",
                lambda s: s.customers(),
                "does not match its checksum",
            ),
            ("UPDATE category SET data = '{broken'", lambda s: s.categories(), "category row"),
            (
                "UPDATE custom_field SET data = replace(data, 'Tier', 'Tied')",
                lambda s: s.custom_fields(),
                "custom field row 'tier' does not match its checksum",
            ),
            (
                "UPDATE record SET data = replace(data, '19.99', '19.98')",
                lambda s: s.records(Invoice),
                "invoice row",
            ),
            (
                "UPDATE meta SET value = 9 WHERE key = 'revision'",
                lambda s: s.revision(),
                "revision row",
            ),
            (
                "UPDATE meta SET value = 1 WHERE key = 'last_number'",
                lambda s: s.last_number(),
                "last_number row does not match its checksum",
            ),
            (
                "DELETE FROM meta WHERE key = 'revision'",
                lambda s: s.revision(),
                "its revision is missing",
            ),
        ],
    )
    def test_damaged_rows_are_refused(self, path, statement, read, message):
        """A row changed outside the store (even one letter) fails its checksum: CorruptStore."""
        store, customer = sample_book(path)
        raw(path).execute(statement)
        with pytest.raises(CorruptStore, match=message.format(id=customer.id)):
            read(store)

    def test_damaged_row_in_a_transaction(self, path):
        """A write transaction reads the counters checked too."""
        store, _ = sample_book(path)
        raw(path).execute("UPDATE meta SET value = 99 WHERE key = 'last_number'")
        with pytest.raises(CorruptStore), store.transaction() as tx:
            tx.add(sample_customer(3))
        assert 2 == store.count()

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"name": ""}, "is damaged: name: The text is empty"),
            ({"name": 12345}, "is not valid"),
            ({"archived": "false"}, "is not valid"),
            ({"version": 0}, "version: The version is 0"),
        ],
    )
    def test_structural_damage_with_a_right_checksum(self, path, change, message):
        """A row a faulty writer stored with a right checksum still passes the structural checks."""
        store, customer = sample_book(path)
        db = raw(path)
        data = json.loads(db.execute("SELECT data FROM customer WHERE number = 1").fetchone()[0])
        data.update(change)
        db.execute("UPDATE customer SET data = ? WHERE number = 1", (json.dumps(data),))
        db.execute(
            "UPDATE customer SET checksum = "
            "debitor_checksum(id, number, version, email, tax_id, phone, data, changed_revision)"
        )
        with pytest.raises(CorruptStore, match=message):
            store.get(customer.id)

    def test_columns_that_disagree_with_the_data(self, path):
        """Lookup columns that do not match the row's data are damage, even with a right checksum."""
        store, _ = sample_book(path)
        db = raw(path)
        db.execute("UPDATE customer SET phone = '+37129999999' WHERE number = 1")
        db.execute(
            "UPDATE customer SET checksum = "
            "debitor_checksum(id, number, version, email, tax_id, phone, data, changed_revision)"
        )
        with pytest.raises(CorruptStore, match=r"columns of the customer row .* do not agree"):
            store.find(phone="+37129999999")

    def test_text_that_is_not_utf8(self, path):
        """Text that no longer decodes is CorruptStore, not a raw sqlite3 error."""
        store, _ = sample_book(path)
        raw(path).execute("UPDATE category SET data = CAST(x'7b22ff' AS TEXT)")
        with pytest.raises(CorruptStore, match="Could not decode"):
            store.categories()

    def test_row_level_bit_flips_never_pass_silently(self, path):
        """A single bit flipped in any column of any row is refused when read."""
        store, _ = sample_book(path)
        expected = read_everything(store)
        rng = random.Random(3)
        tables = {
            "customer": ["id", "number", "version", "email", "tax_id", "phone", "data"],
            "category": ["id", "data"],
            "custom_field": ["key", "position", "data"],
            "record": ["kind", "key", "version", "data"],
            "meta": ["key", "value"],
        }
        db = raw(path)
        flips = 0
        for table, columns in tables.items():
            query = f"SELECT rowid, {', '.join(columns)} FROM {table}"  # noqa: S608 - our names
            for rowid, *values in db.execute(query).fetchall():
                for column, value in [*zip(columns, values, strict=True)] * 3:
                    if value is None:
                        continue
                    damaged = _flip(value, rng)
                    db.execute("SAVEPOINT flip")
                    db.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (damaged, rowid))  # noqa: S608
                    try:
                        seen = read_everything(store)
                    except (CorruptStore, StorageError):
                        seen = "refused"
                    except ValidationError:
                        seen = "refused"
                    db.execute("ROLLBACK TO flip")
                    db.execute("RELEASE flip")
                    flips += 1
                    assert seen in ("refused", expected), (table, column, damaged)
        assert flips > 100
        assert expected == read_everything(store)

    def test_verify_finds_what_reads_cannot_see(self, path):
        """verify() runs SQLite's integrity check, which finds a damaged index."""
        store, _ = sample_book(path)
        store.verify()
        db = raw(path)
        db.execute("PRAGMA writable_schema=ON")
        db.execute(
            "UPDATE sqlite_master SET sql = 'CREATE INDEX customer_email ON customer (phone)' "
            "WHERE name = 'customer_email'"
        )
        db.close()
        reopened = SqliteStore(path)
        with pytest.raises(CorruptStore, match="SQLite's integrity check reports"):
            reopened.verify()

    def test_verify_reads_every_row(self, path):
        """verify() reads every row, so a damaged record is found without being asked for."""
        store, _ = sample_book(path)
        raw(path).execute("UPDATE record SET data = replace(data, 'Welcome', 'Welcomf')")
        with pytest.raises(CorruptStore, match=r"row .* does not match its checksum"):
            store.verify()


def _flip(value, rng):
    """The value with one bit flipped: in a number, or in the UTF-8 bytes of text."""
    if isinstance(value, int):
        return value ^ (1 << rng.randrange(16))
    data = bytearray(value.encode())
    data[rng.randrange(len(data))] ^= 1 << rng.randrange(7)  # stay within ASCII bit range
    return data.decode(errors="replace")


class TestNumbers:
    def test_numbers_out_of_range_are_refused_on_write(self, path):
        """A number beyond 2**53 is refused when written, and auto-numbering keeps working."""
        store = SqliteStore(path)
        with pytest.raises(ValidationError, match="outside the range 1 to 9,007,199,254,740,992"):
            add(store, sample_customer(2**63 - 1))
        book = CustomerBook(store, clock=FakeClock())
        assert 1 == book.register({"name": "Koks", "address": {"country": "LV"}}).number

    @pytest.mark.parametrize("number", [2**70, -1, 0, "1", None])
    def test_lookups_of_impossible_numbers(self, path, number):
        """Looking up a number no customer can have is NotFound, never OverflowError."""
        with pytest.raises(NotFound):
            SqliteStore(path).get_by_number(number)

    def test_stored_number_out_of_range_is_damage(self, path):
        """A counter beyond 2**53 in the database (with a right checksum) is damage on load."""
        store = SqliteStore(path)
        db = raw(path)
        db.execute(
            "UPDATE meta SET value = 9223372036854775807, "
            "checksum = debitor_checksum(key, 9223372036854775807) WHERE key = 'last_number'"
        )
        with pytest.raises(CorruptStore, match="is not a whole number from 0"):
            store.last_number()


def _open_and_register(path, wal, go_r):  # pragma: no cover - runs in a child
    os.read(go_r, 1)  # wait until every child is ready, so that they open at once
    store = SqliteStore(path, wal=wal, timeout=60)
    book = CustomerBook(store, clock=FakeClock())
    book.register({"name": f"Process {os.getpid()}", "address": {"country": "LV"}})


def _fork(target, *args):
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            target(*args)
            os._exit(0)
        except BaseException:  # noqa: BLE001 - any failure must end the child with 1
            os._exit(1)
    return pid


class TestConcurrency:
    @pytest.mark.parametrize("wal", [False, True])
    def test_three_processes_create_one_book(self, tmp_path, wal):
        """Three processes opening one new database at once all succeed, round after round."""
        failures = 0
        for round_ in range(20):
            path = tmp_path / f"book-{round_}.db"
            go_r, go_w = os.pipe()
            pids = [_fork(_open_and_register, path, wal, go_r) for _ in range(3)]
            os.write(go_w, b"xxx")
            failures += sum(os.waitpid(pid, 0)[1] != 0 for pid in pids)
            os.close(go_r)
            os.close(go_w)
            assert failures == 0, f"round {round_}"
            assert [1, 2, 3] == [c.number for c in SqliteStore(path).customers()]

    def test_switch_to_wal_outlasts_a_deadlock(self, path, monkeypatch):
        """Opening a new database with WAL waits out a writer that SQLite will not wait for.

        To switch a new file to WAL, SQLite takes a read lock, then asks for the write
        lock; when another connection holds that, it answers "database is locked" at
        once, without the busy timeout (a deadlock to SQLite). Two processes creating
        one book at once meet this; here a connection holding the write lock forces it,
        and lets go when the store pauses to try again.
        """
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        real_sleep = time.sleep
        pauses = []

        def pause(seconds):
            pauses.append(seconds)
            if other.in_transaction:
                other.execute("ROLLBACK")
            real_sleep(seconds)

        monkeypatch.setattr(time, "sleep", pause)
        with SqliteStore(path, wal=True, timeout=60) as store:
            add(store, sample_customer(1))
            assert "wal" == store._db.execute("PRAGMA journal_mode").fetchone()[0]
        other.close()
        assert pauses, "the first try did not meet the deadlock"
        assert [1] == [c.number for c in SqliteStore(path).customers()]

    def test_switch_to_wal_gives_up_after_the_timeout(self, path):
        """A writer that never lets go makes opening with WAL fail with StoreLocked, file untouched."""
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreLocked, match="is locked by another connection"):
            SqliteStore(path, wal=True, timeout=0.05)
        other.execute("ROLLBACK")
        other.close()
        assert 0 == path.stat().st_size
        with SqliteStore(path, wal=True) as store:
            add(store, sample_customer(1))
        assert 1 == SqliteStore(path).count()

    def test_locked_by_another_connection(self, path):
        """A writer that waits too long gets StoreLocked."""
        store = SqliteStore(path, timeout=0.05)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreLocked, match="locked"):
            add(store, sample_customer(1))
        other.execute("ROLLBACK")
        add(store, sample_customer(1))
        assert 1 == store.count()

    def test_two_books_on_one_database(self, path):
        """Two books on one database see each other's commits and never reuse numbers."""
        first = CustomerBook(SqliteStore(path), clock=FakeClock())
        second = CustomerBook(SqliteStore(path), clock=FakeClock())
        first.register({"name": "A", "address": {"country": "LV"}})
        second.register({"name": "B", "address": {"country": "LV"}})
        first.register({"name": "C", "address": {"country": "LV"}})
        assert [(1, "A"), (2, "B"), (3, "C")] == [(c.number, c.name) for c in second.customers()]


class TestLookups:
    def test_find_by_indexed_columns(self, path):
        """find() uses the email (any case), VAT and phone columns."""
        store = SqliteStore(path)
        first = sample_customer(1)
        second = sample_customer(2, email="other@koks.lv", tax_id=None, phone=None)
        add(store, first, second)
        assert [1] == [c.number for c in store.find(tax_id="LV40003521600")]
        assert [2] == [c.number for c in store.find(email="OTHER@koks.lv")]
        assert [1] == [c.number for c in store.find(phone="+37120000000")]
        assert [] == store.find()
        with pytest.raises(NotFound, match="number"):
            store.get_by_number("1")
        assert "<SqliteStore" in repr(store)

    def test_update_keeps_columns_in_step(self, path):
        """After an update the lookup columns follow the new values."""
        store = SqliteStore(path)
        customer = sample_customer(1)
        add(store, customer)
        with store.transaction() as tx:
            tx.update(attrs.evolve(customer, email="new@koks.lv", version=2), expected_version=1)
        assert [1] == [c.number for c in store.find(email="new@koks.lv")]
        assert [] == store.find(email="jānis@bērziņš.lv")

    def test_custom_fields_keep_their_order_when_replaced(self, path):
        """A replaced custom field keeps its place (its position is part of its checksum)."""
        store = SqliteStore(path)
        with store.transaction() as tx:
            tx.put_custom_field(CustomFieldDefinition("a", "A"))
            tx.put_custom_field(CustomFieldDefinition("b", "B"))
        with store.transaction() as tx:
            tx.put_custom_field(CustomFieldDefinition("a", "A2"))
        assert [("a", "A2"), ("b", "B")] == [(f.key, f.label) for f in store.custom_fields()]
        store.verify()

    def test_unknown_id_is_not_found(self, path):
        """Reads of unknown ids raise NotFound."""
        store = SqliteStore(path)
        with pytest.raises(LookupError):
            store.get(uuid.uuid4())


def schema_dump(path):
    """Every table and index of a database, as SQLite keeps their definitions."""
    db = sqlite3.connect(path)
    rows = db.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
    ).fetchall()
    return [list(row) for row in rows]


class TestFeed:
    """The change feed's SQLite parts (its contract runs in tests/test_storage_contract.py)."""

    def test_golden_schema(self, tmp_path):
        """A new database has exactly the tables and indexes of the golden schema 4 dump.

        Set DEBITOR_UPDATE_GOLDEN=1 to write the dump anew (then review it).
        """
        SqliteStore(tmp_path / "new.db").close()
        dump = schema_dump(tmp_path / "new.db")
        golden = GOLDEN / f"sqlite-schema-v{_schema.SCHEMA_VERSION}.json"
        if os.environ.get("DEBITOR_UPDATE_GOLDEN") == "1":
            golden.write_text(json.dumps(dump, indent=1, ensure_ascii=False) + "\n")
        assert json.loads(golden.read_text()) == dump

    @pytest.mark.parametrize("version", [1, 2, 3, 4, 5, 6])
    def test_upgraded_schema_is_a_new_one(self, tmp_path, version):
        """An upgraded database has the very schema of a new one."""
        shutil.copy(GOLDEN / f"book-v{version}.db", tmp_path / "old.db")
        SqliteStore(tmp_path / "old.db").close()
        SqliteStore(tmp_path / "new.db").close()
        assert schema_dump(tmp_path / "new.db") == schema_dump(tmp_path / "old.db")

    def test_upgrade_starts_the_feed_at_its_revision(self, tmp_path):
        """From schema 3 the feed answers from the revision of the upgrade on, not before."""
        path = tmp_path / "book.db"
        shutil.copy(GOLDEN / "book-v3.db", path)
        store = SqliteStore(path)
        assert 3 == store.revision()
        assert (None, None) == (store.changes_since(0), store.changes_since(2))
        assert store.changes_since(3).empty
        first = store.get_by_number(1)
        with store.transaction() as tx:
            tx.update(attrs.evolve(first, name="Renamed", version=2), expected_version=1)
        changes = store.changes_since(3)
        assert (["Renamed"], 4) == ([c.name for c in changes.customers], changes.revision)
        store.verify()

    def test_store_id_is_kept_and_new_databases_differ(self, tmp_path):
        """The store id is written with the schema, kept across reopening, new for a new file."""
        first = SqliteStore(tmp_path / "a.db")
        ident = first.store_id()
        add(first, sample_customer(1))
        first.close()
        assert ident == SqliteStore(tmp_path / "a.db").store_id()
        assert ident != SqliteStore(tmp_path / "b.db").store_id()
        assert uuid.UUID(ident)

    def test_a_replaced_file_is_told_apart(self, tmp_path):
        """A file replaced by another book answers with the other book's store id."""
        path = tmp_path / "book.db"
        store = SqliteStore(path)
        add(store, sample_customer(1))
        ident = store.store_id()
        other = SqliteStore(tmp_path / "other.db")
        for number in (1, 2, 3):
            add(other, sample_customer(number))
        store.close()
        other.close()
        (tmp_path / "other.db").replace(path)
        changes = SqliteStore(path).changes_since(1)
        assert changes.store_id != ident

    def test_pruning(self, tmp_path):
        """Tombstones older than feed_retention go; asking from before them is None."""
        store = SqliteStore(tmp_path / "book.db", feed_retention=2)
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
        assert (
            0
            == raw(tmp_path / "book.db")
            .execute("SELECT count(*) FROM customer_deleted")
            .fetchone()[0]
        )

    def test_kept_without_retention(self, tmp_path):
        """feed_retention=None keeps every tombstone."""
        store = SqliteStore(tmp_path / "book.db", feed_retention=None)
        gone = sample_customer(1)
        add(store, gone)
        with store.transaction() as tx:
            tx.delete(gone.id)
        for number in range(2, 6):
            add(store, sample_customer(number))
        assert (gone.id,) == store.changes_since(0).deleted

    @pytest.mark.parametrize("retention", [0, -1, 1.5, True, "10"])
    def test_retention_must_be_a_count(self, tmp_path, retention):
        """feed_retention is a whole number from 1 or None."""
        with pytest.raises(ValueError, match="feed_retention"):
            SqliteStore(tmp_path / "book.db", feed_retention=retention)

    def test_inside_a_transaction_its_own_view(self, path):
        """Asked inside a transaction, the feed reads what that transaction sees."""
        store = SqliteStore(path)
        add(store, sample_customer(1))
        with store.transaction():
            assert 1 == len(store.changes_since(0).customers)

    @pytest.mark.parametrize(
        ("statement", "message"),
        [
            ("UPDATE customer_deleted SET deleted_revision = 9", "tombstone row"),
            (
                "UPDATE customer_deleted SET id = 'x', checksum = debitor_checksum('x', 2)",
                "not valid",
            ),
            ("UPDATE meta SET value = 'a' WHERE key = 'store_id'", "store_id row"),
            (
                (
                    "UPDATE meta SET value = '', checksum = debitor_checksum('store_id', '') "
                    "WHERE key = 'store_id'"
                ),
                "not an id",
            ),
            ("UPDATE record SET kind = 'x'", "unknown kind"),
        ],
    )
    def test_damage_is_corrupt_store(self, path, statement, message):
        """A damaged tombstone, store id or record kind is CorruptStore, from the feed and verify."""
        store = SqliteStore(path)
        customer = sample_customer(1)
        add(store, customer, sample_customer(2))
        with store.transaction() as tx:
            tx.delete(customer.id)
            tx.put_record(sample_records(sample_customer(2))[0], expected_version=None)
        raw(path).execute(statement)
        with pytest.raises(CorruptStore, match=message):
            store.changes_since(0)
        with pytest.raises(CorruptStore, match=message):
            store.verify()

    def test_one_snapshot(self, path):
        """A change set never mixes two commits: its counts match its revision exactly."""
        writer_store = SqliteStore(path, wal=True)
        reader = SqliteStore(path, wal=True)
        done, seen = threading.Event(), []

        def write():
            try:
                for number in range(1, 31):
                    customer = sample_customer(number)
                    with writer_store.transaction() as tx:
                        tx.add(customer)
                        tx.put_record(sample_records(customer)[0], expected_version=None)
            finally:
                done.set()

        thread = threading.Thread(target=write)
        thread.start()
        while not done.is_set():
            changes = reader.changes_since(0)
            seen.append((changes.revision, len(changes.customers), len(changes.records)))
        thread.join()
        assert seen
        assert all(revision == customers == records for revision, customers, records in seen)

    def test_reads_through_the_changed_revision_indexes(self, path):
        """Every query of the feed searches an index; none scans a table (O(changes))."""
        store = SqliteStore(path)
        for number in range(1, 4):
            add(store, sample_customer(number))
        statements = []
        store._db.set_trace_callback(statements.append)
        store.changes_since(1)
        store._db.set_trace_callback(None)
        selects = [s for s in statements if s.startswith("SELECT") and "FROM meta" not in s]
        assert len(selects) == 3
        db = raw(path)
        for statement in selects:
            plan = db.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall()
            details = [row[3] for row in plan]
            assert not [d for d in details if d.startswith("SCAN")], (statement, details)
