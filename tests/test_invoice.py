"""Invoices: money, rounding and status."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from debitor_core import BillTo, Invoice, InvoiceLine, InvoiceState, InvoiceStatus, PaymentTerms
from debitor_core._invoice import round_money
from debitor_core._reference import CURRENCY_MINOR_UNITS

AMOUNTS = st.decimals(min_value=0, max_value=10**7, places=4, allow_nan=False, allow_infinity=False)
LINES = st.builds(
    InvoiceLine,
    st.just("Item"),
    st.decimals(min_value=Decimal("0.001"), max_value=1000, places=3),
    AMOUNTS,
    st.sampled_from([Decimal(0), Decimal(5), Decimal("9.5"), Decimal(21), Decimal(25)]),
)


def invoice(lines, currency="EUR", state=InvoiceState.SENT, due=dt.date(2026, 12, 10)):
    return Invoice(
        id=uuid.uuid4(),
        number=1,
        customer_id=uuid.uuid4(),
        bill_to=BillTo(1, "SIA Koks"),
        lines=tuple(lines),
        currency=currency,
        issue_date=dt.date(2026, 11, 26),
        due_date=due,
        payment_terms=PaymentTerms.net(14),
        state=state,
    )


class TestMoney:
    @pytest.mark.parametrize(
        ("amount", "currency", "expected"),
        [
            ("2.345", "EUR", "2.35"),
            ("2.344", "EUR", "2.34"),
            ("-2.345", "EUR", "-2.35"),
            ("0.5", "JPY", "1"),
            ("1.2345", "KWD", "1.235"),
        ],
    )
    def test_half_up_to_the_minor_unit(self, amount, currency, expected):
        """Amounts round half up to the currency's minor unit."""
        assert Decimal(expected) == round_money(Decimal(amount), currency)

    def test_line_amounts(self):
        """A line's net is rounded first, and its VAT is worked out on the rounded net."""
        line = InvoiceLine("Hours", Decimal("2.5"), Decimal("19.99"), Decimal(21))
        assert (Decimal("49.98"), Decimal("10.50")) == (line.net("EUR"), line.vat("EUR"))

    @given(st.lists(LINES, min_size=1, max_size=6), st.sampled_from(sorted(CURRENCY_MINOR_UNITS)))
    def test_totals_are_sums_of_rounded_lines(self, lines, currency):
        """The total equals the sum of the rounded lines, exactly, in Decimal."""
        bill = invoice(lines, currency)
        assert bill.net == sum(line.net(currency) for line in lines)
        assert bill.vat == sum(line.vat(currency) for line in lines)
        assert bill.total == bill.net + bill.vat
        for amount in (bill.net, bill.vat, bill.total):
            assert isinstance(amount, Decimal)
            assert amount == round_money(amount, currency)


class TestStatus:
    @pytest.mark.parametrize(
        ("state", "paid", "as_of", "expected"),
        [
            (InvoiceState.DRAFT, "0", dt.date(2027, 1, 1), InvoiceStatus.DRAFT),
            (InvoiceState.VOID, "0", dt.date(2027, 1, 1), InvoiceStatus.VOID),
            (InvoiceState.SENT, "0", dt.date(2026, 12, 10), InvoiceStatus.SENT),
            (InvoiceState.SENT, "0", dt.date(2026, 12, 11), InvoiceStatus.OVERDUE),
            (InvoiceState.SENT, "50", dt.date(2026, 12, 1), InvoiceStatus.PARTLY_PAID),
            (InvoiceState.SENT, "50", dt.date(2026, 12, 11), InvoiceStatus.OVERDUE),
            (InvoiceState.SENT, "121", dt.date(2027, 1, 1), InvoiceStatus.PAID),
        ],
    )
    def test_status(self, state, paid, as_of, expected):
        """The status follows the state, the payments and the due date."""
        bill = invoice([InvoiceLine("Item", Decimal(1), Decimal(100), Decimal(21))], state=state)
        assert expected == bill.status(paid=Decimal(paid), as_of=as_of)
