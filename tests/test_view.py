"""`CustomerBook.view`: the book's reads, with private data kept back when asked."""

import datetime as dt
import inspect
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from debitor_core import BookView, CustomerBook, InvoiceLine, NotFound

# The book's methods that write, or hand out what a view must not: none is on a view.
WRITING = {
    "register",
    "register_many",
    "import_data",
    "update",
    "add_note",
    "attach",
    "record_consent",
    "archive",
    "restore",
    "categorise",
    "merge",
    "add_reference_check",
    "delete",
    "create_category",
    "rename_category",
    "move_category",
    "delete_category",
    "define_field",
    "change_field",
    "deactivate_field",
    "activate_field",
    "issue_invoice",
    "void_invoice",
    "record_payment",
    "deliver_pending",
    "mark_reminder_sent",
    "erase",
    "erase_invoice_copies",
}
# Reads left off a view on purpose: the raw store, the settings, registration's
# previews and forms (the duplicates they show are whole customers), and exports
# (which carry personal-data fields, and a person's whole data), and the change feed
# for copies of the book (its change sets carry whole customers).
NOT_VIEWED = {
    "store",
    "required",
    "duplicates",
    "welcome",
    "sender",
    "locale",
    "timezone",
    "close",
    "preview",
    "blank_form",
    "export",
    "subject_export",
    "view",
    "revision",
    "store_id",
    "changes_since",
}

KOKS = {"name": "SIA Koks", "address": {"country": "LV"}}


def public(cls):
    return {name for name in dir(cls) if not name.startswith("_")} | (
        {"__len__"} if hasattr(cls, "__len__") else set()
    )


@pytest.fixture
def private_book(clock):
    book = CustomerBook(clock=clock)
    book.define_field("birthday_note", "Birthday note", "text", personal_data=True)
    book.define_field("shoe", "Shoe size", "text")
    book.define_field("age", "Age", "integer", personal_data=True)
    book.register(
        {
            "name": "SIA Koks",
            "address": {"country": "LV"},
            "notes": "pays late zebrafinch",
            "custom_fields": {"birthday_note": "quokka party", "shoe": "42", "age": 40},
        },
        author="owner",
    )
    customer = book.get_by_number(1)
    book.attach(
        customer.id,
        file_name="contract.pdf",
        media_type="application/pdf",
        size=10,
        sha256="0" * 64,
    )
    return book


class TestShape:
    def test_no_writing_method(self):
        """A view has none of the book's writing methods (nor any other way to write)."""
        assert set() == public(BookView) & WRITING

    def test_every_read(self):
        """Every read of the book is on a view, except those left off on purpose."""
        expected = public(CustomerBook) - WRITING - NOT_VIEWED
        assert expected == public(BookView) - {"private"}

    def test_same_signatures(self):
        """Each read takes the same arguments as the book's."""
        differing = {
            name
            for name in public(BookView) - {"private"}
            if inspect.signature(getattr(BookView, name))
            != inspect.signature(getattr(CustomerBook, name))
        }
        assert set() == differing

    def test_no_way_to_the_book(self, book):
        """A view keeps no attribute a caller could reach the book or store through."""
        view = book.view()
        assert not hasattr(view, "__dict__")
        assert not hasattr(view, "store")

    def test_repr(self, book):
        """The repr says what the view shows."""
        assert ("<BookView without private data>", "<BookView with private data>") == (
            repr(book.view()),
            repr(book.view(private=True)),
        )


