"""The book's view of invoices, payments, deliveries and reminders, and the sums over them."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, runtime_checkable

import attrs

from debitor_core._invoice import (
    Delivery,
    DeliveryState,
    Invoice,
    InvoiceState,
    InvoiceStatus,
    Payment,
    Record,
    ReminderLog,
)

__all__ = [
    "AccountLine",
    "AccountSummary",
    "DueReminder",
    "Ledger",
    "Totals",
    "WelcomeSender",
    "backoff",
]

_ZERO = decimal.Decimal(0)
_BACKOFF_MINUTES = (1, 5, 15, 60, 240, 720)


@runtime_checkable
class WelcomeSender(Protocol):
    """What the host app provides to deliver welcome invoices (by email, post, ...).

    `send` may be called more than once for the same invoice (delivery is at least
    once); ``idempotency_key`` is the same every time, so the sender can drop repeats.
    Raising any exception marks the attempt failed; it is retried later.
    """

    def send(self, invoice: Invoice, *, idempotency_key: str) -> None:
        """Deliver ``invoice`` to its customer."""
        ...


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failure: 1, 5, 15, 60, 240, then 720 min."""
    return dt.timedelta(minutes=_BACKOFF_MINUTES[min(attempts, len(_BACKOFF_MINUTES)) - 1])


@attrs.frozen
class Totals:
    """Money in one currency.

    Attributes:
        invoiced: Sum of issued (sent) invoices.
        paid: Sum of payments on them.
        outstanding: Invoiced minus paid.
        overdue: The outstanding part of invoices past their due date.
    """

    invoiced: decimal.Decimal = _ZERO
    paid: decimal.Decimal = _ZERO
    outstanding: decimal.Decimal = _ZERO
    overdue: decimal.Decimal = _ZERO

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.invoiced + other.invoiced,
            self.paid + other.paid,
            self.outstanding + other.outstanding,
            self.overdue + other.overdue,
        )


@attrs.frozen
class AccountLine:
    """One invoice on a customer's account."""

    invoice: Invoice
    paid: decimal.Decimal
    outstanding: decimal.Decimal
    status: InvoiceStatus


@attrs.frozen
class AccountSummary:
    """What a customer's profile shows: every invoice and payment, and the sums.

    Attributes:
        customer_id: Whose account it is.
        as_of: The day the statuses and overdue amounts are worked out for.
        lines: Every invoice (drafts and voided ones included), oldest first.
        payments: Every payment, oldest first.
        totals: Sums by currency (drafts and voided invoices left out).
    """

    customer_id: uuid.UUID
    as_of: dt.date
    lines: tuple[AccountLine, ...]
    payments: tuple[Payment, ...]
    totals: Mapping[str, Totals]


@attrs.frozen
class DueReminder:
    """A reminder the schedule says is due and that has not been sent."""

    invoice: Invoice
    offset_days: int
    due_on: dt.date
    outstanding: decimal.Decimal


class Ledger:
    """Indexes of the records of one book, rebuilt from the store and kept in step."""

    def __init__(self) -> None:
        """Start empty."""
        self.reset()

    def reset(self) -> None:
        """Forget everything."""
        self.invoices: dict[uuid.UUID, Invoice] = {}
        self.by_customer: dict[uuid.UUID, list[uuid.UUID]] = {}
        self.payments: dict[uuid.UUID, list[Payment]] = {}
        self.deliveries: dict[uuid.UUID, Delivery] = {}
        self.reminders: set[str] = set()
        self.last_invoice_number = 0

    def rebuild(self, records: Iterable[Record]) -> None:
        """Start again from ``records``."""
        self.reset()
        for record in records:
            self.put(record)

    def put(self, record: Record) -> None:
        """Index a new record, or the new version of one."""
        if isinstance(record, Invoice):
            old = self.invoices.get(record.id)
            if old is None or old.customer_id != record.customer_id:
                if old is not None:
                    self.by_customer[old.customer_id].remove(record.id)
                self.by_customer.setdefault(record.customer_id, []).append(record.id)
            self.invoices[record.id] = record
            self.last_invoice_number = max(self.last_invoice_number, record.number)
        elif isinstance(record, Payment):
            self.payments.setdefault(record.invoice_id, []).append(record)
        elif isinstance(record, Delivery):
            self.deliveries[record.customer_id] = record
        else:
            self.reminders.add(record.key)

    def has_welcome(self, customer_id: uuid.UUID) -> bool:
        """Whether the customer has (or, before a merge, had) a welcome invoice."""
        return customer_id in self.deliveries or any(
            self.invoices[i].welcome for i in self.by_customer.get(customer_id, ())
        )

    def paid(self, invoice_id: uuid.UUID) -> decimal.Decimal:
        """Sum of the payments on an invoice."""
        return sum((p.amount for p in self.payments.get(invoice_id, ())), _ZERO)

    def line(self, invoice: Invoice, as_of: dt.date) -> AccountLine:
        """An invoice with what is paid, what is left and its status."""
        paid = self.paid(invoice.id)
        live = invoice.state is InvoiceState.SENT
        outstanding = max(invoice.total - paid, _ZERO) if live else _ZERO
        return AccountLine(invoice, paid, outstanding, invoice.status(paid=paid, as_of=as_of))

    def totals(self, lines: Iterable[AccountLine]) -> dict[str, Totals]:
        """Sums by currency of issued invoices."""
        sums: dict[str, Totals] = {}
        for line in lines:
            invoice = line.invoice
            if invoice.state is not InvoiceState.SENT:
                continue
            overdue = line.outstanding if line.status is InvoiceStatus.OVERDUE else _ZERO
            part = Totals(invoice.total, line.paid, line.outstanding, overdue)
            sums[invoice.currency] = sums.get(invoice.currency, Totals()) + part
        return sums

    def account(self, customer_id: uuid.UUID, as_of: dt.date) -> AccountSummary:
        """The account summary of one customer."""
        invoices = [self.invoices[i] for i in self.by_customer.get(customer_id, [])]
        invoices.sort(key=lambda i: (i.issue_date, i.number))
        lines = tuple(self.line(invoice, as_of) for invoice in invoices)
        payments = sorted(
            (p for i in invoices for p in self.payments.get(i.id, ())),
            key=lambda p: (p.date, str(p.id)),
        )
        return AccountSummary(customer_id, as_of, lines, tuple(payments), self.totals(lines))

    def due_reminders(self, today: dt.date, schedule: Sequence[int]) -> list[DueReminder]:
        """Reminders of sent, unpaid welcome invoices that are due and not yet sent."""
        due = []
        for invoice in self.invoices.values():
            if not invoice.welcome or invoice.state is not InvoiceState.SENT:
                continue
            line = self.line(invoice, today)
            if line.outstanding <= 0:
                continue
            for offset in sorted(schedule):
                when = invoice.due_date + dt.timedelta(days=offset)
                key = ReminderLog.key_for(invoice.id, offset)
                if when <= today and key not in self.reminders:
                    due.append(DueReminder(invoice, offset, when, line.outstanding))
        due.sort(key=lambda r: (r.due_on, r.invoice.number))
        return due

    def pending(self, now: dt.datetime) -> list[Delivery]:
        """Deliveries whose next attempt is due."""
        return [
            d
            for d in self.deliveries.values()
            if d.state is DeliveryState.PENDING
            and (d.next_attempt is None or d.next_attempt <= now)
        ]
