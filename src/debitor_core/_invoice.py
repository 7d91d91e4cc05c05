"""Invoices, payments and the welcome-invoice outbox: as much as the customer screen needs.

Amounts are `Decimal` throughout, rounded half-up to the currency's minor unit; no float
is ever involved. An issued invoice carries a copy of the customer's details, so later
edits of the customer never change it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from typing import ClassVar

import attrs

from debitor_core._model import EMPTY_ADDRESS, Address, Customer
from debitor_core._reference import CURRENCY_MINOR_UNITS
from debitor_core._terms import PaymentTerms

__all__ = [
    "RECORD_KINDS",
    "BillTo",
    "Branding",
    "Delivery",
    "DeliveryState",
    "Invoice",
    "InvoiceLine",
    "InvoiceState",
    "InvoiceStatus",
    "Payment",
    "Record",
    "ReminderLog",
    "round_money",
]

_ZERO = decimal.Decimal(0)
_HUNDRED = decimal.Decimal(100)


def round_money(amount: decimal.Decimal, currency: str) -> decimal.Decimal:
    """Round ``amount`` half-up to the minor unit of ``currency`` (``EUR``: cents)."""
    places = CURRENCY_MINOR_UNITS.get(currency, 2)
    return amount.quantize(decimal.Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_UP)


@attrs.frozen
class InvoiceLine:
    """One line of an invoice.

    Attributes:
        description: What is invoiced.
        quantity: How many (may have decimals, such as hours).
        unit_price: Price of one, before VAT.
        vat_rate: VAT in percent (``21`` for 21 %).
    """

    description: str
    quantity: decimal.Decimal
    unit_price: decimal.Decimal
    vat_rate: decimal.Decimal = _ZERO

    def net(self, currency: str) -> decimal.Decimal:
        """Quantity times unit price, rounded to the currency."""
        return round_money(self.quantity * self.unit_price, currency)

    def vat(self, currency: str) -> decimal.Decimal:
        """VAT on the rounded net amount, rounded to the currency."""
        return round_money(self.net(currency) * self.vat_rate / _HUNDRED, currency)


@attrs.frozen
class BillTo:
    """The customer's details as they were when the invoice was issued."""

    customer_number: int
    name: str
    contact_person: str | None = None
    address: Address = EMPTY_ADDRESS
    email: str | None = None
    tax_id: str | None = None
    company_id: str | None = None

    @classmethod
    def of(cls, customer: Customer) -> BillTo:
        """Copy the details of ``customer``."""
        return cls(
            customer.number,
            customer.name,
            customer.contact_person,
            customer.address,
            customer.email,
            customer.tax_id.value if customer.tax_id else None,
            customer.company_id,
        )


@attrs.frozen
class Branding:
    """How a welcome invoice looks: the business's name, logo and colour."""

    business_name: str
    logo: str | None = None
    colour: str | None = None


class InvoiceState(enum.Enum):
    """What was done with an invoice; `InvoiceStatus` adds payments and dates."""

    DRAFT = "draft"
    SENT = "sent"
    VOID = "void"


class InvoiceStatus(enum.Enum):
    """The status shown on the customer's profile."""

    DRAFT = "draft"
    SENT = "sent"
    PAID = "paid"
    PARTLY_PAID = "partly_paid"
    OVERDUE = "overdue"
    VOID = "void"


