"""SqliteStore's own queries: its query tables, kept in step, re-folded, and hard to fool."""

import shutil
import sqlite3
import uuid
from pathlib import Path

import attrs
import pytest

from debitor_core import CorruptStore, CustomerBook, StorageError, _text
from debitor_core.book._in_memory import InMemoryReadModel
from debitor_core.book._store_model import StoreReadModel
from debitor_core.storage import (
    CustomerQueries,
    CustomerQuery,
    InMemoryStore,
    SqliteStore,
)
from debitor_core.storage._sqlite import _queries, _schema, _store
from debitor_core.testing import sample_customer

GOLDEN = Path(__file__).resolve().parent / "golden"


def add(store, *customers):
    with store.transaction() as tx:
        for customer in customers:
            tx.add(customer)


def names(found):
    return [c.name for c in found]


@pytest.fixture
def path(tmp_path):
    return tmp_path / "book.db"


@pytest.fixture
def store(path):
    store = SqliteStore(path)
    yield store
    store.close()


class TestTheBookUsesThem:
    def test_a_book_on_sqlite_keeps_no_index(self, store, clock):
        """With a query-capable store the book asks the store and holds no customers."""
        book = CustomerBook(store, clock=clock)
        book.register({"name": "SIA Bērziņš", "address": {"country": "LV", "city": "Rīga"}})
        model = book._uow.model
        assert isinstance(store, CustomerQueries)
        assert isinstance(model, StoreReadModel)
        assert not any(isinstance(v, dict | list) and v for v in vars(model).values())
        assert ["SIA Bērziņš"] == names(book.search("berzins riga"))

    def test_a_store_without_them_gets_the_in_memory_index(self, clock):
        """A store with no query capability works as before, from memory."""
        book = CustomerBook(InMemoryStore(), clock=clock)
        assert isinstance(book._uow.model, InMemoryReadModel)

    def test_another_process_write_is_found_at_once(self, path, clock):
        """A customer one connection registers, another finds without reloading anything."""
        first = CustomerBook(SqliteStore(path), clock=clock)
        second = CustomerBook(SqliteStore(path), clock=clock)
        assert 0 == second.search("koks").total
        first.register({"name": "Koks", "email": "info@koks.lv", "address": {"country": "LV"}})
        assert ["Koks"] == names(second.search("KOKS"))
        second.duplicates = "reject"
        with pytest.raises(Exception, match="looks like a customer"):
            second.register(
                {"name": "Other", "email": "INFO@koks.lv", "address": {"country": "LV"}}
            )

    def test_missing_customers_and_invoices_are_none(self, store):
        """Lookups of what is not there answer None, as in memory."""
        model = StoreReadModel(store)
        assert (None, None, None) == (
            model.get(uuid.uuid4()),
            model.get_by_number(5),
            model.invoice(uuid.uuid4()),
        )
        assert "SqliteStore" in repr(model)

    def test_the_searched_fields_are_read_once_per_foreign_change(self, store, monkeypatch):
        """After its own commit the store knows its searched fields without reading them."""
        add(store, sample_customer(1, notes=()))
        reads = []
        real = SqliteStore.custom_fields
        monkeypatch.setattr(SqliteStore, "custom_fields", lambda s: reads.append(1) or real(s))
        add(store, sample_customer(2, notes=()))
        add(store, sample_customer(3, notes=()))
        assert [] == reads

    def test_registrations_in_one_commit_are_numbered_as_before(self, store, clock):
        """Inside a transaction the read model's counters stay at the revision taken in."""
        book = CustomerBook(store, clock=clock)
        made = book.register_many(
            [{"name": f"Customer {i}", "address": {"country": "LV"}} for i in range(3)]
        )
        assert [1, 2, 3] == [c.number for c in made]
        assert 3 == book._uow.model.last_number()


