"""Every store answers any argument a caller may pass as the others do.

InMemoryStore, JsonFileStore, SqliteStore and PostgresStore (when a server is there) get
the same odd ids, numbers, record keys, expected versions, offsets and limits, and give
the same answer: a lookup of a value no stored row can hold is `NotFound` (or finds
nothing), a version that does not equal the stored one is a `ConcurrencyConflict` that
leaves the transaction usable, a huge offset or limit is clamped, and a negative or
non-int one is refused with `ValueError` or `TypeError`. Never a raw driver error, and
nothing stored changes.
"""

import decimal
import fractions
import itertools
import types
import uuid

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from debitor_core import Category, ConcurrencyConflict, NotFound
from debitor_core._invoice import Invoice, InvoiceState, Payment, RegistrationLog
from debitor_core.storage import InMemoryStore, JsonFileStore, PostgresStore, SqliteStore
from debitor_core.storage._queries import CustomerQuery
from debitor_core.testing import sample_customer, sample_records

ODD_KEYS = [
    *("a\x00b", "a\ud800b", "\x00", "\ud800", "k" * 100_000),
    *(5, 1.0, True, None, b"key", 2**64, 2**70, -(2**70)),
    *([1], {}, uuid.UUID(int=0), object()),
]
"""Values no record key, customer id or category id can be: not text, NUL, lone surrogates."""

ODD_NUMBERS = [True, 1.0, decimal.Decimal(1), "1", b"1", 0, -1, 2**63, 2**64, 2**200, None, [1]]
"""Values that are not a stored customer number (customer 1 is stored)."""


class Incomparable:
    """A value whose comparison raises, as a signalling NaN's does."""

    __hash__ = None

    def __eq__(self, other):
        """Refuse to compare."""
        raise RuntimeError(other)

    def __repr__(self):
        """Its name, for the test ids."""
        return "Incomparable()"


ODD_VERSIONS = [
    *("x", "1", "", 1.5, 2**63, 2**64, -(2**70), None, b"1", [1], {}, 0, -1, 2),
    *(decimal.Decimal("sNaN"), decimal.Decimal("NaN"), float("nan"), Incomparable()),
]
"""Expected versions the stored version 1 never equals (some cannot even be compared)."""

EQUAL_VERSIONS = [True, 1.0, decimal.Decimal(1), fractions.Fraction(1), complex(1)]
"""Expected versions of another type that equal the stored version 1 (taken, as in memory)."""

HUGE = [2**63 - 1, 2**63, 2**64, 2**200]

STORES = ["memory", "json", "sqlite", "postgres"]
QUERY_STORES = ["sqlite", "postgres"]

_names = itertools.count(1)


def short(value):
    """A test id for ``value``: short, and the same in every run."""
    if callable(value):
        return value.__name__
    return "object()" if type(value) is object else repr(value)[:24]


def outcome(call):
    """What ``call()`` gives: its result, or the type of the error it raised."""
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - the error is the answer compared
        return type(exc)


class Stores:
    """Opens stores of one kind (each a new, empty book) and closes them at the end."""

    def __init__(self, request, kind, folder):
        self.kind = kind
        self._request = request
        self._folder = folder
        self._opened = []

    def new(self):
        """A new, empty store of this kind."""
        name = f"book{next(_names)}"
        if self.kind == "memory":
            store = InMemoryStore()
        elif self.kind == "json":
            store = JsonFileStore(self._folder / f"{name}.json")
        elif self.kind == "sqlite":
            store = SqliteStore(self._folder / f"{name}.db")
        else:
            pool = self._request.getfixturevalue("pg_pool")
            schema = self._request.getfixturevalue("pg_schema")
            store = PostgresStore(pool, book_id=f"args{uuid.uuid4().hex[:20]}", schema=schema)
        self._opened.append(store)
        return store

    def reopened(self, store):
        """The same book opened again (what another process reads), or ``store`` in memory."""
        if self.kind == "json":
            again = JsonFileStore(store.path)
        elif self.kind == "sqlite":
            again = SqliteStore(store.path)
        elif self.kind == "postgres":
            pool = self._request.getfixturevalue("pg_pool")
            schema = self._request.getfixturevalue("pg_schema")
            again = PostgresStore(pool, book_id=store.book_id, schema=schema)
        else:
            return store
        self._opened.append(again)
        return again

    def close(self):
        for store in self._opened:
            store.close()


def _stores(request, tmp_path_factory):
    stores = Stores(request, request.param, tmp_path_factory.mktemp(request.param))
    yield stores
    stores.close()


