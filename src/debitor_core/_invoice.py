"""Invoices, payments and the welcome-invoice outbox: as much as the customer screen needs.

Amounts are `Decimal` throughout, rounded half-up to the currency's minor unit; no float
is ever involved. An issued invoice carries a copy of the customer's details, so later
edits of the customer never change it.

Numbers are given as a `Decimal`, an `int` or decimal text (``"19.99"``); a `float` is
read by its shortest written form (``0.1`` is ``Decimal("0.1")``, never the binary
expansion). Any other type is a `TypeError`; text that is not a number, NaN and
infinity are a `ValidationError`. The bounds of `debitor_core._limits` are checked by
`line_problems` and `payment_problems` (validation, with a path and a code per
problem), and every sum works in `MONEY_CONTEXT`, so that every amount within the
bounds adds up exactly.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import functools
import uuid
from collections.abc import Iterable, Sequence
from typing import ClassVar, Final

import attrs

from debitor_core import _rules
from debitor_core._errors import Problem, ValidationError
from debitor_core._history import DefinitionChange, Erasure, Forward, HistoryEntry
from debitor_core._limits import (
    MAX_AMOUNT,
    MAX_DIGITS,
    MAX_INVOICE_LINES,
    MAX_QUANTITY,
    MAX_VAT_RATE,
    MONEY_CONTEXT,
)
from debitor_core._model import EMPTY_ADDRESS, Address, Customer
from debitor_core._reference import CURRENCY_MINOR_UNITS
from debitor_core._shown import shown
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
    "RegistrationLog",
    "ReminderLog",
    "line_problems",
    "money_sum",
    "payment_problems",
    "round_money",
    "to_decimal",
]

_ZERO = decimal.Decimal(0)
_HUNDRED = decimal.Decimal(100)
_MAX_NUMBER_TEXT: Final = 100
_QUANTA: Final = {places: decimal.Decimal(1).scaleb(-places) for places in range(4)}


def round_money(amount: decimal.Decimal, currency: str) -> decimal.Decimal:
    """Round ``amount`` half-up to the minor unit of ``currency`` (``EUR``: cents).

    Works in `MONEY_CONTEXT`, so every amount within the bounds rounds without error.
    """
    places = CURRENCY_MINOR_UNITS.get(currency, 2)
    return amount.quantize(_QUANTA[places], rounding=decimal.ROUND_HALF_UP, context=MONEY_CONTEXT)


def money_sum(amounts: Iterable[decimal.Decimal]) -> decimal.Decimal:
    """Add amounts in `MONEY_CONTEXT` (exact for every sum of amounts within the bounds)."""
    return functools.reduce(MONEY_CONTEXT.add, amounts, _ZERO)


def to_decimal(
    value: object, *, what: str = "number", code: str = "number", currency: str | None = None
) -> decimal.Decimal:
    """Read a number given as a `Decimal`, an `int`, a `float` or decimal text.

    A float is read by its shortest written form (``0.1`` gives ``Decimal("0.1")``);
    text may have spaces around it. The value is not checked against any bound (see
    `line_problems` and `payment_problems`).

    Args:
        value: The raw number.
        what: How the number is named in messages ("quantity"); the problem's
            ``subject`` parameter.
        code: The prefix of the problem code (``quantity`` gives ``quantity.invalid``).
        currency: The currency of a price, named in messages ("the price in USD").

    Returns:
        The number, finite.

    Raises:
        TypeError: ``value`` is of another type (``None``, a bool, bytes, a list...).
        ValidationError: ``<code>.invalid``: text that is not a number, NaN or infinity.
    """
    if isinstance(value, decimal.Decimal):
        number = value
    elif isinstance(value, bool) or not isinstance(value, int | float | str):
        msg = (
            f"The {what} must be a number (a Decimal, an int or decimal text such as "
            f"'1.50'), not a value of type {type(value).__name__}."
        )
        raise TypeError(msg)
    elif isinstance(value, int):
        number = decimal.Decimal(value)
    elif isinstance(value, float):
        number = decimal.Decimal(repr(value))
    else:
        number = _decimal_text(value, what, code, currency)
    if not number.is_finite():
        raise _number_problem(code, value, what, currency, number=str(number))
    return number


def _decimal_text(value: str, what: str, code: str, currency: str | None) -> decimal.Decimal:
    text = value.strip()
    if len(text) <= _MAX_NUMBER_TEXT:
        try:
            return decimal.Decimal(text)
        except decimal.InvalidOperation:
            pass
    raise _number_problem(code, value, what, currency)


def _number_problem(
    code: str, value: object, what: str, currency: str | None, **more: object
) -> ValidationError:
    params: dict[str, object] = {"value": shown(value), "subject": what, **more}
    if currency is not None:
        params["currency"] = currency
    return ValidationError.single(f"{code}.invalid", None, value, path=code, params=params)


def _quantity(value: object) -> decimal.Decimal:
    return to_decimal(value, what="quantity", code="quantity")


def _unit_price(value: object) -> decimal.Decimal:
    return to_decimal(value, what="unit price", code="unit_price")


def _vat_rate(value: object) -> decimal.Decimal:
    return to_decimal(value, what="VAT rate", code="vat_rate")


def _amount(value: object) -> decimal.Decimal:
    return to_decimal(value, what="amount", code="amount")


def _text_only(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str):
        msg = f"The {attribute.name} must be text, not a value of type {type(value).__name__}."
        raise TypeError(msg)


@attrs.frozen
class InvoiceLine:
    """One line of an invoice.

    Numbers may be given as a `Decimal`, an `int` or decimal text (``"19.99"``); see
    the module's notes. The bounds are checked by `line_problems`, which the book runs
    before an invoice is issued.

    Attributes:
        description: What is invoiced.
        quantity: How many (may have decimals, such as hours).
        unit_price: Price of one, before VAT.
        vat_rate: VAT in percent (``21`` for 21 %).
    """

    description: str = attrs.field(validator=_text_only)
    quantity: decimal.Decimal = attrs.field(converter=_quantity)
    unit_price: decimal.Decimal = attrs.field(converter=_unit_price)
    vat_rate: decimal.Decimal = attrs.field(default=_ZERO, converter=_vat_rate)

    def net(self, currency: str) -> decimal.Decimal:
        """Quantity times unit price, rounded to the currency."""
        return round_money(MONEY_CONTEXT.multiply(self.quantity, self.unit_price), currency)

    def vat(self, currency: str) -> decimal.Decimal:
        """VAT on the rounded net amount, rounded to the currency."""
        vat = MONEY_CONTEXT.divide(
            MONEY_CONTEXT.multiply(self.net(currency), self.vat_rate), _HUNDRED
        )
        return round_money(vat, currency)


def _digits(number: decimal.Decimal) -> int:
    """The significant digits of ``number``, trailing zeros not counted."""
    return len(number.normalize(MONEY_CONTEXT).as_tuple().digits)


def _number_problems(
    path: str,
    code: str,
    what: str,
    number: decimal.Decimal,
    bounds: tuple[decimal.Decimal, decimal.Decimal],
    *,
    low_included: bool = True,
) -> list[Problem]:
    low, high = bounds
    above = number < low if low_included else number <= low
    if above or number > high:
        limits = {"value": str(number), "min": str(low), "max": str(high), "subject": what}
        return [Problem(path, f"{code}.range", value=number, params=limits)]
    if _digits(number) > MAX_DIGITS:
        params: dict[str, object] = {
            "value": str(number),
            "max_digits": MAX_DIGITS,
            "subject": what,
        }
        return [Problem(path, f"{code}.digits", value=number, params=params)]
    return []


def line_problems(lines: Sequence[object]) -> list[Problem]:
    """Check invoice lines against the bounds; return every problem (empty when sound).

    Each line needs a description (at most 1,000 characters of text, no control or
    direction-changing characters), a quantity above 0 and at most `MAX_QUANTITY`, a
    unit price of 0 up to `MAX_AMOUNT`, a net amount (quantity times price) of at most
    `MAX_AMOUNT` and a VAT rate of 0 to 100; an invoice has 1 to `MAX_INVOICE_LINES`
    lines. Paths are ``lines``, ``lines[2]``, ``lines[2].quantity`` and so on.

    Args:
        lines: The lines (anything that is not an `InvoiceLine` is a problem too).

    Returns:
        The problems, in line order.
    """
    if not lines:
        return [Problem("lines", "lines.empty")]
    if len(lines) > MAX_INVOICE_LINES:
        params = {"count": len(lines), "max_count": MAX_INVOICE_LINES}
        return [Problem("lines", "lines.too_many", value=len(lines), params=params)]
    problems: list[Problem] = []
    for index, line in enumerate(lines):
        problems += _one_line_problems(f"lines[{index}]", line)
    return problems


def _one_line_problems(path: str, line: object) -> list[Problem]:
    if not isinstance(line, InvoiceLine):
        return [Problem(path, "line.type", params={"type": type(line).__name__})]
    problems: list[Problem] = []
    try:
        _rules.text(
            line.description,
            label="description",
            code="description",
            max_length=_rules.LIMITS["line_description"],
        )
    except ValidationError as exc:
        problems += [p.at(f"{path}.description") for p in exc.problems]
    quantity = _number_problems(
        f"{path}.quantity",
        "quantity",
        "quantity",
        line.quantity,
        (_ZERO, MAX_QUANTITY),
        low_included=False,
    )
    price = _number_problems(
        f"{path}.unit_price", "unit_price", "unit price", line.unit_price, (_ZERO, MAX_AMOUNT)
    )
    rate = _number_problems(
        f"{path}.vat_rate", "vat_rate", "VAT rate", line.vat_rate, (_ZERO, MAX_VAT_RATE)
    )
    problems += quantity + price + rate
    if not quantity and not price:
        net = MONEY_CONTEXT.multiply(line.quantity, line.unit_price)
        if net > MAX_AMOUNT:
            params = {"net": str(net), "max": str(MAX_AMOUNT)}
            problems.append(Problem(path, "line.net_range", value=net, params=params))
    return problems


def payment_problems(amount: decimal.Decimal, currency: str) -> list[Problem]:
    """Check a payment amount against the bounds and the currency's minor unit.

    Args:
        amount: The amount paid (see `to_decimal` to read raw input).
        currency: The invoice's currency (ISO 4217).

    Returns:
        ``amount.range`` (not above 0, or above `MAX_AMOUNT`), ``amount.digits`` or
        ``amount.precision`` (more decimals than the currency has); empty when sound.
    """
    problems = _number_problems(
        "amount", "amount", "amount", amount, (_ZERO, MAX_AMOUNT), low_included=False
    )
    if not problems and amount != round_money(amount, currency):
        places = CURRENCY_MINOR_UNITS.get(currency, 2)
        params = {"value": str(amount), "currency": currency, "places": places}
        problems.append(Problem("amount", "amount.precision", value=amount, params=params))
    return problems


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
        return money_sum(line.net(self.currency) for line in self.lines)

    @property
    def vat(self) -> decimal.Decimal:
        """Sum of the rounded line VAT amounts."""
        return money_sum(line.vat(self.currency) for line in self.lines)

    @property
    def total(self) -> decimal.Decimal:
        """Net plus VAT."""
        return MONEY_CONTEXT.add(self.net, self.vat)

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


def _check_date(_instance: object, _attribute: attrs.Attribute[dt.date], day: dt.date) -> None:
    value: object = day
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        msg = (
            f"The payment date must be a datetime.date, not a value of type {type(value).__name__}."
        )
        raise TypeError(msg)


@attrs.frozen
class Payment:
    """A payment of (part of) an invoice.

    The amount is read as `InvoiceLine` reads numbers (a `Decimal`, an `int` or decimal
    text); `payment_problems` checks it against the bounds and the currency.

    Attributes:
        id: Stable identifier.
        invoice_id: The invoice paid.
        amount: Positive, in the invoice's currency, rounded to its minor unit.
        currency: The invoice's currency.
        date: When it was paid.
        version: Starts at 1; each stored change adds 1.
    """

    KIND: ClassVar[str] = "payment"

    id: uuid.UUID
    invoice_id: uuid.UUID
    amount: decimal.Decimal = attrs.field(converter=_amount)
    currency: str
    date: dt.date = attrs.field(validator=_check_date)
    version: int = 1

    @property
    def key(self) -> str:
        """The record key in a store."""
        return str(self.id)


class DeliveryState(enum.Enum):
    """Where a welcome invoice is on its way to the customer.

    ``not_sent``: the customer had not consented to email when the invoice was due, so
    it was not handed to the sender (the invoice is kept; ``last_error`` says why).
    """

    PENDING = "pending"
    SENT = "sent"
    NOT_SENT = "not_sent"


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


@attrs.frozen
class RegistrationLog:
    """What a registration with an idempotency key stored, so that a retry returns it.

    Attributes:
        idempotency_key: The key the host app gave (`CustomerBook.register`).
        customer_ids: The customers registered, in the order of the forms.
        fingerprint: The SHA-256 of the forms as read, so that the same key with
            another form is recognised and refused.
        at: When the registration was stored (UTC).
        version: Starts at 1.
    """

    KIND: ClassVar[str] = "registration"

    idempotency_key: str
    customer_ids: tuple[uuid.UUID, ...]
    fingerprint: str
    at: dt.datetime
    version: int = 1

    @property
    def key(self) -> str:
        """The record key: the idempotency key."""
        return self.idempotency_key


Record = (
    Invoice
    | Payment
    | Delivery
    | ReminderLog
    | RegistrationLog
    | HistoryEntry
    | Forward
    | Erasure
    | DefinitionChange
)
"""The records a store keeps beside customers, categories and custom fields.

Every record class has a class attribute ``KIND`` (``invoice``, ``payment``,
``delivery``, ``reminder``, ``registration``, ``history``, ``forward``, ``erasure``,
``definition_change``), a ``key`` property (unique within its kind: the id, for a
delivery the customer's id,
for a registration its idempotency key, for a forward or an erasure the customer's
id) and a ``version`` field (1 when first stored, one more per stored change). A store
keeps records by ``(KIND, key)`` and checks ``version`` as it does a customer's;
`RECORD_KINDS` maps each ``KIND`` back to its class.
"""

RECORD_KINDS: dict[str, type[Record]] = {
    cls.KIND: cls
    for cls in (
        Invoice,
        Payment,
        Delivery,
        ReminderLog,
        RegistrationLog,
        HistoryEntry,
        Forward,
        Erasure,
        DefinitionChange,
    )
}
"""Each record class by its ``KIND`` (``invoice``, ``payment``, ``delivery``, ``reminder``,
``registration``, ``history``, ``forward``, ``erasure``, ``definition_change``)."""
