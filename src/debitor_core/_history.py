"""A customer's history: one entry per stored change, kept as a record beside the customer.

Every write of a customer (registration, edit, note, consent, archive, merge, delete,
erasure, ...) stores a `HistoryEntry` in the same commit: when, by whom, what kind of
change, and which fields changed from what to what. Values are kept as the library's
converter writes them (JSON text of the JSON-ready value), so an entry is plain data
that every store keeps as it keeps an invoice, and replaying a customer's entries
(`replay`) gives back every value that is not private.

Private fields (notes, attachments, and custom fields that hold personal data) are
recorded as changed, without their values.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Final

import attrs

from debitor_core._converter import to_data
from debitor_core._model import Customer

__all__ = [
    "ALWAYS_PRIVATE",
    "DefinitionAction",
    "DefinitionChange",
    "DefinitionSubject",
    "Erasure",
    "FieldChange",
    "Forward",
    "HistoryAction",
    "HistoryEntry",
    "attribute_changes",
    "field_changes",
    "field_values",
    "first_entry_fields",
    "replay",
    "without_private",
]

ALWAYS_PRIVATE: Final = frozenset({"notes", "attachments"})
"""The customer fields whose values history never keeps."""

_NOT_RECORDED: Final = frozenset({"id", "version", "updated"})


class HistoryAction(enum.Enum):
    """What kind of write an entry records.

    The ``invoice_*``, ``payment_recorded`` and ``reminder_sent`` entries record a write
    about one of the customer's invoices (`HistoryEntry.invoice`), without field changes.
    """

    REGISTERED = "registered"
    IMPORTED = "imported"
    CHANGED = "changed"
    MERGED = "merged"
    DELETED = "deleted"
    ERASED = "erased"
    INVOICE_ISSUED = "invoice_issued"
    INVOICE_VOIDED = "invoice_voided"
    INVOICE_SENT = "invoice_sent"
    INVOICE_NOT_SENT = "invoice_not_sent"
    PAYMENT_RECORDED = "payment_recorded"
    REMINDER_SENT = "reminder_sent"


@attrs.frozen(repr=False)
class FieldChange:
    """One field of a customer that a write changed.

    Attributes:
        field: The field's path: ``email``, ``address.city``, ``custom_fields.tier``.
        old_json: The value before, as JSON text of the converter's data; ``None``
            when the field had no value, or its value is private.
        new_json: The value after, likewise.
        private: The value is private: recorded as changed, without values.
    """

    field: str
    old_json: str | None = None
    new_json: str | None = None
    private: bool = False

    @property
    def old(self) -> Any:  # noqa: ANN401 - JSON-ready data
        """The value before, as JSON-ready data (``None``: none, or private)."""
        return None if self.old_json is None else json.loads(self.old_json)

    @property
    def new(self) -> Any:  # noqa: ANN401 - JSON-ready data
        """The value after, as JSON-ready data (``None``: none, or private)."""
        return None if self.new_json is None else json.loads(self.new_json)

    def __repr__(self) -> str:
        # Nothing of the values: reprs end up in logs and tracebacks.
        flag = " private" if self.private else ""
        return f"<FieldChange {self.field}{flag}>"


@attrs.frozen(repr=False)
class HistoryEntry:
    """One stored change of a customer.

    Attributes:
        id: Stable identifier (the record key).
        customer_id: The customer changed.
        at: When (UTC, by the book's clock).
        action: What kind of write it was.
        author: Who made it, as the host app names its users (``None``: not said).
        fields: The fields changed, in field order.
        other: For a merge, the other customer (the duplicate on the kept customer's
            entry, the kept customer on the duplicate's).
        reason: Why, where the write takes a reason (an erasure).
        initial: For a registration or import, the customer as stored, without its
            private values (its fields are then in `changes` as ``(None, value)``;
            ``fields`` lists only the private ones). Kept whole rather than field by
            field, so that registering stays cheap.
        version: Starts at 1; an erasure scrubs the entry and adds 1.
        invoice: For an entry about an invoice (issued, voided, sent or not sent,
            paid, reminded), the invoice's id.
    """

    KIND: ClassVar[str] = "history"

    id: uuid.UUID
    customer_id: uuid.UUID
    at: dt.datetime
    action: HistoryAction = HistoryAction.CHANGED
    author: str | None = None
    fields: tuple[FieldChange, ...] = ()
    other: uuid.UUID | None = None
    reason: str | None = None
    initial: Customer | None = None
    version: int = 1
    invoice: uuid.UUID | None = None

    @functools.cached_property
    def key(self) -> str:
        """The record key in a store (worked out once: a store asks for it several times)."""
        return str(self.id)

    @property
    def changes(self) -> dict[str, tuple[Any, Any] | None]:
        """Each changed field: ``(old, new)`` as JSON-ready data, or ``None`` when private."""
        found: dict[str, tuple[Any, Any] | None] = {}
        if self.initial is not None:
            found = {k: (None, v) for k, v in field_values(self.initial).items()}
        found.update({c.field: None if c.private else (c.old, c.new) for c in self.fields})
        return dict(sorted(found.items()))

    def all_fields(self) -> tuple[FieldChange, ...]:
        """Every field the entry changed, as `FieldChange` (``initial`` spelled out)."""
        if self.initial is None:
            return self.fields
        private = {c.field for c in self.fields}
        spelled = [
            FieldChange(k, None, _json(v))
            for k, v in field_values(self.initial).items()
            if k not in private
        ]
        return tuple(sorted((*spelled, *self.fields), key=lambda c: c.field))

    def __repr__(self) -> str:
        return (
            f"<HistoryEntry {self.action.value} {self.at:%Y-%m-%d %H:%M} "
            f"by {self.author or '?'}: {len(self.fields)} fields>"
        )


@attrs.frozen
class Forward:
    """Where a customer merged away went: lookups of its id and number lead on from here.

    Attributes:
        customer_id: The customer merged away (the record key).
        number: Its customer number.
        to: The customer it was merged into (which may itself have been merged on).
        at: When (UTC).
        version: Starts at 1.
    """

    KIND: ClassVar[str] = "forward"

    customer_id: uuid.UUID
    number: int
    to: uuid.UUID
    at: dt.datetime
    version: int = 1

    @property
    def key(self) -> str:
        """The record key in a store: the id of the customer merged away."""
        return str(self.customer_id)


@attrs.frozen
class Erasure:
    """The record that a customer's personal data was erased (kept for accountability).

    Attributes:
        customer_id: The customer erased (the record key).
        number: Its customer number.
        at: When (UTC).
        reason: Why, as the host app gave it (``request of the person``).
        author: Who erased it.
        invoices_released: Until when (exclusive) invoice copies had their bill-to
            details removed at the end of their retention (``None``: not yet).
        version: Starts at 1; each release of invoice copies adds 1.
    """

    KIND: ClassVar[str] = "erasure"

    customer_id: uuid.UUID
    number: int
    at: dt.datetime
    reason: str
    author: str | None = None
    invoices_released: dt.date | None = None
    version: int = 1

    @property
    def key(self) -> str:
        """The record key in a store: the id of the customer erased."""
        return str(self.customer_id)


class DefinitionSubject(enum.Enum):
    """What a `DefinitionChange` is about."""

    CATEGORY = "category"
    FIELD = "field"


class DefinitionAction(enum.Enum):
    """What kind of change a `DefinitionChange` records."""

    CREATED = "created"
    RENAMED = "renamed"
    MOVED = "moved"
    DELETED = "deleted"
    DEFINED = "defined"
    CHANGED = "changed"
    DEACTIVATED = "deactivated"
    ACTIVATED = "activated"


@attrs.frozen(repr=False)
class DefinitionChange:
    """One stored change of a category or a custom-field definition (the audit trail).

    Attributes:
        id: Stable identifier (the record key).
        at: When (UTC, by the book's clock).
        what: A category or a custom field.
        subject: The category's id (as text) or the field's key.
        action: What kind of change it was.
        author: Who made it, as the host app names its users (``None``: not said).
        fields: The attributes changed, old -> new, as `FieldChange` (``name``,
            ``parent``; ``label``, ``choices``, ``active``, ...); never private.
        version: Starts at 1.
    """

    KIND: ClassVar[str] = "definition_change"

    id: uuid.UUID
    at: dt.datetime
    what: DefinitionSubject
    subject: str
    action: DefinitionAction
    author: str | None = None
    fields: tuple[FieldChange, ...] = ()
    version: int = 1

    @property
    def key(self) -> str:
        """The record key in a store."""
        return str(self.id)

    @property
    def changes(self) -> dict[str, tuple[Any, Any]]:
        """Each changed attribute: ``(old, new)`` as JSON-ready data."""
        return {c.field: (c.old, c.new) for c in self.fields}

    def __repr__(self) -> str:
        return (
            f"<DefinitionChange {self.what.value} {self.subject} {self.action.value} "
            f"{self.at:%Y-%m-%d %H:%M} by {self.author or '?'}>"
        )


def attribute_changes(
    old: attrs.AttrsInstance | None, new: attrs.AttrsInstance | None
) -> tuple[FieldChange, ...]:
    """The attributes that differ between two definitions (either may be ``None``).

    ``old`` and ``new`` are a `Category` or a `CustomFieldDefinition` (or ``None``:
    it did not exist, or is gone); the identifier (``id``, ``key``) is not recorded,
    the record names it. Values are as the library's converter writes them.
    """
    before = _attributes(old)
    after = _attributes(new)
    return tuple(
        FieldChange(name, _json(before.get(name)), _json(after.get(name)))
        for name in sorted(before.keys() | after.keys())
        if before.get(name) != after.get(name)
    )


def _attributes(definition: attrs.AttrsInstance | None) -> dict[str, Any]:
    """Every attribute but the identifier, defaults included (``active: true`` says so)."""
    if definition is None:
        return {}
    found = {}
    for attribute in attrs.fields(type(definition)):
        if attribute.name in {"id", "key"}:
            continue
        value = to_data(getattr(definition, attribute.name))
        if value is not None and value != []:
            found[attribute.name] = value
    return found


def field_values(customer: Customer) -> dict[str, Any]:
    """A customer's recorded fields by path, as JSON-ready data (fields without a value left out).

    Paths are the top-level attribute names, ``address.<part>`` for the address and
    ``custom_fields.<key>`` for custom fields; the id, version and update time are not
    recorded (the entry itself says those).
    """
    values: dict[str, Any] = {}
    for name, value in to_data(customer).items():
        if name in _NOT_RECORDED:
            continue
        if name in ("address", "custom_fields"):
            for part, inner in value.items():
                if inner is not None:
                    values[f"{name}.{part}"] = inner
        elif value is not None:
            values[name] = value
    return values


def field_changes(
    old: Customer | None, new: Customer | None, private_fields: Iterable[str] = ()
) -> tuple[FieldChange, ...]:
    """The fields that differ between ``old`` and ``new`` (either may be missing).

    Args:
        old: The customer before (``None``: it did not exist).
        new: The customer after (``None``: it is gone).
        private_fields: Keys of the custom fields whose values are private.
    """
    before = field_values(old) if old is not None else {}
    after = field_values(new) if new is not None else {}
    private = {f"custom_fields.{key}" for key in private_fields} | ALWAYS_PRIVATE
    changes = []
    for name in sorted(before.keys() | after.keys()):
        was, now = before.get(name), after.get(name)
        if was == now:
            continue
        if name in private:
            changes.append(FieldChange(name, private=True))
        else:
            changes.append(FieldChange(name, _json(was), _json(now)))
    return tuple(changes)


def first_entry_fields(
    customer: Customer, private_fields: Iterable[str] = ()
) -> tuple[Customer, tuple[FieldChange, ...]]:
    """What a registration's entry keeps: the customer and its private fields.

    Returns:
        The customer without private values, and the private fields it has (as
        changed, without values).
    """
    keys = frozenset(private_fields)
    hidden = [k for k in customer.custom_fields if k in keys]
    marks = [FieldChange(f"custom_fields.{k}", private=True) for k in hidden]
    if customer.notes:
        marks.append(FieldChange("notes", private=True))
    if customer.attachments:
        marks.append(FieldChange("attachments", private=True))
    if not marks:
        return customer, ()
    public = {k: v for k, v in customer.custom_fields.items() if k not in keys}
    stripped = attrs.evolve(customer, notes=(), attachments=(), custom_fields=public)
    return stripped, tuple(sorted(marks, key=lambda c: c.field))


def replay(entries: Iterable[HistoryEntry]) -> dict[str, Any]:
    """The non-private field values that ``entries`` (oldest first) end with.

    For the entries of a customer, this is `field_values` of the customer as stored,
    without its private fields.
    """
    values: dict[str, Any] = {}
    for entry in entries:
        for change in entry.all_fields():
            if change.private or change.new_json is None:
                values.pop(change.field, None)
            else:
                values[change.field] = change.new
    return values


def _json(value: object) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def without_private(values: Mapping[str, Any], private_fields: Iterable[str]) -> dict[str, Any]:
    """``values`` (as `field_values` gives them) without the private fields."""
    private = {f"custom_fields.{key}" for key in private_fields} | ALWAYS_PRIVATE
    return {k: v for k, v in values.items() if k not in private}
