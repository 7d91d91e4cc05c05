"""What a store refuses (not found, already stored, changed meanwhile) in the clerk's language.

Every backend raises `NotFound`, `AlreadyExists` and `ConcurrencyConflict` with a stable
code and parameters, so that ``message_in("lv")`` says it in Latvian; the English text
(``str(error)``) is the one it always was. A host app's own backend that raises them
with a sentence alone keeps working.
"""

import contextlib
import copy
import pickle
import sqlite3
import uuid

import attrs
import pytest
from psycopg import errors

from debitor_core import AlreadyExists, ConcurrencyConflict, CustomerBook, NotFound
from debitor_core._history import HistoryEntry
from debitor_core.book import _privacy
from debitor_core.storage import InMemoryStore, JsonFileStore, PostgresStore, SqliteStore
from debitor_core.storage._memory import StoreState
from debitor_core.storage._postgres import _errors as pg_errors
from debitor_core.storage._sqlite._errors import translated
from debitor_core.testing import sample_customer, sample_records

ID = uuid.UUID("12345678-1234-5678-1234-567812345678")


@contextlib.contextmanager
def postgres_store(server):
    """A new book in a schema of its own, dropped afterwards."""
    schema = f"debitor_refusals_{uuid.uuid4().hex[:12]}"
    store = PostgresStore.connect(server.conninfo, book_id="refusals", schema=schema)
    try:
        yield store
    finally:
        store.close()
        with server.admin() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["memory", "json", "sqlite", "postgres"])
def store(request, tmp_path):
    """Each backend the library ships, empty."""
    if request.param == "postgres":
        with postgres_store(request.getfixturevalue("postgres")) as made:
            yield made
        return
    made = {
        "memory": InMemoryStore,
        "json": lambda: JsonFileStore(tmp_path / "book.json"),
        "sqlite": lambda: SqliteStore(tmp_path / "book.db"),
    }[request.param]()
    yield made
    made.close()


def refused(kind, action):
    """The error ``action`` raises: it must be of ``kind``."""
    with pytest.raises(kind) as info:
        action()
    return info.value


def in_transaction(store, step):
    def run():
        with store.transaction() as tx:
            step(tx)

    return run