stores = pytest.fixture(params=STORES)(_stores)
query_stores = pytest.fixture(params=QUERY_STORES)(_stores)


@attrs.frozen
class Book:
    """A store holding customer 1 with its invoice (version 1), a payment and a category."""

    store: object
    customer: object
    invoice: object
    payment: object
    category: object


def filled(store):
    customer = sample_customer(1)
    invoice, payment, *_ = sample_records(customer)
    category = Category(uuid.uuid4(), "Wholesalers")
    with store.transaction() as tx:
        tx.add(customer)
        tx.put_record(invoice, expected_version=None)
        tx.put_record(payment, expected_version=None)
        tx.put_category(category)
    return Book(store, customer, invoice, payment, category)


@pytest.fixture
def book(stores):
    return filled(stores.new())


def unchanged(book):
    """Whether the book still holds exactly what `filled` stored."""
    store = book.store
    return (
        [book.customer] == list(store.customers())
        and book.invoice == store.record(Invoice, book.invoice.key)
        and book.payment == store.record(Payment, book.payment.key)
        and [book.category] == list(store.categories())
    )


def refused_in_a_transaction(book, write):
    """Run ``write(tx)`` after an add in one transaction, and tell what came of it.

    Returns the error type of ``write`` (or None), and whether the add was committed
    with nothing else changed.
    """
    added = sample_customer(next(_names) + 1000)
    with book.store.transaction() as tx:
        tx.add(added)
        error = outcome(lambda: write(tx))
    store = book.store
    committed = outcome(lambda: store.get(added.id)) == added
    if committed:
        with store.transaction() as tx:
            tx.delete(added.id)
    return error, committed and unchanged(book)


def as_text(book):
    return str(book.customer.id)


def as_int(book):
    return book.customer.id.int


def invoice_as_text(book):
    return str(book.invoice.id)


def value_for(book, value):
    """``value``, or what it makes of ``book`` when it is one of the functions above."""
    return value(book) if value in (as_text, as_int, invoice_as_text) else value


# -- ids, numbers and keys no row can hold ---------------------------------------------------


class TestOddLookups:
    @pytest.mark.parametrize("key", ODD_KEYS, ids=short)
    @pytest.mark.parametrize("kind", [Invoice, RegistrationLog])
    def test_record_of_an_odd_key_is_not_found(self, book, kind, key):
        """`record(kind, key)` of a key no record can have is NotFound (not a driver error)."""
        assert NotFound is outcome(lambda: book.store.record(kind, key))

    def test_record_by_the_key_as_an_id_is_not_found(self, book):
        """An invoice's key is text: its id as a UUID finds nothing."""
        assert NotFound is outcome(lambda: book.store.record(Invoice, book.invoice.id))
        assert book.invoice == book.store.record(Invoice, str(book.invoice.id))

    @pytest.mark.parametrize("value", ODD_KEYS, ids=short)
    def test_get_of_an_odd_id_is_not_found(self, book, value):
        """`get` of anything but a UUID is NotFound."""
        assert NotFound is outcome(lambda: book.store.get(value))

    @pytest.mark.parametrize(
        "form",
        [
            str,
            lambda i: i.hex,
            lambda i: i.int,
            lambda i: i.bytes,
            lambda i: types.SimpleNamespace(int=i.int),
        ],
        ids=["text", "hex", "int", "bytes", "look-alike"],
    )
    def test_get_of_an_id_in_another_form_is_not_found(self, book, form):
        """`get` of a stored id as text, hex, int, bytes or a look-alike is NotFound.

        (SQLite said the text was damage; InMemoryStore took anything with an ``int``.)
        """
        assert NotFound is outcome(lambda: book.store.get(form(book.customer.id)))
        assert book.customer == book.store.get(book.customer.id)

    @pytest.mark.parametrize("number", ODD_NUMBERS, ids=short)
    def test_get_by_number_of_anything_but_an_int_is_not_found(self, book, number):
        """True, 1.0 and Decimal(1) equal 1 but are not a customer number: NotFound."""
        assert NotFound is outcome(lambda: book.store.get_by_number(number))
        assert book.customer == book.store.get_by_number(1)

    @pytest.mark.parametrize("value", [*ODD_KEYS, as_text, as_int], ids=short)
    @pytest.mark.parametrize("method", ["delete", "delete_category"])
    def test_delete_of_an_odd_id_is_not_found_and_the_transaction_goes_on(
        self, book, method, value
    ):
        """Deleting a customer or category by anything but a stored UUID: NotFound, no loss."""
        value = value_for(book, value)
        expected = (NotFound, True)
        assert expected == refused_in_a_transaction(book, lambda tx: getattr(tx, method)(value))

    @given(
        value=st.one_of(
            st.text(max_size=40),
            st.text(st.characters(categories=["Cs", "Cc", "Lu"]), max_size=5),  # surrogates, NUL
            st.binary(max_size=16),
            st.integers(),
            st.floats(allow_nan=True),
            st.booleans(),
            st.none(),
            st.uuids(),
            st.decimals(allow_nan=False),
            st.lists(st.integers(), max_size=2),
        )
    )
    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    def test_any_value_finds_only_what_is_stored(self, book, value):
        """get, get_by_number and record of any value: the stored one, or NotFound."""
        store = book.store
        found = book.customer if value == book.customer.id else NotFound
        assert found == outcome(lambda: store.get(value))
        found = book.customer if type(value) is int and value == 1 else NotFound
        assert found == outcome(lambda: store.get_by_number(value))
        found = book.invoice if value == book.invoice.key else NotFound
        assert found == outcome(lambda: store.record(Invoice, value))


