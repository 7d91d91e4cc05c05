"""PostgresStore answers any argument a caller may pass as InMemoryStore answers it.

Odd record keys, versions of another type or beyond a bigint, and offsets or limits
beyond a bigint never reach PostgreSQL as they are: each gets the in-memory store's
answer or error, and a refused write leaves the transaction usable (audit gaps 7, 9
and the big offsets).
"""

import itertools
import uuid

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from debitor_core import ConcurrencyConflict, DebitorError, NotFound
from debitor_core._invoice import Invoice, InvoiceState, RegistrationLog
from debitor_core.storage import InMemoryStore, PostgresStore, SqliteStore
from debitor_core.storage._queries import CustomerQuery
from debitor_core.testing import sample_customer, sample_records

ODD_KEYS = ["a\x00b", "a\ud800b", "\x00", "k" * 100_000, 5, None, b"key", 2**70]
"""Keys no record can have: NUL, a lone surrogate, very long, not text."""

ODD_VERSIONS = ["x", "1", "", 1.5, 2**63, 2**64, -(2**70), None, b"1", [1]]
"""Expected versions the stored version 1 never equals."""

HUGE = [2**63 - 1, 2**63, 2**64, 2**200]

_numbers = itertools.count(10)


def new_book_id():
    return f"args{uuid.uuid4().hex[:20]}"


@pytest.fixture
def store(pg_pool, pg_schema):
    store = PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema)
    yield store
    store.close()


def add(store, *customers):
    with store.transaction() as tx:
        for customer in customers:
            tx.add(customer)


def outcome(call):
    """What ``call()`` gives: its result, or the type of the error it raised."""
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - the error is the answer compared
        return type(exc)


# -- gap 7: lookups of keys no record can have ---------------------------------------------


class TestOddKeys:
    @pytest.mark.parametrize("key", ODD_KEYS, ids=repr)
    @pytest.mark.parametrize("kind", [Invoice, RegistrationLog])
    def test_record_with_an_odd_key_is_not_found(self, store, kind, key):
        """`record(kind, key)` of a key no record can have is NotFound, as in memory."""
        with pytest.raises(NotFound):
            InMemoryStore().record(kind, key)
        with pytest.raises(NotFound):
            store.record(kind, key)

    @pytest.mark.parametrize("key", ["a\x00b", "a\ud800b"], ids=repr)
    def test_odd_key_lookup_in_a_transaction_lets_it_commit(self, store, key):
        """The idempotency lookup of an odd key inside a transaction does not spoil it."""
        customer = sample_customer(1)
        with store.transaction() as tx:
            with pytest.raises(NotFound):
                store.record(RegistrationLog, key)
            tx.add(customer)
        assert customer == store.get(customer.id)

    def test_ordinary_keys_are_still_found(self, store):
        """A stored record is found by its key (the odd-key check lets real keys through)."""
        customer = sample_customer(1)
        invoice = sample_records(customer)[0]
        with store.transaction() as tx:
            tx.add(customer)
            tx.put_record(invoice, expected_version=None)
        assert invoice == store.record(Invoice, invoice.key)

    @pytest.mark.parametrize("value", [*ODD_KEYS, 2**64, -1, 0, "1", uuid.UUID(int=0)], ids=repr)
    def test_lookups_of_odd_arguments_answer_as_in_memory(self, store, value):
        """get, get_by_number and record of an odd argument: the in-memory store's answer."""
        memory = InMemoryStore()
        customer = sample_customer(1)
        add(store, customer)
        add(memory, customer)
        for name in ("get", "get_by_number"):
            expected = outcome(lambda name=name: getattr(memory, name)(value))
            assert expected == outcome(lambda name=name: getattr(store, name)(value))

    @pytest.mark.parametrize("value", [*ODD_KEYS, 2**64, -1, True], ids=repr)
    def test_history_and_invoice_lookups_of_odd_arguments_find_nothing(self, store, value):
        """Lookups by customer, invoice or number of an odd argument find nothing."""
        customer = sample_customer(1)
        add(store, customer)
        assert [] == list(store.history_of(value))
        assert [] == list(store.forwards_to(value))
        assert [] == list(store.forwards_numbered(value))
        assert [] == list(store.records_about([value]))
        assert [] == list(store.invoices_of(value))
        assert [] == list(store.payments_of([value]))
        assert [] == list(store.reminders_of([value]))
        assert store.has_welcome(value) is False

    @pytest.mark.parametrize("key", ["a\x00b", "a\ud800b", "\x00", "k" * 100_000], ids=repr)
    @pytest.mark.parametrize("kind", ["email", "phone", "tax_id", "a\x00", "a\ud800"])
    def test_finding_by_an_odd_email_phone_or_tax_id_finds_nobody(self, store, kind, key):
        """customers_sharing and searches with text no customer holds find nobody."""
        add(store, sample_customer(1))
        assert [] == list(store.customers_sharing([(kind, key)]))
        assert [] == list(store.search_customers(CustomerQuery(text=key)))
        assert [] == list(store.search_customers(CustomerQuery(city=key)))
        assert store.count_customers(CustomerQuery(country=key)) == 0