class TestQueryTables:
    def test_written_with_the_customer(self, store, path):
        """Every write keeps the query rows of its customer, and only its, in step."""
        first, second = sample_customer(1, notes=()), sample_customer(2, name="Ozola", notes=())
        add(store, first, second)
        renamed = attrs.evolve(first, name="Meži", number=7, version=first.version + 1)
        with store.transaction() as tx:
            tx.update(renamed, expected_version=first.version)
            tx.delete(second.id)
        db = sqlite3.connect(path)
        assert [(7, "mezi")] == db.execute("SELECT number, name FROM customer_search").fetchall()
        assert {7} == {r[0] for r in db.execute("SELECT number FROM customer_key")}
        assert [7] == [r[0] for r in db.execute("SELECT rowid FROM customer_fts")]
        assert ["Meži"] == names(store.search_customers(CustomerQuery(text="MEZI")))
        assert [] == store.search_customers(CustomerQuery(text="ozola"))

    def test_like_specials_are_plain_characters(self, store):
        """%, _ and a backslash in a query match only themselves, never 'anything'."""
        add(store, sample_customer(1, name="100% Koks", notes=()), sample_customer(2, notes=()))
        for text, expected in [("%", [1]), ("_", []), ("\\", []), ("0% k", [1]), ("%%", [])]:
            found = store.search_customers(CustomerQuery(text=text))
            assert expected == [c.number for c in found], text

    def test_values_sqlite_cannot_hold_match_nothing(self, store):
        """A lone surrogate or a NUL in a query finds nothing, and raises nothing."""
        add(store, sample_customer(1, notes=()))
        for query in [
            CustomerQuery(text="koks\ud800"),
            CustomerQuery(text="ko\x00ks"),
            CustomerQuery(text="\x00"),
            CustomerQuery(city="R\ud800ga"),
            CustomerQuery(country="L\ud800"),
            CustomerQuery(with_field="\ud800"),
            CustomerQuery(text="\u200b"),
            CustomerQuery(categories=(frozenset(),)),
            CustomerQuery(categories=(frozenset(),), match_all=True),
        ]:
            assert [] == store.search_customers(query), query
            assert 0 == store.count_customers(query), query
            assert [] == store.invoices_matching(query), query
        assert [] == store.customers_sharing([("email", "\ud800")])

    def test_searched_custom_fields_fold_again(self, store, clock):
        """A text field that becomes searchable (or private) is searched from then on."""
        book = CustomerBook(store, clock=clock)
        book.define_field("segment", "Segment", "integer")
        book.register({"name": "Koks", "address": {"country": "LV"}})
        book.define_field("motto", "Motto")
        koks = book.get_by_number(1)
        book.update(
            koks.id, {"custom_fields": {"motto": "Ātri un labi"}}, expected_version=koks.version
        )
        assert ["Koks"] == names(book.search("atri"))
        book.change_field("motto", personal_data=True)
        query = CustomerQuery(text="atri", include_private=False)
        assert [] == store.search_customers(query)
        assert ["Koks"] == names(store.search_customers(attrs.evolve(query, include_private=True)))

    def test_a_stale_key_row_is_skipped(self, store, path):
        """A duplicate-key row whose customer is gone (damage) names no customer."""
        add(store, sample_customer(1, notes=()))
        db = sqlite3.connect(path)
        db.execute("INSERT INTO customer_key VALUES ('email', 'ghost@x.lv', 99)")
        db.commit()
        assert [] == store.customers_sharing([("email", "ghost@x.lv")])

    def test_field_values_and_invoices_of_matching_customers(self, store, clock):
        """Custom-field values are compared folded; invoices follow the matching customers."""
        book = CustomerBook(store, clock=clock)
        book.define_field("tier", "Tier")
        lv = {"country": "LV"}
        gold = book.register({"name": "Koks", "address": lv, "custom_fields": {"tier": "Gold"}})
        book.register({"name": "Meži", "address": lv, "custom_fields": {"tier": "Silver"}})
        store_query = CustomerQuery(custom_fields=(("tier", "GOLD"),))
        assert ["Koks"] == names(store.search_customers(store_query, limit=1))
        assert 1 == store.count_customers(store_query)
        assert [] == store.invoices_matching(store_query)
        assert [] == store.payments_of([gold.id])


