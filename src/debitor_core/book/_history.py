"""History and consent: what was done to a customer, and whether it may be contacted."""

from __future__ import annotations

import uuid

from debitor_core._category import Category
from debitor_core._errors import ValidationError
from debitor_core._history import DefinitionChange, DefinitionSubject, HistoryEntry
from debitor_core._model import ConsentChannel
from debitor_core.book._arguments import checked_text
from debitor_core.book._read_model import customer_not_found, find_forwarded
from debitor_core.book._types import CategoryRef
from debitor_core.book._unit_of_work import UnitOfWork

__all__ = ["History"]


class History:
    """Read a customer's history (the unit of work writes it) and its consent state."""

    def __init__(self, uow: UnitOfWork) -> None:
        """Read through ``uow``."""
        self._uow = uow

    def history(self, customer_id: uuid.UUID | str) -> list[HistoryEntry]:
        """The customer's history entries, oldest first (see `CustomerBook.history`).

        Raises:
            NotFound: no customer has (or had) the id.
        """
        uow = self._uow
        uow.catch_up()
        key = _uuid(customer_id)
        entries = uow.model.history(key) if key is not None else []
        if not entries and (key is None or uow.model.get(key) is None):
            raise customer_not_found(customer_id)
        return entries

    def definition_history(
        self, category: CategoryRef | None, field: str | None
    ) -> list[DefinitionChange]:
        """The changes to definitions, oldest first (see `CustomerBook.definition_history`).

        Raises:
            NotFound: no category has the name given.
        """
        checked_text("definition_history", "field", field)
        uow = self._uow
        uow.catch_up()
        wanted: set[tuple[DefinitionSubject, str]] = set()
        if category is not None:
            given = category.id if isinstance(category, Category) else category
            key = _uuid(given) if isinstance(given, uuid.UUID | str) else None
            if key is None:  # a name (or a wrong type, which `category` reports)
                key = uow.definitions.category(given).id
            wanted.add((DefinitionSubject.CATEGORY, str(key)))
        if field is not None:
            wanted.add((DefinitionSubject.FIELD, field))
        changes = [
            c
            for c in uow.store.records(DefinitionChange)
            if not wanted or (c.what, c.subject) in wanted
        ]
        return sorted(changes, key=lambda c: c.at)  # stable: one commit's in the order stored

    def may_contact(self, customer_id: uuid.UUID | str, channel: ConsentChannel | str) -> bool:
        """Whether the last consent record for ``channel`` is a grant (see `may_contact`)."""
        chosen = consent_channel(channel)
        self._uow.catch_up()
        return find_forwarded(self._uow.model, customer_id).consent_to(chosen)


def consent_channel(channel: ConsentChannel | str) -> ConsentChannel:
    """The channel named (`ValidationError` ``consent.invalid`` for any other value)."""
    try:
        return ConsentChannel(channel)
    except ValueError:
        choices = ", ".join(c.value for c in ConsentChannel)
        msg = f"The consent channel must be one of {choices}, not {channel!r}."
        raise ValidationError.single("consent.invalid", msg, channel, "channel") from None


def _uuid(value: uuid.UUID | str) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