# -- gap 9: expected versions of another type or out of range -------------------------------


def both_stores(store):
    """The PostgreSQL store and an in-memory one, each holding customer 1 and its invoice."""
    customer = sample_customer(1)
    invoice = sample_records(customer)[0]
    memory = InMemoryStore()
    for each in (store, memory):
        with each.transaction() as tx:
            tx.add(customer)
            tx.put_record(invoice, expected_version=None)
    return memory, customer, invoice


def update_outcome(each, customer, expected_version):
    """Update ``customer`` at ``expected_version`` after an add in the same transaction.

    Returns the update's error type (or None), and whether the add was committed.
    """
    added = sample_customer(next(_numbers))
    with each.transaction() as tx:
        tx.add(added)
        error = outcome(lambda: tx.update(customer, expected_version=expected_version))
    return error, outcome(lambda: each.get(added.id)) == added


def record_outcome(each, record, expected_version):
    """Put ``record`` at ``expected_version`` after an add in the same transaction (as above)."""
    added = sample_customer(next(_numbers))
    with each.transaction() as tx:
        tx.add(added)
        error = outcome(lambda: tx.put_record(record, expected_version=expected_version))
    return error, outcome(lambda: each.get(added.id)) == added


class TestExpectedVersions:
    def test_wrong_typed_expected_version_does_not_spoil_the_transaction(self, store):
        """An update at version "x" is refused and an earlier add still commits."""
        first = sample_customer(1)
        add(store, first)
        added = sample_customer(2)
        with store.transaction() as tx:
            tx.add(added)
            with pytest.raises(DebitorError):
                tx.update(first, expected_version="x")
        assert added.id == store.get(added.id).id

    @pytest.mark.parametrize("expected_version", ODD_VERSIONS, ids=repr)
    def test_update_at_an_odd_version_is_the_in_memory_conflict(self, store, expected_version):
        """An update at a version of another type or past a bigint: a conflict, as in memory."""
        memory, customer, _ = both_stores(store)
        changed = attrs.evolve(customer, name="Changed", version=2)
        expected = (ConcurrencyConflict, True)
        assert expected == update_outcome(memory, changed, expected_version)
        assert expected == update_outcome(store, changed, expected_version)
        assert customer == store.get(customer.id)

    @pytest.mark.parametrize(
        "expected_version", [v for v in ODD_VERSIONS if v is not None], ids=repr
    )
    def test_put_record_at_an_odd_version_is_the_in_memory_conflict(self, store, expected_version):
        """put_record at a version of another type or beyond a bigint: as in memory."""
        memory, _, invoice = both_stores(store)
        sent = attrs.evolve(invoice, state=InvoiceState.SENT, version=2)
        expected = (ConcurrencyConflict, True)
        assert expected == record_outcome(memory, sent, expected_version)
        assert expected == record_outcome(store, sent, expected_version)
        assert invoice == store.record(Invoice, invoice.key)

    @pytest.mark.parametrize("expected_version", ["x", 2**64], ids=repr)
    def test_odd_version_of_a_missing_customer_or_record_is_not_found(
        self, store, expected_version
    ):
        """A customer or record that is not stored is NotFound whatever the version."""
        memory, _, invoice = both_stores(store)
        other = sample_customer(3)
        other_invoice = attrs.evolve(invoice, id=uuid.uuid4())
        for each in (memory, store):
            assert (NotFound, True) == update_outcome(each, other, expected_version)
            assert (NotFound, True) == record_outcome(each, other_invoice, expected_version)

    @pytest.mark.parametrize("expected_version", [True, 1.0], ids=repr)
    def test_a_version_equal_to_the_stored_one_is_taken_as_in_memory(self, store, expected_version):
        """A version that equals the stored 1 (True, 1.0) is taken, as in memory."""
        memory, customer, invoice = both_stores(store)
        changed = attrs.evolve(customer, name="Changed", version=2)
        sent = attrs.evolve(invoice, state=InvoiceState.SENT, version=2)
        for each in (memory, store):
            assert (None, True) == update_outcome(each, changed, expected_version)
        for each in (memory, store):
            assert (None, True) == record_outcome(each, sent, expected_version)
        assert changed == store.get(customer.id)
        assert sent == store.record(Invoice, invoice.key)

    @given(
        expected_version=st.one_of(
            st.integers(),
            st.text(max_size=3),
            st.floats(allow_nan=True),
            st.booleans(),
            st.none(),
        )
    )
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def test_any_expected_version_gets_the_in_memory_answer(
        self, pg_pool, pg_schema, expected_version
    ):
        """For any expected version, update and put_record answer as the in-memory store."""
        with PostgresStore(pg_pool, book_id=new_book_id(), schema=pg_schema) as store:
            memory, customer, invoice = both_stores(store)
            changed = attrs.evolve(customer, name="Changed", version=2)
            sent = attrs.evolve(invoice, state=InvoiceState.SENT, version=2)
            expected = update_outcome(memory, changed, expected_version)
            assert expected == update_outcome(store, changed, expected_version)
            expected = record_outcome(memory, sent, expected_version)
            assert expected == record_outcome(store, sent, expected_version)
            assert memory.get(customer.id) == store.get(customer.id)
            assert memory.record(Invoice, invoice.key) == store.record(Invoice, invoice.key)


