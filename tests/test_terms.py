"""Payment terms and due dates."""

import calendar
import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from debitor_core import PaymentTerms, TermsKind, ValidationError, _limits
from debitor_core import strategies as ds

DAYS = st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31))


class TestDueDate:
    @pytest.mark.parametrize(
        ("terms", "invoice", "due"),
        [
            (PaymentTerms.net(14), dt.date(2026, 11, 26), dt.date(2026, 12, 10)),
            (PaymentTerms.net(0), dt.date(2026, 11, 26), dt.date(2026, 11, 26)),
            (PaymentTerms.prepaid(), dt.date(2026, 11, 26), dt.date(2026, 11, 26)),
            (PaymentTerms.end_of_month(30), dt.date(2026, 1, 15), dt.date(2026, 3, 2)),
            (PaymentTerms.end_of_month(0), dt.date(2024, 2, 3), dt.date(2024, 2, 29)),
            (PaymentTerms.end_of_month(0), dt.date(2023, 2, 3), dt.date(2023, 2, 28)),
            (PaymentTerms.end_of_month(1), dt.date(2026, 12, 31), dt.date(2027, 1, 1)),
            (PaymentTerms.on(dt.date(2026, 1, 1)), dt.date(2026, 11, 26), dt.date(2026, 1, 1)),
        ],
    )
    def test_table(self, terms, invoice, due):
        """Each kind of terms gives the due date Debitoor would show."""
        assert due == terms.due_date(invoice)

    @given(st.integers(0, 365), DAYS)
    def test_net_adds_days(self, days, invoice):
        """Net N days is N days after the invoice date."""
        assert (PaymentTerms.net(days).due_date(invoice) - invoice).days == days

    @given(st.integers(0, 365), DAYS)
    def test_end_of_month_counts_from_the_last_day(self, days, invoice):
        """End of month + N is N days after the last day of the invoice's month."""
        due = PaymentTerms.end_of_month(days).due_date(invoice)
        last = calendar.monthrange(invoice.year, invoice.month)[1]
        assert due - dt.timedelta(days=days) == invoice.replace(day=last)

    @given(ds.payment_terms(), DAYS)
    def test_never_before_the_invoice_except_fixed(self, terms, invoice):
        """Only a fixed date can fall before the invoice date."""
        due = terms.due_date(invoice)
        assert due >= invoice or terms.kind is TermsKind.FIXED_DATE


class TestConstruction:
    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            (
                {"kind": TermsKind.PREPAID, "days": 3},
                "prepaid payment terms take no number of days.",
            ),
            (
                {"kind": TermsKind.NET, "days": 366},
                "The number of days must be between 0 and 365, not 366.",
            ),
            (
                {"kind": TermsKind.NET, "days": -1},
                "The number of days must be between 0 and 365, not -1.",
            ),
            (
                {"kind": TermsKind.FIXED_DATE},
                "A fixed due date goes with fixed-date payment terms, and only with them.",
            ),
            (
                {"kind": TermsKind.NET, "fixed_date": dt.date(2026, 1, 1)},
                "A fixed due date goes with fixed-date payment terms, and only with them.",
            ),
        ],
    )
    def test_inconsistent_terms_are_refused(self, kwargs, message):
        """Fields that do not fit the kind are refused."""
        with pytest.raises(ValueError, match=re.escape(message)):
            PaymentTerms(**kwargs)

    @pytest.mark.parametrize(
        ("terms", "text"),
        [
            (PaymentTerms.net(14), "net 14 days"),
            (PaymentTerms.prepaid(), "prepaid"),
            (PaymentTerms.end_of_month(30), "end of month + 30 days"),
            (PaymentTerms.on(dt.date(2026, 12, 31)), "due 2026-12-31"),
        ],
    )
    def test_text(self, terms, text):
        """str() reads as the terms are spoken."""
        assert text == str(terms)
        assert f"<PaymentTerms {text}>" == repr(terms)


ALLOWED_DAYS = st.dates(_limits.MIN_DATE, _limits.MAX_DATE)
ALL_TERMS = st.one_of(
    st.integers(0, 365).map(PaymentTerms.net),
    st.just(PaymentTerms.prepaid()),
    st.integers(0, 365).map(PaymentTerms.end_of_month),
    ALLOWED_DAYS.map(PaymentTerms.on),
)


class TestBounds:
    def test_fixed_dates_within_the_bounds(self):
        """A fixed due date outside 1900-01-01..2999-12-31 is refused as validation."""
        with pytest.raises(ValidationError) as info:
            PaymentTerms.on(dt.date(9999, 12, 31))
        (problem,) = info.value.problems
        assert (
            "payment_terms.date_range",
            "The fixed due date 9999-12-31 must be between 1900-01-01 and 2999-12-31.",
            {"date": "9999-12-31", "min_date": "1900-01-01", "max_date": "2999-12-31"},
        ) == (problem.code, problem.message, dict(problem.params))

    def test_days_keep_their_code_and_params(self):
        """Too many days is a validation problem with the limit in its params."""
        with pytest.raises(ValidationError) as info:
            PaymentTerms.net(10**5000)
        (problem,) = info.value.problems
        assert "payment_terms.days" == problem.code
        assert 365 == problem.params["max_days"]

    @given(ALL_TERMS, ALLOWED_DAYS)
    def test_due_dates_never_overflow(self, terms, invoice):
        """Every allowed term on every allowed invoice date has a due date."""
        assert isinstance(terms.due_date(invoice), dt.date)

    def test_invoice_dates_outside_the_bounds(self):
        """An issue date of 9999-12-31 is a validation problem, never an OverflowError."""
        with pytest.raises(ValidationError) as info:
            PaymentTerms.net(30).due_date(dt.date(9999, 12, 31))
        assert "issue_date.range" == info.value.problems[0].code

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"kind": "net", "days": 3}, "The kind of payment terms must be a TermsKind, not str."),
            ({"kind": TermsKind.NET, "days": "3"}, "The number of days must be an int, not str."),
            ({"kind": TermsKind.NET, "days": True}, "The number of days must be an int, not bool."),
            (
                {"kind": TermsKind.FIXED_DATE, "fixed_date": "2026-01-01"},
                "The fixed due date must be a datetime.date, not str.",
            ),
        ],
    )
    def test_wrong_types(self, kwargs, message):
        """Wrong types are a TypeError whose sentence names the type expected."""
        with pytest.raises(TypeError) as info:
            PaymentTerms(**kwargs)
        assert message == str(info.value)

    def test_due_date_of_a_non_date(self):
        """due_date takes a date, and says so."""
        with pytest.raises(TypeError, match=r"The invoice date must be a datetime\.date, not str"):
            PaymentTerms.net(1).due_date("2026-01-01")
