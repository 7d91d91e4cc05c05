"""`BookView`: the book's reads for a user without the private-data grant.

A view has the read methods of `CustomerBook` and none of its writing ones, so handing
a view to a screen cannot lead to a write. With ``private=False`` (the point of a view)
every customer it returns has no private notes, no attachments and no values of
custom fields that hold personal data; its searches never match private text, and its
filters and field lookups do not know the personal-data fields (asking for one is a
`NotFound`, as for a field that does not exist), so no answer depends on private data.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

from debitor_core._category import Category
from debitor_core._errors import NotFound
from debitor_core._fields import CustomFieldDefinition
from debitor_core._history import DefinitionChange, DefinitionSubject, FieldChange, HistoryEntry
from debitor_core._invoice import Delivery, Invoice
from debitor_core._model import ConsentChannel, Customer
from debitor_core._shown import shown
from debitor_core.book._accounts import AccountSummary, DueReminder, Totals
from debitor_core.book._billing import Billing
from debitor_core.book._categories import Categories
from debitor_core.book._custom_fields import CustomFields
from debitor_core.book._delivery import WelcomeDelivery
from debitor_core.book._history import History
from debitor_core.book._search import CustomerSearch
from debitor_core.book._types import CategoryCount, CategoryRef, SearchResult, SortKey

__all__ = ["BookView", "redacted"]


def redacted(customer: Customer, private_fields: Iterable[str]) -> Customer:
    """``customer`` without notes, attachments and the values of ``private_fields``."""
    private = frozenset(private_fields)
    fields = {k: v for k, v in customer.custom_fields.items() if k not in private}
    if (
        not customer.notes
        and not customer.attachments
        and len(fields) == len(customer.custom_fields)
    ):
        return customer
    return attrs.evolve(customer, notes=(), attachments=(), custom_fields=fields)


@attrs.frozen
class ViewParts:
    """The parts a view reads through (the facade hands over its own)."""

    search: CustomerSearch
    categories: Categories
    fields: CustomFields
    billing: Billing
    delivery: WelcomeDelivery
    history: History


class BookView:
    """A read-only view of a `CustomerBook`; made by `CustomerBook.view`.

    With ``private=False``, customers come back with private notes, attachments and
    personal-data custom fields taken out, search never matches private text, and the
    personal-data fields are not known to `fields`, `field` and the search filters.
    With ``private=True`` the view reads everything, but still cannot write.
    """

    __slots__ = ("_parts", "_private")

    def __init__(self, parts: ViewParts, *, private: bool) -> None:
        """Read through ``parts``; ``private`` says whether private data is shown."""
        self._parts = parts
        self._private = private

    @property
    def private(self) -> bool:
        """Whether the view shows private data."""
        return self._private

    def _hidden(self) -> frozenset[str]:
        """The keys of the custom fields this view keeps back (none with the grant)."""
        if self._private:
            return frozenset()
        return frozenset(f.key for f in self._parts.fields.all() if f.personal_data)

    def _shown(self, customer: Customer) -> Customer:
        return customer if self._private else redacted(customer, self._hidden())

    # -- customers ---------------------------------------------------------------------

    def get(self, customer_id: uuid.UUID | str) -> Customer:
        """Return the customer with this id (see `CustomerBook.get`), redacted."""
        return self._shown(self._parts.search.get(customer_id))

    def get_by_number(self, number: int) -> Customer:
        """Return the customer with this number (see `CustomerBook.get_by_number`), redacted."""
        return self._shown(self._parts.search.get_by_number(number))

    def __len__(self) -> int:
        """How many customers the book holds, archived ones included."""
        return self._parts.search.count()

    def search(
        self,
        text: str | None = "",
        *,
        category: CategoryRef | Iterable[CategoryRef] | None = None,
        match: Literal["any", "all"] = "any",
        subcategories: bool = True,
        country: str | None = None,
        city: str | None = None,
        custom_fields: Mapping[str, Any] | None = None,
        archived: bool | None = False,
        sort: SortKey = "number",
        descending: bool = False,
        offset: int = 0,
        limit: int | None = None,
    ) -> SearchResult:
        """Find customers as `CustomerBook.search` does, redacted, matching no private text.

        Raises:
            NotFound: a category or custom field does not exist, or the custom field
                holds personal data and the view does not show it.
            ValidationError: a filter value is not valid.
        """
        hidden = self._hidden()
        if isinstance(custom_fields, Mapping):
            for key in custom_fields:
                if key in hidden:
                    raise _no_field(key)
        page = self._parts.search.search(
            text,
            category=category,
            match=match,
            subcategories=subcategories,
            country=country,
            city=city,
            custom_fields=custom_fields,
            archived=archived,
            sort=sort,
            descending=descending,
            offset=offset,
            limit=limit,
            include_private=self._private,
        )
        if not hidden and self._private:
            return page
        items = [redacted(c, hidden) for c in page]
        return SearchResult(items, lambda: page.total, offset)

    def customers(self, *, archived: bool | None = False) -> SearchResult:
        """List customers in number order (archived ones hidden unless asked for), redacted."""
        return self.search(archived=archived)

    # -- categories and custom fields ----------------------------------------------------

    def categories(self) -> list[Category]:
        """Every category, by name."""
        return self._parts.categories.all()

    def category(self, ref: CategoryRef) -> Category:
        """Return a category by object, id or name (`NotFound` when there is none)."""
        return self._parts.categories.get(ref)

    def category_counts(self, *, archived: bool | None = False) -> list[CategoryCount]:
        """The category report: customers per category, with and without sub-categories."""
        return self._parts.categories.counts(archived=archived)

    def fields(self) -> list[CustomFieldDefinition]:
        """Every custom-field definition the view shows, in the order defined."""
        hidden = self._hidden()
        return [f for f in self._parts.fields.all() if f.key not in hidden]

    def field(self, key: str) -> CustomFieldDefinition:
        """Return the definition of the custom field ``key``.

        Raises:
            NotFound: no field has the key, or it holds personal data the view keeps back.
        """
        if key in self._hidden():
            raise _no_field(key)
        return self._parts.fields.get(key)

    # -- invoices and accounts -----------------------------------------------------------

    def invoice(self, invoice_id: uuid.UUID) -> Invoice:
        """Return an invoice by id (`NotFound` when there is none)."""
        return self._parts.billing.invoice(invoice_id)

    def invoices(self, customer_id: uuid.UUID | str | None = None) -> list[Invoice]:
        """Every invoice, or a customer's, by number."""
        return self._parts.billing.invoices(customer_id)

    def account(
        self, customer_id: uuid.UUID | str, *, as_of: dt.date | None = None
    ) -> AccountSummary:
        """The customer's account (see `CustomerBook.account`); it holds nothing private."""
        return self._parts.billing.account(customer_id, as_of)

    def category_totals(
        self, *, as_of: dt.date | None = None, archived: bool | None = None
    ) -> list[tuple[Category, dict[str, Totals]]]:
        """The category report's money: totals by currency per category."""
        return self._parts.billing.category_totals(as_of=as_of, archived=archived)

    def pending_deliveries(self) -> list[Delivery]:
        """Welcome invoices not yet accepted by the sender."""
        return self._parts.delivery.pending()

    def due_reminders(self, today: dt.date | None = None) -> list[DueReminder]:
        """Reminders of sent, unpaid welcome invoices that are due."""
        return self._parts.delivery.due_reminders(today)

    # -- history -------------------------------------------------------------------------

    def history(self, customer_id: uuid.UUID | str) -> list[HistoryEntry]:
        """A customer's history (see `CustomerBook.history`).

        Without the grant, the values of fields that hold personal data now are taken
        out too (history never keeps private values; a field may have become personal
        data since).
        """
        entries = self._parts.history.history(customer_id)
        hidden = {f"custom_fields.{key}" for key in self._hidden()}
        if not hidden:
            return entries
        return [_without(entry, hidden) for entry in entries]

    def definition_history(
        self, *, category: CategoryRef | None = None, field: str | None = None
    ) -> list[DefinitionChange]:
        """The changes to definitions (see `CustomerBook.definition_history`).

        Without the grant, those of the fields the view keeps back (personal data
        now) are left out, as `fields` leaves out their definitions.
        """
        changes = self._parts.history.definition_history(category, field)
        hidden = self._hidden()
        if not hidden:
            return changes
        return [
            c for c in changes if c.what is not DefinitionSubject.FIELD or c.subject not in hidden
        ]

    def may_contact(self, customer_id: uuid.UUID | str, channel: ConsentChannel | str) -> bool:
        """Whether the customer may be contacted through ``channel`` (see `may_contact`)."""
        return self._parts.history.may_contact(customer_id, channel)

    def __repr__(self) -> str:
        shown = "with" if self._private else "without"
        return f"<BookView {shown} private data>"


def _without(entry: HistoryEntry, hidden: set[str]) -> HistoryEntry:
    every = entry.all_fields()
    if not any(c.field in hidden and not c.private for c in every):
        return entry
    fields = tuple(FieldChange(c.field, private=True) if c.field in hidden else c for c in every)
    return attrs.evolve(entry, fields=fields, initial=None)


def _no_field(key: str) -> NotFound:
    return NotFound.coded("custom_field.not_found", {"key": shown(key)})
