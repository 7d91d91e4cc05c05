"""The change feed: an optional capability of a store, for books that share it.

A book caches what it read. When the store's revision moves (another book, process or
host committed), a store with a change feed tells the book what changed since the
revision it saw, so that it catches up in proportion to the changes, not to the book.
Host apps use the same feed (through `CustomerBook.changes_since`) to keep a CRM, a
search engine or a cache in step.
"""

from __future__ import annotations

import uuid
from typing import Protocol, runtime_checkable

import attrs

from debitor_core._invoice import Record
from debitor_core._model import Customer

__all__ = ["ChangeFeed", "ChangeSet"]


@attrs.frozen(repr=False)
class ChangeSet:
    """What changed in a store after one revision, up to another, collapsed per key.

    Each customer and record appears once, in its state at ``revision``: what was
    added and then changed appears once, as changed; what was added and then deleted
    within the span does not appear at all (or only among ``deleted``).

    Attributes:
        store_id: The store's identity (see `ChangeFeed.store_id`).
        since: The revision the changes are counted from (exclusive).
        revision: The revision they bring the caller to (inclusive).
        customers: Every customer added or changed in the span, as it is at ``revision``
            (a renumbered customer comes with its new number).
        deleted: The ids of customers deleted in the span (and not there at ``revision``).
        records: Every record (invoice, payment, delivery, reminder log) added or
            changed in the span, as it is at ``revision``.
        categories: Whether any category was added, changed or deleted.
        custom_fields: Whether any custom-field definition was added or changed.
    """

    store_id: str
    since: int
    revision: int
    customers: tuple[Customer, ...] = ()
    deleted: tuple[uuid.UUID, ...] = ()
    records: tuple[Record, ...] = ()
    categories: bool = False
    custom_fields: bool = False

    @property
    def empty(self) -> bool:
        """Whether nothing changed in the span."""
        return not (
            self.customers or self.deleted or self.records or self.categories or self.custom_fields
        )

    def __repr__(self) -> str:
        return (
            f"<ChangeSet {self.since}->{self.revision}: {len(self.customers)} customers, "
            f"{len(self.deleted)} deleted, {len(self.records)} records>"
        )


@runtime_checkable
class ChangeFeed(Protocol):
    """A store that can say what changed since a revision (optional; see `Store`).

    The contract (checked by `debitor_core.testing.StoreContract` for stores that have it):

    - `store_id` names this store's history: it is created with the store and kept
      for its life. A store replaced by another (a new file, a restored backup of a
      different book) has another id.
    - `changes_since` reads in one consistent snapshot: the change set is exactly
      the difference between the committed state at ``revision`` and the committed
      state at the change set's ``revision``, never a mix of two commits' halves.
    - It returns ``None`` when it cannot answer exactly: the history before
      ``revision`` was pruned, ``revision`` is ahead of the store (a restored backup),
      or ``revision`` is negative. The caller then reloads everything.
    """

    def store_id(self) -> str:
        """Return the identity of this store's history."""
        ...

    def changes_since(self, revision: int) -> ChangeSet | None:
        """Return what changed after ``revision``, or ``None`` if that cannot be told."""
        ...
