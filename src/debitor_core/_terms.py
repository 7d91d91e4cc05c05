"""Payment terms: when an invoice falls due."""

from __future__ import annotations

import calendar
import datetime as dt
import enum

import attrs

__all__ = ["PaymentTerms", "TermsKind"]

_MAX_DAYS = 365


class TermsKind(enum.Enum):
    """The kinds of payment terms Debitoor offers."""

    NET = "net"
    """Net N days: due N days after the invoice date (N days after invoice date)."""
    PREPAID = "prepaid"
    """Paid in advance: due on the invoice date."""
    END_OF_MONTH = "end_of_month"
    """Due N days after the last day of the invoice's month ("current month + N")."""
    FIXED_DATE = "fixed_date"
    """Due on one fixed date, whatever the invoice date."""


@attrs.frozen(repr=False)
class PaymentTerms:
    """When an invoice falls due; build one with the class methods.

    Attributes:
        kind: Which rule applies.
        days: The N of `TermsKind.NET` and `TermsKind.END_OF_MONTH` (0 otherwise).
        fixed_date: The due date of `TermsKind.FIXED_DATE` (``None`` otherwise).
    """

    kind: TermsKind
    days: int = 0
    fixed_date: dt.date | None = None

    def __attrs_post_init__(self) -> None:
        """Check the combination of fields (the rules parse raw input before this)."""
        uses_days = self.kind in (TermsKind.NET, TermsKind.END_OF_MONTH)
        if not uses_days and self.days:
            msg = f"{self.kind.value} payment terms take no number of days."
            raise ValueError(msg)
        if not 0 <= self.days <= _MAX_DAYS:
            msg = f"The number of days must be between 0 and {_MAX_DAYS}, not {self.days}."
            raise ValueError(msg)
        if (self.kind is TermsKind.FIXED_DATE) != (self.fixed_date is not None):
            msg = "A fixed due date goes with fixed-date payment terms, and only with them."
            raise ValueError(msg)

    @classmethod
    def net(cls, days: int) -> PaymentTerms:
        """Net N days: due ``days`` after the invoice date."""
        return cls(TermsKind.NET, days)

    @classmethod
    def prepaid(cls) -> PaymentTerms:
        """Paid in advance: due on the invoice date."""
        return cls(TermsKind.PREPAID)

    @classmethod
    def end_of_month(cls, days: int) -> PaymentTerms:
        """Due ``days`` after the last day of the invoice's month."""
        return cls(TermsKind.END_OF_MONTH, days)

    @classmethod
    def on(cls, due: dt.date) -> PaymentTerms:
        """Due on the fixed date ``due``."""
        return cls(TermsKind.FIXED_DATE, fixed_date=due)

    def due_date(self, invoice_date: dt.date) -> dt.date:
        """Return the date an invoice issued on ``invoice_date`` falls due.

        A fixed date in the past is returned as it is: the invoice is due at once and
        overdue from the next day, which is what the clerk agreed to.

        Args:
            invoice_date: The invoice's issue date.

        Returns:
            The due date.
        """
        if self.kind is TermsKind.NET:
            return invoice_date + dt.timedelta(days=self.days)
        if self.kind is TermsKind.END_OF_MONTH:
            last = calendar.monthrange(invoice_date.year, invoice_date.month)[1]
            return invoice_date.replace(day=last) + dt.timedelta(days=self.days)
        if self.kind is TermsKind.FIXED_DATE:
            assert self.fixed_date is not None  # noqa: S101 - guaranteed by __attrs_post_init__
            return self.fixed_date
        return invoice_date

    def __str__(self) -> str:
        if self.kind is TermsKind.NET:
            return f"net {self.days} days"
        if self.kind is TermsKind.END_OF_MONTH:
            return f"end of month + {self.days} days"
        if self.kind is TermsKind.FIXED_DATE:
            return f"due {self.fixed_date}"
        return "prepaid"

    def __repr__(self) -> str:
        return f"<PaymentTerms {self}>"
