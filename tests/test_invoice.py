"""Invoices: money, rounding and status."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from debitor_core import (
    BillTo,
    Invoice,
    InvoiceLine,
    InvoiceState,
    InvoiceStatus,
    Payment,
    PaymentTerms,
    ValidationError,
)
from debitor_core import strategies as ds
from debitor_core._invoice import line_problems, money_sum, payment_problems, round_money
from debitor_core._limits import MAX_AMOUNT, MAX_INVOICE_LINES, MAX_QUANTITY
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


class TestNumbers:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("2.5", Decimal("2.5")),
            (" 19.99 ", Decimal("19.99")),
            (3, Decimal(3)),
            (0.1, Decimal("0.1")),  # the shortest form, never 0.1000000000000000055...
            (Decimal("1.50"), Decimal("1.50")),
        ],
    )
    def test_lines_read_decimal_text_ints_and_floats(self, raw, expected):
        """A line reads numbers as payments do: decimal text, ints, floats by their short form."""
        line = InvoiceLine("x", raw, raw, raw)
        assert (expected, expected, expected) == (line.quantity, line.unit_price, line.vat_rate)

    def test_the_issue_example(self):
        """InvoiceLine("x", "1", "2") makes a line whose amounts compute."""
        assert Decimal("2.00") == InvoiceLine("x", "1", "2").net("EUR")

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (
                None,
                "The quantity must be a number (a Decimal, an int or decimal text such as '1.50'), not a value of type NoneType.",
            ),
            (
                True,
                "The quantity must be a number (a Decimal, an int or decimal text such as '1.50'), not a value of type bool.",
            ),
            (
                b"1",
                "The quantity must be a number (a Decimal, an int or decimal text such as '1.50'), not a value of type bytes.",
            ),
            (
                object(),
                "The quantity must be a number (a Decimal, an int or decimal text such as '1.50'), not a value of type object.",
            ),
        ],
    )
    def test_other_types_are_a_type_error(self, raw, message):
        """None, bools, bytes and objects are a TypeError with a sentence."""
        with pytest.raises(TypeError) as info:
            InvoiceLine("x", raw, "1")
        assert message == str(info.value)

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ("1,5x", "The quantity '1,5x' is not a number; write it like 1.50."),
            ("NaN", "The quantity must be a finite number, not NaN."),
            (float("inf"), "The quantity must be a finite number, not Infinity."),
            ("9" * 101, f"The quantity '{'9' * 59}…' is not a number; write it like 1.50."),
        ],
    )
    def test_junk_numbers_are_a_validation_error(self, raw, message):
        """Text that is no number, NaN and infinity are refused as validation."""
        with pytest.raises(ValidationError) as info:
            InvoiceLine("x", raw, "1")
        (problem,) = info.value.problems
        assert ("quantity", "quantity.invalid", message) == (
            problem.path,
            problem.code,
            problem.message,
        )

    def test_payments_read_numbers_the_same_way(self):
        """A payment's amount is read like a line's numbers; its date must be a date."""
        payment = Payment(uuid.uuid4(), uuid.uuid4(), "12.10", "EUR", dt.date(2026, 1, 1))
        assert Decimal("12.10") == payment.amount
        with pytest.raises(TypeError, match=r"The payment date must be a datetime\.date"):
            Payment(uuid.uuid4(), uuid.uuid4(), "1", "EUR", "yesterday")
        with pytest.raises(TypeError, match="The amount must be a number"):
            Payment(uuid.uuid4(), uuid.uuid4(), None, "EUR", dt.date(2026, 1, 1))


def problems_of(*lines):
    return [(p.path, p.code) for p in line_problems(list(lines))]


class TestLineProblems:
    def test_sound_lines_have_none(self):
        """Lines within every bound have no problem."""
        assert [] == problems_of(
            InvoiceLine("Hours", "2.5", "19.99", "21"),
            InvoiceLine("Max", MAX_QUANTITY, "0.0009", "100"),
            InvoiceLine("Max price", "1", MAX_AMOUNT),
        )

    @pytest.mark.parametrize(
        ("line", "expected"),
        [
            (InvoiceLine(" ", 1, 1), [("lines[0].description", "description.empty")]),
            (
                InvoiceLine("Anna \u202eazO", 1, 1),
                [("lines[0].description", "description.direction_control")],
            ),
            (InvoiceLine("x" * 1001, 1, 1), [("lines[0].description", "description.too_long")]),
            (InvoiceLine("x", 0, 1), [("lines[0].quantity", "quantity.range")]),
            (InvoiceLine("x", MAX_QUANTITY + 1, 1), [("lines[0].quantity", "quantity.range")]),
            (InvoiceLine("x", 1, "-0.01"), [("lines[0].unit_price", "unit_price.range")]),
            (InvoiceLine("x", 1, "1e30"), [("lines[0].unit_price", "unit_price.range")]),
            (InvoiceLine("x", 1, 10**5000), [("lines[0].unit_price", "unit_price.range")]),
            (InvoiceLine("x", 1, 1, 101), [("lines[0].vat_rate", "vat_rate.range")]),
            (
                InvoiceLine("x", "1.000000000000000000001", 1),
                [("lines[0].quantity", "quantity.digits")],
            ),
            (InvoiceLine("x", 1000, MAX_AMOUNT), [("lines[0]", "line.net_range")]),
            ("not a line", [("lines[0]", "line.type")]),
        ],
    )
    def test_each_bound(self, line, expected):
        """Each bound is its own problem, with a path down to the number."""
        assert expected == problems_of(line)

    def test_count(self):
        """An invoice has one to 1,000 lines."""
        assert [("lines", "lines.empty")] == problems_of()
        many = [InvoiceLine("x", 1, 1)] * (MAX_INVOICE_LINES + 1)
        assert [("lines", "lines.too_many")] == problems_of(*many)

    def test_params_and_sentence(self):
        """A range problem says the bounds in words and in its parameters."""
        (problem,) = line_problems([InvoiceLine("x", 1, "1e30")])
        assert (
            "The unit price 1E+30 must be at least 0 and at most 999,999,999,999.99."
            == problem.message
        )
        assert {
            "subject": "unit price",
            "value": "1E+30",
            "min": "0",
            "max": "999999999999.99",
        } == dict(problem.params)


class TestPaymentProblems:
    @pytest.mark.parametrize(
        ("amount", "currency", "codes"),
        [
            ("12.10", "EUR", []),
            ("0", "EUR", ["amount.range"]),
            ("1e26", "EUR", ["amount.range"]),
            ("10.50", "JPY", ["amount.precision"]),
            ("1.005", "KWD", []),
        ],
    )
    def test_bounds_and_minor_unit(self, amount, currency, codes):
        """A payment is positive, within the bounds, and fits the currency's minor unit."""
        assert codes == [p.code for p in payment_problems(Decimal(amount), currency)]


class TestSumsWithinBounds:
    @given(
        st.lists(ds.invoice_lines(), min_size=1, max_size=30),
        st.sampled_from(sorted(CURRENCY_MINOR_UNITS)),
    )
    def test_totals_compute_for_every_allowed_line(self, lines, currency):
        """Every invoice the bounds allow totals exactly, in any currency."""
        assert [] == line_problems(lines)
        bill = invoice(lines, currency)
        assert bill.total == bill.net + bill.vat
        assert bill.total == round_money(bill.total, currency)

    def test_a_full_invoice_of_maximal_lines(self):
        """A thousand maximal lines at 100 % VAT sum without a lost cent."""
        lines = [InvoiceLine("Max", 1, MAX_AMOUNT, 100)] * MAX_INVOICE_LINES
        bill = invoice(lines)
        assert MAX_AMOUNT * MAX_INVOICE_LINES * 2 == bill.total
        assert money_sum([bill.total] * 1_000_000) == bill.total * 1_000_000


def test_a_description_must_be_text():
    """A line's description of another type is a TypeError with a sentence."""
    with pytest.raises(TypeError) as info:
        InvoiceLine(None, 1, 1)
    assert "The description must be text, not a value of type NoneType." == str(info.value)
