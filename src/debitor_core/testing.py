"""The storage contract as a pytest suite, for our backends and yours.

Subclass `StoreContract` in a test module, name the subclass ``Test...`` and implement
`StoreContract.make_store`; a durable backend also sets ``durable = True`` and
implements `StoreContract.reopen`. Every test of the contract then runs against your
backend::

    from debitor_core.testing import StoreContract

    class TestMyStore(StoreContract):
        def make_store(self):
            return MyStore(...)

Needs pytest and Hypothesis: ``pip install 'debitor-core[testing]'``.
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

try:
    import pytest
    from hypothesis import HealthCheck, given, settings
except ImportError as exc:  # pragma: no cover - exercised by a subprocess test
    msg = "debitor_core.testing needs pytest and Hypothesis; install 'debitor-core[testing]'"
    raise ImportError(msg) from exc

import attrs

from debitor_core import strategies
from debitor_core._category import Category
from debitor_core._errors import AlreadyExists, ConcurrencyConflict, NotFound
from debitor_core._fields import CustomFieldDefinition, FieldType
from debitor_core._invoice import (
    BillTo,
    Branding,
    Delivery,
    Invoice,
    InvoiceLine,
    InvoiceState,
    Payment,
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
from debitor_core.storage._protocol import Store

__all__ = ["StoreContract", "sample_customer", "sample_records"]

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
    """

    durable: ClassVar[bool] = False
    threads: ClassVar[int] = 6

    @abc.abstractmethod
    def make_store(self) -> Store:
        """Return a new, empty store. Use `temporary_folder` for files."""

    def reopen(self, store: Store) -> Store:
        """Close ``store`` and open the same data again (durable stores override this)."""
        return store

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