@attrs.frozen
class Invoice:
    """An invoice to a customer.

    Attributes:
        id: Stable identifier.
        number: From the book's invoice sequence (separate from customer numbers).
        customer_id: The customer invoiced.
        bill_to: The customer's details, copied at issue.
        lines: What is invoiced.
        currency: ISO 4217.
        issue_date: When it was issued.
        due_date: From the payment terms.
        payment_terms: The terms used.
        state: Draft, sent or void.
        message: The personal message (a welcome invoice's rendered template).
        branding: The business's look, for welcome invoices.
        welcome: Whether this is the customer's welcome invoice.
        version: Starts at 1; each stored change adds 1.
    """

    KIND: ClassVar[str] = "invoice"

    id: uuid.UUID
    number: int
    customer_id: uuid.UUID
    bill_to: BillTo
    lines: tuple[InvoiceLine, ...]
    currency: str
    issue_date: dt.date
    due_date: dt.date
    payment_terms: PaymentTerms
    state: InvoiceState = InvoiceState.SENT
    message: str | None = None
    branding: Branding | None = None
    welcome: bool = False
    version: int = 1

    @classmethod
    def issue(
        cls,
        customer: Customer,
        *,
        number: int,
        lines: tuple[InvoiceLine, ...],
        currency: str,
        issue_date: dt.date,
        terms: PaymentTerms,
        state: InvoiceState = InvoiceState.SENT,
    ) -> Invoice:
        """A new invoice to ``customer``, with a copy of its details and the due date."""
        return cls(
            id=uuid.uuid4(),
            number=number,
            customer_id=customer.id,
            bill_to=BillTo.of(customer),
            lines=lines,
            currency=currency,
            issue_date=issue_date,
            due_date=terms.due_date(issue_date),
            payment_terms=terms,
            state=state,
        )

    @property
    def key(self) -> str:
        """The record key in a store."""
        return str(self.id)

    @property
    def net(self) -> decimal.Decimal:
        """Sum of the rounded line nets."""
        return sum((line.net(self.currency) for line in self.lines), _ZERO)

    @property
    def vat(self) -> decimal.Decimal:
        """Sum of the rounded line VAT amounts."""
        return sum((line.vat(self.currency) for line in self.lines), _ZERO)

    @property
    def total(self) -> decimal.Decimal:
        """Net plus VAT."""
        return self.net + self.vat

    def status(self, *, paid: decimal.Decimal, as_of: dt.date) -> InvoiceStatus:
        """The status given the amount paid so far and the day it is looked at."""
        if self.state is InvoiceState.VOID:
            return InvoiceStatus.VOID
        if self.state is InvoiceState.DRAFT:
            return InvoiceStatus.DRAFT
        if paid >= self.total:
            return InvoiceStatus.PAID
        if as_of > self.due_date:
            return InvoiceStatus.OVERDUE
        return InvoiceStatus.PARTLY_PAID if paid > 0 else InvoiceStatus.SENT


@attrs.frozen
class Payment:
    """A payment of (part of) an invoice.

    Attributes:
        id: Stable identifier.
        invoice_id: The invoice paid.
        amount: Positive, in the invoice's currency, rounded to its minor unit.
        currency: The invoice's currency.
        date: When it was paid.
    """

    KIND: ClassVar[str] = "payment"

    id: uuid.UUID
    invoice_id: uuid.UUID
    amount: decimal.Decimal
    currency: str
    date: dt.date
    version: int = 1

    @property
    def key(self) -> str:
        """The record key in a store."""
        return str(self.id)


class DeliveryState(enum.Enum):
    """Where a welcome invoice is on its way to the customer."""

    PENDING = "pending"
    SENT = "sent"


@attrs.frozen
class Delivery:
    """An outbox entry: a welcome invoice to hand to the host's sender.

    There is at most one per customer: its key is the customer's id, and it doubles as
    the idempotency key the sender sees.

    Attributes:
        customer_id: The new customer.
        invoice_id: The welcome invoice.
        state: Pending or sent.
        attempts: Failed attempts so far.
        next_attempt: When the next attempt is due (UTC).
        last_error: What the sender said the last time it failed.
        sent_at: When the sender accepted it.
    """

    KIND: ClassVar[str] = "delivery"

    customer_id: uuid.UUID
    invoice_id: uuid.UUID
    state: DeliveryState = DeliveryState.PENDING
    attempts: int = 0
    next_attempt: dt.datetime | None = None
    last_error: str | None = None
    sent_at: dt.datetime | None = None
    version: int = 1

    @property
    def key(self) -> str:
        """The record key in a store (one delivery per customer)."""
        return str(self.customer_id)

    @property
    def idempotency_key(self) -> str:
        """What the sender can use to recognise a repeated hand-over."""
        return f"welcome-invoice-{self.customer_id}"


@attrs.frozen
class ReminderLog:
    """A record that one reminder of one invoice was sent."""

    KIND: ClassVar[str] = "reminder"

    invoice_id: uuid.UUID
    offset_days: int
    sent_at: dt.datetime
    version: int = 1

    @property
    def key(self) -> str:
        """The record key: one per invoice and schedule step."""
        return self.key_for(self.invoice_id, self.offset_days)

    @staticmethod
    def key_for(invoice_id: uuid.UUID, offset_days: int) -> str:
        """The key of the log of reminder ``offset_days`` of an invoice."""
        return f"{invoice_id}:{offset_days}"


Record = Invoice | Payment | Delivery | ReminderLog
"""The records a store keeps beside customers, categories and custom fields."""

RECORD_KINDS: dict[str, type[Record]] = {
    cls.KIND: cls for cls in (Invoice, Payment, Delivery, ReminderLog)
}
"""Each record class by its ``KIND`` (``invoice``, ``payment``, ``delivery``, ``reminder``)."""
