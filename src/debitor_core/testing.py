"""The storage contract as a pytest suite, for our backends and yours.

Subclass `StoreContract` in a test module, name the subclass ``Test...`` and implement
`StoreContract.make_store`; a durable backend also sets ``durable = True`` and
implements `StoreContract.reopen`. A backend that several processes share implements
`StoreContract.store_opener`, so that the suite can open the same store in other
processes; one that is single-process by design says so with ``multiprocess = False``.
A backend with the change feed (`debitor_core.storage.ChangeFeed`) is checked for it
too, and implements `StoreContract.make_pruning_store` for the check of pruning; the
feed's checks are skipped, with the reason, for a store without it.
Every test of the contract then runs against your backend::

    import functools

    from debitor_core.testing import StoreContract

    class TestMyStore(StoreContract):
        durable = True

        def make_store(self):
            return MyStore(self.temporary_folder() / "book")

        def reopen(self, store):
            store.close()
            return MyStore(store.path)

        def store_opener(self, store):
            return functools.partial(MyStore, store.path)

Needs pytest and Hypothesis: ``pip install 'debitor-core[testing]'``.
"""

from __future__ import annotations

import abc
import collections
import contextlib
import datetime as dt
import multiprocessing
import pickle
import queue
import random
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

try:
    import pytest
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised by a subprocess test
    msg = "debitor_core.testing needs pytest and Hypothesis; install 'debitor-core[testing]'"
    raise ImportError(msg) from exc

import attrs

from debitor_core import strategies
from debitor_core._category import Category
from debitor_core._errors import AlreadyExists, ConcurrencyConflict, NotFound
from debitor_core._fields import CustomFieldDefinition, FieldType
from debitor_core._history import (
    DefinitionAction,
    DefinitionChange,
    DefinitionSubject,
    FieldChange,
    HistoryAction,
    HistoryEntry,
    attribute_changes,
    field_changes,
)
from debitor_core._invoice import (
    BillTo,
    Branding,
    Delivery,
    Invoice,
    InvoiceLine,
    InvoiceState,
    Payment,
    Record,
    ReminderLog,
)
from debitor_core._model import (
    Address,
    AttachmentRef,
    Consent,
    ConsentChannel,
    Customer,
    CustomerKind,
    Note,
    Phone,
    PhoneType,
    TaxId,
)
from debitor_core._terms import PaymentTerms
from debitor_core._text import keys_and_text
from debitor_core.storage._feed import ChangeFeed, ChangeSet
from debitor_core.storage._protocol import Store
from debitor_core.storage._queries import CustomerQueries, CustomerQuery, HistoryQueries

__all__ = [
    "QueriesContract",
    "StoreContract",
    "sample_customer",
    "sample_definition_changes",
    "sample_history",
    "sample_records",
]

_MOMENT = dt.datetime(2026, 11, 26, 9, 30, 15, 123456, tzinfo=dt.UTC)


def sample_customer(number: int = 1, **changes: Any) -> Customer:  # noqa: ANN401 - any field
    """A customer with every field filled, Unicode, decimals and dates included."""
    customer = Customer(
        id=uuid.uuid4(),
        number=number,
        name="SIA Bērziņš & Ko — Ωμέγα 王",
        kind=CustomerKind.COMPANY,
        contact_person="Jānis Bērziņš",
        address=Address("Brīvības iela 1\n2. stāvs", "LV-1050", "Rīga", "Rīgas novads", "LV"),
        email="jānis@bērziņš.lv",
        other_emails=("info@koks.lv",),
        phone=Phone("+37120000000", PhoneType.MOBILE),
        other_phones=(Phone("+37167000000", PhoneType.FAX),),
        website="https://koks.lv",
        tax_id=TaxId("LV40003521600", "LV"),
        company_id="40003521600",
        payment_terms=PaymentTerms.on(dt.date(2027, 2, 28)),
        currency="EUR",
        language="lv",
        categories=(uuid.UUID(int=1), uuid.UUID(int=2)),
        custom_fields={
            "limit": Decimal("1234.50"),
            "since": dt.date(2020, 2, 29),
            "vip": True,
            "visits": 7,
            "tags": ("a", "b"),
            "segment": "Mēbeles",
        },
        notes=(Note("Maksā ar karti.\nLabi.", _MOMENT, "anna"),),
        attachments=(AttachmentRef("līgums.pdf", "application/pdf", 2048, "ab" * 32, _MOMENT),),
        consents=(Consent(ConsentChannel.EMAIL, given=True, at=_MOMENT, source="web"),),
        archived=False,
        created=_MOMENT,
        updated=_MOMENT,
        version=1,
    )
    return attrs.evolve(customer, **changes)


