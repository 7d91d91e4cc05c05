"""Subject access and erasure: everything about a person, and the right to be forgotten."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import attrs

from debitor_core import _rules
from debitor_core._checks import run_rule
from debitor_core._converter import make_converter
from debitor_core._errors import NotFound
from debitor_core._history import Erasure, FieldChange, HistoryAction, HistoryEntry
from debitor_core._invoice import (
    BillTo,
    Delivery,
    DeliveryState,
    Invoice,
    Payment,
    Record,
    ReminderLog,
)
from debitor_core._model import Customer
from debitor_core.book._arguments import checked_author
from debitor_core.book._build import erased_name
from debitor_core.book._read_model import CustomerReadModel, customer_not_found
from debitor_core.book._types import BookSettings
from debitor_core.book._unit_of_work import UnitOfWork, Writes
from debitor_core.storage._protocol import Scrubbable

__all__ = ["Privacy"]


@attrs.frozen
class _Subject:
    """Whose data a request is about: the customer (``None`` if deleted) and every id."""

    id: uuid.UUID
    customer: Customer | None
    ids: tuple[uuid.UUID, ...]


class Privacy:
    """Answer a person's request for their data, and erase it."""

    def __init__(self, uow: UnitOfWork, settings: BookSettings) -> None:
        """Work through ``uow``; ``settings`` give the clock."""
        self._uow = uow
        self._settings = settings

    def subject_export(self, customer_id: uuid.UUID | str) -> dict[str, Any]:
        """Everything stored about the person (see `CustomerBook.subject_export`)."""
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            subject = _subject(uow.model, customer_id)
            history = [e for i in subject.ids for e in uow.model.history(i)]
            records = uow.model.records_about(subject.ids)
        converter = make_converter()
        customer = subject.customer

        def of(kind: type[Record]) -> list[Any]:
            found = [r for r in records if type(r) is kind]
            return list(converter.unstructure(found))

        return {
            "customer_id": str(subject.id),
            "customer": None if customer is None else converter.unstructure(customer),
            "merged_from": [str(i) for i in subject.ids if i != subject.id],
            "consents": [] if customer is None else converter.unstructure(customer.consents),
            "history": converter.unstructure(history),
            "invoices": of(Invoice),
            "payments": of(Payment),
            "deliveries": of(Delivery),
            "reminders": of(ReminderLog),
            "erasures": of(Erasure),
        }

    def erase(self, customer_id: uuid.UUID | str, reason: str, author: str | None) -> Customer:
        """Erase the person's data but for invoice copies (see `CustomerBook.erase`)."""
        why = run_rule("reason", _reason, reason)
        author = checked_author("erase", author)
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            subject = _subject(uow.model, customer_id)
            history = [e for i in subject.ids for e in uow.model.history(i)]
            records = uow.model.records_about(subject.ids)
            number = _number(subject, history, records)
            now = self._settings.clock()
            tombstone = _tombstone(subject, number, now)
            with uow.transaction(author=author, at=now) as tx:
                if subject.customer is not None:
                    tx.update(
                        tombstone,
                        expected_version=subject.customer.version,
                        action=HistoryAction.ERASED,
                        reason=why,
                    )
                else:
                    tx.note(subject.id, HistoryAction.ERASED, why)
                for entry in history:
                    _scrub_entry(tx, entry)
                for record in records:
                    _scrub_record(tx, record)
                if not any(type(r) is Erasure and r.customer_id == subject.id for r in records):
                    erasure = Erasure(subject.id, number, now, why, author)
                    tx.put_record(erasure, expected_version=None)
        _scrub_store(uow)
        return tombstone

    def erase_invoice_copies(self, issued_before: dt.date) -> list[Invoice]:
        """Take the bill-to details off erased customers' old invoices (see the facade)."""
        if not isinstance(issued_before, dt.date) or isinstance(issued_before, dt.datetime):
            msg = f"issued_before must be a datetime.date, not {type(issued_before).__name__}."
            raise TypeError(msg)
        uow = self._uow
        changed: list[Invoice] = []
        with uow.lock:
            uow.catch_up()
            erasures = uow.model.erasures()
            with uow.transaction() as tx:
                for erasure in erasures:
                    ids = _merged_ids(uow.model, erasure.customer_id)
                    for customer_id in ids:
                        for invoice in uow.model.invoices(customer_id):
                            anonymous = _anonymous(invoice, erasure.number)
                            if invoice.issue_date < issued_before and anonymous != invoice:
                                tx.put_record(anonymous, expected_version=invoice.version)
                                changed.append(anonymous)
                    released = erasure.invoices_released
                    if released is None or released < issued_before:
                        tx.put_record(
                            attrs.evolve(
                                erasure,
                                invoices_released=issued_before,
                                version=erasure.version + 1,
                            ),
                            expected_version=erasure.version,
                        )
        if changed:
            _scrub_store(uow)
        return changed


