"""The bounds every stored value keeps, the same on every store.

Validation refuses what lies outside them (a `ValidationError` with a path and a code),
and loading checks them as structural invariants (a `CorruptStore` when damaged), so
that every computation over stored records (sums, due dates, reminders) works for
every value that can be stored.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Final

__all__ = [
    "MAX_AMOUNT",
    "MAX_DATE",
    "MAX_INVOICE_LINES",
    "MAX_NUMBER",
    "MAX_QUANTITY",
    "MIN_DATE",
    "MONEY_CONTEXT",
]

MAX_NUMBER: Final = 2**53
"""The highest customer (and invoice) number; numbers run from 1 to this.

2**53 is the largest integer that every JSON reader (JavaScript's included) keeps exact.
"""

MAX_AMOUNT: Final = decimal.Decimal("999999999999.99")
"""The largest unit price, line amount and payment, in any currency (just under 10**12)."""

MAX_QUANTITY: Final = decimal.Decimal(1_000_000_000)
"""The largest quantity on an invoice line."""

MAX_INVOICE_LINES: Final = 1000
"""The most lines an invoice has."""

MIN_DATE: Final = dt.date(1900, 1, 1)
"""The earliest issue, due, payment or fixed payment-terms date."""

MAX_DATE: Final = dt.date(2999, 12, 31)
"""The latest issue, due, payment or fixed payment-terms date.

Far enough from `datetime.date.max` that adding payment terms and reminder offsets
never overflows.
"""

MONEY_CONTEXT: Final = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_UP)
"""The decimal context for sums of money: within the bounds above, no sum over a whole
book loses a digit or raises."""