class TestEveryStoreSaysItsRefusalsInLatvian:
    def test_no_customer_with_the_id(self, store):
        error = refused(NotFound, lambda: store.get(ID))
        assert ("customer.not_found", {"id": str(ID)}) == (error.code, dict(error.params))
        assert f"No customer has the id {ID}." == str(error)
        assert f"Nevienam klientam nav identifikatora {ID}." == error.message_in("lv")
        assert f"Kein Kunde hat die ID {ID}." == error.message_in("de_DE")
        assert str(error) == error.message_in("en") == error.message_in("fr")

    def test_no_customer_with_the_number(self, store):
        error = refused(NotFound, lambda: store.get_by_number(7))
        assert ("customer.no_number", {"number": "7"}) == (error.code, dict(error.params))
        assert "No customer has the number 7." == str(error)
        assert "Nevienam klientam nav numura 7." == error.message_in("lv")

    def test_deleting_what_is_not_there(self, store):
        error = refused(NotFound, in_transaction(store, lambda tx: tx.delete(ID)))
        assert "customer.not_found" == error.code
        error = refused(NotFound, in_transaction(store, lambda tx: tx.delete_category(ID)))
        assert ("category.no_id", {"id": str(ID)}) == (error.code, dict(error.params))
        assert f"No category has the id {ID}." == str(error)
        assert f"Nevienai kategorijai nav identifikatora {ID}." == error.message_in("lv")

    def test_a_customer_twice_and_a_stale_update(self, store):
        customer = sample_customer(number=3)
        with store.transaction() as tx:
            tx.add(customer)
        again = attrs.evolve(customer, id=uuid.uuid4())
        error = refused(AlreadyExists, in_transaction(store, lambda tx: tx.add(again)))
        assert error.code in {"customer.number_taken", "customer.exists"}
        assert error.message_in("lv").startswith("Klient")
        assert error.message_in("lv") != str(error)
        stale = attrs.evolve(customer, name="SIA Ozols", version=2)
        with store.transaction() as tx:
            tx.update(stale, expected_version=1)
        error = refused(
            ConcurrencyConflict,
            in_transaction(store, lambda tx: tx.update(stale, expected_version=1)),
        )
        assert (1, 2) == (error.expected, error.actual)
        assert ("customer.changed", {"number": 3, "actual": 2, "expected": 1}) == (
            error.code,
            dict(error.params),
        )
        assert (
            "Customer 3 was changed by someone else: it is at version 2, not 1. Reload it "
            "and try again."
        ) == str(error)
        assert (
            "Klientu Nr. 3 kāds cits ir mainījis: tā versija ir 2, nevis 1. Ielādējiet to no "
            "jauna un mēģiniet vēlreiz."
        ) == error.message_in("lv")

    def test_records(self, store):
        invoice = sample_records(sample_customer())[0]
        key = invoice.key
        with store.transaction() as tx:
            tx.put_record(invoice, expected_version=None)
        put = in_transaction(store, lambda tx: tx.put_record(invoice, expected_version=None))
        error = refused(AlreadyExists, put)
        assert ("record.exists", {"record": "invoice", "key": key}) == (
            error.code,
            dict(error.params),
        )
        assert f"A invoice with the key {key} is already stored." == str(error)
        assert f"Ieraksts „rēķins” ar atslēgu {key} jau ir saglabāts." == error.message_in("lv")
        newer = attrs.evolve(invoice, version=2)
        with store.transaction() as tx:
            tx.put_record(newer, expected_version=1)
        stale = in_transaction(store, lambda tx: tx.put_record(newer, expected_version=1))
        error = refused(ConcurrencyConflict, stale)
        assert "record.changed" == error.code
        assert (
            f"The invoice {key} was changed by someone else: it is at version 2, not 1."
        ) == str(error)
        assert (
            f"Ierakstu „rēķins” {key} kāds cits ir mainījis: tā versija ir 2, nevis 1."
        ) == error.message_in("lv")
        assert (
            f"Der Datensatz „Rechnung“ {key} wurde von jemand anderem geändert: er ist in "
            "Version 2, nicht 1."
        ) == error.message_in("de")
        error = refused(NotFound, lambda: store.record(HistoryEntry, "nope"))
        assert ("record.not_found", {"record": "history", "key": "nope"}) == (
            error.code,
            dict(error.params),
        )
        assert "No history has the key nope." == str(error)
        assert "Nav ieraksta „izmaiņu vēsture” ar atslēgu nope." == error.message_in("lv")

    def test_a_customer_twice_in_a_stored_book(self):
        """A stored book read again that holds an id or a number twice (see _json/_codec.py)."""
        state = StoreState()
        state.add_record(ID, 4, {})
        other = uuid.UUID(int=9)
        error = refused(AlreadyExists, lambda: state.add_record(other, 4, {}))
        assert ("customer.twice", {"id": str(other), "number": 4}) == (
            error.code,
            dict(error.params),
        )
        error = refused(AlreadyExists, lambda: state.add_record(ID, 5, {}))
        assert ("customer.twice", {"id": str(ID), "number": 5}) == (
            error.code,
            dict(error.params),
        )
        assert f"The customer id {ID} or number 5 appears twice." == str(error)
        assert f"Klienta identifikators {ID} vai numurs 5 atkārtojas." == error.message_in("lv")


class TestTheDatabasesOwnRefusal:
    def test_sqlite_integrity_error(self):
        def clash():
            with translated("/data/book.db"):
                raise sqlite3.IntegrityError("UNIQUE constraint failed: customer.number")

        error = refused(AlreadyExists, clash)
        assert isinstance(error.__cause__, sqlite3.IntegrityError)
        assert "storage.duplicate" == error.code
        assert (
            "The database /data/book.db already holds that record (UNIQUE constraint failed: "
            "customer.number)."
        ) == str(error)
        assert (
            "Datubāzē /data/book.db šis ieraksts jau ir (UNIQUE constraint failed: "
            "customer.number)."
        ) == error.message_in("lv")

    def test_postgres_unique_violation(self):
        error = pg_errors.translate(errors.UniqueViolation("duplicate  key\n"), "the book 'b'")
        assert isinstance(error, AlreadyExists)
        assert ("storage.duplicate", {"book": "'b'", "reason": "duplicate key"}) == (
            error.code,
            dict(error.params),
        )
        assert "The book 'b' already holds that record (duplicate key)." == str(error)
        assert "Grāmatā 'b' šis ieraksts jau ir (duplicate key)." == error.message_in("lv")
        assert "Das Buch 'b' enthält diesen Datensatz schon (duplicate key)." == (
            error.message_in("de")
        )

    def test_a_postgres_bulk_import_clash(self, postgres):
        with postgres_store(postgres) as store:
            first = sample_customer(number=1)
            with store.transaction() as tx:
                tx.add(first)
            twin = attrs.evolve(first, id=uuid.uuid4())
            with pytest.raises(AlreadyExists) as info, store.transaction() as tx:
                tx.add_many([twin])
            assert ("customer.number_taken", {"number": 1}) == (
                info.value.code,
                dict(info.value.params),
            )
            assert "Klienta numurs 1 jau ir aizņemts." == info.value.message_in("lv")
            again = attrs.evolve(first, number=2)
            with pytest.raises(AlreadyExists) as info, store.transaction() as tx:
                tx.add_many([again])
            assert "customer.id_taken" == info.value.code
            with pytest.raises(AlreadyExists) as info, store.transaction() as tx:
                tx.add_many([sample_customer(number=5), sample_customer(number=5)])
            assert ("customer.number_twice", {"number": 5}) == (
                info.value.code,
                dict(info.value.params),
            )
            assert "Klienta numurs 5 norādīts divreiz." == info.value.message_in("lv")