class TestOddQueryLookups:
    """The query capabilities (SQL stores): odd lookups find nothing."""

    @pytest.fixture
    def book(self, query_stores):
        return filled(query_stores.new())

    @pytest.mark.parametrize("value", [*ODD_KEYS, as_text, invoice_as_text], ids=short)
    def test_lookups_of_odd_ids_find_nothing(self, book, value):
        """Lookups by customer or invoice of anything but a UUID find nothing."""
        value = value_for(book, value)
        store = book.store
        assert [] == list(store.history_of(value))
        assert [] == list(store.forwards_to(value))
        assert [] == list(store.records_about([value]))
        if value is not None:  # None: every invoice
            assert [] == list(store.invoices_of(value))
        assert [] == list(store.payments_of([value]))
        assert [] == list(store.reminders_of([value]))
        assert store.has_welcome(value) is False

    def test_lookups_by_real_ids_still_find(self, book):
        """The checks let real ids through."""
        store = book.store
        assert [book.invoice] == list(store.invoices_of(book.customer.id))
        assert [book.payment] == list(store.payments_of([book.invoice.id]))
        assert [book.invoice, book.payment] == list(store.records_about([book.customer.id]))

    @pytest.mark.parametrize("number", ODD_NUMBERS, ids=short)
    def test_forwards_of_an_odd_number_find_nothing(self, book, number):
        """forwards_numbered of anything but a customer number finds nothing."""
        assert [] == list(book.store.forwards_numbered(number))

    @pytest.mark.parametrize(
        "value", ["a\ud800b", "\ud800", "a\x00b", 5, None, b"x", 1.5, ["x"]], ids=short
    )
    def test_duplicate_keys_of_odd_text_find_nobody(self, book, value):
        """customers_sharing of keys that cannot be stored, or are not text, finds nobody."""
        keys = [("email", value), (value, "x"), ("phone", value)]
        assert [] == list(book.store.customers_sharing(keys))
        phone = ("phone", book.customer.phone.number)
        assert [book.customer] == [c for c, _ in book.store.customers_sharing([*keys, phone])]


class TestSqliteExtras:
    @pytest.fixture
    def store(self, tmp_path):
        with SqliteStore(tmp_path / "book.db") as store:
            yield store

    def test_find_by_odd_values_finds_nobody(self, store):
        """SqliteStore.find of values that are not text, or cannot be stored: nobody."""
        customer = filled(store).customer
        for value in ("a\ud800b", 5, b"x", "a\x00b"):
            assert [] == store.find(email=value, tax_id=value, phone=value)
        assert [customer] == store.find(email=5, phone=customer.phone.number)
        assert [customer] == store.find(email=customer.email.upper())


# -- expected versions of another type, or beyond 64 bits -------------------------------------


def changed(customer):
    return attrs.evolve(customer, name="Changed", version=2)


def sent(invoice):
    return attrs.evolve(invoice, state=InvoiceState.SENT, version=2)


