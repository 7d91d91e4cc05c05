"""`StoreContract`: the storage contract as a pytest suite."""

from __future__ import annotations

import abc
import contextlib
import pickle
import random
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

from debitor_core import strategies
from debitor_core._category import Category
from debitor_core._errors import AlreadyExists, ConcurrencyConflict, NotFound
from debitor_core._fields import CustomFieldDefinition, FieldType
from debitor_core._history import (
    DefinitionChange,
    HistoryEntry,
)
from debitor_core._invoice import (
    Delivery,
    Invoice,
    InvoiceState,
    Record,
)
from debitor_core._model import (
    Customer,
    Note,
)
from debitor_core.storage._feed import ChangeFeed, ChangeSet
from debitor_core.storage._protocol import Store
from debitor_core.testing._processes import (
    _acknowledgement,
    _collect,
    _commit_concurrently,
    _commit_until_killed,
    _context,
    _follow,
    _losses,
    _receive,
    _run_threads,
)
from debitor_core.testing._samples import (
    _MOMENT,
    sample_customer,
    sample_definition_changes,
    sample_history,
    sample_records,
)


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
