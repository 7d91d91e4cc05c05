"""The junk sweep over the book: every public method of `CustomerBook`, hostile values.

Whatever a caller passes, the book answers with an exception of our tree, or a
`TypeError` whose message is a sentence; nothing else escapes (AttributeError,
RecursionError, OverflowError, decimal.InvalidOperation...), and what was stored
stays readable.
"""

import datetime as dt
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FakeClock
from debitor_core import Branding, CustomerBook, InvoiceLine, WelcomeInvoicePolicy
from debitor_core.storage import InMemoryStore
from test_junk import JUNK, answers_ours

SWEEP = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Sent:
    def send(self, invoice, *, idempotency_key):
        """Accept everything."""


def make_book():
    """A book with a customer, a category, a field and an invoice, over a fresh store."""
    book = CustomerBook(
        InMemoryStore(),
        clock=FakeClock(),
        welcome=WelcomeInvoicePolicy(Branding("SIA Koks"), reminders=(0, 7)),
        sender=Sent(),
    )
    book.create_category("VIP")
    book.define_field("tier", "Tier")
    anna = book.register({"name": "Anna Ozola", "address": {"country": "LV"}})
    invoice = book.issue_invoice(anna.id, [InvoiceLine("x", 1, 10)])
    return book, anna, invoice


def calls(book, anna, invoice, junk):  # noqa: PLR0915 - one line per public method
    """One call per public method and argument, each given ``junk`` in one place."""
    some = anna.id
    yield lambda: book.register(junk)
    yield lambda: book.register({"name": junk, "address": {"country": "LV"}})
    yield lambda: book.register({"name": "A B", "address": {"country": "LV"}}, number=junk)
    yield lambda: book.register({"name": "A B", "address": {"country": "LV"}}, author=junk)
    yield lambda: book.register({"name": "A B", "address": {"country": "LV"}}, idempotency_key=junk)
    yield lambda: book.register_many(junk)
    yield lambda: book.register_many([junk, junk])
    yield lambda: book.register_many([{"name": "A B", "address": {"country": "LV"}}], numbers=junk)
    yield lambda: book.preview(junk)
    yield lambda: book.preview({"name": "A B"}, number=junk)
    yield lambda: book.preview({"name": "A B"}, locale=junk)
    yield lambda: book.get(junk)
    yield lambda: book.get_by_number(junk)
    yield lambda: book.search(junk)
    for name in (
        "category", "match", "subcategories", "country", "city", "custom_fields",
        "archived", "sort", "descending", "offset", "limit",
    ):  # fmt: skip
        yield lambda name=name: book.search(**{name: junk})
    yield lambda: book.customers(archived=junk)
    yield lambda: book.update(junk, {}, expected_version=1)
    yield lambda: book.update(some, junk, expected_version=book.get(some).version)
    yield lambda: book.update(some, {"city": "Rīga"}, expected_version=junk)
    yield lambda: book.update(some, {"email": junk}, expected_version=book.get(some).version)
    yield lambda: book.add_note(some, junk)
    yield lambda: book.add_note(some, "a note", author=junk)
    yield lambda: book.add_note(some, "a note", expected_version=junk)
    reference = {"file_name": "a.pdf", "media_type": "application/pdf", "size": 1}
    for name in ("file_name", "media_type", "size", "sha256"):
        yield lambda name=name: book.attach(some, **{**reference, "sha256": "a" * 64, name: junk})
    yield lambda: book.record_consent(some, junk, given=True)
    yield lambda: book.record_consent(some, "email", given=junk)
    yield lambda: book.record_consent(some, "email", given=True, source=junk)
    yield lambda: book.archive(junk)
    yield lambda: book.archive(some, expected_version=junk)
    yield lambda: book.restore(some, expected_version=junk)
    yield lambda: book.categorise(some, add=junk)
    yield lambda: book.categorise(some, remove=junk)
    yield lambda: book.merge(some, junk)
    yield lambda: book.delete(junk)
    yield lambda: book.category(junk)
    yield lambda: book.create_category(junk)
    yield lambda: book.create_category("New", parent=junk)
    yield lambda: book.rename_category(junk, "Other")
    yield lambda: book.rename_category("VIP", junk)
    yield lambda: book.move_category("VIP", junk)
    yield lambda: book.delete_category(junk)
    yield lambda: book.category_counts(archived=junk)
    yield lambda: book.field(junk)
    yield lambda: book.define_field(junk, "Label")
    yield lambda: book.define_field("key", junk)
    yield lambda: book.define_field("key", "Label", junk)
    yield lambda: book.define_field("key", "Label", max_length=junk)
    yield lambda: book.change_field("tier", label=junk)
    yield lambda: book.change_field(junk, label="Tier")
    yield lambda: book.invoice(junk)
    yield lambda: book.invoices(junk)
    yield lambda: book.issue_invoice(junk, [InvoiceLine("x", 1, 1)])
    yield lambda: book.issue_invoice(some, junk)
    yield lambda: book.issue_invoice(some, [junk])
    yield lambda: book.issue_invoice(some, [InvoiceLine("x", 1, 1)], issue_date=junk)
    yield lambda: book.issue_invoice(some, [InvoiceLine("x", 1, 1)], currency=junk)
    yield lambda: book.issue_invoice(some, [InvoiceLine("x", 1, 1)], payment_terms=junk)
    yield lambda: book.void_invoice(junk)
    yield lambda: book.record_payment(junk, "1", date=dt.date(2026, 1, 1))
    yield lambda: book.record_payment(invoice.id, junk, date=dt.date(2026, 1, 1))
    yield lambda: book.record_payment(invoice.id, "1", date=junk)
    yield lambda: book.record_payment(invoice.id, "1", date=dt.date(2026, 1, 1), currency=junk)
    yield lambda: book.account(junk)
    yield lambda: book.account(some, as_of=junk)
    yield lambda: book.category_totals(as_of=junk)
    yield lambda: book.category_totals(archived=junk)
    yield lambda: book.deliver_pending(now=junk)
    yield lambda: book.deliver_pending(lease=junk)
    yield lambda: book.due_reminders(junk)
    yield lambda: book.mark_reminder_sent(junk, 0)
    yield lambda: book.mark_reminder_sent(invoice.id, junk)
    yield book.blank_form
    yield lambda: book.export(include_private=junk)


