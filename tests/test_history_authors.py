"""Who wrote what: ``author=`` on every writing method, and where each write is recorded."""

import datetime as dt
import uuid
from decimal import Decimal

import attrs
import pytest

from debitor_core import (
    Branding,
    CustomerBook,
    DeliveryState,
    HistoryAction,
    InvoiceLine,
    ValidationError,
    WelcomeInvoicePolicy,
)
from debitor_core._history import field_values, replay, without_private
from debitor_core._integrity import structural_problems
from debitor_core.storage import JsonFileStore, SqliteStore
from test_book_invoices import Outbox

KOKS = {"name": "SIA Koks", "address": {"country": "LV"}, "email": "a@koks.lv"}
LINE = InvoiceLine("Table", Decimal(1), Decimal(100))
POLICY = WelcomeInvoicePolicy(Branding("Koks"), reminders=(0,))


def about(book, customer_id):
    """The history entries about invoices: (action, author, invoice id)."""
    return [
        (e.action, e.author, e.invoice) for e in book.history(customer_id) if e.invoice is not None
    ]


class TestInvoicesInTheCustomersHistory:
    def test_issue_void_pay_remind(self, book):
        """Each write about an invoice is an entry in its customer's history, by its author."""
        koks = book.register(KOKS, author="anna")
        first = book.issue_invoice(koks.id, [LINE], author="juris")
        second = book.issue_invoice(koks.id, [LINE], author="juris")
        book.void_invoice(first.id, author="ilze")
        book.record_payment(second.id, 10, date=dt.date(2026, 1, 5), author="ilze")
        book.mark_reminder_sent(second.id, 7, author="bot")
        assert [
            (HistoryAction.INVOICE_ISSUED, "juris", first.id),
            (HistoryAction.INVOICE_ISSUED, "juris", second.id),
            (HistoryAction.INVOICE_VOIDED, "ilze", first.id),
            (HistoryAction.PAYMENT_RECORDED, "ilze", second.id),
            (HistoryAction.REMINDER_SENT, "bot", second.id),
        ] == about(book, koks.id)

    def test_no_author_is_none(self, book):
        """Without author= the entry says nobody, as for customer writes."""
        koks = book.register(KOKS)
        invoice = book.issue_invoice(koks.id, [LINE])
        assert [(HistoryAction.INVOICE_ISSUED, None, invoice.id)] == about(book, koks.id)

    def test_replay_ignores_invoice_entries(self, book):
        """Invoice entries change no field: replay still gives the customer's values."""
        koks = book.register(KOKS)
        invoice = book.issue_invoice(koks.id, [LINE])
        book.void_invoice(invoice.id)
        entries = book.history(koks.id)
        assert [{}, {}] == [e.changes for e in entries[1:]]
        assert without_private(field_values(book.get(koks.id)), ()) == replay(entries)

    def test_refused_write_records_nothing(self, book):
        """A payment refused (overpaid) leaves no entry."""
        koks = book.register(KOKS)
        invoice = book.issue_invoice(koks.id, [LINE])
        with pytest.raises(ValidationError):
            book.record_payment(invoice.id, 1000, date=dt.date(2026, 1, 5), author="x")
        assert 2 == len(book.history(koks.id))

    def test_merged_customers_invoice(self, book):
        """A write about an invoice moved by a merge goes to the kept customer's history."""
        keep = book.register(KOKS)
        duplicate = book.register({**KOKS, "name": "Koks"})
        invoice = book.issue_invoice(duplicate.id, [LINE])
        book.merge(keep.id, duplicate.id)
        book.void_invoice(invoice.id, author="ilze")
        assert (HistoryAction.INVOICE_VOIDED, "ilze", invoice.id) == about(book, keep.id)[-1]


