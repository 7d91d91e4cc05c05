"""The application layer: `CustomerBook` and the parts it delegates to.

A newcomer's map (each module depends only on those above it and on the domain):

- `_types`, `_accounts`: what the parts share (result types, settings, definitions);
- `_read_model`: the customer read model's protocol and its query types;
  `_index`, `_ledger`, `_in_memory`: its in-memory implementation;
- `_unit_of_work`: the lock, the store's typed transactions, catching up;
- `_build`: pure functions that build, change and merge customers;
- the parts: `_registration`, `_transfer`, `_search`, `_customers`, `_categories`,
  `_custom_fields`, `_billing`, `_delivery`;
- `_view`: `BookView`, the read-only (and redacted) face over the reading parts;
- `_facade`: `CustomerBook`, which wires the parts and delegates to them.

Import the public names from `debitor_core`, not from here.
"""

from debitor_core.book._accounts import AccountLine, AccountSummary, DueReminder, Totals
from debitor_core.book._facade import CustomerBook
from debitor_core.book._types import (
    CategoryCount,
    DuplicateMatch,
    Review,
    SearchResult,
    WelcomeSender,
)
from debitor_core.book._view import BookView

__all__ = [
    "AccountLine",
    "AccountSummary",
    "BookView",
    "CategoryCount",
    "CustomerBook",
    "DueReminder",
    "DuplicateMatch",
    "Review",
    "SearchResult",
    "Totals",
    "WelcomeSender",
]
