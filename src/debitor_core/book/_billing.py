"""Billing: invoices and payments of customers, accounts, and the category report's money."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Sequence

import attrs

from debitor_core import _rules
from debitor_core._category import Category
from debitor_core._checks import Checks, run_rule
from debitor_core._errors import ValidationError
from debitor_core._invoice import Invoice, InvoiceLine, InvoiceState, Payment, round_money
from debitor_core._terms import PaymentTerms
from debitor_core._util import read_decimal
from debitor_core.book._accounts import AccountSummary, Totals
from debitor_core.book._read_model import find, find_invoice, in_categories
from debitor_core.book._types import BookSettings
from debitor_core.book._unit_of_work import UnitOfWork

__all__ = ["Billing"]


class Billing:
    """Issue and void invoices, book payments, and sum up accounts."""

    def __init__(self, uow: UnitOfWork, settings: BookSettings) -> None:
        """Bill through ``uow``; ``settings`` give the clock."""
        self._uow = uow
        self._settings = settings

    def invoice(self, invoice_id: uuid.UUID) -> Invoice:
        """An invoice by id (`NotFound` when there is none)."""
        self._uow.catch_up()
        return find_invoice(self._uow.model, invoice_id)

    def invoices(self, customer_id: uuid.UUID | str | None) -> list[Invoice]:
        """Every invoice, or a customer's, by number."""
        uow = self._uow
        uow.catch_up()
        if customer_id is None:
            return uow.model.invoices()
        return uow.model.invoices(find(uow.model, customer_id).id)

    def issue(
        self,
        customer_id: uuid.UUID | str,
        lines: Iterable[InvoiceLine],
        *,
        issue_date: dt.date | None,
        currency: str | None,
        payment_terms: PaymentTerms | None,
    ) -> Invoice:
        """Issue an invoice to a customer (see `CustomerBook.issue_invoice`)."""
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            customer = find(uow.model, customer_id)
            chosen = run_rule(
                "currency", _rules.validate_currency, currency or customer.currency or "EUR"
            )
            items = tuple(lines)
            _line_checks(items).raise_problems()
            terms = payment_terms or customer.payment_terms or PaymentTerms.net(14)
            day = issue_date or self._settings.clock().date()
            with uow.transaction() as tx:
                invoice = Invoice.issue(
                    customer,
                    number=uow.model.last_invoice_number() + 1,
                    lines=items,
                    currency=chosen,
                    issue_date=day,
                    terms=terms,
                )
                tx.put_record(invoice, expected_version=None)
            return invoice

    def void(self, invoice_id: uuid.UUID) -> Invoice:
        """Void an invoice (see `CustomerBook.void_invoice`)."""
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            invoice = find_invoice(uow.model, invoice_id)
            if uow.model.paid(invoice.id) > 0:
                msg = f"Invoice {invoice.number} has payments; refund them before voiding it."
                raise ValidationError.single("invoice.paid", msg, invoice.number)
            voided = attrs.evolve(invoice, state=InvoiceState.VOID, version=invoice.version + 1)
            with uow.transaction() as tx:
                tx.put_record(voided, expected_version=invoice.version)
            return voided

    def record_payment(
        self,
        invoice_id: uuid.UUID,
        amount: decimal.Decimal | str | int,
        *,
        date: dt.date,
        currency: str | None,
    ) -> Payment:
        """Record a payment of an invoice (see `CustomerBook.record_payment`)."""
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            invoice = find_invoice(uow.model, invoice_id)
            paid = run_rule("amount", _amount, amount)
            checks = Checks()
            if currency is not None and currency.upper() != invoice.currency:
                msg = (
                    f"Invoice {invoice.number} is in {invoice.currency}; a payment in "
                    f"{currency} cannot be booked against it."
                )
                checks.add("currency", "payment.currency", msg, currency)
            if paid != round_money(paid, invoice.currency):
                msg = f"{paid} has more decimals than {invoice.currency} allows."
                checks.add("amount", "payment.precision", msg, amount)
            if invoice.state is not InvoiceState.SENT:
                msg = f"Invoice {invoice.number} is {invoice.state.value}; it takes no payments."
                checks.add("invoice", "payment.state", msg, invoice.number)
            left = invoice.total - uow.model.paid(invoice.id)
            if paid > left:
                msg = (
                    f"The payment of {paid} {invoice.currency} is more than the {left} "
                    f"{invoice.currency} left to pay on invoice {invoice.number}."
                )
                checks.add("amount", "payment.overpaid", msg, amount)
            checks.raise_problems()
            payment = Payment(uuid.uuid4(), invoice.id, paid, invoice.currency, date)
            with uow.transaction() as tx:
                tx.put_record(payment, expected_version=None)
            return payment

    def account(self, customer_id: uuid.UUID | str, as_of: dt.date | None) -> AccountSummary:
        """The customer's account (see `CustomerBook.account`)."""
        uow = self._uow
        uow.catch_up()
        customer = find(uow.model, customer_id)
        return uow.model.account(customer.id, as_of or self._settings.clock().date())

    def category_totals(
        self, *, as_of: dt.date | None, archived: bool | None
    ) -> list[tuple[Category, dict[str, Totals]]]:
        """Totals by currency per category and its sub-categories."""
        uow = self._uow
        uow.catch_up()
        day = as_of or self._settings.clock().date()
        definitions = uow.definitions
        return [
            (
                category,
                uow.model.account_totals(
                    in_categories(definitions, category, archived=archived), day
                ),
            )
            for category in definitions.sorted_categories()
        ]


def _amount(value: object) -> decimal.Decimal:
    number = read_decimal(value)
    if number is None or number <= 0:
        msg = f"The amount must be a positive number, not {value!r}."
        raise ValidationError.single("amount.invalid", msg, value)
    return number


def _line_checks(lines: Sequence[object]) -> Checks:
    checks = Checks()
    if not lines:
        checks.add("lines", "lines.empty", "An invoice needs at least one line.")
    for index, line in enumerate(lines):
        path = f"lines[{index}]"
        if not isinstance(line, InvoiceLine):
            checks.add(path, "line.type", f"Lines must be InvoiceLine objects, not {line!r}.")
        elif not line.description.strip() or line.quantity <= 0 or line.unit_price < 0:
            msg = "A line needs a description, a positive quantity and a price of zero or more."
            checks.add(path, "line.invalid", msg, line)
        elif not 0 <= line.vat_rate <= 100:  # noqa: PLR2004 - percent
            msg = f"The VAT rate {line.vat_rate} must be between 0 and 100."
            checks.add(path, "line.vat_rate", msg, line)
    return checks
