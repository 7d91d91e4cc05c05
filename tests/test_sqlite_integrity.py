"""SqliteStore: a ``changed_revision`` edited by hand is refused (schema 7), not read silently.

The change feed reads rows by ``changed_revision``: lowered, a row's change is hidden from
every reader that asks from after it (their books keep a stale copy); raised past the
database's revision, the row is handed to every reader again and again. The row checksums
cover it since schema 7, so a read of the row refuses it, and `SqliteStore.verify` finds
it even where no read returns the row.
"""

import shutil
import sqlite3
import tracemalloc
import uuid
from pathlib import Path

import attrs
import pytest

from debitor_core import Category, CorruptStore, CustomFieldDefinition
from debitor_core._invoice import Invoice
from debitor_core.storage import CustomerQuery, SqliteStore
from debitor_core.storage._sqlite import _rows, _schema, _store
from debitor_core.testing import sample_customer, sample_records

GOLDEN = Path(__file__).resolve().parent / "golden"

TABLES = ("customer", "category", "custom_field", "record")

COVERED = {
    "customer": "id, number, version, email, tax_id, phone, data, changed_revision",
    "category": "id, data, changed_revision",
    "custom_field": "key, position, data, changed_revision",
    "record": "kind, key, version, data, changed_revision",
}
"""What each row's checksum covers since schema 7, in its order."""


def raw(path):
    """A plain connection, as a person with the sqlite3 shell would have."""
    db = sqlite3.connect(path, isolation_level=None)
    db.create_function("debitor_checksum", -1, _rows.checksum)
    _schema.register_writer(db)  # as one who knows the guard of schema 7 (docs/storage.md)
    return db


@pytest.fixture
def book(tmp_path):
    """A database at revision 3: customers at 1, the rest at 2, the second customer at 3."""
    path = tmp_path / "book.db"
    store = SqliteStore(path)
    first, second = sample_customer(1), sample_customer(2)
    with store.transaction() as tx:
        tx.add(first)
        tx.add(second)
    with store.transaction() as tx:
        tx.put_category(Category(uuid.UUID(int=7), "Wholesalers"))
        tx.put_custom_field(CustomFieldDefinition("tier", "Tier"))
        for record in sample_records(first):
            tx.put_record(record, expected_version=None)
    with store.transaction() as tx:
        tx.update(attrs.evolve(second, name="Anna Ozola", version=2), expected_version=1)
    assert 3 == store.revision()
    store.close()
    return path


def dump(path):
    """Every row of the four tables, as stored."""
    db = raw(path)
    try:
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall()) for t in TABLES}  # noqa: S608
    finally:
        db.close()


def edit(path, statement):
    db = raw(path)
    db.execute(statement)
    db.close()


class TestLowered:
    """A revision moved back hides the row from the feed: reads and verify() refuse it."""

    def test_a_lowered_customer_is_refused_by_get_search_and_verify(self, book):
        """The customer changed at 3, lowered to 1: get, find, customers, search, verify."""
        edit(book, "UPDATE customer SET changed_revision = 1 WHERE number = 2")
        before = dump(book)
        with SqliteStore(book) as store:
            # The feed from 2 no longer returns the row: only reads and verify() see it.
            assert () == store.changes_since(2).customers
            for read in (
                lambda: store.get_by_number(2),
                store.customers,
                lambda: store.search_customers(CustomerQuery(text="ozola")),
                store.verify,
            ):
                with pytest.raises(
                    CorruptStore, match=r"customer row .* does not match its checksum"
                ):
                    read()
        assert before == dump(book)

    @pytest.mark.parametrize(
        ("table", "read"),
        [
            ("category", lambda store: store.categories()),
            ("custom_field", lambda store: store.custom_fields()),
            ("record", lambda store: store.records(Invoice)),
        ],
    )
    def test_lowered_rows_of_every_table(self, book, table, read):
        """Categories, custom fields and records at 2, lowered to 1: read and verify refuse them."""
        edit(book, f"UPDATE {table} SET changed_revision = 1")  # noqa: S608
        before = dump(book)
        with SqliteStore(book) as store:
            with pytest.raises(CorruptStore, match="does not match its checksum"):
                read(store)
            with pytest.raises(CorruptStore, match="does not match its checksum"):
                store.verify()
        assert before == dump(book)