class TestRedaction:
    def test_get(self, private_book):
        """A customer comes back without notes, attachments and personal-data fields."""
        customer = private_book.view().get_by_number(1)
        assert ((), (), {"shoe": "42"}) == (
            customer.notes,
            customer.attachments,
            dict(customer.custom_fields),
        )
        assert customer == private_book.view().get(customer.id)

    def test_with_the_grant(self, private_book):
        """With ``private=True`` a view reads the customer whole."""
        assert private_book.get_by_number(1) == private_book.view(private=True).get_by_number(1)

    def test_search_does_not_match_private_text(self, private_book):
        """Words of notes and personal-data text fields find nothing through a view."""
        view = private_book.view()
        assert ([], [], [1]) == (
            [c.number for c in view.search("zebrafinch")],
            [c.number for c in view.search("quokka")],
            [c.number for c in view.search("koks")],
        )
        assert (1, 1) == (
            len(private_book.search("zebrafinch")),
            len(private_book.view(private=True).search("quokka")),
        )

    def test_search_results_are_redacted(self, private_book):
        """Listed customers carry no private data either; totals are the book's."""
        page = private_book.view().customers()
        assert ((), (), {"shoe": "42"}, 1) == (
            page[0].notes,
            page[0].attachments,
            dict(page[0].custom_fields),
            page.total,
        )

    def test_filters_on_private_fields_are_unknown(self, private_book):
        """Filtering by a personal-data field is refused: an answer would tell its value."""
        view = private_book.view()
        with pytest.raises(NotFound, match=r"There is no custom field 'age'\."):
            view.search(custom_fields={"age": 40})
        with pytest.raises(NotFound, match=r"There is no custom field 'age'\."):
            view.field("age")
        assert [1] == [
            c.number for c in private_book.view(private=True).search(custom_fields={"age": 40})
        ]

    def test_fields(self, private_book):
        """A view lists only the fields it shows."""
        assert (["shoe"], "Shoe size") == (
            [f.key for f in private_book.view().fields()],
            private_book.view().field("shoe").label,
        )
        assert 3 == len(private_book.view(private=True).fields())

    def test_customer_without_private_data_is_returned_as_is(self, book):
        """Nothing private: the very object stored."""
        book.register(KOKS)
        assert book.get_by_number(1) is book.view().get_by_number(1)

    @given(
        notes=st.lists(st.text(alphabet="abcdefghij", min_size=5, max_size=12), max_size=3),
        secret=st.text(alphabet="klmnopqrst", min_size=5, max_size=12),
    )
    def test_no_private_value_leaks(self, notes, secret):
        """Whatever the private values, no read of a view holds or finds them."""
        book = CustomerBook(clock=lambda: dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        book.define_field("diary", "Diary", "text", personal_data=True)
        customer = book.register({**KOKS, "custom_fields": {"diary": secret}})
        for note in notes:
            book.add_note(customer.id, note)
        view = book.view()
        shown = [view.get(customer.id), *view.customers(), *view.search(archived=None)]
        assert all(c.notes == () and "diary" not in c.custom_fields for c in shown)
        assert [] == [c for word in [*notes, secret] for c in view.search(word)]


class TestReads:
    def test_invoices_and_accounts(self, private_book):
        """Invoices and the account read through a view as through the book."""
        customer = private_book.get_by_number(1)
        invoice = private_book.issue_invoice(
            customer.id, [InvoiceLine("Work", 1, 10)], issue_date=dt.date(2026, 1, 1)
        )
        view = private_book.view()
        day = dt.date(2026, 2, 1)
        assert (
            invoice,
            [invoice],
            [invoice],
            private_book.account(customer.id, as_of=day),
            private_book.category_totals(as_of=day),
        ) == (
            view.invoice(invoice.id),
            view.invoices(),
            view.invoices(customer.id),
            view.account(customer.id, as_of=day),
            view.category_totals(as_of=day),
        )

    def test_categories_and_counts(self, private_book):
        """Categories and their report read through a view as through the book."""
        category = private_book.create_category("Retail")
        private_book.categorise(private_book.get_by_number(1).id, add=[category])
        view = private_book.view()
        assert (
            [category],
            category,
            private_book.category_counts(),
            1,
        ) == (view.categories(), view.category("retail"), view.category_counts(), len(view))

    def test_outbox(self, private_book):
        """The outbox reads through a view as through the book."""
        view = private_book.view()
        assert ([], []) == (view.pending_deliveries(), view.due_reminders(dt.date(2026, 1, 1)))

    def test_not_found(self, book):
        """A view's lookups fail as the book's do."""
        with pytest.raises(NotFound):
            book.view().get(uuid.uuid4())
        with pytest.raises(NotFound):
            book.view().get_by_number(7)

    def test_sees_later_writes(self, book):
        """A view is live: it reads what the book wrote after it was made."""
        view = book.view()
        book.register(KOKS)
        assert 1 == len(view)
        assert view.private is False