class TestWelcomeInvoices:
    def test_registration_and_delivery(self, clock):
        """The welcome invoice is issued with the registration; its delivery is recorded."""
        outbox = Outbox()
        book = CustomerBook(clock=clock, welcome=POLICY, sender=outbox)
        anna = book.register({**KOKS, "consent": {"email": True}}, author="anna")
        (invoice,) = book.invoices(anna.id)
        book.deliver_pending(now=clock.now + dt.timedelta(seconds=1), author="worker-1")
        assert [
            (HistoryAction.REGISTERED, "anna", None),
            (HistoryAction.INVOICE_ISSUED, "anna", invoice.id),
            (HistoryAction.INVOICE_SENT, "worker-1", invoice.id),
        ] == [(e.action, e.author, e.invoice) for e in book.history(anna.id)]

    def test_failed_attempt_is_not_history(self, clock):
        """A failed attempt stays on the delivery; the send that works is recorded."""
        book = CustomerBook(clock=clock, welcome=POLICY, sender=Outbox(failures=1))
        anna = book.register({**KOKS, "consent": {"email": True}})
        now = clock.now + dt.timedelta(seconds=1)
        book.deliver_pending(now=now, author="w")
        assert [HistoryAction.REGISTERED, HistoryAction.INVOICE_ISSUED] == [
            e.action for e in book.history(anna.id)
        ]
        (sent,) = book.deliver_pending(now=now + dt.timedelta(minutes=2), author="w")
        assert (DeliveryState.SENT, HistoryAction.INVOICE_SENT) == (
            sent.state,
            book.history(anna.id)[-1].action,
        )

    def test_withheld_for_want_of_consent(self, clock):
        """A delivery withheld (no consent) is recorded as not sent."""
        book = CustomerBook(clock=clock, welcome=POLICY, sender=Outbox())
        anna = book.register(KOKS)
        book.deliver_pending(now=clock.now + dt.timedelta(seconds=1), author="w")
        assert (HistoryAction.INVOICE_NOT_SENT, "w") == (
            book.history(anna.id)[-1].action,
            book.history(anna.id)[-1].author,
        )


class TestFieldConversions:
    def test_author_on_each_converted_customer(self, book):
        """change_field records each converted value by its author; unchanged ones get none."""
        book.define_field("size", "Size", "text")
        a = book.register({**KOKS, "custom_fields": {"size": "42"}})
        b = book.register({**KOKS, "name": "B"})
        book.change_field("size", type="integer", author="ilze")
        assert (HistoryAction.CHANGED, "ilze", {"custom_fields.size": ("42", 42)}) == (
            book.history(a.id)[-1].action,
            book.history(a.id)[-1].author,
            book.history(a.id)[-1].changes,
        )
        assert 1 == len(book.history(b.id))

    def test_becoming_personal_data_keeps_no_value(self, book):
        """A conversion in the commit that makes the field personal data records no values."""
        book.define_field("size", "Size", "text")
        a = book.register({**KOKS, "custom_fields": {"size": "42"}})
        book.change_field("size", type="integer", personal_data=True, author="ilze")
        entry = book.history(a.id)[-1]
        assert ({"custom_fields.size": None}, []) == (
            entry.changes,
            structural_problems(entry),
        )

    def test_author_is_not_a_definition_attribute(self, book):
        """author= is taken by change_field, never stored on the definition."""
        book.define_field("size", "Size", "text")
        changed = book.change_field("size", label="Shoe size", author="ilze")
        assert ("Shoe size", False) == (changed.label, hasattr(changed, "author"))


def writers(book):
    """Every method that takes author=, each given it through ``author``."""
    book.define_field("size", "Size", "text")
    book.define_field("old", "Old", "text", active=False)
    book.create_category("Retail")
    book.create_category("Wholesale")
    koks = book.register({**KOKS, "custom_fields": {"size": "1"}})
    other = book.register({**KOKS, "name": "Other"})
    invoice = book.issue_invoice(other.id, [LINE])
    return {
        "register": lambda a: book.register(KOKS, author=a),
        "register_many": lambda a: book.register_many([KOKS], author=a),
        "update": lambda a: book.update(
            koks.id, {"email": "b@koks.lv"}, expected_version=1, author=a
        ),
        "add_note": lambda a: book.add_note(koks.id, "x", author=a),
        "attach": lambda a: book.attach(
            koks.id, file_name="a", media_type="text/plain", size=1, sha256="0" * 64, author=a
        ),
        "record_consent": lambda a: book.record_consent(koks.id, "email", given=True, author=a),
        "archive": lambda a: book.archive(koks.id, author=a),
        "restore": lambda a: book.restore(koks.id, author=a),
        "categorise": lambda a: book.categorise(koks.id, add="Retail", author=a),
        "merge": lambda a: book.merge(koks.id, other.id, author=a),
        "delete": lambda a: book.delete(koks.id, author=a),
        "erase": lambda a: book.erase(koks.id, reason="asked", author=a),
        "delete_category": lambda a: book.delete_category("Retail", detach=True, author=a),
        "change_field": lambda a: book.change_field("size", type="integer", author=a),
        "create_category": lambda a: book.create_category("Food", author=a),
        "rename_category": lambda a: book.rename_category("Retail", "Shops", author=a),
        "move_category": lambda a: book.move_category("Retail", "Wholesale", author=a),
        "define_field": lambda a: book.define_field("tier", "Tier", author=a),
        "deactivate_field": lambda a: book.deactivate_field("size", author=a),
        "activate_field": lambda a: book.activate_field("old", author=a),
        "import_data": lambda a: book.import_data({"customers": [KOKS]}, author=a),
        "issue_invoice": lambda a: book.issue_invoice(koks.id, [LINE], author=a),
        "void_invoice": lambda a: book.void_invoice(invoice.id, author=a),
        "record_payment": lambda a: book.record_payment(
            invoice.id, 1, date=dt.date(2026, 1, 1), author=a
        ),
        "mark_reminder_sent": lambda a: book.mark_reminder_sent(invoice.id, 1, author=a),
        "deliver_pending": lambda a: book.deliver_pending(author=a),
    }


