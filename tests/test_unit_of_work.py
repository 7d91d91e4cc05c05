"""The unit of work: typed, recorded transactions, and catching up with other writers."""

import datetime as dt
import threading
import uuid

import attrs
import pytest

from debitor_core import (
    AlreadyExists,
    Category,
    Customer,
    CustomFieldDefinition,
    DefinitionAction,
    DefinitionChange,
    HistoryAction,
    HistoryEntry,
    Payment,
    StorageError,
)
from debitor_core.book._in_memory import InMemoryReadModel
from debitor_core.book._read_model import EVERYONE, CustomerQuery
from debitor_core.book._unit_of_work import UnitOfWork
from debitor_core.storage import InMemoryStore, Transaction

WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def customer(number, name="Koks"):
    return Customer(id=uuid.uuid4(), number=number, name=name, created=WHEN, updated=WHEN)


def open_uow(store=None):
    return UnitOfWork(store or InMemoryStore(), InMemoryReadModel(), lambda: WHEN)


class FlakyStore(InMemoryStore):
    """An in-memory store whose reads of customers and changes fail while ``broken`` is set."""

    broken = False

    def customers(self, *, offset=0, limit=None):
        if self.broken:
            msg = "The disk is gone."
            raise StorageError(msg)
        return super().customers(offset=offset, limit=limit)

    def changes_since(self, revision):
        if self.broken:
            msg = "The disk is gone."
            raise StorageError(msg)
        return super().changes_since(revision)


class TestWrites:
    def test_records_what_each_write_changes(self):
        """Every write is passed on to the store and noted, collapsed per key."""
        uow = open_uow()
        koks, other = customer(1), customer(2)
        payment = Payment(uuid.uuid4(), uuid.uuid4(), 1, "EUR", WHEN.date())
        with uow.transaction() as tx:
            assert isinstance(tx, Transaction)
            tx.add(koks)
            tx.add(other)
            changed = attrs.evolve(koks, name="Meži", version=2)
            tx.update(changed, expected_version=1)
            tx.delete(other.id)
            tx.put_record(payment, expected_version=None)
            assert (False, False) == (tx.categories, tx.custom_fields)
            tx.put_category(Category(uuid.uuid4(), "Retail"), action=None)
            assert ([changed], [other.id], [payment]) == (
                list(tx.customers),
                list(tx.deleted),
                [r for r in tx.records if not isinstance(r, HistoryEntry)],
            )
            assert (True, False) == (tx.categories, tx.custom_fields)
        assert [changed] == list(uow.store.customers())
        assert "<Writes 1 customers, 1 deleted, 5 records, categories>" == repr(tx)

    def test_every_customer_write_keeps_history(self):
        """Adds, updates and deletes each store a history entry in the same commit."""
        uow = open_uow()
        koks, other = customer(1), customer(2)
        with uow.transaction(author="anna") as tx:
            tx.add(koks)
            tx.add(other)
            tx.update(attrs.evolve(koks, name="Meži", version=2), expected_version=1)
            tx.update(attrs.evolve(koks, name="Ozoli", version=3), expected_version=2)
            tx.delete(other.id, action=HistoryAction.MERGED, other=koks.id)
        entries = list(uow.store.records(HistoryEntry))
        assert [
            (koks.id, HistoryAction.REGISTERED, "anna"),
            (other.id, HistoryAction.REGISTERED, "anna"),
            (koks.id, HistoryAction.CHANGED, "anna"),
            (koks.id, HistoryAction.CHANGED, "anna"),
            (other.id, HistoryAction.MERGED, "anna"),
        ] == [(e.customer_id, e.action, e.author) for e in entries]
        assert [("Koks", "Meži"), ("Meži", "Ozoli")] == [e.changes["name"] for e in entries[2:4]]
        assert (koks.id, ()) == (entries[4].other, entries[4].fields)

    def test_rolled_back_writes_keep_no_history(self):
        """A transaction that fails stores no history entry either."""
        uow = open_uow()
        first, again = customer(1), customer(1, "Koks again")

        def add_both():
            with uow.transaction() as tx:
                tx.add(first)
                tx.add(again)  # the same number: refused, all rolled back

        with pytest.raises(AlreadyExists):
            add_both()
        assert [] == list(uow.store.records(HistoryEntry))

    def test_added_after_deleted(self):
        """A customer deleted and added again in one transaction counts as saved only."""
        uow = open_uow()
        koks = customer(1)
        with uow.transaction() as tx:
            tx.add(koks)
        with uow.transaction() as tx:
            tx.delete(koks.id)
            tx.add(koks)
            assert ([koks], []) == (list(tx.customers), list(tx.deleted))
        assert koks == uow.model.get(koks.id)

    def test_definitions(self):
        """Category and custom-field writes are definitions; the book's copy follows them."""
        uow = open_uow()
        retail = Category(uuid.uuid4(), "Retail")
        with uow.transaction(author="anna") as tx:
            tx.put_category(retail, action=DefinitionAction.CREATED)
            tx.put_custom_field(
                CustomFieldDefinition("segment", "Segment"), action=DefinitionAction.DEFINED
            )
        assert ({retail.id: retail}, ["segment"]) == (
            uow.definitions.categories,
            list(uow.definitions.fields),
        )
        with uow.transaction() as tx:
            tx.delete_category(retail.id)
        assert {} == uow.definitions.categories
        assert [
            (str(retail.id), DefinitionAction.CREATED, "anna"),
            ("segment", DefinitionAction.DEFINED, "anna"),
            (str(retail.id), DefinitionAction.DELETED, None),
        ] == [(c.subject, c.action, c.author) for c in uow.store.records(DefinitionChange)]

    def test_definitions_without_audit(self):
        """action=None (an import, which brings its own trail) and no-op writes record nothing."""
        uow = open_uow()
        retail = Category(uuid.uuid4(), "Retail")
        with uow.transaction() as tx:
            tx.put_category(retail, action=None)
            tx.put_custom_field(CustomFieldDefinition("segment", "Segment"), action=None)
        with uow.transaction() as tx:
            tx.put_category(retail, action=DefinitionAction.RENAMED)
        assert [] == list(uow.store.records(DefinitionChange))