class TestRaised:
    """A revision raised (past the database's) would hand the row to readers again."""

    @pytest.mark.parametrize("table", TABLES)
    def test_a_raised_revision_is_refused_by_the_feed_and_verify(self, book, table):
        """Raised past revision 3, the row is in every feed read, which refuses it."""
        edit(book, f"UPDATE {table} SET changed_revision = 9")  # noqa: S608
        before = dump(book)
        with SqliteStore(book) as store:
            if table in ("customer", "record"):
                with pytest.raises(CorruptStore, match="does not match its checksum"):
                    store.changes_since(2)
            with pytest.raises(CorruptStore, match="does not match its checksum"):
                store.verify()
        assert before == dump(book)

    def test_a_raised_revision_with_a_forged_checksum_is_found_by_verify(self, book):
        """A checksum written anew with the raised revision: verify() finds a row past the book."""
        edit(book, "UPDATE customer SET changed_revision = 9 WHERE number = 1")
        edit(
            book,  # SET reads the old values: the checksum is written in a second statement
            f"UPDATE customer SET checksum = debitor_checksum({COVERED['customer']}) "  # noqa: S608
            "WHERE number = 1",
        )
        with SqliteStore(book) as store:
            assert 1 == store.get_by_number(1).number  # the row reads: its checksum fits
            with pytest.raises(
                CorruptStore, match="names revision 9, past the database's revision 3"
            ):
                store.verify()

    def test_a_tombstone_past_the_book_is_found_by_verify(self, book):
        """A tombstone whose revision (and checksum) was moved past the book's: verify finds it."""
        with SqliteStore(book) as store:
            with store.transaction() as tx:
                tx.delete(store.get_by_number(1).id)
            store.verify()
        edit(
            book,
            "UPDATE customer_deleted SET deleted_revision = 7, checksum = debitor_checksum(id, 7)",
        )
        past = "names revision 7, past the database's revision 4"
        with SqliteStore(book) as store, pytest.raises(CorruptStore, match=past):
            store.verify()


class TestSealed:
    """What the writes store: a checksum over the revision each row was written at."""

    def test_every_write_seals_its_revision(self, book):
        """Every row's checksum covers its changed_revision, as each write stored it."""
        db = raw(book)
        for table, columns in COVERED.items():
            rows = db.execute(f"SELECT checksum, {columns} FROM {table}").fetchall()  # noqa: S608
            assert rows
            assert all(row[0] == _rows.checksum(*row[1:]) for row in rows)
        revisions = db.execute("SELECT number, changed_revision FROM customer ORDER BY number")
        assert [(1, 1), (2, 3)] == revisions.fetchall()

    def test_an_untouched_book_verifies(self, book):
        """The book as written passes verify() and the feed (nothing refused by mistake)."""
        with SqliteStore(book) as store:
            store.verify()
            assert ["Anna Ozola"] == [c.name for c in store.changes_since(2).customers]

    def test_verify_inside_a_transaction_sees_its_rows_as_its_commit_will(self, book):
        """Rows a transaction wrote name the revision its commit makes: verify() takes them."""
        with SqliteStore(book) as store:
            with store.transaction() as tx:
                tx.add(sample_customer(3))
                tx.put_category(Category(uuid.UUID(int=8), "Retailers"))
                store.verify()
            store.verify()
            assert 4 == store.revision()
        edit(book, "UPDATE customer SET changed_revision = 6 WHERE number = 3")
        edit(
            book,  # SET reads the old values: the checksum is written in a second statement
            f"UPDATE customer SET checksum = debitor_checksum({COVERED['customer']}) "  # noqa: S608
            "WHERE number = 3",
        )
        past = "names revision 6, past the database's revision 4"
        # 5 would be this transaction's own; 6 is past its commit too.
        with (
            SqliteStore(book) as store,
            store.transaction(),
            pytest.raises(CorruptStore, match=past),
        ):
            store.verify()


class TestUpgrade:
    """Schema 6 -> 7: sound rows are sealed anew; damaged ones stay refused."""

    def test_golden_schema_6_is_sealed(self, tmp_path):
        """The golden book of schema 6 opens at 7, each row's checksum over its revision."""
        path = tmp_path / "book.db"
        shutil.copy(GOLDEN / "book-v6.db", path)
        with SqliteStore(path) as store:
            assert 7 == _schema.user_version(store._db)
            store.verify()
            customers = [(c.number, c.name) for c in store.customers()]
        db = raw(path)
        for table, columns in COVERED.items():
            rows = db.execute(f"SELECT checksum, {columns} FROM {table}").fetchall()  # noqa: S608
            assert rows
            assert all(row[0] == _rows.checksum(*row[1:]) for row in rows)
        assert [(1, "SIA Bērziņš & Ko — Ωμέγα 王"), (2, "Anna Ozola")] == customers
        edit(path, "UPDATE customer SET changed_revision = 0 WHERE number = 2")
        with SqliteStore(path) as store, pytest.raises(CorruptStore, match="checksum"):
            store.get_by_number(2)

    def test_damage_before_the_upgrade_is_not_sealed_in(self, tmp_path):
        """A row that failed its checksum at schema 6 still fails it after the upgrade."""
        path = tmp_path / "book.db"
        shutil.copy(GOLDEN / "book-v6.db", path)
        edit(path, "UPDATE customer SET data = replace(data, 'Anna', 'Anne') WHERE number = 2")
        edit(path, "UPDATE record SET version = version + 1 WHERE rowid = 1")
        with SqliteStore(path) as store:
            assert 7 == _schema.user_version(store._db)
            assert "SIA Bērziņš & Ko — Ωμέγα 王" == store.get_by_number(1).name
            with pytest.raises(CorruptStore, match=r"customer row .* does not match its checksum"):
                store.get_by_number(2)
            with pytest.raises(CorruptStore, match="does not match its checksum"):
                store.verify()