class StoreContract(abc.ABC):
    """What every `Store` must do. Subclass it as ``Test<YourStore>``.

    Attributes:
        durable: Whether what is committed survives `reopen` (files, databases).
        threads: How many threads the concurrency test starts.
        multiprocess: Whether several processes may share the store (the default). Such
            a store implements `store_opener`, and the multi-process checks run: several
            processes committing at once, a process seeing another's commits, and a
            writer killed at random moments. A store that is single-process by design
            (in memory, say) sets this to ``False`` and those checks are skipped.
        processes: How many processes commit at once in the multi-process check.
        process_commits: How many customers each of them registers (and notes it adds).
        crash_rounds: How many times the crash check kills a committing process.
    """

    durable: ClassVar[bool] = False
    threads: ClassVar[int] = 6
    multiprocess: ClassVar[bool] = True
    processes: ClassVar[int] = 3
    process_commits: ClassVar[int] = 12
    crash_rounds: ClassVar[int] = 8

    @abc.abstractmethod
    def make_store(self) -> Store:
        """Return a new, empty store. Use `temporary_folder` for files."""

    def reopen(self, store: Store) -> Store:
        """Close ``store`` and open the same data again (durable stores override this)."""
        return store

    def store_opener(self, store: Store) -> Callable[[], Store]:
        """Return how another process opens the same data as ``store``.

        The multi-process checks call the result, with no arguments, in child
        processes, so it must be picklable: a module-level function or class, or a
        `functools.partial` of one, such as ``functools.partial(JsonFileStore,
        store.path)``. Each call opens a new store object on the same data.

        Args:
            store: A store made by `make_store`.

        Returns:
            A picklable callable without arguments that returns a `Store`.

        Raises:
            NotImplementedError: not overridden; the multi-process checks then fail
                with a message saying to implement this or to set ``multiprocess = False``.
        """
        msg = (
            f"{type(self).__name__} must say how another process opens its store: "
            "implement store_opener(store) to return a picklable callable (for example "
            "functools.partial(MyStore, store.path)), or set multiprocess = False if "
            "the store is single-process by design."
        )
        raise NotImplementedError(msg)

    def make_pruning_store(self, retention: int) -> Store:
        """Return a new, empty store whose change feed looks back at most ``retention`` commits.

        Only for stores with the change feed; the pruning check is skipped otherwise.

        Raises:
            NotImplementedError: not overridden; the check is then skipped with the reason.
        """
        msg = f"{type(self).__name__} does not say how to make a store that prunes its feed."
        raise NotImplementedError(msg)

    def temporary_folder(self) -> Path:
        """A fresh folder, removed after the test."""
        folder = Path(tempfile.mkdtemp(prefix="debitor-contract-"))
        self._folders.append(folder)
        return folder

    @pytest.fixture(autouse=True)
    def _clean_up(self) -> Iterator[None]:
        self._folders: list[Path] = []
        yield
        for folder in self._folders:
            shutil.rmtree(folder, ignore_errors=True)

    @contextlib.contextmanager
    def _store(self) -> Iterator[Store]:
        store = self.make_store()
        try:
            yield store
        finally:
            store.close()

    def _add(self, store: Store, *customers: Customer) -> None:
        with store.transaction() as tx:
            for customer in customers:
                tx.add(customer)

    # -- the contract --------------------------------------------------------------

    def test_new_store_is_empty(self) -> None:
        """A new store holds nothing and has committed nothing."""
        with self._store() as store:
            assert (0, [], 0, 0) == (
                store.count(),
                list(store.customers()),
                store.last_number(),
                store.revision(),
            )

    def test_roundtrip_every_field(self) -> None:
        """A customer with every field (Unicode, decimals, dates) comes back equal."""
        customer = sample_customer()
        with self._store() as store:
            self._add(store, customer)
            assert customer == store.get(customer.id)
            assert customer == store.get_by_number(1)
            reopened = self.reopen(store)
            assert customer == reopened.get(customer.id)
            assert dict(customer.custom_fields) == dict(reopened.get(customer.id).custom_fields)

    @given(strategies.customers())
    @settings(
        max_examples=25,
        deadline=None,
        # Each subclass runs this one method with its own store: by design, not a flake.
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
    )
    def test_roundtrip_generated(self, customer: Customer) -> None:
        """Any valid customer comes back equal, also after a reopen."""
        with self._store() as store:
            self._add(store, customer)
            assert customer == self.reopen(store).get(customer.id)

    def test_not_found(self) -> None:
        """Unknown ids and numbers raise NotFound, for reads and writes."""
        missing = sample_customer(number=5)
        with self._store() as store:
            with pytest.raises(NotFound):
                store.get(missing.id)
            with pytest.raises(NotFound):
                store.get_by_number(5)
            with pytest.raises(NotFound), store.transaction() as tx:
                tx.update(missing, expected_version=1)
            with pytest.raises(NotFound), store.transaction() as tx:
                tx.delete(missing.id)
            with pytest.raises(NotFound), store.transaction() as tx:
                tx.delete_category(uuid.uuid4())
            assert 0 == store.revision()

    def test_duplicate_add(self) -> None:
        """Adding an id or a number twice raises AlreadyExists and changes nothing."""
        first = sample_customer(number=1)
        with self._store() as store:
            self._add(store, first)
            for clash in (sample_customer(number=2, id=first.id), sample_customer(number=1)):
                with pytest.raises(AlreadyExists):
                    self._add(store, clash)
            assert [first] == list(store.customers())
            assert 1 == store.revision()

    def test_stale_version(self) -> None:
        """An update from a stale version raises ConcurrencyConflict and changes nothing."""
        customer = sample_customer()
        with self._store() as store:
            self._add(store, customer)
            newer = attrs.evolve(customer, name="Newer", version=2)
            with store.transaction() as tx:
                tx.update(newer, expected_version=1)
            with pytest.raises(ConcurrencyConflict) as info, store.transaction() as tx:
                tx.update(attrs.evolve(customer, name="Stale", version=2), expected_version=1)
            assert (1, 2) == (info.value.expected, info.value.actual)
            assert newer == store.get(customer.id)

    def test_update_to_a_taken_number(self) -> None:
        """Changing a customer's number to another's raises AlreadyExists."""
        first, second = sample_customer(number=1), sample_customer(number=2)
        with self._store() as store:
            self._add(store, first, second)
            with pytest.raises(AlreadyExists), store.transaction() as tx:
                tx.update(attrs.evolve(second, number=1, version=2), expected_version=1)
            assert second == store.get_by_number(2)

    def test_failing_transaction_leaves_nothing(self) -> None:
        """A transaction that raises, at any point, leaves no trace."""
        kept = sample_customer(number=1)
        with self._store() as store:
            self._add(store, kept)
            with pytest.raises(RuntimeError), store.transaction() as tx:
                tx.add(sample_customer(number=2))
                tx.update(attrs.evolve(kept, name="Changed", version=2), expected_version=1)
                tx.put_category(Category(uuid.uuid4(), "Ghost"))
                raise RuntimeError
            with pytest.raises(ConcurrencyConflict), store.transaction() as tx:
                tx.add(sample_customer(number=3))
                tx.update(attrs.evolve(kept, version=9), expected_version=8)
            reopened = self.reopen(store)
            assert ([kept], [], 1, 1) == (
                list(reopened.customers()),
                list(reopened.categories()),
                reopened.last_number(),
                reopened.revision(),
            )

    def test_returned_objects_are_detached(self) -> None:
        """What a read returns cannot change what is stored."""
        customer = sample_customer()
        with self._store() as store:
            self._add(store, customer)
            read = store.get(customer.id)
            with pytest.raises(TypeError):
                read.custom_fields["vip"] = False  # type: ignore[index]
            with pytest.raises(attrs.exceptions.FrozenInstanceError):
                read.name = "Changed"  # type: ignore[misc]
            listed = store.customers()
            with contextlib.suppress(TypeError, AttributeError):
                listed.clear()  # type: ignore[attr-defined]
            assert [customer] == list(store.customers())

    def test_listing_order_and_pagination(self) -> None:
        """Customers are listed by number; pages follow that order without gaps."""
        customers = [sample_customer(number=n) for n in (5, 1, 9, 3, 7)]
        with self._store() as store:
            self._add(store, *customers)
            assert [1, 3, 5, 7, 9] == [c.number for c in store.customers()]
            pages = [store.customers(offset=o, limit=2) for o in (0, 2, 4, 6)]
            assert [[1, 3], [5, 7], [9], []] == [[c.number for c in p] for p in pages]
            assert 5 == store.count()

    def test_numbers_are_never_reused(self) -> None:
        """The highest number ever stored survives deletes (and reopening)."""
        with self._store() as store:
            first, last = sample_customer(number=1), sample_customer(number=3)
            self._add(store, first, last)
            with store.transaction() as tx:
                tx.delete(last.id)
            reopened = self.reopen(store)
            assert (3, [1]) == (reopened.last_number(), [c.number for c in reopened.customers()])

    def test_reopen_keeps_everything(self) -> None:
        """Customers, categories, fields, numbers and the revision survive a reopen."""
        category = Category(uuid.uuid4(), "Wholesalers")
        child = Category(uuid.uuid4(), "Food", category.id)
        fields = [
            CustomFieldDefinition("tier", "Tier", FieldType.CHOICE, choices=("Gold", "Silver")),
            CustomFieldDefinition("limit", "Limit", FieldType.DECIMAL, min_value=Decimal("0.5")),
        ]
        customers = [sample_customer(number=n) for n in (1, 2)]
        with self._store() as store:
            with store.transaction() as tx:
                tx.put_category(category)
                tx.put_category(child)
                for definition in fields:
                    tx.put_custom_field(definition)
            self._add(store, *customers)
            with store.transaction() as tx:
                tx.put_custom_field(attrs.evolve(fields[0], active=False))
                tx.delete_category(child.id)
            reopened = self.reopen(store)
            assert customers == list(reopened.customers())
            assert [category] == list(reopened.categories())
            assert [attrs.evolve(fields[0], active=False), fields[1]] == list(
                reopened.custom_fields()
            )
            assert (2, 3) == (reopened.last_number(), reopened.revision())

    def test_records_roundtrip(self) -> None:
        """Invoices, payments, deliveries and reminder logs come back equal, in order."""
        customer = sample_customer()
        records = sample_records(customer)
        with self._store() as store:
            self._add(store, customer)
            with store.transaction() as tx:
                for record in records:
                    tx.put_record(record, expected_version=None)
            reopened = self.reopen(store)
            for record in records:
                assert [record] == list(reopened.records(type(record)))
                assert record == reopened.record(type(record), record.key)

    def test_history_roundtrip(self) -> None:
        """History entries come back equal, in the order added, and can be rewritten."""
        customer = sample_customer()
        entries = sample_history(customer)
        with self._store() as store:
            with store.transaction() as tx:
                tx.add(customer)
                for entry in entries:
                    tx.put_record(entry, expected_version=None)
            scrubbed = attrs.evolve(entries[1], fields=(), version=2)
            with store.transaction() as tx:
                tx.put_record(scrubbed, expected_version=1)
            reopened = self.reopen(store)
            assert [entries[0], scrubbed, entries[2]] == list(reopened.records(HistoryEntry))
            assert scrubbed == reopened.record(HistoryEntry, scrubbed.key)

    def test_definition_changes_roundtrip(self) -> None:
        """Definition changes (about no customer) come back equal, in the order added."""
        changes = sample_definition_changes()
        with self._store() as store:
            with store.transaction() as tx:
                for change in changes:
                    tx.put_record(change, expected_version=None)
            reopened = self.reopen(store)
            assert list(changes) == list(reopened.records(DefinitionChange))
            assert changes[1] == reopened.record(DefinitionChange, changes[1].key)

    def test_record_versions(self) -> None:
        """Records are added once and replaced only from the version stored."""
        invoice = sample_records(sample_customer())[0]
        with self._store() as store:
            with store.transaction() as tx:
                tx.put_record(invoice, expected_version=None)
            with pytest.raises(AlreadyExists), store.transaction() as tx:
                tx.put_record(invoice, expected_version=None)
            sent = attrs.evolve(invoice, state=InvoiceState.SENT, version=2)
            with store.transaction() as tx:
                tx.put_record(sent, expected_version=1)
            with pytest.raises(ConcurrencyConflict), store.transaction() as tx:
                tx.put_record(attrs.evolve(invoice, version=2), expected_version=1)
            with pytest.raises(NotFound), store.transaction() as tx:
                tx.put_record(attrs.evolve(invoice, id=uuid.uuid4()), expected_version=1)
            with pytest.raises(NotFound):
                store.record(Invoice, str(uuid.uuid4()))
            assert [sent] == list(self.reopen(store).records(Invoice))

    def test_records_commit_with_customers_or_not_at_all(self) -> None:
        """A customer and its welcome invoice and delivery are stored together, or neither."""
        customer = sample_customer()
        invoice, _, delivery, _ = sample_records(customer)
        with self._store() as store:
            with pytest.raises(AlreadyExists), store.transaction() as tx:
                tx.add(customer)
                tx.put_record(invoice, expected_version=None)
                tx.put_record(delivery, expected_version=None)
                tx.put_record(delivery, expected_version=None)
            reopened = self.reopen(store)
            assert ([], [], []) == (
                list(reopened.customers()),
                list(reopened.records(Invoice)),
                list(reopened.records(Delivery)),
            )

    def test_reads_never_see_an_open_transaction(self) -> None:
        """Another thread reading during a transaction sees only committed state."""
        opened, seen = threading.Event(), []
        with self._store() as store:

            def writer(_: int) -> None:
                with contextlib.suppress(RuntimeError), store.transaction() as tx:
                    tx.add(sample_customer())
                    opened.set()
                    time.sleep(0.2)
                    raise RuntimeError

            def reader(_: int) -> None:
                opened.wait()
                seen.append(store.count())

            writer_thread = threading.Thread(target=writer, args=(0,))
            writer_thread.start()
            reader(0)
            writer_thread.join()
            assert [0] == seen

    def test_revision_counts_commits(self) -> None:
        """Each committed transaction that writes adds one to the revision."""
        with self._store() as store:
            self._add(store, sample_customer(number=1), sample_customer(number=2))
            with store.transaction():
                pass
            assert 1 == store.revision()

    def test_threads_one_winner_per_version(self) -> None:
        """Threads racing from the same version: one wins each round, and no update is lost."""
        customer = sample_customer(notes=())
        rounds = 3
        with self._store() as store:
            self._add(store, customer)
            for _ in range(rounds):
                current = store.get(customer.id)
                wins: list[int] = []
                barrier = threading.Barrier(self.threads)

                def race(
                    i: int,
                    base: Customer = current,
                    winners: list[int] = wins,
                    start: threading.Barrier = barrier,
                ) -> None:
                    start.wait()
                    with contextlib.suppress(ConcurrencyConflict), store.transaction() as tx:
                        tx.update(
                            attrs.evolve(base, name=f"thread {i}", version=base.version + 1),
                            expected_version=base.version,
                        )
                        winners.append(i)

                _run_threads(race, self.threads)
                assert 1 == len(wins)
            self._count_up_from_threads(store, customer)

    def _count_up_from_threads(self, store: Store, customer: Customer) -> None:
        """Each thread adds notes by read-modify-write with retry: none may be lost."""
        per_thread = 3

        def writer(i: int) -> None:
            for j in range(per_thread):
                while True:
                    current = store.get(customer.id)
                    note = Note(f"{i}-{j}", _MOMENT)
                    changed = attrs.evolve(
                        current, notes=(*current.notes, note), version=current.version + 1
                    )
                    try:
                        with store.transaction() as tx:
                            tx.update(changed, expected_version=current.version)
                        break
                    except ConcurrencyConflict:
                        continue

        _run_threads(writer, self.threads)
        notes = {n.text for n in store.get(customer.id).notes}
        assert {f"{i}-{j}" for i in range(self.threads) for j in range(per_thread)} == notes

    # -- the change feed (for stores that have it) -----------------------------------

    def _feed(self, store: Store) -> ChangeFeed:
        if not isinstance(store, ChangeFeed):
            pytest.skip(
                f"{type(store).__name__} has no change feed (ChangeFeed): books reload it "
                "whole when another writer committed."
            )
        return store

    def _changes(self, feed: ChangeFeed, since: int) -> ChangeSet:
        changes = feed.changes_since(since)
        assert changes is not None, f"changes_since({since}) could not tell"
        return changes

    def test_feed_collapsed_per_key(self) -> None:
        """Several changes to one customer come once, as it is now; definitions as flags."""
        first, second = sample_customer(1), sample_customer(2)
        with self._store() as store:
            feed = self._feed(store)
            self._add(store, first, second)
            with store.transaction() as tx:
                tx.update(attrs.evolve(first, name="Second", version=2), expected_version=1)
                tx.put_category(Category(uuid.uuid4(), "Wholesalers"))
            with store.transaction() as tx:
                tx.update(attrs.evolve(first, name="Third", version=3), expected_version=2)
                tx.delete(second.id)
                tx.put_custom_field(CustomFieldDefinition("tier", "Tier", FieldType.TEXT))
            changes = self._changes(feed, 1)
            assert (feed.store_id(), 1, 3, [store.get(first.id)], [second.id], True, True) == (
                changes.store_id,
                changes.since,
                changes.revision,
                list(changes.customers),
                list(changes.deleted),
                changes.categories,
                changes.custom_fields,
            )
            later = self._changes(feed, 2)
            assert (False, True, [], ["Third"]) == (
                later.categories,
                later.custom_fields,
                list(later.records),
                [c.name for c in later.customers],
            )
            everything = self._changes(feed, 0)
            assert ([first.id], [second.id]) == (
                [c.id for c in everything.customers],
                list(everything.deleted),
            )

    def test_feed_adds_deletes_and_renumbering(self) -> None:
        """New customers by number; renumbered with the new number; added then deleted: gone."""
        keep, moved, passing = sample_customer(1), sample_customer(2), sample_customer(3)
        with self._store() as store:
            feed = self._feed(store)
            self._add(store, keep, moved)
            with store.transaction() as tx:
                tx.update(attrs.evolve(moved, number=7, version=2), expected_version=1)
                tx.add(passing)
            with store.transaction() as tx:
                tx.delete(passing.id)
                tx.delete(keep.id)
                tx.add(back := attrs.evolve(keep, number=9))
            changes = self._changes(feed, 1)
            assert ([7, 9], [passing.id]) == (
                [c.number for c in changes.customers],
                list(changes.deleted),
            )
            assert (back, 9) == (changes.customers[1], store.last_number())
            assert (False, False) == (changes.categories, changes.custom_fields)

    def test_feed_records(self) -> None:
        """Records added or changed come once, each as it is now."""
        customer = sample_customer(1)
        invoice, payment, delivery, reminder = sample_records(customer)
        with self._store() as store:
            feed = self._feed(store)
            self._add(store, customer)
            with store.transaction() as tx:
                for record in (invoice, payment, delivery):
                    tx.put_record(record, expected_version=None)
            with store.transaction() as tx:
                tx.put_record(attrs.evolve(invoice, version=2), expected_version=1)
                tx.put_record(reminder, expected_version=None)
            newer = attrs.evolve(invoice, version=2)

            def keyed(changes: ChangeSet) -> dict[tuple[str, str], Record]:
                found = {(r.KIND, r.key): r for r in changes.records}
                assert len(found) == len(changes.records), "a record came twice"
                return found

            assert keyed(ChangeSet("", 0, 0, records=(newer, reminder))) == keyed(
                self._changes(feed, 2)
            )
            assert keyed(ChangeSet("", 0, 0, records=(newer, payment, delivery, reminder))) == (
                keyed(self._changes(feed, 1))
            )
            assert (1, (customer,)) == (
                len(self._changes(feed, 0).customers),
                self._changes(feed, 0).customers,
            )

    def test_feed_cannot_tell(self) -> None:
        """A negative revision, one ahead of the store, or no whole number: ``None``."""
        with self._store() as store:
            feed = self._feed(store)
            self._add(store, sample_customer(1))
            for revision in (-1, 2, 10**12, True, 1.0, "1", None):
                assert feed.changes_since(revision) is None, revision  # type: ignore[arg-type]

    def test_feed_nothing_changed(self) -> None:
        """At the current revision: an empty change set of this store, at that revision."""
        with self._store() as store:
            feed = self._feed(store)
            start = self._changes(feed, 0)
            assert (True, 0, 0) == (start.empty, start.since, start.revision)
            self._add(store, sample_customer(1))
            changes = self._changes(feed, 1)
            assert (True, feed.store_id(), 1, 1) == (
                changes.empty,
                changes.store_id,
                changes.since,
                changes.revision,
            )

    def test_feed_store_ids(self) -> None:
        """Two stores have two ids (so a replaced store is told apart); reopening keeps it."""
        with self._store() as store, self._store() as other:
            feed = self._feed(store)
            ident = feed.store_id()
            assert ident != self._feed(other).store_id()
            self._add(store, sample_customer(1))
            assert ident == self._changes(feed, 0).store_id
            if self.durable:
                reopened = self._feed(self.reopen(store))
                assert ident == reopened.store_id()
                assert [1] == [c.number for c in self._changes(reopened, 0).customers]

    def test_feed_pruning(self) -> None:
        """History older than the retention cannot be told (``None``); newer history can."""
        with self._store() as probe:
            self._feed(probe)
        try:
            store = self.make_pruning_store(2)
        except NotImplementedError as exc:
            pytest.skip(str(exc))
        try:
            feed = self._feed(store)
            gone = sample_customer(1)
            self._add(store, gone)
            with store.transaction() as tx:
                tx.delete(gone.id)
            assert [gone.id] == list(self._changes(feed, 1).deleted)
            for number in range(2, 7):
                self._add(store, sample_customer(number))
            assert (None, None) == (feed.changes_since(0), feed.changes_since(1))
            latest = self._changes(feed, store.revision() - 2)
            assert [5, 6] == [c.number for c in latest.customers]
        finally:
            store.close()

    def test_feed_sees_another_process(self) -> None:
        """What another process committed is in this store object's feed at once."""
        context = _context()
        with self._store() as store:
            feed = self._feed(store)
            opener = self._opener(store)
            self._add(store, sample_customer(1, name="parent 1"))
            ours, theirs = context.Pipe()
            child = context.Process(target=_follow, args=(opener, theirs))
            child.start()
            theirs.close()
            try:
                assert ("ready", 1) == _receive(ours, child)
                ours.send(("commit", 2))
                assert ("done", 2) == _receive(ours, child)
                changes = self._changes(feed, 1)
                assert (2, ["child 2"]) == (changes.revision, [c.name for c in changes.customers])
                assert ["parent 1", "child 2"] == [c.name for c in self._changes(feed, 0).customers]
            finally:
                ours.send(None)
                child.join()

    # -- the contract across processes ---------------------------------------------

    def _opener(self, store: Store) -> Callable[[], Store]:
        if not self.multiprocess:
            pytest.skip(
                f"{type(self).__name__} declares multiprocess = False: its store is "
                "single-process by design."
            )
        try:
            opener = self.store_opener(store)
        except NotImplementedError as exc:
            pytest.fail(str(exc), pytrace=False)
        try:
            pickle.dumps(opener)
        except Exception as exc:  # noqa: BLE001 - any pickling failure means the same
            pytest.fail(
                f"store_opener() of {type(self).__name__} returned {opener!r}, which cannot "
                f"be pickled ({exc}); return a module-level function or class, or a "
                "functools.partial of one.",
                pytrace=False,
            )
        return opener

    def test_processes_commit_concurrently(self) -> None:
        """Processes committing at once: nothing lost, no number twice, every commit counted."""
        context = _context()
        with self._store() as store:
            shared = sample_customer(1, name="Shared", notes=())
            self._add(store, shared)
            before = store.revision()
            opener = self._opener(store)
            start, results = context.Event(), context.Queue()
            children = [
                context.Process(
                    target=_commit_concurrently,
                    kwargs={
                        "opener": opener,
                        "index": i,
                        "commits": self.process_commits,
                        "shared_id": shared.id,
                        "start": start,
                        "results": results,
                    },
                )
                for i in range(self.processes)
            ]
            for child in children:
                child.start()
            start.set()
            reports = _collect(results, children)
            problems = [f"process {r.process} failed: {r.error}" for r in reports if r.error]
            problems += [violation for r in reports for violation in r.violations]
            problems += _losses(
                reports, shared.id, before, {"this store": store, "reopened": opener()}
            )
            assert [] == problems, (
                "The store lost or mixed up commits that several processes made at once:\n- "
                + "\n- ".join(problems)
            )

    def test_other_processes_commits_are_seen(self) -> None:
        """A store object sees another process's commits at once, and that process sees its own."""
        context = _context()
        with self._store() as store:
            opener = self._opener(store)
            ours, theirs = context.Pipe()
            child = context.Process(target=_follow, args=(opener, theirs))
            child.start()
            theirs.close()
            try:
                assert ("ready", 0) == _receive(ours, child)
                for number in range(1, 7):
                    if number % 2:
                        self._add(store, sample_customer(number, name=f"parent {number}"))
                        ours.send(("check", number))
                        seen = _receive(ours, child)
                        assert ("seen", number, f"parent {number}", number) == seen
                    else:
                        ours.send(("commit", number))
                        assert ("done", number) == _receive(ours, child)
                        assert (number, number, f"child {number}", number) == (
                            store.revision(),
                            store.count(),
                            store.get_by_number(number).name,
                            store.last_number(),
                        )
            finally:
                ours.send(None)
                child.join()

    def test_crash_keeps_acknowledged_commits(self) -> None:
        """A process killed at random moments (counted in commits) loses nothing it acknowledged."""
        context = _context()
        rng = random.Random(7)  # noqa: S311 - picks moments for fault injection, not secrets
        with self._store() as store:
            opener = self._opener(store)
            for _ in range(self.crash_rounds):
                reopened = opener()
                start = reopened.last_number() + 1
                reopened.close()
                ours, theirs = context.Pipe(duplex=False)
                child = context.Process(target=_commit_until_killed, args=(opener, start, theirs))
                child.start()
                theirs.close()
                acknowledged = [_acknowledgement(ours, child) for _ in range(rng.randrange(4))]
                time.sleep(rng.uniform(0, 0.002))  # into the next commit, at a random point
                child.kill()
                child.join()
                while ours.poll():
                    try:
                        acknowledged.append(int(ours.recv_bytes()))
                    except (EOFError, OSError):
                        break
                ours.close()
                reopened = opener()
                numbers = [c.number for c in reopened.customers()]
                reopened.close()
                last = acknowledged[-1] if acknowledged else start - 1
                assert list(range(1, len(numbers) + 1)) == numbers, "commits were lost or reordered"
                assert last <= len(numbers) <= last + 1, (
                    f"acknowledged up to {last}, but the store holds {len(numbers)}"
                )