WRITERS = sorted(writers(CustomerBook(clock=lambda: dt.datetime(2026, 1, 1, tzinfo=dt.UTC))))


class TestBadAuthors:
    """An author that a stored entry could not hold is refused before anything is written."""

    @pytest.mark.parametrize("method", WRITERS)
    @pytest.mark.parametrize(
        ("author", "code"),
        [
            ("x" * 201, "author.too_long"),
            ("an\x00na", "author.control_character"),
            ("an\u202ena", "author.direction_control"),
            ("   ", "author.empty"),
        ],
    )
    def test_refused(self, clock, method, author, code):
        """Each writer refuses the author with a ValidationError; the store is unchanged."""
        book = CustomerBook(clock=clock, sender=Outbox())
        write = writers(book)[method]
        before = book.export(include_private=True)
        with pytest.raises(ValidationError) as caught:
            write(author)
        assert [("author", code)] == [(p.path, p.code) for p in caught.value.problems]
        assert before == book.export(include_private=True)

    @pytest.mark.parametrize("method", WRITERS)
    def test_not_text(self, clock, method):
        """An author that is not text is a TypeError naming the method."""
        book = CustomerBook(clock=clock, sender=Outbox())
        with pytest.raises(TypeError, match=method):
            writers(book)[method](42)

    def test_normalised(self, book):
        """An author is kept as normalised text, on the entry and on the note alike."""
        koks = book.register(KOKS)
        noted = book.add_note(koks.id, "hi", author="  Anna   Ozola ")
        assert ("Anna Ozola", "Anna Ozola") == (
            noted.notes[-1].author,
            book.history(koks.id)[-1].author,
        )


@pytest.mark.parametrize("kind", ["json", "sqlite"])
def test_invoice_entries_survive_reopen(kind, tmp_path, clock):
    """Durable stores keep the entries' invoice ids and authors."""
    path = tmp_path / f"book.{kind}"
    opener = {"json": JsonFileStore, "sqlite": SqliteStore}[kind]
    with opener(path) as store:
        book = CustomerBook(store, clock=clock)
        koks = book.register(KOKS)
        invoice = book.issue_invoice(koks.id, [LINE], author="juris")
    with opener(path) as store:
        book = CustomerBook(store, clock=clock)
        assert [(HistoryAction.INVOICE_ISSUED, "juris", invoice.id)] == about(book, koks.id)


def test_damaged_invoice_id(book):
    """An entry whose invoice is not a UUID is reported as damaged."""
    koks = book.register(KOKS)
    entry = attrs.evolve(book.history(koks.id)[0], invoice="nope")
    assert ["invoice"] == [p.path for p in structural_problems(entry)]
    assert [] == structural_problems(attrs.evolve(entry, invoice=uuid.uuid4()))


def test_key_follows_the_id(book):
    """An entry's key (worked out once) is its id's text, also for an entry evolved."""
    koks = book.register(KOKS)
    entry = book.history(koks.id)[0]
    other = uuid.uuid4()
    assert (str(entry.id), str(other)) == (entry.key, attrs.evolve(entry, id=other).key)
    assert entry == attrs.evolve(entry)  # the cached key takes no part in equality
