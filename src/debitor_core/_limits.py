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
    "MAX_CHOICES",
    "MAX_DATE",
    "MAX_DIGITS",
    "MAX_FIELD_NUMBER",
    "MAX_INVOICE_LINES",
    "MAX_LIST_ITEMS",
    "MAX_MESSAGE_LENGTH",
    "MAX_NUMBER",
    "MAX_PATTERN_LENGTH",
    "MAX_PROBLEMS_PER_FIELD",
    "MAX_QUANTITY",
    "MAX_REMINDER_OFFSET",
    "MAX_SUGGESTIONS",
    "MAX_TEMPLATE_LENGTH",
    "MAX_TEMPLATE_PLACEHOLDERS",
    "MAX_VAT_RATE",
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

MAX_DIGITS: Final = 20
"""The most significant digits of a quantity, unit price, VAT rate or payment.

Within it, a product of a quantity and a price (at most 40 digits) is exact in
`MONEY_CONTEXT`, so rounding to the currency happens once.
"""

MAX_VAT_RATE: Final = decimal.Decimal(100)
"""The highest VAT rate, in percent (the lowest is 0)."""

MAX_FIELD_NUMBER: Final = decimal.Decimal(MAX_NUMBER)
"""The largest magnitude of a custom-field number (and of its minimum and maximum)."""

MAX_LIST_ITEMS: Final = 100
"""The most other emails, or other phones, one customer has."""

MAX_CHOICES: Final = 500
"""The most choices a choice or multi-choice custom field has."""

MAX_PATTERN_LENGTH: Final = 1000
"""The longest custom-field pattern, in characters."""

MAX_PROBLEMS_PER_FIELD: Final = 20
"""The most problems of one kind that one field of a form reports; the rest are counted
in one closing ``form.too_many_problems`` problem."""

MAX_SUGGESTIONS: Final = 3
"""The most close names a problem suggests ("did you mean ...?")."""

MAX_TEMPLATE_LENGTH: Final = 5000
"""The longest welcome-message template, in characters."""

MAX_TEMPLATE_PLACEHOLDERS: Final = 50
"""The most placeholders a welcome-message template uses."""

MAX_MESSAGE_LENGTH: Final = 20_000
"""The longest rendered welcome message: a template within the two bounds above,
filled with the longest values the rules allow, stays within it."""

MAX_REMINDER_OFFSET: Final = 365
"""The furthest a reminder lies from the due date, in days, before or after."""