class _Report(NamedTuple):
    """What one committing child did, sent back to the parent."""

    process: int
    added: list[tuple[int, str]]
    notes: list[str]
    violations: list[str]
    error: str | None


def _losses(
    reports: list[_Report], shared_id: uuid.UUID, before: int, views: dict[str, Store]
) -> list[str]:
    """Every acknowledged commit the stores do not show, and every count that is off."""
    added = {(number, uuid.UUID(hex=id_hex)) for r in reports for number, id_hex in r.added}
    notes = {text for r in reports for text in r.notes}
    numbers = collections.Counter(number for r in reports for number, _ in r.added)
    found = []
    twice = sorted(number for number, count in numbers.items() if count > 1)
    if twice:
        found.append(f"customer numbers acknowledged to more than one process: {twice}")
    commits = sum(len(r.added) + len(r.notes) for r in reports)
    for name, view in views.items():
        try:
            found += _missing(view, name, added, notes, shared_id)
            revision, last_number = view.revision(), view.last_number()
        except Exception as exc:  # noqa: BLE001 - a store that cannot be read back is a finding
            found.append(f"reading the store back ({name}) failed: {type(exc).__name__}: {exc}")
            continue
        if revision != before + commits:
            found.append(
                f"the revision is {revision} ({name}), not {before + commits}: it does not "
                "count every commit"
            )
        if numbers and last_number != max(numbers):
            found.append(f"the last number is {last_number} ({name}), not {max(numbers)}")
    return found