class TestAHostAppsOwnBackendKeepsWorking:
    """A custom store raising the errors with a sentence alone, as before codes existed."""

    def test_a_bare_not_found(self):
        error = NotFound("Kein Eintrag.")
        assert ("not_found", {}) == (error.code, dict(error.params))
        assert "Kein Eintrag." == str(error) == error.message_in("lv") == error.message_in("en")
        assert isinstance(error, LookupError)

    def test_a_bare_already_exists_and_conflict(self):
        taken = AlreadyExists("Taken.")
        assert ("already_exists", "Taken.") == (taken.code, taken.message_in("lv"))
        assert isinstance(taken, ValueError)
        conflict = ConcurrencyConflict("Changed.", expected=1, actual=None)
        assert ("conflict", "Changed.", 1, None) == (
            conflict.code,
            conflict.message_in("de"),
            conflict.expected,
            conflict.actual,
        )

    def test_a_custom_store_raising_bare_errors_through_the_book(self, clock):
        class Forgetful(InMemoryStore):
            def get(self, customer_id):
                raise NotFound(f"Mein Speicher kennt {customer_id} nicht.")

        book = CustomerBook(store=Forgetful(), clock=clock)
        customer = book.register({"name": "SIA Koks", "address": {"country": "LV"}})
        error = refused(NotFound, lambda: book.store.get(customer.id))
        assert f"Mein Speicher kennt {customer.id} nicht." == error.message_in("lv")
        assert customer == book.get(customer.id)

    def test_pickled_and_copied_with_code_params_and_versions(self):
        conflict = ConcurrencyConflict.coded(
            "record.changed",
            {"record": "payment", "key": "k1", "actual": 3, "expected": 2},
            expected=2,
            actual=3,
        )
        pickled = pickle.loads(pickle.dumps(conflict))  # noqa: S301 - our own bytes
        for again in (pickled, copy.copy(conflict)):
            assert type(again) is ConcurrencyConflict
            assert (str(conflict), conflict.code, dict(conflict.params)) == (
                str(again),
                again.code,
                dict(again.params),
            )
            assert (2, 3) == (again.expected, again.actual)
            assert "Ierakstu „maksājums” k1 kāds cits ir mainījis: tā versija ir 3, nevis 2." == (
                again.message_in("lv")
            )
        bare = pickle.loads(pickle.dumps(NotFound("Gone.")))  # noqa: S301 - our own bytes
        assert ("not_found", "Gone.") == (bare.code, str(bare))

    def test_an_unknown_code_says_the_english_sentence(self):
        error = NotFound("Gone.", code="host.gone", params={"id": 1})
        assert "Gone." == error.message_in("lv")
        with pytest.raises(LookupError):
            NotFound.coded("host.gone")

    def test_a_sentence_in_the_books_language_is_said_in_english_when_asked(self):
        error = NotFound.coded("customer.no_number", {"number": "9"}, locale="lv")
        assert "Nevienam klientam nav numura 9." == str(error)
        assert "No customer has the number 9." == error.message_in("en")


class TestErasingACustomerWithNoNumberOnRecord:
    def test_in_latvian(self):
        subject = _privacy._Subject(ID, None, (ID,))
        error = refused(NotFound, lambda: _privacy._number(subject, [], []))
        assert ("customer.erase_no_number", {"id": str(ID)}) == (error.code, dict(error.params))
        assert f"The customer {ID} cannot be erased: its number is not on record." == str(error)
        assert f"Klienta {ID} datus nevar dzēst: nav zināms tā numurs." == error.message_in("lv")


def test_every_error_of_ours_says_itself_in_a_language():
    """An error with no code says the sentence it was made with; a locale must be text."""
    from debitor_core import CustomerInUse, DuplicateCustomer

    in_use = CustomerInUse("Klientam 3 ir rēķini.")
    duplicate = DuplicateCustomer("Customer 4 looks like customer 2.", ())
    assert ["Klientam 3 ir rēķini.", "Customer 4 looks like customer 2."] == [
        in_use.message_in("de"),
        duplicate.message_in("lv"),
    ]
    with pytest.raises(TypeError):
        in_use.message_in(None)