class TestTransaction:
    def test_a_commit_reaches_the_read_model(self):
        """After the block, the read model has the new customer and the revision moved one."""
        uow = open_uow()
        koks = customer(1)
        with uow.transaction() as tx:
            tx.add(koks)
            assert uow.model.get(koks.id) is None  # not before the commit
        assert (koks, 1, 1) == (uow.model.get(koks.id), uow.revision, uow.model.last_number())

    def test_an_error_writes_nothing(self):
        """When the block raises, nothing is stored or indexed, and the lock is free."""
        uow = open_uow()

        def fail_after_adding():
            with uow.transaction() as tx:
                tx.add(customer(1))
                raise RuntimeError

        with pytest.raises(RuntimeError):
            fail_after_adding()
        assert (0, 0, 0) == (uow.store.count(), uow.model.count(), uow.revision)
        assert _free(uow.lock)

    def test_an_empty_commit_leaves_the_revision(self):
        """A transaction that wrote nothing does not make the book skip another's commit."""
        store = InMemoryStore()
        uow, other = open_uow(store), open_uow(store)
        with uow.transaction():
            pass
        with other.transaction() as tx:
            tx.add(koks := customer(1))
        uow.catch_up()
        assert koks == uow.model.get(koks.id)

    def test_catches_up_inside(self):
        """A commit by another book before the transaction is read in, with the store locked."""
        store = InMemoryStore()
        uow, other = open_uow(store), open_uow(store)
        with other.transaction() as tx:
            tx.add(first := customer(1))
        with uow.transaction() as tx:
            assert first == uow.model.get(first.id)
            tx.add(customer(uow.model.last_number() + 1))
        assert (2, [1, 2]) == (uow.revision, [c.number for c in store.customers()])

    def test_a_failed_catch_up_releases_everything(self):
        """When reading the store fails inside, the store and the book's lock are released."""
        store = FlakyStore()
        uow, other = open_uow(store), open_uow(store)
        with other.transaction() as tx:
            tx.add(customer(1))
        store.broken = True
        with pytest.raises(StorageError), uow.transaction():
            pass  # pragma: no cover - never reached
        store.broken = False
        assert _free(uow.lock)
        with uow.transaction() as tx:  # the store's own lock was released too
            tx.add(customer(2))
        assert 2 == uow.model.count()

    def test_a_failed_commit_leaves_the_read_model(self, monkeypatch):
        """When the store cannot commit, the read model stays as it was."""
        store = InMemoryStore()
        uow = open_uow(store)
        real = store.transaction

        class Failing:
            def __init__(self):
                self.inner = real()

            def __enter__(self):
                return self.inner.__enter__()

            def __exit__(self, *exc):
                self.inner.__exit__(RuntimeError, RuntimeError(), None)
                if exc[0] is None:
                    msg = "The commit failed."
                    raise StorageError(msg)

        monkeypatch.setattr(store, "transaction", Failing)
        with pytest.raises(StorageError, match="commit failed"), uow.transaction() as tx:
            tx.add(customer(1))
        assert (0, 0) == (uow.model.count(), uow.revision)
        assert _free(uow.lock)

    def test_opening_fails(self, monkeypatch):
        """When the store cannot open a transaction, the book's lock is released."""
        uow = open_uow()

        def broken():
            msg = "The store is closed."
            raise StorageError(msg)

        monkeypatch.setattr(uow.store, "transaction", broken)
        with pytest.raises(StorageError), uow.transaction():
            pass  # pragma: no cover - never reached
        assert _free(uow.lock)