def _missing(
    view: Store,
    name: str,
    added: set[tuple[int, uuid.UUID]],
    notes: set[str],
    shared_id: uuid.UUID,
) -> list[str]:
    """The acknowledged customers and notes that ``view`` does not show."""
    found = []
    lost = sorted(number for number, _ in added - {(c.number, c.id) for c in view.customers()})
    if lost:
        found.append(f"{len(lost)} acknowledged customers are missing ({name}): {lost[:10]}")
    kept = {note.text for note in view.get(shared_id).notes}
    if notes - kept:
        found.append(f"{len(notes - kept)} acknowledged notes are missing ({name})")
    return found


def _context() -> Any:  # noqa: ANN401 - a fork or spawn context, whichever the system has
    """Fork where the system has it (fast, nothing to import again); spawn elsewhere."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _collect(results: multiprocessing.queues.Queue[_Report], children: list[Any]) -> list[_Report]:
    """Every child's report; a child that died without one is reported as failed."""
    reports: list[_Report] = []
    while len(reports) < len(children):
        try:
            reports.append(results.get(timeout=1))
        except queue.Empty:
            if all(not child.is_alive() for child in children) and results.empty():
                codes = [child.exitcode for child in children]
                died = _Report(-1, [], [], [], f"died without a report (exit codes {codes})")
                reports += [died] * (len(children) - len(reports))
    for child in children:
        child.join()
    return reports