class TestFoldVersions:
    @pytest.mark.usefixtures("store")
    def test_recorded_in_meta(self, path):
        """The fold's version and Python's Unicode version are kept beside the rows."""
        db = sqlite3.connect(path)
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        assert (meta["fold_version"], meta["unicode_version"]) == _queries.fold_stamp()

    def test_another_fold_folds_every_row_again(self, path, monkeypatch):
        """Opened by a release with another fold, every query row is made again."""
        store = SqliteStore(path)
        add(store, sample_customer(1, name="Bērziņš", notes=()))
        revision = store.revision()
        store.close()
        db = sqlite3.connect(path)
        db.execute("DELETE FROM customer_fts")
        db.commit()
        monkeypatch.setattr(_text, "FOLD_VERSION", _text.FOLD_VERSION + 1)
        store = SqliteStore(path)
        assert ["Bērziņš"] == names(store.search_customers(CustomerQuery(text="berzins")))
        assert revision == store.revision()  # the data did not change
        store.close()

    def test_the_same_fold_leaves_the_rows(self, path):
        """Reopened by the same release, the rows are not touched."""
        store = SqliteStore(path)
        add(store, sample_customer(1, name="Bērziņš", notes=()))
        store.close()
        db = sqlite3.connect(path)
        db.execute("DELETE FROM customer_fts")
        db.commit()
        with SqliteStore(path) as reopened:
            assert [] == reopened.search_customers(CustomerQuery(text="berzins"))

    def test_a_failed_refold_changes_nothing(self, path, monkeypatch):
        """A re-fold that fails half-way is rolled back; the database stays as it was."""
        store = SqliteStore(path)
        add(store, sample_customer(1, notes=()))
        store.close()
        monkeypatch.setattr(_text, "FOLD_VERSION", _text.FOLD_VERSION + 1)

        def broken(*_):
            raise sqlite3.OperationalError("disk I/O error")

        monkeypatch.setattr(_queries, "index_record", broken)
        monkeypatch.setattr(_queries, "index_customers", broken)
        with pytest.raises(StorageError, match="disk I/O error"):
            SqliteStore(path)
        db = sqlite3.connect(path)
        assert 1 == db.execute("SELECT count(*) FROM customer_search").fetchone()[0]

    @pytest.mark.parametrize("version", [3, 4, 5])
    def test_golden_databases_get_their_query_rows(self, tmp_path, version):
        """A database of schema 3, 4 or 5 is migrated and folded: its customers are found."""
        shutil.copy(GOLDEN / f"book-v{version}.db", tmp_path / "book.db")
        with SqliteStore(tmp_path / "book.db") as store:
            assert _schema.SCHEMA_VERSION == _schema.user_version(store._db)
            found = store.search_customers(CustomerQuery(text="ωmeya berzins", archived=None))
            assert [1] == [c.number for c in found]
            assert 1 == len(store.invoices_of())
            assert store.last_invoice_number() > 0
            store.verify()

    def test_two_openers_refold_once(self, path, monkeypatch):
        """Two stores opening a stale database at once: the second finds it done."""
        add(SqliteStore(path), sample_customer(1, notes=()))
        monkeypatch.setattr(_text, "FOLD_VERSION", _text.FOLD_VERSION + 1)
        calls = []
        real = _store.SqliteStore._refold

        def counted(self):
            calls.append(self)
            real(self)

        monkeypatch.setattr(_store.SqliteStore, "_refold", counted)
        SqliteStore(path).close()
        SqliteStore(path).close()
        assert 1 == len(calls)


def test_fold_stamp_is_a_number_per_version():
    """The Unicode version is kept as one whole number (15.0.0 is 150000)."""
    fold, unicode = _queries.fold_stamp()
    major, minor, patch = map(int, _text.UNICODE_VERSION.split("."))
    assert (_text.FOLD_VERSION, major * 10_000 + minor * 100 + patch) == (fold, unicode)


def merged_book(store, clock):
    """A book where customer 3 was merged into 2 and 2 into 1; returns the three ids."""
    book = CustomerBook(store, clock=clock)
    ids = [
        book.register({"name": name, "address": {"country": "LV"}}, author="anna").id
        for name in ("Anna Ozola", "Berta Kalna", "Cilda Liepa")
    ]
    book.merge(ids[1], ids[2], author="anna")
    book.merge(ids[0], ids[1], author="anna")
    return book, ids


