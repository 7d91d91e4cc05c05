"""Bulk writes: a book's register_many goes to the store in one call (one COPY on PostgreSQL).

The reference for "as before" is the book's per-customer path, which is the code that ran
before bulk writes: a welcome policy (even one that applies to nobody) keeps
`register_many` on `Registration._insert`, `_Direct` in place of `Batch` sends each of its
writes straight to the store's transaction, and a `BulkWrites` that no transaction has
keeps `Writes.add_many` on `Writes.add` and `Writes.add_records` on `Writes.put_record`.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from typing import Protocol, runtime_checkable
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FakeClock
from debitor_core import (
    AlreadyExists,
    Branding,
    CustomerBook,
    Invoice,
    LineTemplate,
    StorageError,
    ValidationError,
    WelcomeInvoicePolicy,
)
from debitor_core._converter import make_converter
from debitor_core._history import HistoryAction, HistoryEntry
from debitor_core._integrity import structural_problems
from debitor_core._invoice import RECORD_KINDS
from debitor_core.book import _registration, _unit_of_work
from debitor_core.book._registration import Registration
from debitor_core.storage import BulkWrites, InMemoryStore, SqliteStore, Transaction
from debitor_core.storage._postgres._rows import copy_value
from debitor_core.storage._postgres._store import PostgresStore
from debitor_core.storage._postgres._transaction import PostgresTransaction
from debitor_core.testing import sample_customer, sample_records
from postgres_server import named_pool

APP = "debitor-bulk-tests"
NOBODY = WelcomeInvoicePolicy(Branding("Koks"), countries={"DE"})  # the forms are in LV
HOSTILE = ["\t", "\n", "\r", "\\", "\\N", "\\.", "\x00", '"', "{}", ",", "NULL", "\ud800"]


@runtime_checkable
class _NoBulk(Protocol):
    """A capability no transaction has: `Writes.add_many` then adds one by one."""

    def never_had_this(self) -> None: ...


class _Direct:
    """The writes of a welcome batch as they were before `Batch`: straight to the store."""

    def __init__(self, writes):
        self._writes = writes

    def add(self, customer):
        self._writes.add(customer)

    def put_record(self, record, *, expected_version):
        self._writes.put_record(record, expected_version=expected_version)

    def note(self, customer_id, action, *, invoice=None):
        self._writes.note(customer_id, action, invoice=invoice)

    def flush(self):
        pass


def new_book_id():
    return f"b{uuid.uuid4().hex[:20]}"


@pytest.fixture(scope="module")
def pg_pool(postgres):
    with named_pool(postgres.conninfo, APP, max_size=6) as pool:
        yield pool


@pytest.fixture
def pg_store(pg_pool, pg_schema):
    store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
    yield store
    store.close()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def make_store(request, tmp_path):
    """A maker of fresh stores of one kind (each call: a new, empty book)."""
    made = []

    def make():
        if request.param == "memory":
            store = InMemoryStore()
        elif request.param == "sqlite":
            store = SqliteStore(tmp_path / f"{uuid.uuid4().hex}.db")
        else:
            pool = request.getfixturevalue("pg_pool")
            schema = request.getfixturevalue("pg_schema")
            store = PostgresStore(pool, book_id=new_book_id(), schema=schema)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


def form(name, country="LV"):
    return {"name": name, "address": {"country": country}}


def canonical(value):
    """``value`` as JSON with every uuid replaced by the order it first appeared in."""
    text = json.dumps(make_converter().unstructure(value), sort_keys=True, default=str)
    seen: dict[str, str] = {}
    pattern = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    return re.sub(pattern, lambda m: seen.setdefault(m.group(), f"<{len(seen)}>"), text)


def outcome(book, store, run):
    """Everything a registration shows: result or error, customers, records, feed, history."""
    try:
        result = ("ok", canonical(run(book)))
    except (ValidationError, AlreadyExists) as exc:
        result = (type(exc).__name__, getattr(exc, "code", None), canonical(str(exc)))
    customers = list(store.customers())
    records = {kind: list(store.records(cls)) for kind, cls in sorted(RECORD_KINDS.items())}
    history = [book.history(c.id) for c in customers]
    feed = store.changes_since(0) if hasattr(store, "changes_since") else None
    feed = None if feed is None else (feed.customers, sorted(feed.records, key=repr))
    return (
        result,
        canonical([customers, records, history]),
        canonical(feed) if feed is None else len(feed[0]) + len(feed[1]),
        (store.revision(), store.last_number(), len(book)),
    )


def both_ways(make_store, run, before=(), *, welcome=None):
    """The outcome of ``run`` on a fresh book the old way and the new way.

    The old way writes one by one (no `BulkWrites`, no `Batch`); without a ``welcome``
    policy it runs under one that welcomes nobody, which took the one-by-one path before.
    """
    outcomes = []
    for old in (True, False):
        store = make_store()
        policy = welcome if welcome is not None else NOBODY if old else None
        book = CustomerBook(store, clock=FakeClock(), welcome=policy)
        for setup in before:
            setup(book)
        patches = contextlib.ExitStack()
        if old:
            patches.enter_context(mock.patch.object(_registration, "Batch", _Direct))
            patches.enter_context(mock.patch.object(_unit_of_work, "BulkWrites", _NoBulk))
        with patches:
            outcomes.append(outcome(book, store, run))
    return outcomes


batches = st.lists(
    st.tuples(
        st.lists(st.sampled_from(["a", "Ā", " ", *HOSTILE]), max_size=6).map("".join),
        st.one_of(st.none(), st.integers(0, 9)),
    ),
    min_size=1,
    max_size=6,
)


class TestAsBefore:
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(batch=batches, key=st.sampled_from([None, "import-1"]), again=st.booleans())
    def test_register_many_gives_what_it_gave_before(self, make_store, batch, key, again):
        """Same customers, numbers, history, feed, idempotency and errors as one by one.

        A number taken (3, registered first), given twice or 0 is refused before
        anything is written, either way; a repeated idempotency key replays.
        """
        forms = [form(f"Bulk {name}") for name, _ in batch]
        numbers = [number for _, number in batch]

        def run(book):
            made = book.register_many(forms, numbers=numbers, idempotency_key=key)
            if again:
                made += book.register_many(forms, numbers=numbers, idempotency_key=key)
            return made

        old, new = both_ways(
            make_store, run, before=[lambda b: b.register(form("Three"), number=3)]
        )
        assert old == new


LATVIANS = WelcomeInvoicePolicy(
    Branding("Koks"), countries={"LV"}, lines=[LineTemplate("Welcome", unit_price=10)]
)  # priced in EUR only: a customer in USD is refused
DUP = "dup@example.com"


def welcome_form(name, country="LV", currency=None, email=None):
    return {"name": name, "address": {"country": country}, "currency": currency, "email": email}


def other_book(store):
    """Another book (another process's, on PostgreSQL) on the same stored book."""
    if isinstance(store, PostgresStore):
        store = PostgresStore(store._pool, book_id=store.book_id, schema=store._names.schema)
    return CustomerBook(store, clock=FakeClock(), welcome=LATVIANS)


welcome_batches = st.lists(
    st.tuples(
        st.sampled_from(["a", "Ā", "\\N", "\t"]),
        st.one_of(st.none(), st.integers(0, 9)),
        st.sampled_from(["LV", "LV", "DE"]),
        st.sampled_from([None, None, "EUR", "USD"]),
        st.sampled_from([None, DUP, "new@example.com"]),
    ),
    min_size=1,
    max_size=6,
)


class TestWelcomeBatchAsOneByOne:
    """A book with a welcome policy registers a batch in bulk, storing what one by one did."""

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(batch=welcome_batches, key=st.sampled_from([None, "import-1"]), again=st.booleans())
    def test_register_many_with_welcomes_gives_what_one_by_one_gave(
        self, make_store, batch, key, again
    ):
        """Customers, invoices and their numbers, deliveries, history, feed, replay, errors.

        Number 3 (registered first, welcomed, with the address DUP) is taken; a form with
        DUP looks like it and gets no welcome; a form in USD is refused (no price).
        """
        forms = [welcome_form(f"W {n}", c, cur, e) for n, _, c, cur, e in batch]
        numbers = [number for _, number, *_ in batch]

        def run(book):
            made = book.register_many(forms, numbers=numbers, idempotency_key=key)
            if again:
                made += book.register_many(forms, numbers=numbers, idempotency_key=key)
            return [made, book.invoices()]

        def three(book):
            book.register(welcome_form("Three", email=DUP), number=3)

        old, new = both_ways(make_store, run, before=[three], welcome=LATVIANS)
        assert old == new

    def test_welcomes_and_their_history(self, make_store):
        """Two of three welcomed, invoices numbered in the batch's order, history in order."""
        store = make_store()
        book = CustomerBook(store, clock=FakeClock(), welcome=LATVIANS)
        made = book.register_many(
            [welcome_form("Anna"), welcome_form("Berta", "DE"), welcome_form("Cilda")]
        )
        assert [1, 2, 3] == [c.number for c in made]
        assert [(1, made[0].id), (2, made[2].id)] == [
            (i.number, i.customer_id) for i in book.invoices()
        ]
        actions = [[e.action for e in book.history(c.id)] for c in made]
        issued = [HistoryAction.REGISTERED, HistoryAction.INVOICE_ISSUED]
        assert [issued, [HistoryAction.REGISTERED], issued] == actions
        kinds = [type(r).__name__ for r in store.changes_since(0).records]
        assert 2 == kinds.count("Delivery")

    def test_an_empty_batch_writes_nothing(self, make_store):
        """No forms: no call to the store (not even an empty COPY), the revision unchanged."""
        store = make_store()
        book = CustomerBook(store, clock=FakeClock(), welcome=LATVIANS)
        written = AssertionError("an empty batch wrote")
        with (
            mock.patch.object(_unit_of_work.Writes, "add_many", side_effect=written),
            mock.patch.object(_unit_of_work.Writes, "add_records", side_effect=written),
        ):
            assert [] == book.register_many([])
        assert (0, [], 0) == (len(book), list(store.records(HistoryEntry)), store.revision())

    def racing(self, race):
        """Run ``race`` once, after the batch is validated and before it is stored."""
        real = Registration._registration_duplicates
        raced = []

        def raced_once(self, draft):
            if not raced:
                raced.append(None)  # the racer's own registration passes here too
                race()
            return real(self, draft)

        return mock.patch.object(Registration, "_registration_duplicates", raced_once)

    def test_a_number_taken_in_the_middle_stores_nothing(self, make_store):
        """Another book takes number 7 of 5 to 9 meanwhile: AlreadyExists, as one by one."""
        forms = [welcome_form(f"Batch {n}") for n in range(5)]

        def run(book):
            racer = other_book(book._uow.store)
            with self.racing(lambda: racer.register(welcome_form("Racer"), number=7)):
                book.register_many(forms, numbers=[5, 6, 7, 8, 9])

        old, new = both_ways(make_store, run, welcome=LATVIANS)
        assert old == new
        result, _, _, (revision, last, size) = new
        assert "AlreadyExists" == result[0]  # SQLite's code is the vaguer customer.exists
        assert (1, 7, 1) == (revision, last, size)  # the racer's only

    def test_an_invoice_number_taken_meanwhile_is_skipped(self, make_store):
        """Another book welcomes a customer meanwhile: the batch's invoices come after its."""
        forms = [welcome_form(f"Batch {n}") for n in range(3)]

        def run(book):
            racer = other_book(book._uow.store)
            with self.racing(lambda: racer.register(welcome_form("Racer"))):
                return book.register_many(forms)

        old, new = both_ways(make_store, run, welcome=LATVIANS)
        assert old == new
        store = make_store()
        book = CustomerBook(store, clock=FakeClock(), welcome=LATVIANS)
        made = run(book)
        invoices = list(store.records(Invoice))
        assert [2, 3, 4] == [c.number for c in made]
        assert [(n, n) for n in (1, 2, 3, 4)] == [
            (i.number, store.get(i.customer_id).number) for i in invoices
        ]

    def test_a_clash_before_a_refused_currency_comes_first(self, make_store):
        """Number 6 taken meanwhile, the third form in USD: AlreadyExists, as one by one."""
        forms = [welcome_form("A"), welcome_form("B"), welcome_form("C", currency="USD")]

        def run(book, taken):
            racer = other_book(book._uow.store)
            with self.racing(lambda: racer.register(welcome_form("Racer"), number=taken)):
                book.register_many(forms, numbers=[5, 6, 7])

        for taken, error in ((6, "AlreadyExists"), (8, "ValidationError")):
            old, new = both_ways(make_store, lambda b, t=taken: run(b, t), welcome=LATVIANS)
            assert old == new
            assert error == new[0][0]
            assert (1, taken, 1) == new[3]  # the racer's only

    def test_an_error_of_the_batch_writes_leaves_nothing(self, make_store):
        """The records' write fails: the customers go too (all or nothing)."""
        store = make_store()
        book = CustomerBook(store, clock=FakeClock(), welcome=LATVIANS)
        book.register(welcome_form("First"))
        boom = StorageError("the disk is full")
        with (
            mock.patch.object(_unit_of_work.Writes, "add_records", side_effect=boom),
            pytest.raises(StorageError),
        ):
            book.register_many([welcome_form("A"), welcome_form("B")])
        assert ([1], 1, 1) == ([c.number for c in store.customers()], store.revision(), len(book))
        assert [2, 3] == [
            c.number for c in book.register_many([welcome_form("C"), welcome_form("D")])
        ]
        assert [1, 2, 3] == [i.number for i in book.invoices()]


@contextlib.contextmanager
def spied_writes():
    """Yield the list of `PostgresTransaction` writes (add, add_many, ...) called meanwhile."""
    calls = []

    def spy(name):
        real = getattr(PostgresTransaction, name)

        def called(tx, *args, **kwargs):
            calls.append(name)
            return real(tx, *args, **kwargs)

        return mock.patch.object(PostgresTransaction, name, called)

    with contextlib.ExitStack() as stack:
        for name in ("add", "add_many", "add_records", "put_record"):
            stack.enter_context(spy(name))
        yield calls


class TestPostgresUsesCopy:
    def test_one_copy_for_the_customers_and_one_for_their_history(self, pg_store):
        """register_many makes no per-customer INSERT on PostgreSQL."""
        book = CustomerBook(pg_store, clock=FakeClock())
        with spied_writes() as calls:
            made = book.register_many([form(f"Copy {n}") for n in range(50)])
        assert ["add_many", "add_records"] == calls
        assert list(range(1, 51)) == [c.number for c in pg_store.customers()]
        assert 50 == len(pg_store.records(HistoryEntry))
        assert [[HistoryAction.REGISTERED]] * 50 == [
            [e.action for e in book.history(c.id)] for c in made
        ]

    def test_a_welcome_batch_is_one_copy_of_customers_and_one_of_records(self, pg_store):
        """With a policy that welcomes everyone: no per-customer INSERT either."""
        book = CustomerBook(pg_store, clock=FakeClock(), welcome=LATVIANS)
        with spied_writes() as calls:
            made = book.register_many([welcome_form(f"Copy {n}") for n in range(50)])
        assert ["add_many", "add_records"] == calls
        assert list(range(1, 51)) == [i.number for i in book.invoices()]
        assert 100 == len(pg_store.records(HistoryEntry))
        issued = [HistoryAction.REGISTERED, HistoryAction.INVOICE_ISSUED]
        assert [issued] * 50 == [[e.action for e in book.history(c.id)] for c in made]

    def test_a_number_taken_by_another_process_stores_nothing(self, pg_store, pg_pool, pg_schema):
        """Between validation and COPY another book takes a number: AlreadyExists, none stored."""
        book = CustomerBook(pg_store, clock=FakeClock())
        other = CustomerBook(
            PostgresStore(pg_pool, book_id=pg_store.book_id, schema=pg_schema), clock=FakeClock()
        )
        real = Registration._registration_duplicates
        raced = []

        def race(self, draft):
            if not raced:
                raced.append(None)  # the racer's own registration passes here too
                raced[0] = other.register(form("Racer"), number=7)
            return real(self, draft)

        forms = [form(f"Batch {n}") for n in range(5)]
        with (
            mock.patch.object(Registration, "_registration_duplicates", race),
            pytest.raises(AlreadyExists) as info,
        ):
            book.register_many(forms, numbers=[5, 6, 7, 8, 9])
        assert ("customer.number_taken", 7) == (info.value.code, info.value.params["number"])
        assert [7] == [c.number for c in pg_store.customers()]
        assert 1 == len(pg_store.records(HistoryEntry))
        assert 1 == pg_store.revision()
        assert [7, 8] == [c.number for c in [*raced, book.register(form("After"), number=8)]]

    def test_connection_killed_mid_copy_leaves_nothing(self, postgres, pg_store):
        """The backend dies while the history entries stream: StorageError, nothing visible."""
        book = CustomerBook(pg_store, clock=FakeClock())
        book.register(form("First"))
        real = PostgresTransaction.add_records

        def dying(tx, records):
            def stream():
                for position, record in enumerate(records):
                    if position == 700:  # after the first chunks went out
                        pid = tx._cur.connection.info.backend_pid
                        with postgres.admin() as conn:
                            conn.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,))
                    yield record

            return real(tx, stream())

        forms = [form(f"Lost {n}") for n in range(1200)]
        with (
            mock.patch.object(PostgresTransaction, "add_records", dying),
            pytest.raises(StorageError),
        ):
            book.register_many(forms)
        assert ([1], 1, 1) == (
            [c.number for c in pg_store.customers()],
            len(pg_store.records(HistoryEntry)),
            pg_store.revision(),
        )
        assert [2, 3] == [c.number for c in book.register_many([form("A"), form("B")])]