def _receive(connection: Connection, child: Any) -> Any:  # noqa: ANN401 - a message
    """The child's next message; its failure is raised here."""
    while not connection.poll(1):
        if not child.is_alive():
            msg = f"the child process ended without answering (exit code {child.exitcode})"
            raise AssertionError(msg)
    message = connection.recv()
    if message[0] == "error":
        msg = f"the child process failed: {message[1]}"
        raise AssertionError(msg)
    return message


def _acknowledgement(connection: Connection, child: Any) -> int:  # noqa: ANN401
    """The number of the next commit the child acknowledged."""
    while not connection.poll(1):
        if not child.is_alive():
            msg = f"the committing child died before acknowledging (exit code {child.exitcode})"
            raise AssertionError(msg)
    return int(connection.recv_bytes())


def _commit_concurrently(  # pragma: no cover - runs in a child process
    *,
    opener: Callable[[], Store],
    index: int,
    commits: int,
    shared_id: uuid.UUID,
    start: Any,  # noqa: ANN401 - a multiprocessing event
    results: Any,  # noqa: ANN401 - a multiprocessing queue
) -> None:
    """Register customers (numbered inside the transaction) and add notes to a shared one."""
    added: list[tuple[int, str]] = []
    notes: list[str] = []
    violations: list[str] = []
    try:
        store = opener()
        start.wait()
        for j in range(commits):
            while True:
                try:
                    with store.transaction() as tx:
                        number = store.last_number() + 1
                        name = f"process {index} commit {j}"
                        customer = sample_customer(number, name=name, notes=())
                        tx.add(customer)
                    break
                except AlreadyExists:
                    violations.append(
                        f"transactions are not serialised: number {number}, the last number "
                        "plus one read inside a transaction, was taken before it committed"
                    )
                    if len(violations) > commits:
                        raise
            added.append((number, customer.id.hex))
            text = f"{index}-{j}"
            while True:
                current = store.get(shared_id)
                changed = attrs.evolve(
                    current,
                    notes=(*current.notes, Note(text, _MOMENT)),
                    version=current.version + 1,
                )
                try:
                    with store.transaction() as tx:
                        tx.update(changed, expected_version=current.version)
                    break
                except ConcurrencyConflict:
                    continue
            notes.append(text)
        store.close()
        results.put(_Report(index, added, notes, violations, None))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        results.put(_Report(index, added, notes, violations, f"{type(exc).__name__}: {exc}"))


