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
    HistoryAction,
    HistoryEntry,
    Payment,
    StorageError,
)
from debitor_core.book._in_memory import InMemoryReadModel
from debitor_core.book._unit_of_work import UnitOfWork
from debitor_core.storage import InMemoryStore, Transaction

WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def customer(number, name="Koks"):
    return Customer(id=uuid.uuid4(), number=number, name=name, created=WHEN, updated=WHEN)


def open_uow(store=None):
    return UnitOfWork(store or InMemoryStore(), InMemoryReadModel(), lambda: WHEN)


class FlakyStore(InMemoryStore):
    """An in-memory store whose reads of customers fail while ``broken`` is set."""

    broken = False

    def customers(self, *, offset=0, limit=None):
        if self.broken:
            msg = "The disk is gone."
            raise StorageError(msg)
        return super().customers(offset=offset, limit=limit)


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
            tx.put_category(Category(uuid.uuid4(), "Retail"))
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
        with uow.transaction() as tx:
            tx.put_category(retail)
            tx.put_custom_field(CustomFieldDefinition("segment", "Segment"))
        assert ({retail.id: retail}, ["segment"]) == (
            uow.definitions.categories,
            list(uow.definitions.fields),
        )
        with uow.transaction() as tx:
            tx.delete_category(retail.id)
        assert {} == uow.definitions.categories


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