def big_book(path, count):
    """A database of ``count`` customers, each with an invoice, and one deleted customer."""
    store = SqliteStore(path)
    with store.transaction() as tx:
        for number in range(1, count + 2):
            customer = sample_customer(number)
            tx.add(customer)
            tx.put_record(sample_records(customer)[0], expected_version=None)
    with store.transaction() as tx:
        tx.delete(customer.id)
    return store


class TestVerifyInBatches:
    """verify() reads the rows a batch at a time: nothing is missed, the book is not held."""

    @pytest.mark.parametrize(
        ("statement", "message"),
        [
            (
                (
                    "UPDATE customer SET data = replace(data, 'SIA', 'SIB') "
                    "WHERE number = (SELECT max(number) FROM customer)"
                ),
                r"customer row .* does not match its checksum",
            ),
            (
                (
                    "UPDATE record SET changed_revision = 0 "
                    "WHERE rowid = (SELECT max(rowid) FROM record)"
                ),
                r"invoice row .* does not match its checksum",
            ),
            (
                "UPDATE record SET number = 99 WHERE rowid = (SELECT max(rowid) FROM record)",
                "lookup columns of the invoice .* do not match it",
            ),
            (
                "UPDATE record SET kind = 'x' WHERE rowid = (SELECT max(rowid) FROM record)",
                "unknown kind 'x'",
            ),
            ("UPDATE customer_deleted SET deleted_revision = 1", "tombstone row"),
        ],
    )
    def test_damage_in_the_last_row_past_many_batches(
        self, tmp_path, monkeypatch, statement, message
    ):
        """Batches of 3 over 10 rows: the last row's damage is found, and the rows are unchanged."""
        monkeypatch.setattr(_store, "_VERIFY_BATCH", 3)
        path = tmp_path / "book.db"
        big_book(path, 10).verify()
        edit(path, statement)
        before = dump(path)
        with SqliteStore(path) as store, pytest.raises(CorruptStore, match=message):
            store.verify()
        assert before == dump(path)

    def test_one_snapshot(self, tmp_path, monkeypatch):
        """A commit by another connection while verify() reads does not look like damage.

        It commits just after verify() read the revision: read outside one snapshot, the
        rows would then name a revision past the one read.
        """
        path = tmp_path / "book.db"
        store = SqliteStore(path, wal=True)
        with store.transaction() as tx:
            tx.add(sample_customer(1))
        other = SqliteStore(path, wal=True)
        read_revision = store.revision

        def revision_then_a_commit():
            revision = read_revision()
            with other.transaction() as tx:
                tx.add(sample_customer(other.last_number() + 1))
            return revision

        monkeypatch.setattr(store, "revision", revision_then_a_commit)
        store.verify()
        store.verify()  # a second time too: the first snapshot ended
        assert 3 == other.revision()
        other.close()
        store.close()

    def test_memory_does_not_grow_with_the_book(self, tmp_path, monkeypatch):
        """A book 4 times as big takes well under twice the peak memory to verify.

        Batches of 50: each book is many batches long, so a list of every customer (or
        a dict of every record) would make the peak grow with the book. Measured with
        tracemalloc after a first verify() (which builds the converter's hooks).
        """
        monkeypatch.setattr(_store, "_VERIFY_BATCH", 50)
        peaks = []
        for count in (300, 1200):
            store = big_book(tmp_path / f"book-{count}.db", count)
            store.verify()
            tracemalloc.start()
            try:
                baseline = tracemalloc.get_traced_memory()[0]
                store.verify()
                peaks.append(tracemalloc.get_traced_memory()[1] - baseline)
            finally:
                tracemalloc.stop()
            store.close()
        small, big = peaks
        assert big < 2 * small, peaks
