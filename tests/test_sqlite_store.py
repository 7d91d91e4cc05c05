"""SqliteStore beyond the contract: schema versions, damage, locks, lookups."""

import shutil
import sqlite3
import uuid
from pathlib import Path

import attrs
import pytest

from conftest import FakeClock
from debitor_core import (
    CorruptStore,
    CustomerBook,
    StorageError,
    StoreLocked,
    UnsupportedFormatVersion,
)
from debitor_core.storage import SqliteStore, _sqlite
from debitor_core.testing import sample_customer

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture
def path(tmp_path):
    return tmp_path / "book.db"


def add(store, *customers):
    with store.transaction() as tx:
        for customer in customers:
            tx.add(customer)


class TestSchema:
    def test_indexed_columns_and_user_version(self, path):
        """One row per customer with indexed lookup columns; the schema version is recorded."""
        store = SqliteStore(path)
        add(store, sample_customer(1))
        db = sqlite3.connect(path)
        assert 2 == db.execute("PRAGMA user_version").fetchone()[0]
        indexes = {row[1] for row in db.execute("PRAGMA index_list(customer)")}
        assert {"customer_email", "customer_tax_id", "customer_phone"} <= indexes
        row = db.execute("SELECT number, email, tax_id, phone FROM customer").fetchone()
        assert (1, "jānis@bērziņš.lv", "LV40003521600", "+37120000000") == row

    @pytest.mark.parametrize("version", [1, 2])
    def test_golden_files(self, tmp_path, version):
        """The golden database of every schema version opens with every record."""
        shutil.copy(GOLDEN / f"book-v{version}.db", tmp_path / "book.db")
        store = SqliteStore(tmp_path / "book.db")
        assert (
            2 == sqlite3.connect(tmp_path / "book.db").execute("PRAGMA user_version").fetchone()[0]
        )
        assert [(1, "SIA Bērziņš & Ko — Ωμέγα 王"), (2, "Anna Ozola")] == [
            (c.number, c.name) for c in store.customers()
        ]
        assert ["Wholesalers"] == [c.name for c in store.categories()]
        assert ["tier"] == [f.key for f in store.custom_fields()]

    def test_migration_chain(self, tmp_path, monkeypatch):
        """An older schema is upgraded step by step inside a transaction."""
        shutil.copy(GOLDEN / "book-v1.db", tmp_path / "book.db")
        monkeypatch.setattr(_sqlite, "SCHEMA_VERSION", 3)
        monkeypatch.setitem(
            _sqlite.SCHEMA_MIGRATIONS, 2, "ALTER TABLE customer ADD COLUMN note TEXT"
        )
        store = SqliteStore(tmp_path / "book.db")
        assert 2 == len(store.customers())
        db = sqlite3.connect(tmp_path / "book.db")
        assert 3 == db.execute("PRAGMA user_version").fetchone()[0]
        assert "note" in {row[1] for row in db.execute("PRAGMA table_info(customer)")}

    def test_failed_migration_changes_nothing(self, tmp_path, monkeypatch):
        """A migration that fails is rolled back."""
        shutil.copy(GOLDEN / "book-v1.db", tmp_path / "book.db")
        monkeypatch.setitem(_sqlite.SCHEMA_MIGRATIONS, 1, "ALTER TABLE nowhere ADD COLUMN x")
        with pytest.raises(StorageError):
            SqliteStore(tmp_path / "book.db")
        assert (
            1 == sqlite3.connect(tmp_path / "book.db").execute("PRAGMA user_version").fetchone()[0]
        )

    def test_newer_schema(self, path):
        """A newer schema is refused and left alone."""
        db = sqlite3.connect(path)
        db.execute("PRAGMA user_version=7")
        db.close()
        with pytest.raises(UnsupportedFormatVersion, match="schema version 7"):
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

    def test_damaged_row(self, path):
        """A row whose JSON is damaged raises CorruptStore when read."""
        store = SqliteStore(path)
        customer = sample_customer(1)
        add(store, customer)
        store._db.execute("UPDATE customer SET data = '{broken'")
        with pytest.raises(CorruptStore, match="cannot be read"):
            store.get(customer.id)

    def test_bad_synchronous(self, path):
        """Only SQLite's synchronous levels are accepted."""
        with pytest.raises(ValueError, match="synchronous"):
            SqliteStore(path, synchronous="SOMETIMES")


class TestConcurrency:
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
        with pytest.raises(Exception, match="number"):
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

    def test_unknown_id_is_not_found(self, path):
        """Reads of unknown ids raise NotFound."""
        store = SqliteStore(path)
        with pytest.raises(LookupError):
            store.get(uuid.uuid4())