def _follow(opener: Callable[[], Store], connection: Connection) -> None:  # pragma: no cover
    """In a child: check the parent's commits, or commit when asked."""
    try:
        store = opener()
        connection.send(("ready", store.revision()))
        while (message := connection.recv()) is not None:
            action, number = message
            if action == "check":
                name = store.get_by_number(number).name
                connection.send(("seen", store.revision(), name, store.count()))
            else:
                with store.transaction() as tx:
                    tx.add(sample_customer(number, name=f"child {number}"))
                connection.send(("done", store.revision()))
        store.close()
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        connection.send(("error", f"{type(exc).__name__}: {exc}"))


def _commit_until_killed(  # pragma: no cover - runs in a child, which is killed
    opener: Callable[[], Store], start: int, connection: Connection
) -> None:
    """Commit customers one by one, acknowledging each after its commit returned."""
    store = opener()
    number = start
    while True:
        with store.transaction() as tx:
            tx.add(sample_customer(number, name=f"commit {number}", notes=()))
        connection.send_bytes(b"%d" % number)
        number += 1


def sample_records(customer: Customer) -> tuple[Invoice, Payment, Delivery, ReminderLog]:
    """An invoice of ``customer`` with a payment, a delivery and a reminder log."""
    invoice = Invoice(
        id=uuid.uuid4(),
        number=1,
        customer_id=customer.id,
        bill_to=BillTo.of(customer),
        lines=(
            InvoiceLine("Sveiki! Welcome", Decimal(1), Decimal("0.00")),
            InvoiceLine("Setup fee", Decimal("2.5"), Decimal("19.99"), Decimal(21)),
        ),
        currency="EUR",
        issue_date=dt.date(2026, 11, 26),
        due_date=dt.date(2026, 12, 10),
        payment_terms=PaymentTerms.net(14),
        state=InvoiceState.DRAFT,
        message="Labdien, Jānis!",
        branding=Branding("Koks", "logo.png", "#00aa55"),
        welcome=True,
    )
    payment = Payment(uuid.uuid4(), invoice.id, Decimal("10.01"), "EUR", dt.date(2026, 12, 1))
    delivery = Delivery(customer.id, invoice.id, next_attempt=_MOMENT)
    reminder = ReminderLog(invoice.id, -3, _MOMENT)
    return invoice, payment, delivery, reminder


def sample_history(customer: Customer) -> tuple[HistoryEntry, HistoryEntry, HistoryEntry]:
    """Three history entries of ``customer``: registered, changed, an invoice paid.

    The change has a private field; the payment names an invoice.
    """
    registered = HistoryEntry(
        uuid.uuid4(),
        customer.id,
        _MOMENT,
        HistoryAction.REGISTERED,
        "anna",
        field_changes(None, customer),
    )
    changed = HistoryEntry(
        uuid.uuid4(),
        customer.id,
        _MOMENT + dt.timedelta(seconds=1),
        HistoryAction.MERGED,
        None,
        (
            FieldChange("address.city", '"Rīga"', '"Jūrmala"'),
            FieldChange("custom_fields.birthday", private=True),
            FieldChange("notes", private=True),
        ),
        other=uuid.uuid4(),
        reason="Tab\tand line\nbreaks are kept.",
    )
    paid = HistoryEntry(
        uuid.uuid4(),
        customer.id,
        _MOMENT + dt.timedelta(seconds=2),
        HistoryAction.PAYMENT_RECORDED,
        "ilze",
        invoice=uuid.uuid4(),
    )
    return registered, changed, paid


def sample_definition_changes() -> tuple[DefinitionChange, DefinitionChange, DefinitionChange]:
    """Three definition changes: a category created and renamed, a field defined.

    The names hold text a store must keep exactly (quotes, non-ASCII letters).
    """
    created = Category(uuid.uuid4(), 'Vairumtirgotāji "A"')
    renamed = attrs.evolve(created, name="Wholesale\u00a0B")
    field = CustomFieldDefinition("tier", "Līmenis", FieldType.CHOICE, choices=("a", "b"))
    category = DefinitionSubject.CATEGORY
    return (
        DefinitionChange(
            uuid.uuid4(),
            _MOMENT,
            category,
            str(created.id),
            DefinitionAction.CREATED,
            "anna",
            attribute_changes(None, created),
        ),
        DefinitionChange(
            uuid.uuid4(),
            _MOMENT + dt.timedelta(seconds=1),
            category,
            str(created.id),
            DefinitionAction.RENAMED,
            None,
            attribute_changes(created, renamed),
        ),
        DefinitionChange(
            uuid.uuid4(),
            _MOMENT + dt.timedelta(seconds=2),
            DefinitionSubject.FIELD,
            field.key,
            DefinitionAction.DEFINED,
            "ilze",
            attribute_changes(None, field),
        ),
    )


def _run_threads(target: Callable[[int], None], count: int) -> None:
    errors: list[BaseException] = []

    def guarded(i: int) -> None:
        try:
            target(i)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


# -- store-side queries -----------------------------------------------------------------

_TRICKY = "aAbBzZsSoO ßæÆœﬁﬂĳ\u0301\u0308\u030a\u0327ēĒņŅšŠüÜøØo\u043e0%_\\\u00ad\u200b"
"""Letters and marks a fold must see through: case, accents typed apart, ligatures,
ß and æ, a Cyrillic o, a soft hyphen and a zero width space; and LIKE's specials."""
_QUERY_JUNK = ("%", "_", "\\", "\x00", "%_\\", "a%", "_b", "ß", "ss", "æ", "ﬁ", "\u0301")