class TestExpectedVersions:
    @pytest.mark.parametrize("expected_version", ODD_VERSIONS, ids=short)
    def test_update_at_an_odd_version_is_a_conflict_and_the_transaction_goes_on(
        self, book, expected_version
    ):
        """An update at a version the stored 1 does not equal: ConcurrencyConflict only."""
        update = changed(book.customer)
        expected = (ConcurrencyConflict, True)
        assert expected == refused_in_a_transaction(
            book, lambda tx: tx.update(update, expected_version=expected_version)
        )

    @pytest.mark.parametrize(
        "expected_version", [v for v in ODD_VERSIONS if v is not None], ids=short
    )
    def test_put_record_at_an_odd_version_is_a_conflict_and_the_transaction_goes_on(
        self, book, expected_version
    ):
        """put_record at a version the stored 1 does not equal: ConcurrencyConflict only."""
        record = sent(book.invoice)
        expected = (ConcurrencyConflict, True)
        assert expected == refused_in_a_transaction(
            book, lambda tx: tx.put_record(record, expected_version=expected_version)
        )

    @pytest.mark.parametrize("expected_version", ["x", "1", 2**64, True], ids=short)
    def test_odd_version_of_a_missing_customer_or_record_is_not_found(self, book, expected_version):
        """A customer or record that is not stored is NotFound whatever the version."""
        other = sample_customer(3)
        other_invoice = attrs.evolve(book.invoice, id=uuid.uuid4())
        expected = (NotFound, True)
        assert expected == refused_in_a_transaction(
            book, lambda tx: tx.update(other, expected_version=expected_version)
        )
        assert expected == refused_in_a_transaction(
            book, lambda tx: tx.put_record(other_invoice, expected_version=expected_version)
        )

    @pytest.mark.parametrize("expected_version", EQUAL_VERSIONS, ids=short)
    def test_a_version_equal_to_the_stored_one_is_taken_and_reads_back(
        self, stores, expected_version
    ):
        """True, 1.0, Decimal(1), 1+0j equal the stored 1: taken, and the book opens again.

        (JsonFileStore wrote ``true`` or ``1.0`` into its journal, which then failed to
        load, and could not write Decimal(1) or 1+0j at all.)
        """
        book = filled(stores.new())
        update, record = changed(book.customer), sent(book.invoice)
        with book.store.transaction() as tx:
            tx.update(update, expected_version=expected_version)
            tx.put_record(record, expected_version=expected_version)
        again = stores.reopened(book.store)
        assert (update, record) == (again.get(update.id), again.record(Invoice, record.key))
        update2, record2 = attrs.evolve(update, version=3), attrs.evolve(record, version=3)
        with again.transaction() as tx:
            tx.update(update2, expected_version=2)
            tx.put_record(record2, expected_version=2)
        assert (update2, record2) == (again.get(update.id), again.record(Invoice, record.key))


@pytest.mark.parametrize("kind", ["memory", "json", "sqlite"])
@given(
    expected_version=st.one_of(
        st.integers(),
        st.text(max_size=3),
        st.floats(allow_nan=True),
        st.booleans(),
        st.none(),
        st.decimals(allow_nan=False),
        st.binary(max_size=2),
        st.sampled_from(EQUAL_VERSIONS),
    )
)
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_any_expected_version_is_taken_only_when_it_equals_the_stored_one(
    request, tmp_path_factory, kind, expected_version
):
    """For any expected version: taken if it equals 1, else ConcurrencyConflict (None: exists)."""
    stores = Stores(request, kind, tmp_path_factory.mktemp(kind))
    try:
        book = filled(stores.new())
        equal = expected_version is not None and expected_version == 1
        # Taken (the book changed), or refused with nothing changed.
        expected = (None, False) if equal else (ConcurrencyConflict, True)
        assert expected == refused_in_a_transaction(
            book, lambda tx: tx.update(changed(book.customer), expected_version=expected_version)
        )
        if expected_version is None:
            return
        assert expected == refused_in_a_transaction(
            book, lambda tx: tx.put_record(sent(book.invoice), expected_version=expected_version)
        )
        again = stores.reopened(book.store)
        assert book.store.get(book.customer.id) == again.get(book.customer.id)
        assert book.store.record(Invoice, book.invoice.key) == again.record(
            Invoice, book.invoice.key
        )
    finally:
        stores.close()


# -- offsets and limits --------------------------------------------------------------------


def numbers(customers):
    return [c.number for c in customers]


