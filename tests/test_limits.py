"""The documented bounds leave room for every computation over stored values."""

import datetime as dt
import decimal

from debitor_core import _limits


class TestBounds:
    def test_numbers_are_exact_in_json(self):
        """The largest number survives a trip through a float (as JavaScript reads JSON)."""
        assert _limits.MAX_NUMBER == int(float(_limits.MAX_NUMBER))

    def test_a_whole_book_of_maximal_invoices_sums_exactly(self):
        """A million invoices of maximal lines sum without rounding in the money context."""
        line = _limits.MAX_AMOUNT
        invoice = line * _limits.MAX_INVOICE_LINES
        with decimal.localcontext(_limits.MONEY_CONTEXT) as context:
            context.traps[decimal.Inexact] = True
            total = invoice * 1_000_000 + decimal.Decimal("0.01")
            assert total.quantize(decimal.Decimal("0.01")) == total

    def test_dates_leave_room_for_terms_and_reminders(self):
        """Ten years of terms and reminder offsets fit on either side of the date bounds."""
        ten_years = dt.timedelta(days=3660)
        assert _limits.MAX_DATE + ten_years < dt.date.max
        assert _limits.MIN_DATE - ten_years > dt.date.min
