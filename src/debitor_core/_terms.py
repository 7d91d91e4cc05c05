"""Payment terms: when an invoice falls due."""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from typing import Final

import attrs

from debitor_core._errors import ValidationError
from debitor_core._limits import MAX_DATE, MIN_DATE
from debitor_core._shown import shown

__all__ = ["MAX_TERMS_DAYS", "PaymentTerms", "TermsKind"]

MAX_TERMS_DAYS: Final = 365
"""The most days of net and end-of-month terms."""
_MAX_DAYS = MAX_TERMS_DAYS


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
        """Check the fields and their combination (the rules parse raw input before this).

        Raises:
            TypeError: a field of the wrong type.
            ValidationError: ``payment_terms.days``, ``payment_terms.date_range`` or
                ``payment_terms.invalid`` (days or a date that do not go with the kind).
        """
        _check_types(self.kind, self.days, self.fixed_date)
        fixed = self.fixed_date
        uses_days = self.kind in (TermsKind.NET, TermsKind.END_OF_MONTH)
        if not uses_days and self.days:
            raise _invalid(
                "payment_terms.invalid", self.days, kind=self.kind.value, days=shown(self.days)
            )
        if not 0 <= self.days <= _MAX_DAYS:
            days = shown(self.days)  # may be a number too long to print
            raise _invalid("payment_terms.days", self.days, days=days, max_days=_MAX_DAYS)
        if (self.kind is TermsKind.FIXED_DATE) != (fixed is not None):
            raise _invalid("payment_terms.invalid", fixed, kind=self.kind.value)
        if fixed is not None and not MIN_DATE <= fixed <= MAX_DATE:
            raise _invalid(
                "payment_terms.date_range",
                fixed,
                date=fixed.isoformat(),
                min_date=MIN_DATE.isoformat(),
                max_date=MAX_DATE.isoformat(),
            )

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
            invoice_date: The invoice's issue date, between `MIN_DATE` and `MAX_DATE` of
                the bounds (so that the due date never overflows).

        Returns:
            The due date.

        Raises:
            TypeError: ``invoice_date`` is not a date.
            ValidationError: ``issue_date.range``: the date is outside the bounds.
        """
        if not _is_date(invoice_date):
            msg = f"The invoice date must be a datetime.date, not {type(invoice_date).__name__}."
            raise TypeError(msg)
        if not MIN_DATE <= invoice_date <= MAX_DATE:
            raise _invalid(
                "issue_date.range",
                invoice_date,
                date=invoice_date.isoformat(),
                min_date=MIN_DATE.isoformat(),
                max_date=MAX_DATE.isoformat(),
            )
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


def _invalid(code: str, value: object, /, **params: object) -> ValidationError:
    return ValidationError.single(code, None, value, params=params)


def _is_date(value: object) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _check_types(kind: object, days: object, fixed: object) -> None:
    if not isinstance(kind, TermsKind):
        msg = f"The kind of payment terms must be a TermsKind, not {type(kind).__name__}."
        raise TypeError(msg)
    if not isinstance(days, int) or isinstance(days, bool):
        msg = f"The number of days must be an int, not {type(days).__name__}."
        raise TypeError(msg)
    if fixed is not None and not _is_date(fixed):
        msg = f"The fixed due date must be a datetime.date, not {type(fixed).__name__}."
        raise TypeError(msg)