class TestPages:
    @pytest.fixture
    def three(self, stores):
        store = stores.new()
        with store.transaction() as tx:
            for number in (1, 2, 3):
                tx.add(sample_customer(number))
        return store

    @pytest.mark.parametrize("huge", HUGE, ids=short)
    def test_huge_offset_or_limit_is_clamped(self, three, huge):
        """An offset or limit past 64 bits skips or keeps every customer."""
        assert [] == numbers(three.customers(offset=huge))
        assert [1, 2, 3] == numbers(three.customers(limit=huge))
        assert [2, 3] == numbers(three.customers(offset=1, limit=huge))
        assert [] == numbers(three.customers(offset=huge, limit=huge))

    @pytest.mark.parametrize(
        ("page", "error"),
        [
            ({"offset": -1}, ValueError),
            ({"limit": -1}, ValueError),
            ({"offset": -(2**70)}, ValueError),
            ({"offset": True}, TypeError),
            ({"limit": False}, TypeError),
            ({"limit": 1.5}, TypeError),
            ({"offset": 1.0}, TypeError),
            ({"offset": "1"}, TypeError),
            ({"offset": None}, TypeError),
            ({"limit": decimal.Decimal(1)}, TypeError),
        ],
        ids=short,
    )
    def test_negative_or_non_int_offset_or_limit_is_refused(self, three, page, error):
        """A negative offset or limit, or one that is not an int, is refused (not sliced)."""
        assert error is outcome(lambda: three.customers(**page))
        assert [1, 2, 3] == numbers(three.customers())


class TestQueryPages:
    @pytest.fixture
    def three(self, query_stores):
        store = query_stores.new()
        with store.transaction() as tx:
            for number in (1, 2, 3):
                tx.add(sample_customer(number))
        return store

    @pytest.mark.parametrize("huge", HUGE, ids=short)
    def test_huge_offset_or_limit_of_a_search_is_clamped(self, three, huge):
        """search_customers with an offset or limit past 64 bits: every match, or none."""
        query = CustomerQuery()
        assert [] == numbers(three.search_customers(query, offset=huge))
        assert [1, 2, 3] == numbers(three.search_customers(query, limit=huge))
        assert [2, 3] == numbers(three.search_customers(query, offset=1, limit=huge))

    @pytest.mark.parametrize(
        ("page", "error"),
        [
            ({"offset": -1}, ValueError),
            ({"limit": -1}, ValueError),
            ({"offset": True}, TypeError),
            ({"limit": 1.5}, TypeError),
            ({"offset": "1"}, TypeError),
        ],
        ids=short,
    )
    def test_negative_or_non_int_page_of_a_search_is_refused(self, three, page, error):
        """search_customers refuses a negative or non-int offset or limit."""
        assert error is outcome(lambda: three.search_customers(CustomerQuery(), **page))

    @pytest.mark.parametrize("sort", ["size", "", None, 1, "Name", ["name"], {}], ids=short)
    def test_unknown_sort_is_refused(self, three, sort):
        """An unknown sort is ValueError, whether or not anything could match."""
        for query in (CustomerQuery(), CustomerQuery(text="\ud800")):
            assert ValueError is outcome(lambda q=query: three.search_customers(q, sort=sort))

    @pytest.mark.parametrize("query", ["koks", None, 5, {"text": "koks"}], ids=short)
    def test_a_query_that_is_not_a_customer_query_is_refused(self, three, query):
        """search_customers, count_customers and invoices_matching take a CustomerQuery only."""
        assert TypeError is outcome(lambda: three.search_customers(query))
        assert TypeError is outcome(lambda: three.count_customers(query))
        assert TypeError is outcome(lambda: three.invoices_matching(query))

    @pytest.mark.parametrize("sort", ["number", "name", "created"])
    def test_known_sorts_still_answer(self, three, sort):
        """Every known sort answers, in both directions."""
        for descending in (False, True):
            found = numbers(
                three.search_customers(CustomerQuery(), sort=sort, descending=descending)
            )
            assert [1, 2, 3] == sorted(found)


# -- writes given something of the wrong type ------------------------------------------------

WRONG = ["x", None, 5, {"id": 1}, object()]
"""What a caller may hand a write instead of a customer, category, definition or record."""

WRITES = {
    "add": lambda tx, value: tx.add(value),
    "update": lambda tx, value: tx.update(value, expected_version=1),
    "put_category": lambda tx, value: tx.put_category(value),
    "put_custom_field": lambda tx, value: tx.put_custom_field(value),
    "put_record": lambda tx, value: tx.put_record(value, expected_version=None),
}


class TestWrongTypes:
    @pytest.mark.parametrize("value", WRONG, ids=short)
    @pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
    def test_a_write_of_the_wrong_type_is_a_type_error_and_the_transaction_goes_on(
        self, book, write, value
    ):
        """Every store refuses it alike with `TypeError` (not AttributeError).

        Before anything changes: the add before it in the transaction is committed.
        """
        assert (TypeError, True) == refused_in_a_transaction(book, lambda tx: write(tx, value))

    def test_a_customer_where_a_record_belongs_is_a_type_error(self, book):
        write = WRITES["put_record"]
        assert (TypeError, True) == refused_in_a_transaction(
            book, lambda tx: write(tx, book.customer)
        )