CONSTRUCTOR = [
    "store", "required", "duplicates", "defaults", "clock", "welcome", "sender",
    "locale", "timezone",
]  # fmt: skip


class TestBookJunk:
    @SWEEP
    @given(junk=JUNK)
    def test_every_method(self, junk):
        """Every public method, junk in every argument: our error or a TypeError sentence."""
        book, anna, invoice = make_book()
        for call in calls(book, anna, invoice, junk):
            answers_ours(call)
        reopened = CustomerBook(book.store, clock=FakeClock())
        assert len(book) == len(reopened)
        for customer in reopened.customers(archived=None):
            reopened.account(customer.id, as_of=dt.date(2026, 1, 1))
        reopened.category_totals(as_of=dt.date(2026, 1, 1))
        reopened.due_reminders(dt.date(2026, 12, 31))

    @SWEEP
    @given(name=st.sampled_from(CONSTRUCTOR), junk=JUNK)
    def test_the_constructor(self, name, junk):
        """CustomerBook(**{name: junk}) answers with our error or a TypeError sentence."""
        arguments = {"clock": FakeClock(), name: junk}
        book = answers_ours(lambda: CustomerBook(**arguments))
        if book is not None and name != "clock":
            answers_ours(lambda: book.register({"name": "A B", "address": {"country": "LV"}}))

    @pytest.mark.parametrize("value", [uuid.uuid4(), str(uuid.uuid4()), "not an id", 5, None])
    def test_lookups_of_what_is_not_there(self, value):
        """Looking up ids that do not exist (or are not ids) is NotFound or a TypeError."""
        book, _, _ = make_book()
        answers_ours(lambda: book.get(value))
        answers_ours(lambda: book.invoice(value))