class TestHistoryLookups:
    """Schema 6: history, forwards and records about a customer by index (HistoryQueries)."""

    def test_the_lookup_columns_are_written(self, store, clock):
        """Each record row holds the customer it is about, and a forward its number too."""
        _, ids = merged_book(store, clock)
        rows = store._rows("SELECT kind, customer, number FROM record ORDER BY rowid")
        assert {("forward", str(ids[1]), 3), ("forward", str(ids[0]), 2)} == {
            row for row in rows if row[0] == "forward"
        }
        assert all(row[1] for row in rows if row[0] == "history")
        assert {str(i) for i in ids} == {row[1] for row in rows if row[0] == "history"}

    def test_lookups_follow_the_merges(self, store, clock):
        """Forwards by number and by target, and each customer's history, oldest first."""
        book, ids = merged_book(store, clock)
        assert [ids[2]] == [f.customer_id for f in store.forwards_to(ids[1])]
        assert [ids[1]] == [f.customer_id for f in store.forwards_to(ids[0])]
        assert [ids[1]] == [f.to for f in store.forwards_numbered(3)]
        assert [] == list(store.forwards_numbered(1))
        assert ["registered", "merged"] == [e.action.value for e in store.history_of(ids[2])]
        assert book.history(ids[2]) == list(store.history_of(ids[2]))
        assert "Anna Ozola" == book.get_by_number(3).name

    @pytest.mark.parametrize("junk", [True, 0, -1, 2**53 + 1, 2**80, "3", 3.0, None])
    def test_no_number_finds_nothing(self, store, clock, junk):
        """Anything but a customer number finds no forward (and never reaches SQLite)."""
        merged_book(store, clock)
        assert [] == list(store.forwards_numbered(junk))

    def test_a_damaged_lookup_column_never_gives_a_wrong_record(self, path, clock):
        """A history row whose column names another customer is left out; verify finds it."""
        store = SqliteStore(path)
        _, ids = merged_book(store, clock)
        store.close()
        db = sqlite3.connect(path)
        with db:
            db.execute(
                "UPDATE record SET customer = ? WHERE kind = 'history' AND customer = ?",
                (str(ids[0]), str(ids[2])),
            )
        db.close()
        with SqliteStore(path) as reopened:
            assert all(e.customer_id == ids[0] for e in reopened.history_of(ids[0]))
            assert [] == list(reopened.history_of(ids[2]))  # a miss, not a wrong answer
            with pytest.raises(CorruptStore, match="lookup columns of the history"):
                reopened.verify()

    def test_the_lookups_use_the_indexes(self, store):
        """The statements are index searches, not scans of every record."""
        plans = [
            store._rows(
                "EXPLAIN QUERY PLAN SELECT rowid FROM record WHERE customer IN (?) AND kind = ?",
                ("x", "history"),
            ),
            store._rows(
                "EXPLAIN QUERY PLAN SELECT rowid FROM record WHERE number = ? AND kind = ? "
                "ORDER BY rowid",
                (1, "forward"),
            ),
        ]
        details = [row[3] for plan in plans for row in plan]
        assert any("record_customer" in d for d in details)
        assert any("record_number" in d for d in details)
        assert not any(d.startswith("SCAN") for d in details)

    def test_golden_schema_5_gets_its_lookup_columns(self, tmp_path, clock):
        """A book of schema 5 with history and a forward is upgraded and filled from its rows."""
        shutil.copy(GOLDEN / "book-v5.db", tmp_path / "book.db")
        with SqliteStore(tmp_path / "book.db") as store:
            assert _schema.SCHEMA_VERSION == _schema.user_version(store._db)
            [forward] = store.forwards_numbered(3)
            assert 2 == store.get(forward.to).number
            assert [forward] == list(store.forwards_to(forward.to))
            actions = [e.action.value for e in store.history_of(forward.customer_id)]
            assert ["registered", "changed", "merged"] == actions
            assert 1 == len(store.records_about([store.get_by_number(1).id]))  # its invoice
            book = CustomerBook(store, clock=clock)
            assert "Anna Ozola" == book.get_by_number(3).name
            assert 3 == len(book.history(forward.customer_id))
            store.verify()
