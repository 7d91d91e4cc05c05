"""Invoices, payments and welcome invoices: the book's billing side, as a mixin.

`CustomerBook` inherits these methods; they share its lock, ledger, clock and write
path, declared below for the type checker.
"""

from __future__ import annotations

import datetime as dt
import decimal
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from debitor_core import _rules
from debitor_core._category import Category, descendants
from debitor_core._errors import DebitorError, NotFound, Problem, ValidationError
from debitor_core._index import CustomerIndex
from debitor_core._invoice import (
    Delivery,
    DeliveryState,
    Invoice,
    InvoiceLine,
    InvoiceState,
    Payment,
    Record,
    ReminderLog,
    round_money,
)
from debitor_core._ledger import AccountSummary, DueReminder, Ledger, Totals, WelcomeSender, backoff
from debitor_core._model import Customer
from debitor_core._terms import PaymentTerms
from debitor_core._util import Change, merge_unique, read_decimal, run_rule
from debitor_core._welcome import WelcomeInvoicePolicy

if TYPE_CHECKING:
    from debitor_core._book import DuplicateMatch

__all__ = ["BillingMixin"]


class BillingMixin:
    """The invoice, payment and welcome-invoice methods of `CustomerBook`."""

    _lock: threading.RLock
    _ledger: Ledger
    _index: CustomerIndex
    _categories: dict[uuid.UUID, Category]
    _clock: Callable[[], dt.datetime]
    welcome: WelcomeInvoicePolicy | None
    sender: WelcomeSender | None

    if TYPE_CHECKING:

        def get(self, customer_id: uuid.UUID | str) -> Customer: ...

        def categories(self) -> list[Category]: ...

        def _sync(self) -> int: ...

        def _write(
            self, work: Callable[[Any], Iterable[Change]], *, definitions: bool = False
        ) -> list[Change]: ...

    def _gets_welcome(self, customer: Customer, duplicates: Iterable[DuplicateMatch]) -> bool:
        """Whether the policy gives ``customer`` a welcome invoice now.

        Never twice: not when the customer (or a stored customer it looks like, as on a
        re-import) already has one.
        """
        if self.welcome is None or not self.welcome.applies_to(customer):
            return False
        has = self._ledger.has_welcome
        return not has(customer.id) and not any(has(m.customer.id) for m in duplicates)

    def _create_welcome(self, tx: Any, customer: Customer, number: int) -> Iterator[Change]:  # noqa: ANN401
        assert self.welcome is not None  # noqa: S101 - checked by _gets_welcome
        invoice = self.welcome.invoice_for(
            customer, number=number, issue_date=customer.created.date()
        )
        delivery = Delivery(customer.id, invoice.id, next_attempt=customer.created)
        tx.put_record(invoice, expected_version=None)
        tx.put_record(delivery, expected_version=None)
        yield None, invoice
        yield None, delivery

    # -- invoices, payments, welcome invoices -----------------------------------------

    def _invoice_references(self, customer: Customer) -> str | None:
        count = len(self._ledger.by_customer.get(customer.id, ()))
        return f"has {count} invoice(s)" if count else None

    def invoice(self, invoice_id: uuid.UUID) -> Invoice:
        """Return an invoice by id.

        Raises:
            NotFound: no invoice has the id.
        """
        self._sync()
        try:
            return self._ledger.invoices[invoice_id]
        except KeyError:
            msg = f"No invoice has the id {invoice_id}."
            raise NotFound(msg) from None

    def invoices(self, customer_id: uuid.UUID | str | None = None) -> list[Invoice]:
        """Every invoice, or a customer's, by number."""
        self._sync()
        if customer_id is None:
            found = list(self._ledger.invoices.values())
        else:
            ids = self._ledger.by_customer.get(self.get(customer_id).id, [])
            found = [self._ledger.invoices[i] for i in ids]
        return sorted(found, key=lambda i: i.number)

    def issue_invoice(
        self,
        customer_id: uuid.UUID | str,
        lines: Iterable[InvoiceLine],
        *,
        issue_date: dt.date | None = None,
        currency: str | None = None,
        payment_terms: PaymentTerms | None = None,
    ) -> Invoice:
        """Issue an invoice to a customer, with a copy of the customer's details.

        Args:
            customer_id: The customer.
            lines: What is invoiced.
            issue_date: Default: today (by the book's clock).
            currency: Default: the customer's, else EUR.
            payment_terms: Default: the customer's, else net 14 days.

        Raises:
            ValidationError: no lines, or a line that is not valid.
            NotFound: no such customer.
        """
        with self._lock:
            customer = self.get(customer_id)
            chosen = run_rule(
                "currency", _rules.validate_currency, currency or customer.currency or "EUR"
            )
            items = tuple(lines)
            problems = _line_problems(items)
            if problems:
                raise ValidationError(problems)
            terms = payment_terms or customer.payment_terms or PaymentTerms.net(14)
            day = issue_date or self._clock().date()

            def work(tx: Any) -> Iterator[Change]:  # noqa: ANN401 - a Transaction
                invoice = Invoice.issue(
                    customer,
                    number=self._ledger.last_invoice_number + 1,
                    lines=items,
                    currency=chosen,
                    issue_date=day,
                    terms=terms,
                )
                tx.put_record(invoice, expected_version=None)
                yield None, invoice

            ((_, issued),) = self._write(work)
            assert isinstance(issued, Invoice)  # noqa: S101 - the work yields an invoice
            return issued

    def void_invoice(self, invoice_id: uuid.UUID) -> Invoice:
        """Void an invoice (it stays on record; payments are refused from then on).

        Raises:
            ValidationError: the invoice has payments.
        """
        with self._lock:
            invoice = self.invoice(invoice_id)
            if self._ledger.paid(invoice.id) > 0:
                msg = f"Invoice {invoice.number} has payments; refund them before voiding it."
                raise ValidationError.single("invoice.paid", msg, invoice.number)
            return self._put_invoice(attrs.evolve(invoice, state=InvoiceState.VOID))

    def _put_invoice(self, invoice: Invoice, *extra: Record) -> Invoice:
        """Store ``invoice`` one version higher, with ``extra`` changed records, in one commit."""
        changed = attrs.evolve(invoice, version=invoice.version + 1)
        self._put_records(changed, *extra)
        return changed

    def record_payment(
        self,
        invoice_id: uuid.UUID,
        amount: decimal.Decimal | str | int,
        *,
        date: dt.date,
        currency: str | None = None,
    ) -> Payment:
        """Record a payment of an invoice.

        Raises:
            ValidationError: the amount is not positive, has more decimals than the
                currency allows, is in another currency, or pays more than is left;
                or the invoice is a draft or void.
        """
        with self._lock:
            invoice = self.invoice(invoice_id)
            paid = run_rule("amount", _amount, amount)
            problems: list[Problem] = []
            if currency is not None and currency.upper() != invoice.currency:
                msg = (
                    f"Invoice {invoice.number} is in {invoice.currency}; a payment in "
                    f"{currency} cannot be booked against it."
                )
                problems.append(Problem("currency", "payment.currency", msg, value=currency))
            if paid != round_money(paid, invoice.currency):
                msg = f"{paid} has more decimals than {invoice.currency} allows."
                problems.append(Problem("amount", "payment.precision", msg, value=amount))
            if invoice.state is not InvoiceState.SENT:
                msg = f"Invoice {invoice.number} is {invoice.state.value}; it takes no payments."
                problems.append(Problem("invoice", "payment.state", msg, value=invoice.number))
            left = invoice.total - self._ledger.paid(invoice.id)
            if paid > left:
                msg = (
                    f"The payment of {paid} {invoice.currency} is more than the {left} "
                    f"{invoice.currency} left to pay on invoice {invoice.number}."
                )
                problems.append(Problem("amount", "payment.overpaid", msg, value=amount))
            if problems:
                raise ValidationError(problems)
            payment = Payment(uuid.uuid4(), invoice.id, paid, invoice.currency, date)

            def work(tx: Any) -> Iterator[Change]:  # noqa: ANN401 - a Transaction
                tx.put_record(payment, expected_version=None)
                yield None, payment

            self._write(work)
            return payment

    def account(
        self, customer_id: uuid.UUID | str, *, as_of: dt.date | None = None
    ) -> AccountSummary:
        """The customer's account: invoices, payments, and invoiced, paid, outstanding, overdue.

        Args:
            customer_id: The customer.
            as_of: The day to work out statuses and overdue amounts for (default: today).
        """
        with self._lock:
            customer = self.get(customer_id)
            return self._ledger.account(customer.id, as_of or self._clock().date())

    def category_totals(
        self, *, as_of: dt.date | None = None, archived: bool | None = None
    ) -> list[tuple[Category, dict[str, Totals]]]:
        """The category report's money: totals by currency per category and its sub-categories."""
        with self._lock:
            self._sync()
            day = as_of or self._clock().date()
            report = []
            for category in self.categories():
                numbers = merge_unique(
                    [
                        self._index.by_category.get(c, [])
                        for c in descendants([category.id], self._categories)
                    ]
                )
                sums: dict[str, Totals] = {}
                for number in numbers:
                    customer = self._index.by_number[number]
                    if archived is not None and customer.archived != archived:
                        continue
                    for currency, totals in self._ledger.account(customer.id, day).totals.items():
                        sums[currency] = sums.get(currency, Totals()) + totals
                report.append((category, sums))
            return report

    def pending_deliveries(self) -> list[Delivery]:
        """Welcome invoices not yet accepted by the sender."""
        self._sync()
        return [d for d in self._ledger.deliveries.values() if d.state is DeliveryState.PENDING]

    def deliver_pending(self, *, now: dt.datetime | None = None) -> list[Delivery]:
        """Hand each due welcome invoice to the sender; return the deliveries as updated.

        On success the delivery is marked sent and the invoice becomes sent, in one
        commit. When the sender raises, the attempt is recorded with the error and the
        next one scheduled (1, 5, 15, 60, 240, then every 720 minutes). Delivery is at
        least once: a crash after the sender accepted but before the mark was stored
        hands the same invoice over again next time, with the same idempotency key.

        Raises:
            DebitorError: the book has no sender.
        """
        if self.sender is None:
            msg = "The book has no sender for welcome invoices; pass sender= to CustomerBook."
            raise DebitorError(msg)
        moment = now or self._clock()
        results = []
        with self._lock:
            self._sync()
            due = self._ledger.pending(moment)
        for delivery in due:
            invoice = self._ledger.invoices[delivery.invoice_id]
            try:
                self.sender.send(invoice, idempotency_key=delivery.idempotency_key)
            except Exception as exc:  # noqa: BLE001 - any failure of the host's sender is recorded
                attempts = delivery.attempts + 1
                failed = attrs.evolve(
                    delivery,
                    attempts=attempts,
                    next_attempt=moment + backoff(attempts),
                    last_error=f"{type(exc).__name__}: {exc}"[:500],
                    version=delivery.version + 1,
                )
                self._put_records(failed)
                results.append(failed)
                continue
            sent = attrs.evolve(
                delivery, state=DeliveryState.SENT, sent_at=moment, version=delivery.version + 1
            )
            current = self._ledger.invoices[invoice.id]
            if current.state is InvoiceState.DRAFT:
                self._put_invoice(attrs.evolve(current, state=InvoiceState.SENT), sent)
            else:
                self._put_records(sent)
            results.append(sent)
        return results

    def _put_records(self, *records: Record) -> None:
        """Store changed records, each one version above the stored one, in one commit."""

        def work(tx: Any) -> Iterator[Change]:  # noqa: ANN401 - a Transaction
            for record in records:
                tx.put_record(record, expected_version=record.version - 1)
                yield None, record

        self._write(work)

    def due_reminders(self, today: dt.date) -> list[DueReminder]:
        """Reminders of sent, unpaid welcome invoices that the policy's schedule says are due."""
        with self._lock:
            self._sync()
            schedule = self.welcome.reminders if self.welcome else ()
            return self._ledger.due_reminders(today, schedule)

    def mark_reminder_sent(self, invoice_id: uuid.UUID, offset_days: int) -> ReminderLog:
        """Record that a reminder was sent, so it is not due again.

        Raises:
            AlreadyExists: it was recorded before.
            NotFound: no such invoice.
        """
        with self._lock:
            invoice = self.invoice(invoice_id)
            log = ReminderLog(invoice.id, offset_days, self._clock())

            def work(tx: Any) -> Iterator[Change]:  # noqa: ANN401 - a Transaction
                tx.put_record(log, expected_version=None)
                yield None, log

            self._write(work)
            return log


def _amount(value: object) -> decimal.Decimal:
    number = read_decimal(value)
    if number is None or number <= 0:
        msg = f"The amount must be a positive number, not {value!r}."
        raise ValidationError.single("amount.invalid", msg, value)
    return number


def _line_problems(lines: Sequence[object]) -> list[Problem]:
    if not lines:
        return [Problem("lines", "lines.empty", "An invoice needs at least one line.")]
    problems = []
    for index, line in enumerate(lines):
        if not isinstance(line, InvoiceLine):
            msg = f"Lines must be InvoiceLine objects, not {line!r}."
            problems.append(Problem(f"lines[{index}]", "line.type", msg))
        elif not line.description.strip() or line.quantity <= 0 or line.unit_price < 0:
            msg = "A line needs a description, a positive quantity and a price of zero or more."
            problems.append(Problem(f"lines[{index}]", "line.invalid", msg, value=line))
        elif not 0 <= line.vat_rate <= 100:  # noqa: PLR2004 - percent
            msg = f"The VAT rate {line.vat_rate} must be between 0 and 100."
            problems.append(Problem(f"lines[{index}]", "line.vat_rate", msg, value=line))
    return problems
