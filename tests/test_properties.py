"""Properties across the library, driven by our own Hypothesis kit."""

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FakeClock
from debitor_core import CustomerBook, rules
from debitor_core import strategies as ds
from debitor_core.storage import InMemoryStore, JsonFileStore, SqliteStore


def memory_store(_folder):
    return InMemoryStore()


def json_store(folder):
    return JsonFileStore(folder / "book.json")


def sqlite_store(folder):
    return SqliteStore(folder / "book.db")


STORES = [memory_store, json_store, sqlite_store]
SLOW = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class TestRegistration:
    @pytest.mark.parametrize("make_store", STORES, ids=lambda f: f.__name__)
    @SLOW
    @given(st.lists(ds.forms(), min_size=1, max_size=4))
    def test_register_then_get_is_equal_for_every_store(self, make_store, forms):
        """What register returns is what get, get_by_number and a reopened store give back."""
        with tempfile.TemporaryDirectory() as folder:
            book = CustomerBook(make_store(Path(folder)), clock=FakeClock())
            stored = [book.register(form) for form in forms]
            for customer in stored:
                assert customer == book.get(customer.id) == book.get_by_number(customer.number)
            if make_store is not memory_store:
                book.store.close()
                again = CustomerBook(make_store(Path(folder)), clock=FakeClock())
                assert stored == list(again.customers())

    @settings(max_examples=50)
    @given(ds.books(max_customers=3), st.one_of(ds.forms(), ds.invalid_forms().map(lambda p: p[0])))
    def test_preview_never_changes_the_store(self, book, form):
        """A preview, of a good or a bad form, leaves the store exactly as it was."""
        before = (book.store.revision(), list(book.customers(archived=None)))
        book.preview(form)
        assert before == (book.store.revision(), list(book.customers(archived=None)))


class TestNormalForms:
    @given(ds.forms())
    def test_normalisation_is_idempotent(self, form):
        """Registering a customer's own stored values again changes nothing."""
        book = CustomerBook(clock=FakeClock())
        customer = book.register(form)
        country = customer.address.country
        if customer.email:
            assert customer.email == rules.validate_email(customer.email)
        if customer.phone:
            assert str(customer.phone) == rules.validate_phone(str(customer.phone), region=country)
        if customer.tax_id:
            assert customer.tax_id == rules.validate_vat(customer.tax_id.value, country=country)
        if customer.address.postal_code:
            assert customer.address.postal_code == rules.validate_postal_code(
                customer.address.postal_code, country=country
            )
        again = book.update(customer.id, {}, expected_version=1)
        assert (customer.name, customer.address, customer.phone) == (
            again.name,
            again.address,
            again.phone,
        )


class TestExportImport:
    @settings(max_examples=30)
    @given(ds.books(max_customers=4))
    def test_export_then_import_is_the_identity(self, book):
        """A book exported with everything and imported into an empty book is the same book."""
        data = book.export(include_private=True)
        copy = CustomerBook(clock=FakeClock())
        copy.import_data(data)
        assert list(book.customers(archived=None)) == list(copy.customers(archived=None))
        assert book.categories() == copy.categories()
        assert book.fields() == copy.fields()
        assert data == copy.export(include_private=True)
