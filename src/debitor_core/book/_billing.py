"""Billing: invoices and payments of customers, accounts, and the category report's money."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Mapping

import attrs

from debitor_core import _rules
from debitor_core._category import Category
from debitor_core._checks import Checks, run_rule
from debitor_core._errors import Problem, ValidationError
from debitor_core._history import HistoryAction
from debitor_core._invoice import (
    Invoice,
    InvoiceLine,
    InvoiceState,
    Payment,
    line_problems,
    payment_problems,
    to_decimal,
)
from debitor_core._limits import MONEY_CONTEXT
from debitor_core._terms import PaymentTerms
from debitor_core.book._accounts import AccountSummary, Totals
from debitor_core.book._arguments import (
    checked_author,
    checked_day,
    checked_text,
    read_date,
    wrong_type,
)
from debitor_core.book._read_model import find_forwarded, find_invoice, in_categories
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
        return uow.model.invoices(find_forwarded(uow.model, customer_id).id)

    def issue(
        self,
        customer_id: uuid.UUID | str,
        lines: Iterable[InvoiceLine],
        *,
        issue_date: dt.date | None,
        currency: str | None,
        payment_terms: PaymentTerms | None,
        author: str | None = None,
    ) -> Invoice:
        """Issue an invoice to a customer (see `CustomerBook.issue_invoice`)."""
        if isinstance(lines, str | bytes | Mapping) or not isinstance(lines, Iterable):
            wrong_type("issue_invoice", "lines", lines, "a list of InvoiceLine objects")
        checked_day("issue_invoice", "issue_date", issue_date)
        checked_text("issue_invoice", "currency", currency)
        author = checked_author("issue_invoice", author)
        if payment_terms is not None and not isinstance(payment_terms, PaymentTerms):
            wrong_type("issue_invoice", "payment_terms", payment_terms, "a PaymentTerms")
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            customer = find_forwarded(uow.model, customer_id)
            chosen = run_rule(
                "currency", _rules.validate_currency, currency or customer.currency or "EUR"
            )
            items = tuple(lines)
            problems = line_problems(items)
            if problems:
                raise ValidationError(problems)
            terms = payment_terms or customer.payment_terms or PaymentTerms.net(14)
            day = issue_date or self._settings.today()
            with uow.transaction(author=author) as tx:
                invoice = Invoice.issue(
                    customer,
                    number=uow.model.last_invoice_number() + 1,
                    lines=items,
                    currency=chosen,
                    issue_date=day,
                    terms=terms,
                )
                tx.put_record(invoice, expected_version=None)
                tx.note(customer.id, HistoryAction.INVOICE_ISSUED, invoice=invoice.id)
            return invoice

    def void(self, invoice_id: uuid.UUID, author: str | None = None) -> Invoice:
        """Void an invoice (see `CustomerBook.void_invoice`)."""
        author = checked_author("void_invoice", author)
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            invoice = find_invoice(uow.model, invoice_id)
            if uow.model.paid(invoice.id) > 0:
                params = {"number": invoice.number}
                raise ValidationError.single("invoice.paid", None, invoice.number, params=params)
            if invoice.state is InvoiceState.VOID:
                return invoice
            voided = attrs.evolve(invoice, state=InvoiceState.VOID, version=invoice.version + 1)
            with uow.transaction(author=author) as tx:
                tx.put_record(voided, expected_version=invoice.version)
                tx.note(invoice.customer_id, HistoryAction.INVOICE_VOIDED, invoice=invoice.id)
            return voided

    def record_payment(
        self,
        invoice_id: uuid.UUID,
        amount: decimal.Decimal | str | int,
        *,
        date: dt.date | str,
        currency: str | None,
        author: str | None = None,
    ) -> Payment:
        """Record a payment of an invoice (see `CustomerBook.record_payment`)."""
        checked_text("record_payment", "currency", currency)
        author = checked_author("record_payment", author)
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            invoice = find_invoice(uow.model, invoice_id)
            checks = Checks()
            paid = checks.run("amount", _amount, amount)
            day = checks.run("date", lambda v: read_date("", v), date)
            if currency is not None and currency.strip().upper() != invoice.currency:
                params = {"number": invoice.number, "currency": invoice.currency, "given": currency}
                checks.keep(Problem("currency", "payment.currency", value=currency, params=params))
            if paid is not None:
                checks.problems += payment_problems(paid, invoice.currency)
            if invoice.state is not InvoiceState.SENT:
                params = {"number": invoice.number, "state": invoice.state.value}
                checks.keep(
                    Problem("invoice", "payment.state", value=invoice.number, params=params)
                )
            left = MONEY_CONTEXT.subtract(invoice.total, uow.model.paid(invoice.id))
            if paid is not None and not checks.problems and paid > left:
                params = {
                    "amount": str(paid),
                    "currency": invoice.currency,
                    "left": str(left),
                    "number": invoice.number,
                }
                checks.keep(Problem("amount", "payment.overpaid", value=amount, params=params))
            checks.raise_problems()
            assert paid is not None  # noqa: S101 - no problems, so an amount
            assert day is not None  # noqa: S101 - no problems, so a date
            payment = Payment(uuid.uuid4(), invoice.id, paid, invoice.currency, day)
            with uow.transaction(author=author) as tx:
                tx.put_record(payment, expected_version=None)
                tx.note(invoice.customer_id, HistoryAction.PAYMENT_RECORDED, invoice=invoice.id)
            return payment

    def account(self, customer_id: uuid.UUID | str, as_of: dt.date | None) -> AccountSummary:
        """The customer's account (see `CustomerBook.account`)."""
        uow = self._uow
        uow.catch_up()
        checked_day("account", "as_of", as_of)
        customer = find_forwarded(uow.model, customer_id)
        return uow.model.account(customer.id, as_of or self._settings.today())

    def category_totals(
        self, *, as_of: dt.date | None, archived: bool | None
    ) -> list[tuple[Category, dict[str, Totals]]]:
        """Totals by currency per category and its sub-categories."""
        checked_day("category_totals", "as_of", as_of)
        uow = self._uow
        uow.catch_up()
        day = as_of or self._settings.today()
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
    if isinstance(value, bool) or not isinstance(value, decimal.Decimal | int | str):
        wrong_type("record_payment", "amount", value, "a Decimal, an int or decimal text")
    return to_decimal(value, what="amount", code="amount")
