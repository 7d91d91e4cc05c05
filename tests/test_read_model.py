"""The customer read model: its protocol's queries, answered by the in-memory implementation."""

import datetime as dt
import uuid
from decimal import Decimal

import attrs
import pytest

from debitor_core import Address, Category, Customer, CustomerBook, InvoiceLine, NotFound
from debitor_core._text import duplicate_keys
from debitor_core.book._in_memory import InMemoryReadModel
from debitor_core.book._read_model import (
    EVERYONE,
    CustomerQuery,
    CustomerReadModel,
    find,
    find_by_number,
    find_invoice,
    in_categories,
)
from debitor_core.book._types import Definitions
from debitor_core.storage import InMemoryStore

WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def customer(number, name="Koks", **values):
    return Customer(id=uuid.uuid4(), number=number, name=name, created=WHEN, updated=WHEN, **values)


@attrs.frozen
class Changed:
    """What a change feed hands over: the shape `Changes` asks for, in tuples."""

    customers: tuple = ()
    deleted: tuple = ()
    records: tuple = ()
    categories: bool = False
    custom_fields: bool = False


def model_with(*customers):
    model = InMemoryReadModel()
    model.apply(Changed(customers), Definitions())
    return model


class TestProtocol:
    def test_the_in_memory_model_implements_it(self):
        """Every query of the protocol is there, with the protocol's parameters."""
        names = [n for n in vars(CustomerReadModel) if not n.startswith("_")]
        assert len(names) > 15
        for name in names:
            assert callable(getattr(InMemoryReadModel, name)), name

    def test_a_book_uses_one(self, clock):
        """A book's parts ask the read model; a reload builds it from the store."""
        store = InMemoryStore()
        CustomerBook(store, clock=clock).register({"name": "Koks", "address": {"country": "LV"}})
        model = InMemoryReadModel()
        model.reload(store, Definitions())
        assert (1, 1, ["Koks"]) == (
            model.count(),
            model.last_number(),
            [c.name for c in model.search(EVERYONE)],
        )


class TestChanges:
    def test_a_change_set_from_elsewhere(self):
        """Changes in tuples (as a store's change feed gives them) are taken in whole."""
        first, second = customer(1), customer(2, name="Meži")
        model = model_with(first, second)
        renumbered = attrs.evolve(first, number=5, version=2)
        model.apply(Changed((renumbered,), (second.id,), custom_fields=True), Definitions())
        assert (renumbered, None, None, 1, 5) == (
            model.get_by_number(5),
            model.get_by_number(1),
            model.get(second.id),
            model.count(),
            model.last_number(),
        )
        assert [5] == [c.number for c in model.search(CustomerQuery(text="koks"))]


class TestCustomerQueries:
    def test_count_with_and_without_a_query(self):
        """count() counts everyone; count(query) what matches."""
        model = model_with(customer(1), customer(2, archived=True), customer(3, name="Meži"))
        assert (3, 2, 1, 1) == (
            model.count(),
            model.count(CustomerQuery()),
            model.count(CustomerQuery(text="mezi")),
            model.count(CustomerQuery(archived=True)),
        )

    def test_the_total_is_counted_when_asked(self):
        """A page's total is worked out when first asked for, on the state then."""
        first = customer(1)
        model = model_with(first, customer(2))
        page = model.search(EVERYONE, limit=1)
        model.apply(Changed(deleted=(first.id,)), Definitions())
        assert ([1], 1) == ([c.number for c in page], page.total)

    def test_filters(self):
        """Country, folded city, custom-field values and presence of a field."""
        model = model_with(
            customer(1, address=_address("Rīga", "LV"), custom_fields={"tier": "Gold"}),
            customer(2, address=_address("Berlin", "DE"), custom_fields={"tags": ("a", "b")}),
            customer(3),
        )

        def numbers(**filters):
            return [c.number for c in model.search(CustomerQuery(**filters))]

        assert [2] == numbers(country="DE")
        assert [1] == numbers(city="RIGA")
        assert [1] == numbers(custom_fields=(("tier", "gold"),))
        assert [2] == numbers(custom_fields=(("tags", ("b",)),))
        assert [1, 2] == numbers(with_field="tier") + numbers(with_field="tags")

    def test_duplicates_with_evidence(self):
        """Matches come by number, each with what it shares in the order of the keys."""
        koks = customer(1, email="info@koks.lv", address=_address("Rīga", "LV"))
        other = customer(2, name="Koks", address=_address("Riga", "LV"))
        model = model_with(koks, other, customer(3, name="Meži"))
        probe = customer(0, email="INFO@koks.lv", address=_address("riga", "LV"))
        matches = model.duplicates(duplicate_keys(probe))
        assert [(1, ("email", "name_city")), (2, ("name_city",))] == [
            (m.customer.number, m.evidence) for m in matches
        ]

    def test_lookups_of_what_is_not_there(self):
        """Unknown ids, numbers and unhashable numbers are None, and NotFound from find."""
        model = model_with(customer(1))
        assert (None, None) == (model.get_by_number(2), model.get_by_number([1]))
        with pytest.raises(NotFound, match="No customer has the number"):
            find_by_number(model, [1])
        with pytest.raises(NotFound, match="No customer has the id nope"):
            find(model, "nope")
        with pytest.raises(NotFound, match="No invoice has the id nope"):
            find_invoice(model, "nope")

    def test_in_categories(self):
        """A category's query includes its sub-categories unless told not to."""
        top = Category(uuid.uuid4(), "Wholesalers")
        sub = Category(uuid.uuid4(), "Food", top.id)
        definitions = Definitions([top, sub])
        assert (frozenset({top.id, sub.id}),) == in_categories(definitions, top).categories
        assert (frozenset({top.id}),) == in_categories(
            definitions, top, subcategories=False
        ).categories


class TestRecordQueries:
    def test_accounts_and_deliveries(self, clock):
        """Invoices, payments, totals and pending deliveries, as the book's parts ask."""
        book = CustomerBook(clock=clock)
        anna = book.register({"name": "Anna", "address": {"country": "LV"}})
        invoice = book.issue_invoice(anna.id, [InvoiceLine("Chair", Decimal(1), Decimal(10))])
        book.record_payment(invoice.id, "4", date=dt.date(2026, 11, 27))
        model = book._uow.model
        assert (1, Decimal(4), [invoice.id], False) == (
            model.last_invoice_number(),
            model.paid(invoice.id),
            [i.id for i in model.invoices(anna.id)],
            model.has_welcome(anna.id),
        )
        (totals,) = model.account_totals(EVERYONE, dt.date(2026, 11, 27)).values()
        assert (Decimal(10), Decimal(4)) == (totals.invoiced, totals.paid)
        assert [] == model.pending_deliveries(WHEN)


def test_a_book_that_committed_nothing_still_sees_other_commits(clock):
    """An empty batch does not make a book skip the next commit of another book."""
    store = InMemoryStore()
    first, second = CustomerBook(store, clock=clock), CustomerBook(store, clock=clock)
    assert [] == first.register_many([])
    made = second.register({"name": "Koks", "address": {"country": "LV"}})
    assert made == first.get(made.id)


def test_custom_field_lookups_of_junk(book):
    """Asking for a custom field by an unhashable key is NotFound, not a crash."""
    with pytest.raises(NotFound, match="There is no custom field"):
        book.field(["segment"])


def _address(city, country):
    return Address(city=city, country=country)