class TestAddRecords:
    def rows(self, store, schema):
        with store._pool.connection() as conn:
            return conn.execute(
                f"SELECT kind, key, version, data, checksum, customer_id, invoice_id, "  # noqa: S608
                f"invoice_number, welcome, state, due_date, next_attempt, added_revision, "
                f"added_seq, changed_revision "
                f'FROM "{schema}".debitor_record WHERE book_id = %s ORDER BY added_seq',
                (store.book_id,),
            ).fetchall()

    @settings(
        max_examples=20,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(text=st.lists(st.sampled_from(["x", "ā", " ", *HOSTILE]), max_size=12).map("".join))
    def test_hostile_values_are_stored_as_put_record_stores_them(self, pg_pool, pg_schema, text):
        r"""Tabs, newlines, backslashes, \N, \., NUL, quotes: the same rows as put_record.

        Or the same refusal: text a stored record may not hold is a ValidationError either
        way, with nothing stored.
        """
        customer = sample_customer(1, name="Hostile")
        entry = HistoryEntry(
            uuid.uuid4(), customer.id, customer.created, HistoryAction.ERASED, text, reason=text
        )
        records = [entry, *sample_records(customer)]
        stores = [PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema) for _ in "ab"]
        one, bulk = stores
        refused = pytest.raises(ValidationError) if structural_problems(entry) else None
        with one.transaction() as tx, refused or contextlib.nullcontext():
            for record in records:
                tx.put_record(record, expected_version=None)
        with bulk.transaction() as tx, refused or contextlib.nullcontext():
            assert len(records) == tx.add_records(iter(records))
        assert self.rows(one, pg_schema) == self.rows(bulk, pg_schema)
        assert ([] if refused else [entry]) == list(bulk.records(HistoryEntry))
        for store in stores:
            store.close()

    def test_a_stored_key_refuses_the_whole_batch(self, pg_store):
        """AlreadyExists names the first clash in the batch's order; the transaction goes on."""
        customer = sample_customer(1)
        invoice, payment, delivery, reminder = sample_records(customer)
        with pg_store.transaction() as tx:
            tx.put_record(delivery, expected_version=None)
            tx.put_record(payment, expected_version=None)
        with pg_store.transaction() as tx:
            with pytest.raises(AlreadyExists) as info:
                tx.add_records([invoice, payment, reminder, delivery])
            assert ("record.exists", "payment") == (info.value.code, info.value.params["record"])
            tx.put_record(reminder, expected_version=None)
        assert [] == list(pg_store.records(type(invoice)))
        assert [reminder] == list(pg_store.records(type(reminder)))
        assert 2 == pg_store.revision()

    def test_a_key_given_twice_refuses_the_batch(self, pg_store):
        """Twice in one batch: AlreadyExists, as a second put_record would; nothing stored."""
        invoice, *_ = sample_records(sample_customer(1))
        with pg_store.transaction() as tx, pytest.raises(AlreadyExists, match="already"):
            tx.add_records([invoice, invoice])
        with pg_store.transaction() as tx:
            assert 0 == tx.add_records([])
        assert (0, 0) == (len(pg_store.records(type(invoice))), pg_store.revision())

    def test_copy_value(self):
        """NULL, booleans and escaped text, as COPY's text format reads them."""
        assert ["\\N", "t", "f", "7", "a\\tb"] == [
            copy_value(v) for v in (None, True, False, 7, "a\tb")
        ]


class TestWritesAddMany:
    def test_capability_is_a_transaction_of_its_own(self, pg_store):
        """PostgreSQL's transaction has it; the other stores' do not (they loop)."""
        with pg_store.transaction() as tx:
            assert isinstance(tx, BulkWrites)
            assert isinstance(tx, Transaction)
        with InMemoryStore().transaction() as tx:
            assert not isinstance(tx, BulkWrites)

    @pytest.mark.parametrize("bulk", [True, False])
    def test_bookkeeping_as_add(self, pg_store, bulk):
        """A re-added customer leaves the deleted ones; action=None writes no history."""
        uow = CustomerBook(pg_store, clock=FakeClock())._uow
        first, second = sample_customer(1), sample_customer(2)
        with uow.transaction() as tx:
            tx.add(first)
        patch = (
            contextlib.nullcontext()
            if bulk
            else mock.patch.object(_unit_of_work, "BulkWrites", _NoBulk)
        )
        with patch, uow.transaction() as tx:
            tx.delete(first.id)
            tx.add_many([first, second], action=None)
            assert ([], [first, second]) == (list(tx.deleted), list(tx.customers))
            assert 1 == len(tx.records)  # the delete's entry only
        assert 2 == pg_store.count()