# -- offsets and limits beyond a bigint ------------------------------------------------------


def ids(customers):
    return [c.id for c in customers]


@pytest.fixture
def sqlite_store(tmp_path):
    store = SqliteStore(tmp_path / "book.db")
    yield store
    store.close()


class TestHugePages:
    @pytest.mark.parametrize("huge", HUGE, ids=repr)
    def test_huge_offset_or_limit_answers_as_in_memory(self, store, huge):
        """Pages (customers, search) with an offset or limit past a bigint: as in memory."""
        memory = InMemoryStore()
        customers = [sample_customer(n) for n in (1, 2, 3)]
        add(memory, *customers)
        add(store, *customers)
        for page in ({"offset": huge}, {"limit": huge}, {"offset": 1, "limit": huge}):
            expected = ids(memory.customers(**page))
            assert expected == ids(store.customers(**page))
            assert expected == ids(store.search_customers(CustomerQuery(), **page))

    @pytest.mark.parametrize("huge", HUGE, ids=repr)
    def test_sqlite_huge_offset_or_limit_answers_as_in_memory(self, sqlite_store, huge):
        """SqliteStore clamps them too (it raised a raw OverflowError)."""
        memory = InMemoryStore()
        customers = [sample_customer(n) for n in (1, 2, 3)]
        add(memory, *customers)
        add(sqlite_store, *customers)
        for page in ({"offset": huge}, {"limit": huge}, {"offset": 1, "limit": huge}):
            expected = ids(memory.customers(**page))
            assert expected == ids(sqlite_store.customers(**page))
            assert expected == ids(sqlite_store.search_customers(CustomerQuery(), **page))

    @pytest.mark.parametrize(("value", "error"), [(-1, ValueError), ("1", TypeError)])
    def test_bad_counts_are_still_refused(self, store, value, error):
        """A negative or non-int offset or limit is still refused before any SQL."""
        with pytest.raises(error):
            store.customers(offset=value)
        with pytest.raises(error):
            store.search_customers(CustomerQuery(), limit=value)
