"""Welcome invoices, invoices, payments and the account summary in a book."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FakeClock
from debitor_core import (
    AlreadyExists,
    Branding,
    CustomerBook,
    CustomerInUse,
    DebitorError,
    DeliveryState,
    InvoiceLine,
    InvoiceState,
    InvoiceStatus,
    LineTemplate,
    Totals,
    ValidationError,
    WelcomeInvoicePolicy,
    WelcomeSender,
)
from debitor_core.storage import InMemoryStore, JsonFileStore

POLICY = WelcomeInvoicePolicy(
    Branding("Koks"),
    message_template="Welcome, {customer.greeting_name}!",
    lines=(LineTemplate("Welcome"), LineTemplate("Setup fee", "10.00", vat_rate="21")),
    reminders=(-3, 0, 7),
)


class Outbox:
    """A sender that keeps what it was given, and fails while told to."""

    def __init__(self, failures=0):
        self.sent = []
        self.failures = failures

    def send(self, invoice, *, idempotency_key):
        if self.failures:
            self.failures -= 1
            raise ConnectionError("mail server down")
        self.sent.append((invoice.number, idempotency_key))


@pytest.fixture
def outbox():
    return Outbox()


@pytest.fixture
def welcoming(clock, outbox):
    return CustomerBook(clock=clock, welcome=POLICY, sender=outbox)


def person(name="Anna Ozola", email="anna@example.com", *, consent=True):
    form = {"kind": "person", "name": name, "email": email, "address": {"country": "LV"}}
    return {**form, "consent": {"email": True}} if consent else form


class TestWelcomeInvoices:
    def test_registration_creates_exactly_one(self, welcoming):
        """A new customer gets one welcome invoice and one pending delivery, stored together."""
        anna = welcoming.register(person())
        (invoice,) = welcoming.invoices(anna.id)
        assert (1, True, InvoiceState.DRAFT, "Welcome, Anna!") == (
            invoice.number,
            invoice.welcome,
            invoice.state,
            invoice.message,
        )
        assert (Decimal("12.10"), "Anna Ozola") == (invoice.total, invoice.bill_to.name)
        (delivery,) = welcoming.pending_deliveries()
        assert (anna.id, invoice.id) == (delivery.customer_id, delivery.invoice_id)
        assert 1 == welcoming.store.revision()  # customer, invoice and delivery: one commit

    def test_preview_shows_it_and_stores_nothing(self, welcoming):
        """The review shows the welcome invoice registration would create."""
        review = welcoming.preview(person())
        assert "Welcome, Anna!" == review.welcome_invoice.message
        assert [] == welcoming.invoices()

    def test_failed_registration_leaves_no_invoice(self, welcoming):
        """If registration fails, there is neither customer nor invoice."""
        with pytest.raises(ValidationError):
            welcoming.register({"name": "X", "email": "bad", "address": {"country": "LV"}})
        assert ([], []) == (welcoming.invoices(), welcoming.pending_deliveries())

    def test_conditions_apply(self, clock):
        """Only customers the policy covers get one."""
        book = CustomerBook(
            clock=clock, welcome=WelcomeInvoicePolicy(Branding("Koks"), countries={"DE"})
        )
        book.register(person())
        assert [] == book.invoices()

    def test_never_a_second_one(self, welcoming):
        """Not on re-import (a likely duplicate), restore or a batch with the same customer."""
        anna = welcoming.register(person())
        welcoming.archive(anna.id)
        welcoming.restore(anna.id)
        again = welcoming.register(person(name="Anna  Ozola", email="ANNA@example.com"))
        assert again.id != anna.id
        assert 1 == len(welcoming.invoices())
        ben = welcoming.register_many(
            [person("Ben Ozols", "ben@example.com"), person("Cara Ozola", "cara@example.com")]
        )
        assert [1, 2, 3] == [i.number for i in welcoming.invoices()]
        assert 2 == len(ben)

    def test_delivery_success(self, welcoming, outbox):
        """A delivered invoice is marked sent, and so is its outbox entry."""
        anna = welcoming.register(person())
        (delivery,) = welcoming.deliver_pending()
        assert DeliveryState.SENT == delivery.state
        assert [(1, f"welcome-invoice-{anna.id}")] == outbox.sent
        assert InvoiceState.SENT == welcoming.invoices(anna.id)[0].state
        assert [] == welcoming.deliver_pending()
        assert [] == welcoming.pending_deliveries()

    def test_no_consent_no_delivery(self, welcoming, outbox):
        """Without email consent the invoice is kept and the delivery marked not sent."""
        anna = welcoming.register(person(consent=False))
        ben = welcoming.register(person("Ben Ozols", "ben@example.com"))
        welcoming.record_consent(ben.id, "email", given=False, source="phone call")
        withheld = welcoming.deliver_pending()
        assert [
            (anna.id, DeliveryState.NOT_SENT, "not sent: no consent", 3),  # claimed, settled
            (ben.id, DeliveryState.NOT_SENT, "not sent: no consent", 3),
        ] == [(d.customer_id, d.state, d.last_error, d.version) for d in withheld]
        assert ([], [], [], 2) == (
            outbox.sent,
            welcoming.deliver_pending(),
            welcoming.pending_deliveries(),
            len(welcoming.invoices()),
        )
        assert {InvoiceState.DRAFT} == {i.state for i in welcoming.invoices()}

    def test_delivery_failure_is_retried_later(self, clock):
        """A failing sender is recorded with the error and retried after a backoff."""
        outbox = Outbox(failures=2)
        book = CustomerBook(clock=clock, welcome=POLICY, sender=outbox)
        book.register(person())
        now = clock.now + dt.timedelta(seconds=1)
        (failed,) = book.deliver_pending(now=now)
        assert (1, "ConnectionError: mail server down", now + dt.timedelta(minutes=1)) == (
            failed.attempts,
            failed.last_error,
            failed.next_attempt,
        )
        assert [] == book.deliver_pending(now=now + dt.timedelta(seconds=30))
        (again,) = book.deliver_pending(now=now + dt.timedelta(minutes=2))
        assert (2, now + dt.timedelta(minutes=7)) == (again.attempts, again.next_attempt)
        (sent,) = book.deliver_pending(now=now + dt.timedelta(minutes=8))
        assert DeliveryState.SENT == sent.state
        assert 1 == len(outbox.sent)

    def test_crash_between_sending_and_marking(self, welcoming, outbox, clock):
        """If the process dies after the sender accepted, the same key is handed over again.

        Not before the dead worker's claim (its lease) runs out.
        """
        anna = welcoming.register(person())

        class DiesAfterAccepting:
            def send(self, invoice, *, idempotency_key):
                outbox.send(invoice, idempotency_key=idempotency_key)
                raise SystemExit("killed")

        welcoming.sender = DiesAfterAccepting()
        with pytest.raises(SystemExit):
            welcoming.deliver_pending(now=clock.now)
        welcoming.sender = outbox
        assert [] == welcoming.deliver_pending(now=clock.now + dt.timedelta(minutes=4))
        welcoming.deliver_pending(now=clock.now + dt.timedelta(minutes=6))
        key = f"welcome-invoice-{anna.id}"
        assert [(1, key), (1, key)] == outbox.sent
        assert 1 == len(welcoming.invoices())

    def test_no_sender(self, clock):
        """Delivering without a sender is a clear error."""
        book = CustomerBook(clock=clock, welcome=POLICY)
        book.register(person())
        with pytest.raises(DebitorError, match="no sender"):
            book.deliver_pending()
        assert isinstance(Outbox(), WelcomeSender)

    def test_outbox_survives_a_reopen(self, tmp_path, clock, outbox):
        """The welcome invoice and its delivery are stored with the customer, durably."""
        path = tmp_path / "book.json"
        CustomerBook(JsonFileStore(path), clock=clock, welcome=POLICY).register(person())
        reopened = CustomerBook(JsonFileStore(path), clock=clock, welcome=POLICY, sender=outbox)
        assert 1 == len(reopened.deliver_pending())
        assert 1 == len(outbox.sent)

    @settings(max_examples=30)
    @given(
        st.lists(st.integers(0, 3), min_size=1, max_size=5), st.lists(st.booleans(), max_size=12)
    )
    def test_idempotent_under_retries(self, failures, schedule):
        """Whatever fails and whenever delivery runs, each customer has one welcome invoice."""
        outbox = Outbox()
        book = CustomerBook(InMemoryStore(), clock=FakeClock(), welcome=POLICY, sender=outbox)
        now = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
        for index, count in enumerate(failures):
            book.register(person(f"Person {index}", f"p{index}@example.com"))
            outbox.failures = count
            for run in schedule:
                now += dt.timedelta(hours=13 if run else 0)
                book.deliver_pending(now=now)
        for _ in range(8):
            now += dt.timedelta(hours=13)
            book.deliver_pending(now=now)
        welcome = [i for i in book.invoices() if i.welcome]
        assert len(failures) == len(welcome) == len({i.customer_id for i in welcome})
        assert {number for number, _ in outbox.sent} == {i.number for i in welcome}


class TestReminders:
    def test_schedule_skips_paid_and_remembers_sent(self, welcoming):
        """Reminders fall due by the schedule, skip paid invoices, and are sent once."""
        anna = welcoming.register(person())
        ben = welcoming.register(person("Ben Ozols", "ben@example.com"))
        welcoming.deliver_pending()
        first, second = welcoming.invoices()
        due = first.due_date
        assert [] == welcoming.due_reminders(due - dt.timedelta(days=4))
        reminders = welcoming.due_reminders(due)
        assert [(1, -3), (1, 0), (2, -3), (2, 0)] == sorted(
            (r.invoice.number, r.offset_days) for r in reminders
        )
        welcoming.record_payment(second.id, second.total, date=due)
        welcoming.mark_reminder_sent(first.id, -3)
        with pytest.raises(AlreadyExists):
            welcoming.mark_reminder_sent(first.id, -3)
        later = welcoming.due_reminders(due + dt.timedelta(days=7))
        assert [(anna.number, 0), (anna.number, 7)] == [
            (r.invoice.bill_to.customer_number, r.offset_days) for r in later
        ]
        assert ben.number not in {r.invoice.bill_to.customer_number for r in later}


class TestInvoicesAndPayments:
    def test_issued_invoice_keeps_the_customer_as_it_was(self, book):
        """Later edits of the customer never change an issued invoice."""
        koks = book.register(
            {"name": "SIA Koks", "address": {"country": "LV"}, "payment_terms": "net 30"}
        )
        invoice = book.issue_invoice(
            koks.id,
            [InvoiceLine("Chairs", Decimal(4), Decimal("25.00"), Decimal(21))],
            issue_date=dt.date(2026, 11, 1),
        )
        book.update(koks.id, {"name": "SIA Koks un Meži"}, expected_version=1)
        stored = book.invoice(invoice.id)
        assert ("SIA Koks", dt.date(2026, 12, 1), Decimal("121.00")) == (
            stored.bill_to.name,
            stored.due_date,
            stored.total,
        )

    def test_payments(self, book):
        """Payments are refused when over the amount left, in another currency, or too precise."""
        koks = book.register({"name": "SIA Koks", "address": {"country": "LV"}})
        invoice = book.issue_invoice(koks.id, [InvoiceLine("Table", Decimal(1), Decimal(100))])
        book.record_payment(invoice.id, "60.00", date=dt.date(2026, 12, 1))
        cases = [
            ("10", "USD", "payment.currency"),
            ("10.001", None, "amount.precision"),
            ("-5", None, "amount.range"),
        ]
        for amount, currency, code in cases:
            with pytest.raises(ValidationError) as info:
                book.record_payment(
                    invoice.id, amount, date=dt.date(2026, 12, 2), currency=currency
                )
            assert code in [p.code for p in info.value.problems]
        with pytest.raises(ValidationError) as info:
            book.record_payment(invoice.id, "50", date=dt.date(2026, 12, 2))
        assert (
            "amount: The payment of 50 EUR is more than the 40.00 EUR left to pay on invoice 1."
            == str(info.value)
        )
        book.record_payment(invoice.id, Decimal("40.00"), date=dt.date(2026, 12, 2), currency="eur")
        assert InvoiceStatus.PAID == book.account(koks.id).lines[0].status

    def test_void(self, book):
        """A voided invoice takes no payments; one with payments cannot be voided."""
        koks = book.register({"name": "SIA Koks", "address": {"country": "LV"}})
        first = book.issue_invoice(koks.id, [InvoiceLine("A", Decimal(1), Decimal(10))])
        second = book.issue_invoice(koks.id, [InvoiceLine("B", Decimal(1), Decimal(10))])
        assert InvoiceState.VOID == book.void_invoice(first.id).state
        with pytest.raises(ValidationError, match="void"):
            book.record_payment(first.id, "1", date=dt.date(2026, 12, 1))
        book.record_payment(second.id, "1", date=dt.date(2026, 12, 1))
        with pytest.raises(ValidationError, match="has payments"):
            book.void_invoice(second.id)

    def test_bad_lines(self, book):
        """An invoice needs valid lines."""
        koks = book.register({"name": "SIA Koks", "address": {"country": "LV"}})
        bad = [
            [],
            ["not a line"],
            [InvoiceLine("", Decimal(1), Decimal(1))],
            [InvoiceLine("X", Decimal(1), Decimal(1), Decimal(150))],
        ]
        for lines in bad:
            with pytest.raises(ValidationError):
                book.issue_invoice(koks.id, lines)

    def test_account_summary(self, book):
        """Invoiced, paid, outstanding and overdue, by currency, with the invoices behind them."""
        koks = book.register({"name": "SIA Koks", "address": {"country": "LV"}, "categories": []})
        old = book.issue_invoice(
            koks.id, [InvoiceLine("A", Decimal(1), Decimal(100))], issue_date=dt.date(2026, 10, 1)
        )
        book.issue_invoice(
            koks.id, [InvoiceLine("B", Decimal(1), Decimal(50))], issue_date=dt.date(2026, 11, 20)
        )
        book.issue_invoice(
            koks.id,
            [InvoiceLine("C", Decimal(1), Decimal(30))],
            currency="USD",
            issue_date=dt.date(2026, 11, 20),
        )
        book.record_payment(old.id, "30", date=dt.date(2026, 10, 5))
        summary = book.account(koks.id, as_of=dt.date(2026, 11, 26))
        assert {
            "EUR": Totals(Decimal(150), Decimal(30), Decimal(120), Decimal(70)),
            "USD": Totals(Decimal(30), Decimal(0), Decimal(30), Decimal(0)),
        } == dict(summary.totals)
        assert [InvoiceStatus.OVERDUE, InvoiceStatus.SENT, InvoiceStatus.SENT] == [
            line.status for line in summary.lines
        ]
        assert 1 == len(summary.payments)

    def test_category_totals(self, book):
        """The category report sums accounts per category, sub-categories included."""
        book.create_category("Wholesalers")
        book.create_category("Food", parent="Wholesalers")
        koks = book.register(
            {"name": "SIA Koks", "address": {"country": "LV"}, "categories": ["Food"]}
        )
        book.issue_invoice(koks.id, [InvoiceLine("A", Decimal(2), Decimal("9.99"))])
        report = {c.name: sums for c, sums in book.category_totals()}
        assert (
            Decimal("19.98")
            == report["Wholesalers"]["EUR"].invoiced
            == report["Food"]["EUR"].outstanding
        )

    def test_customer_with_invoices_cannot_be_deleted(self, book):
        """Invoices keep their customer: delete is refused with advice to archive."""
        koks = book.register({"name": "SIA Koks", "address": {"country": "LV"}})
        book.issue_invoice(koks.id, [InvoiceLine("A", Decimal(1), Decimal(1))])
        with pytest.raises(CustomerInUse, match=r"has 1 invoice\. Archive"):
            book.delete(koks.id)