def _free(lock):
    """Whether another thread can take ``lock`` (it waits a while before saying no)."""
    result = []

    def take():
        taken = lock.acquire(timeout=5)
        if taken:
            lock.release()
        result.append(taken)

    thread = threading.Thread(target=take)
    thread.start()
    thread.join()
    return result[0]


class NoFeed:
    """A store without the change feed: every method of `Store`, none of `ChangeFeed`."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):
        """Every attribute of the store but the feed's."""
        if name in {"changes_since", "store_id"}:
            raise AttributeError(name)
        return getattr(self._store, name)


def model_state(uow):
    """What a read model answers, as plain values (to compare with a fresh reload)."""
    model = uow.model
    customers = list(model.search(EVERYONE).items)
    return (
        customers,
        [model.get(c.id) for c in customers],
        [model.get_by_number(c.number) for c in customers],
        model.count(),
        model.last_number(),
        model.invoices(),
        model.pending_deliveries(),
        [[c.number for c in model.search(CustomerQuery(text=c.name)).items] for c in customers],
        list(uow.definitions.categories.values()),
        list(uow.definitions.fields.values()),
    )


class TestFollowingTheFeed:
    """A unit of work catches up through the store's feed when it has one."""

    @pytest.fixture
    def stores(self, tmp_path):
        """Two store objects on one SQLite database: this book's and another writer's."""
        from debitor_core.storage import SqliteStore

        path = tmp_path / "book.db"
        mine, theirs = SqliteStore(path), SqliteStore(path)
        yield mine, theirs
        mine.close()
        theirs.close()

    def test_applies_what_another_writer_committed(self, stores):
        """Adds, changes, renumbering, deletes, records and definitions arrive without a reload."""
        from debitor_core.testing import sample_records

        mine, theirs = stores
        koks, other, gone = customer(1), customer(2, "Ozols"), customer(3, "Bērzs")
        with theirs.transaction() as tx:
            for c in (koks, other, gone):
                tx.add(c)
        uow = open_uow(mine)
        with theirs.transaction() as tx:
            tx.update(attrs.evolve(koks, name="Meži", number=9, version=2), expected_version=1)
            tx.update(attrs.evolve(other, number=1, version=2), expected_version=1)
            tx.delete(gone.id)
            tx.add(passing := customer(10, "Passing"))
            tx.put_category(Category(uuid.uuid4(), "Retail"))
            tx.put_custom_field(CustomFieldDefinition("segment", "Segment"))
            for record in sample_records(other):
                tx.put_record(record, expected_version=None)
        with theirs.transaction() as tx:
            tx.delete(passing.id)
        uow.catch_up()
        assert (1, 1, 3) == (uow.reloads, uow.catch_ups, uow.revision)
        assert 10 == uow.model.last_number()  # the deleted one's number is not handed out
        assert model_state(uow) == model_state(open_uow(mine))
        assert "Meži" == uow.model.get_by_number(9).name
        assert uow.model.get(gone.id) is None

    def test_definitions_change_alone(self, stores):
        """A commit that only deletes a category reaches the book's definitions."""
        mine, theirs = stores
        retail = Category(uuid.uuid4(), "Retail")
        with theirs.transaction() as tx:
            tx.put_category(retail)
        uow = open_uow(mine)
        with theirs.transaction() as tx:
            tx.delete_category(retail.id)
        uow.catch_up()
        assert ({}, 1) == (uow.definitions.categories, uow.catch_ups)

    def test_inside_a_transaction(self, stores):
        """Catching up inside a transaction follows the feed too, and the commit counts one."""
        mine, theirs = stores
        uow = open_uow(mine)
        with theirs.transaction() as tx:
            tx.add(first := customer(1))
        with uow.transaction() as tx:
            assert first == uow.model.get(first.id)
            tx.add(customer(uow.model.last_number() + 1))
        assert (2, 1, 1) == (uow.revision, uow.catch_ups, uow.reloads)
        uow.catch_up()
        assert (1, 1) == (uow.catch_ups, uow.reloads)

    def test_pruned_history_reloads(self, tmp_path):
        """When the feed cannot look back far enough, the book reads everything again."""
        from debitor_core.storage import SqliteStore

        mine = SqliteStore(tmp_path / "book.db", feed_retention=1)
        theirs = SqliteStore(tmp_path / "book.db", feed_retention=1)
        uow = open_uow(mine)
        with theirs.transaction() as tx:
            tx.add(gone := customer(1))
        with theirs.transaction() as tx:
            tx.delete(gone.id)
        with theirs.transaction() as tx:
            tx.add(customer(2))
        uow.catch_up()
        assert (2, 0) == (uow.reloads, uow.catch_ups)
        assert model_state(uow) == model_state(open_uow(mine))

    def test_a_replaced_store_reloads(self, tmp_path):
        """A change set of another store (another id) is not applied: the book reloads."""
        from debitor_core.storage import SqliteStore

        path = tmp_path / "book.db"
        uow = open_uow(SqliteStore(path))
        with uow.transaction() as tx:
            tx.add(customer(1))
        other = SqliteStore(tmp_path / "other.db")
        for number in (1, 2, 3):
            with other.transaction() as tx:
                tx.add(customer(number, f"Other {number}"))
        other.close()
        (tmp_path / "other.db").replace(path)
        uow.store.close()
        uow.store = uow._feed = SqliteStore(path)  # the same object would keep its old file
        uow.catch_up()
        assert (2, 0) == (uow.reloads, uow.catch_ups)
        assert ["Other 1", "Other 2", "Other 3"] == [c.name for c in model_state(uow)[0]]

    def test_a_store_behind_the_book_reloads(self, tmp_path):
        """A store that went back (a restored backup) is read again."""
        import shutil

        from debitor_core.storage import SqliteStore

        path = tmp_path / "book.db"
        store = SqliteStore(path)
        with store.transaction() as tx:
            tx.add(customer(1))
        store.close()
        shutil.copy(path, tmp_path / "backup.db")
        uow = open_uow(SqliteStore(path))
        with uow.transaction() as tx:
            tx.add(customer(2))
        with uow.transaction() as tx:
            tx.add(customer(3))
        uow.store.close()
        (tmp_path / "backup.db").replace(path)
        uow.store = uow._feed = SqliteStore(path)
        with uow.store.transaction() as tx:  # revision 2: behind the 3 the book saw
            tx.add(customer(4))
        uow.catch_up()
        assert ([1, 4], 2, 0) == (
            [c.number for c in model_state(uow)[0]],
            uow.reloads,
            uow.catch_ups,
        )

    def test_a_store_without_a_feed_reloads(self):
        """A store with no feed is read again whenever another writer moved it on."""
        store = InMemoryStore()
        uow = open_uow(NoFeed(store))
        with store.transaction() as tx:
            tx.add(koks := customer(1))
        uow.catch_up()
        assert (2, 0, koks) == (uow.reloads, uow.catch_ups, uow.model.get(koks.id))
        assert (None, None) == (uow.store_id(), uow.changes_since(0))