@attrs.frozen
class _Book:
    """A generated book: definitions and customers (numbered 1...)."""

    categories: tuple[Category, ...]
    fields: tuple[CustomFieldDefinition, ...]
    customers: tuple[Customer, ...]


_CITIES = ("Rīga", "RIGA", "riga", "Köln", "Koeln", "Straße", "Ærø")


@st.composite
def _books(draw: Any) -> _Book:  # noqa: ANN401 - Hypothesis's draw
    """Books whose customers share cities, categories, emails and tricky names."""
    categories = tuple(Category(uuid.UUID(int=i + 1), f"Category {i}") for i in range(3))
    fields = (
        CustomFieldDefinition("tier", "Tier"),
        CustomFieldDefinition("secret", "Secret", personal_data=True),
        CustomFieldDefinition("size", "Size", FieldType.INTEGER),
        CustomFieldDefinition("tags", "Tags", FieldType.MULTI_CHOICE, choices=("a", "b", "c")),
    )
    tricky = (
        st.text(alphabet=_TRICKY, min_size=1, max_size=12)
        .map(lambda s: " ".join(s.split()))
        .filter(lambda s: s and s[0].isalpha())
    )
    count = draw(st.integers(0, 12))
    made: list[Customer] = []
    emails: list[str] = []
    for position in range(count):
        customer = draw(strategies.customers())
        values: dict[str, object] = {}
        if draw(st.booleans()):
            values["tier"] = draw(st.one_of(tricky, st.sampled_from(["Gold", "gold", "GOLD"])))
        if draw(st.booleans()):
            values["secret"] = draw(tricky)
        if draw(st.booleans()):
            values["size"] = draw(st.integers(1, 3))
        if draw(st.booleans()):
            values["tags"] = tuple(sorted(draw(st.sets(st.sampled_from("abc"), min_size=1))))
        email = customer.email
        if emails and draw(st.booleans()):
            email = draw(st.sampled_from(emails))  # shared: duplicate evidence
        elif email:
            emails.append(email)
        address = customer.address
        if draw(st.booleans()):
            address = attrs.evolve(address, city=draw(st.sampled_from(_CITIES)))
        customer = attrs.evolve(
            customer,
            id=uuid.UUID(int=1000 + position),
            number=position + 1 + draw(st.integers(0, 2)) * 100,
            name=draw(st.one_of(st.just(customer.name), tricky)),
            email=email,
            address=address,
            categories=tuple(
                sorted(c.id for c in draw(st.sets(st.sampled_from(categories), max_size=2)))
            ),
            custom_fields=values,
        )
        if customer.number not in {c.number for c in made}:
            made.append(customer)
    return _Book(categories, fields, tuple(made))


@st.composite
def _queries(draw: Any, book: _Book) -> CustomerQuery:  # noqa: ANN401
    """Queries about ``book``: pieces of its customers' text, re-cased, and junk."""
    pieces: list[str] = [*_QUERY_JUNK, "a", "ab", "riga", "koln", "strasse", "gold"]
    for customer in book.customers:
        for text in (customer.name, customer.email or "", customer.address.city or ""):
            pieces += text.split()
        for note in customer.notes:
            pieces += note.text.split()[:2]
    piece = st.sampled_from(pieces).flatmap(
        lambda word: st.integers(0, max(len(word) - 1, 0)).flatmap(
            lambda start: st.integers(start + 1, max(len(word), start + 1)).map(
                lambda end: word[start:end]
            )
        )
    )
    recased = st.tuples(piece, st.sampled_from(["", "upper", "title"])).map(
        lambda pair: getattr(pair[0], pair[1])() if pair[1] else pair[0]
    )
    text = draw(st.lists(recased, max_size=3).map(" ".join))
    groups = draw(
        st.lists(
            st.sets(st.sampled_from([c.id for c in book.categories]), max_size=2).map(frozenset),
            max_size=2,
        )
    )
    return CustomerQuery(
        text=text,
        categories=tuple(groups),
        match_all=draw(st.booleans()),
        country=draw(st.one_of(st.none(), st.sampled_from(["LV", "DE", "EE"]))),
        city=draw(st.one_of(st.none(), st.sampled_from([*_CITIES, "Nowhere", "ri\x00ga"]))),
        custom_fields=tuple(
            draw(
                st.lists(
                    st.one_of(
                        st.tuples(st.just("tier"), st.sampled_from(["gold", "Gōld", "x"])),
                        st.tuples(st.just("size"), st.integers(1, 3)),
                        st.tuples(
                            st.just("tags"),
                            st.sets(st.sampled_from("abc")).map(lambda s: tuple(sorted(s))),
                        ),
                    ),
                    max_size=1,
                )
            )
        ),
        archived=draw(st.sampled_from([None, True, False])),
        with_field=draw(st.one_of(st.none(), st.sampled_from(["tier", "secret", "none"]))),
        include_private=draw(st.booleans()),
    )


_LIFE = st.lists(
    st.tuples(
        st.sampled_from(["register", "update", "invoice", "merge", "delete", "erase"]),
        st.integers(0, 7),
        st.integers(0, 7),
    ),
    min_size=1,
    max_size=14,
)
"""Steps of a book's life: each names an action and two customers (by position)."""


