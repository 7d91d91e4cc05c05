"""What a customer's account shows: the values the billing queries return."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Mapping

import attrs

from debitor_core._invoice import Invoice, InvoiceStatus, Payment
from debitor_core._limits import MONEY_CONTEXT

__all__ = ["AccountLine", "AccountSummary", "DueReminder", "Totals"]

_ZERO = decimal.Decimal(0)


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
        add = MONEY_CONTEXT.add  # exact for every sum of bounded amounts
        return Totals(
            add(self.invoiced, other.invoiced),
            add(self.paid, other.paid),
            add(self.outstanding, other.outstanding),
            add(self.overdue, other.overdue),
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
