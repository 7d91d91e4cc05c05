"""Who is signed in, and what of the book they may read.

The guide keeps private notes visible only to the business owner and the users they
grant access. The app has two demo users: the owner, who has the grant, and an
assistant, who has not. A real host app takes its users from its own sign-in; only
`User.sees_private` matters to the screens.

`reader_for` is the one place that decides what a user reads. Until the library
offers a redacted read view (``book.view(private=False)``, issue #15), the app redacts
by itself with `RedactedReader`; when the view lands, `reader_for` becomes::

    return book if user.sees_private else book.view(private=False)

and `RedactedReader` goes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Literal, Protocol

import attrs

from debitor_core import (
    AccountSummary,
    Category,
    Customer,
    CustomerBook,
    CustomFieldDefinition,
    FieldType,
    SearchResult,
)
from debitor_core.storage import InMemoryStore

__all__ = ["USERS", "BookReader", "RedactedReader", "User", "reader_for"]


@attrs.frozen
class User:
    """A signed-in user.

    Attributes:
        name: The user's id, recorded as the author of notes and changes.
        title: How the app shows the user.
        sees_private: Whether the user has the private-data grant (private notes,
            attachments and personal-data custom fields).
    """

    name: str
    title: str
    sees_private: bool


USERS: Mapping[str, User] = {
    "owner": User("owner", "Anna (owner)", sees_private=True),
    "assistant": User("assistant", "Pēteris (assistant)", sees_private=False),
}
"""The demo users, by name."""


class BookReader(Protocol):
    """The book's read methods the screens use: what `reader_for` returns."""

    def get(self, customer_id: uuid.UUID | str) -> Customer:
        """Return the customer with this id."""
        ...

    def get_by_number(self, number: int) -> Customer:
        """Return the customer with this number."""
        ...

    def search(
        self,
        text: str = "",
        *,
        category: Any = None,  # noqa: ANN401 - as CustomerBook.search
        match: Literal["any", "all"] = "any",
        subcategories: bool = True,
        country: str | None = None,
        city: str | None = None,
        custom_fields: Mapping[str, Any] | None = None,
        archived: bool | None = False,
        sort: Literal["number", "name", "created"] = "number",
        descending: bool = False,
        offset: int = 0,
        limit: int | None = None,
    ) -> SearchResult:
        """Find customers by free text and filters."""
        ...

    def account(self, customer_id: uuid.UUID | str) -> AccountSummary:
        """The customer's invoices, payments and sums."""
        ...

    def categories(self) -> list[Category]:
        """Every category, by name."""
        ...

    def fields(self) -> list[CustomFieldDefinition]:
        """Every custom-field definition."""
        ...


def reader_for(book: CustomerBook, user: User) -> BookReader:
    """What ``user`` reads the book through: the one place private data is kept back."""
    return book if user.sees_private else RedactedReader(book)


_TEXT_TYPES = (FieldType.TEXT, FieldType.MULTILINE_TEXT)


class RedactedReader:
    """The book's reads without private data: what a user without the grant sees.

    Customers come back without private notes, attachments and personal-data custom
    fields, and a free-text search never matches on a personal-data field.
    """

    def __init__(self, book: CustomerBook) -> None:
        """Read ``book``."""
        self._book = book

    def _private_keys(self) -> frozenset[str]:
        return frozenset(f.key for f in self._book.fields() if f.personal_data)

    def _redacted(self, customer: Customer, private: frozenset[str]) -> Customer:
        fields = {k: v for k, v in customer.custom_fields.items() if k not in private}
        return attrs.evolve(customer, notes=(), attachments=(), custom_fields=fields)

    def get(self, customer_id: uuid.UUID | str) -> Customer:
        """Return the customer with this id, redacted."""
        return self._redacted(self._book.get(customer_id), self._private_keys())

    def get_by_number(self, number: int) -> Customer:
        """Return the customer with this number, redacted."""
        return self._redacted(self._book.get_by_number(number), self._private_keys())

    def search(
        self,
        text: str = "",
        *,
        offset: int = 0,
        limit: int | None = None,
        **filters: Any,  # noqa: ANN401 - as CustomerBook.search
    ) -> SearchResult:
        """Find customers as `CustomerBook.search` does, matching no private text."""
        private = self._private_keys()
        private_text = [
            f for f in self._book.fields() if f.key in private and f.type in _TEXT_TYPES
        ]
        if not text.strip() or not private_text:
            page = self._book.search(text, offset=offset, limit=limit, **filters)
            items = [self._redacted(c, private) for c in page]
            return SearchResult(items, lambda: page.total, offset)
        # The book's search also looks in personal-data text fields. Find every match,
        # then keep those that still match with the private values taken out.
        matches = [self._redacted(c, private) for c in self._book.search(text, **filters)]
        kept = self._still_matching(text, matches)
        end = None if limit is None else offset + limit
        return SearchResult(kept[offset:end], lambda: len(kept), offset)

    def _still_matching(self, text: str, customers: Iterable[Customer]) -> list[Customer]:
        """The customers ``text`` finds in their redacted values, in the order given.

        A throwaway in-memory book holds the redacted copies and the text fields that
        are not private, so that matching is the library's own (accents, case, words).
        """
        customers = list(customers)
        store = InMemoryStore()
        with store.transaction() as tx:
            for definition in self._book.fields():
                if definition.type in _TEXT_TYPES and not definition.personal_data:
                    tx.put_custom_field(definition)
            for customer in customers:
                tx.add(attrs.evolve(customer, categories=()))
        found = {c.id for c in CustomerBook(store).search(text, archived=None)}
        return [c for c in customers if c.id in found]

    def account(self, customer_id: uuid.UUID | str) -> AccountSummary:
        """The customer's account (it holds nothing private)."""
        return self._book.account(customer_id)

    def categories(self) -> list[Category]:
        """Every category, by name."""
        return self._book.categories()

    def fields(self) -> list[CustomFieldDefinition]:
        """The custom fields that do not hold personal data."""
        return [f for f in self._book.fields() if not f.personal_data]