class QueriesContract(abc.ABC):
    """Store-side queries (`debitor_core.storage.CustomerQueries`) against the in-memory index.

    Subclass it in a test module (named ``Test...``) and implement `make_store` to return
    an empty store that implements the queries. Hypothesis then fills stores with
    generated books (tricky names and cities: case, accents typed apart, ß, æ,
    ligatures, look-alike letters, invisible characters) and asks both read models the
    same generated queries (pieces of the customers' text, 1-2 letter words, ``%``,
    ``_``, a backslash, NUL): the store's answers must be the in-memory index's, customer for
    customer and in the same order, with the same totals and duplicate evidence::

        from debitor_core.testing import QueriesContract

        class TestMyStoreQueries(QueriesContract):
            def make_store(self):
                return MyStore(...)
    """

    @abc.abstractmethod
    def make_store(self) -> Store:
        """Return a new, empty store that implements `CustomerQueries`."""

    def _filled(self, book: _Book) -> tuple[Store, Any, Any]:
        from debitor_core.book._in_memory import InMemoryReadModel  # noqa: PLC0415
        from debitor_core.book._store_model import StoreReadModel  # noqa: PLC0415
        from debitor_core.book._types import Definitions  # noqa: PLC0415

        store = self.make_store()
        assert isinstance(store, CustomerQueries), f"{store!r} does not implement the queries"
        with store.transaction() as tx:
            for category in book.categories:
                tx.put_category(category)
            for definition in book.fields:
                tx.put_custom_field(definition)
            for customer in book.customers:
                tx.add(customer)
        expected = InMemoryReadModel()
        expected.reload(store, Definitions(store.categories(), store.custom_fields()))
        actual = StoreReadModel(store)
        actual.reload(store, Definitions())
        return store, expected, actual

    @given(data=st.data())
    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    def test_same_answers_as_the_in_memory_index(self, data: Any) -> None:  # noqa: ANN401
        """Searches, counts and duplicate lookups answer as the in-memory index does."""
        book = data.draw(_books(), label="book")
        store, expected, actual = self._filled(book)
        try:
            for _ in range(4):
                query = data.draw(_queries(book), label="query")
                sort = data.draw(st.sampled_from(["number", "name", "created"]))
                descending = data.draw(st.booleans())
                offset = data.draw(st.integers(0, 3))
                limit = data.draw(st.one_of(st.none(), st.integers(0, 4)))
                page = {"sort": sort, "descending": descending, "offset": offset, "limit": limit}
                want = expected.search(query, **page)
                got = actual.search(query, **page)
                assert [c.number for c in want] == [c.number for c in got], (query, page)
                assert want.total == got.total, query
                assert expected.count(query) == actual.count(query), query
            if book.customers:
                probe = data.draw(st.sampled_from(book.customers))
                keys = keys_and_text(probe).keys
                assert _evidence(expected.duplicates(keys)) == _evidence(actual.duplicates(keys))
        finally:
            store.close()

    def test_records(self) -> None:
        """Invoices, payments, deliveries and reminders answer as in memory."""
        from debitor_core._model import Customer as _Customer  # noqa: PLC0415

        customers = [sample_customer(n, notes=()) for n in (1, 2)]
        first = sample_records(customers[0])
        second = sample_records(customers[1])
        sent = attrs.evolve(first[0], state=InvoiceState.SENT, number=2)
        other = attrs.evolve(second[0], number=3, welcome=False)
        book = _Book((), (), tuple(customers))
        store, expected, actual = self._filled(book)
        try:
            with store.transaction() as tx:
                tx.put_record(sent, expected_version=None)
                tx.put_record(other, expected_version=None)
                for record in (*first[1:], *second[1:]):
                    tx.put_record(record, expected_version=None)
            expected.reload(store, _definitions(store))
            actual.reload(store, _definitions(store))
            today = dt.date(2027, 1, 31)
            for model in (expected, actual):
                assert isinstance(model.get(customers[0].id), _Customer)
            for name, args in [
                ("invoices", ()),
                ("invoices", (customers[0].id,)),
                ("invoice", (sent.id,)),
                ("invoice", (uuid.uuid4(),)),
                ("last_invoice_number", ()),
                ("paid", (sent.id,)),
                ("has_welcome", (customers[1].id,)),
                ("has_welcome", (uuid.uuid4(),)),
                ("pending_deliveries", ()),
                ("pending_deliveries", (_MOMENT - dt.timedelta(days=1),)),
                ("due_reminders", (today, (-3, 0, 7, 30))),
                ("due_reminders", (today, ())),
                ("account", (customers[0].id, today)),
                ("account_totals", (CustomerQuery(archived=None), today)),
                ("account_totals", (CustomerQuery(text="nobody"), today)),
            ]:
                assert getattr(expected, name)(*args) == getattr(actual, name)(*args), name
        finally:
            store.close()

    @given(steps=_LIFE)
    @settings(
        max_examples=25,
        deadline=None,
        # every query store's test class runs this one method (each on its own store)
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
    )
    def test_history_lookups(self, steps: list[tuple[str, int, int]]) -> None:
        """History, forwards of merges, erasures and records about customers answer as in memory.

        On generated lives of a book (merges and chains of them, deletions, erasures),
        and, when the store has `HistoryQueries`, each of its lookups answers as a read
        of every record of the kind (`ScannedHistory`).
        """
        from debitor_core.book._facade import CustomerBook  # noqa: PLC0415
        from debitor_core.book._in_memory import InMemoryReadModel  # noqa: PLC0415
        from debitor_core.book._store_model import ScannedHistory, StoreReadModel  # noqa: PLC0415

        store = self.make_store()
        assert isinstance(store, CustomerQueries), f"{store!r} does not implement the queries"
        try:
            moment = iter(range(10_000))
            clock = lambda: _MOMENT + dt.timedelta(seconds=next(moment))  # noqa: E731
            ids = _live(CustomerBook(store, clock=clock), steps)
            expected = InMemoryReadModel()
            expected.reload(store, _definitions(store))
            actual = StoreReadModel(store)
            actual.reload(store, _definitions(store))
            unknown = uuid.UUID(int=7)
            for key in [*ids, unknown]:
                assert expected.history(key) == actual.history(key)
                assert expected.merged_into(key) == actual.merged_into(key)
                assert sorted(expected.merged_from(key)) == sorted(actual.merged_from(key))
                assert expected.records_about([key]) == actual.records_about([key])
            assert expected.records_about(ids) == actual.records_about(ids)
            assert expected.records_about([]) == actual.records_about([])
            assert expected.erasures() == actual.erasures()
            for number in [*range(len(ids) + 2), True, -1, 2**80, "1", None, 1.0]:
                assert expected.merged_number(number) == actual.merged_number(number), number
            if isinstance(store, HistoryQueries):
                scanned = ScannedHistory(store)
                for key in [*ids, unknown]:
                    assert list(scanned.history_of(key)) == list(store.history_of(key))
                    assert list(scanned.forwards_to(key)) == list(store.forwards_to(key))
                for number in range(len(ids) + 2):
                    want = scanned.forwards_numbered(number)
                    assert list(want) == list(store.forwards_numbered(number))
                assert scanned.records_about(ids) == list(store.records_about(ids))
        finally:
            store.close()


def _live(book: Any, steps: list[tuple[str, int, int]]) -> list[uuid.UUID]:  # noqa: ANN401
    """Run ``steps`` on ``book``; return the id of every customer it registered.

    Registrations (the first always), edits, invoices with a payment, merges (so also
    chains of them), deletions and erasures (of live, merged-away and deleted
    customers); a step the book refuses (a customer in use, one gone) is skipped.
    """
    from debitor_core._errors import DebitorError  # noqa: PLC0415

    ids: list[uuid.UUID] = []
    for action, first, second in [("register", 0, 0), *steps]:
        if action == "register" or not ids:
            name = f"Customer {len(ids) + 1}"
            form = {"name": name, "address": {"country": "LV"}}
            ids.append(book.register(form, author="contract").id)
            continue
        one, other = ids[first % len(ids)], ids[second % len(ids)]
        try:
            if action == "update":
                current = book.get(one)
                changes = {"email": f"c{current.version}.{current.number}@example.com"}
                book.update(current.id, changes, expected_version=current.version)
            elif action == "invoice":
                invoice = book.issue_invoice(one, [InvoiceLine("Chair", 1, 10)])
                book.record_payment(invoice.id, 4, date=invoice.issue_date)
            elif action == "merge":
                book.merge(other, one, author="contract")
            elif action == "delete":
                book.delete(one)
            else:
                book.erase(one, reason="asked")
        except DebitorError:
            continue
    return ids


def _definitions(store: Store) -> Any:  # noqa: ANN401 - the book's Definitions
    from debitor_core.book._types import Definitions  # noqa: PLC0415

    return Definitions(store.categories(), store.custom_fields())


def _evidence(matches: Any) -> list[tuple[int, tuple[str, ...]]]:  # noqa: ANN401
    return [(m.customer.number, m.evidence) for m in matches]
