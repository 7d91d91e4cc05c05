"""The in-memory index of a book's records: invoices, payments, deliveries, reminder logs.

History entries are not kept here: the read model reads them from the store.

Not thread-safe on its own: `InMemoryReadModel` holds its lock around every use.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Sequence

from debitor_core._history import Forward
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
from debitor_core.book._accounts import AccountLine, AccountSummary, DueReminder, Totals

__all__ = ["Ledger"]

_ZERO = decimal.Decimal(0)


class Ledger:
    """Indexes of the records of one book, built from the store and kept in step."""

    def __init__(self, records: Iterable[Record] = ()) -> None:
        """Index ``records``."""
        self.invoices: dict[uuid.UUID, Invoice] = {}
        self.by_customer: dict[uuid.UUID, list[uuid.UUID]] = {}
        self.payments: dict[uuid.UUID, list[Payment]] = {}
        self.deliveries: dict[uuid.UUID, Delivery] = {}
        self.reminders: set[str] = set()
        self.forwards: dict[uuid.UUID, uuid.UUID] = {}
        self.forwarded_numbers: dict[int, uuid.UUID] = {}
        self.last_invoice_number = 0
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
        elif isinstance(record, ReminderLog):
            self.reminders.add(record.key)
        elif isinstance(record, Forward):
            self.forwards[record.customer_id] = record.to
            self.forwarded_numbers[record.number] = record.to
        # History entries stay in the store (the read model reads them when asked).
        # a RegistrationLog is read from the store when a key comes again, not indexed

    def invoices_of(self, customer_id: uuid.UUID) -> list[Invoice]:
        """A customer's invoices, in the order issued or moved to it."""
        return [self.invoices[i] for i in self.by_customer.get(customer_id, ())]

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
        invoices = self.invoices_of(customer_id)
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

    def pending(self, due_by: dt.datetime | None) -> list[Delivery]:
        """Deliveries not yet sent (those whose next attempt is due by ``due_by``, if given)."""
        return [
            d
            for d in self.deliveries.values()
            if d.state is DeliveryState.PENDING
            and (due_by is None or d.next_attempt is None or d.next_attempt <= due_by)
        ]