def _reason(value: object) -> str:
    return _rules.text(
        value,
        label="reason",
        code="reason",
        max_length=_rules.LIMITS["multiline_text"],
        multiline=True,
    )


def _subject(model: CustomerReadModel, customer_id: uuid.UUID | str) -> _Subject:
    """The person ``customer_id`` names: live, merged into another, or deleted."""
    key = customer_id if isinstance(customer_id, uuid.UUID) else _parse_uuid(customer_id)
    if key is None:
        raise _not_found(customer_id)
    target: uuid.UUID | None = key
    seen: set[uuid.UUID] = set()
    while target is not None and target not in seen:
        customer = model.get(target)
        if customer is not None:
            return _Subject(target, customer, _merged_ids(model, target))
        seen.add(target)
        target = model.merged_into(target)
    if model.history(key):  # deleted (or its kept customer is)
        return _Subject(key, None, _merged_ids(model, key))
    raise _not_found(customer_id)


def _merged_ids(model: CustomerReadModel, customer_id: uuid.UUID) -> tuple[uuid.UUID, ...]:
    """``customer_id`` and every customer merged into it, directly or through others."""
    ids = [customer_id]
    for current in ids:
        ids += [i for i in model.merged_from(current) if i not in ids]
    return tuple(ids)


def _number(subject: _Subject, history: list[HistoryEntry], records: list[Record]) -> int:
    """The subject's customer number: stored, or as its history or erasure says."""
    if subject.customer is not None:
        return subject.customer.number
    for record in records:
        if type(record) is Erasure and record.customer_id == subject.id:
            return record.number
    for entry in reversed(history):
        if entry.customer_id == subject.id and entry.initial is not None:
            return entry.initial.number
    raise NotFound.coded("customer.erase_no_number", {"id": str(subject.id)})


def _tombstone(subject: _Subject, number: int, now: dt.datetime) -> Customer:
    """The anonymised customer that keeps the number (the erased one's id and times)."""
    current = subject.customer
    return Customer(
        id=subject.id,
        number=number,
        name=erased_name(number),
        archived=True,
        created=current.created if current is not None else now,
        updated=now,
        version=current.version + 1 if current is not None else 1,
    )


def _scrub_entry(tx: Writes, entry: HistoryEntry) -> None:
    """Rewrite a history entry without its values (the fields changed are kept)."""
    if entry.initial is None and all(c.private for c in entry.fields):
        return
    fields = tuple(FieldChange(c.field, private=True) for c in entry.all_fields())
    scrubbed = attrs.evolve(entry, fields=fields, initial=None, version=entry.version + 1)
    tx.put_record(scrubbed, expected_version=entry.version)


def _scrub_record(tx: Writes, record: Record) -> None:
    """Take what is personal out of a delivery or a welcome invoice's rendered message."""
    if type(record) is Invoice and record.message is not None:
        tx.put_record(
            attrs.evolve(record, message=None, version=record.version + 1),
            expected_version=record.version,
        )
    elif type(record) is Delivery and (
        record.last_error is not None or record.state is DeliveryState.PENDING
    ):
        state = DeliveryState.NOT_SENT if record.state is DeliveryState.PENDING else record.state
        tx.put_record(
            attrs.evolve(record, last_error=None, state=state, version=record.version + 1),
            expected_version=record.version,
        )


def _anonymous(invoice: Invoice, number: int) -> Invoice:
    """``invoice`` without the bill-to details and message (same if already so)."""
    bill_to = BillTo(invoice.bill_to.customer_number, erased_name(number))
    if invoice.bill_to == bill_to and invoice.message is None:
        return invoice
    return attrs.evolve(invoice, bill_to=bill_to, message=None, version=invoice.version + 1)


def _scrub_store(uow: UnitOfWork) -> None:
    """Have the store destroy replaced values on disk, if it can (`Scrubbable`)."""
    if isinstance(uow.store, Scrubbable):
        uow.store.scrub()


def _not_found(customer_id: object) -> NotFound:
    return customer_not_found(customer_id)


def _parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(text))
    except ValueError:
        return None
