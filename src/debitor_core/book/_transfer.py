"""Export and import: a whole book as JSON-ready data, and back, all or nothing.

An export carries everything a book keeps: categories, custom fields, customers, every
kind of record in `RECORD_KINDS` (invoices, payments, welcome-invoice deliveries,
reminder logs, and kinds added later) with their versions, and the book's last
customer number, so that a book restored from it never hands out a deleted
customer's number again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any, Final

import attrs

from debitor_core._converter import make_converter
from debitor_core._errors import Problem, ValidationError, problem
from debitor_core._form import FormContext, customer_to_form, parse_form
from debitor_core._history import (
    DefinitionChange,
    DefinitionSubject,
    Erasure,
    HistoryAction,
    HistoryEntry,
)
from debitor_core._integrity import structural_problems
from debitor_core._invoice import RECORD_KINDS, Invoice, Payment, Record, ReminderLog
from debitor_core._model import Customer
from debitor_core.book._arguments import checked_author
from debitor_core.book._build import erased_name, number_problems, with_draft
from debitor_core.book._export_format import Export, read_export
from debitor_core.book._idempotency import checked_key, fingerprint, log, replayed
from debitor_core.book._read_model import EVERYONE
from debitor_core.book._types import BookSettings
from debitor_core.book._unit_of_work import UnitOfWork, Writes

__all__ = ["Transfer"]

_PLACEHOLDER_TIME: Final = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
"""When the stand-in customer that reserves a restored last number was made (any
fixed moment: it is deleted in the transaction that adds it)."""


class Transfer:
    """Export a book's data, and import what an export produced."""

    def __init__(self, uow: UnitOfWork, settings: BookSettings) -> None:
        """Read and write through ``uow``; check imports by ``settings``."""
        self._uow = uow
        self._settings = settings

    def export(self, *, include_private: bool) -> dict[str, Any]:
        """Everything the book keeps as JSON-ready data (see `CustomerBook.export`)."""
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            definitions = uow.definitions
            customers = list(uow.model.search(EVERYONE))
            last_number = uow.model.last_number()
            records = {
                kind: sorted(uow.store.records(cls), key=lambda r: r.key)
                for kind, cls in RECORD_KINDS.items()
            }
        if not include_private:
            personal = {d.key for d in definitions.fields.values() if d.personal_data}
            customers = [_public(c, personal) for c in customers]
        converter = make_converter()
        return {
            "last_number": last_number,
            "categories": converter.unstructure(list(definitions.categories.values())),
            "custom_fields": converter.unstructure(list(definitions.fields.values())),
            "customers": converter.unstructure(customers),
            "records": {kind: converter.unstructure(items) for kind, items in records.items()},
        }

    def import_data(
        self,
        data: Mapping[str, Any],
        author: str | None = None,
        idempotency_key: str | None = None,
    ) -> list[Customer]:
        """Import what `export` produced, all or nothing (see `CustomerBook.import_data`)."""
        uow = self._uow
        author = checked_author("import_data", author)
        key = checked_key("import_data", idempotency_key)
        print_ = fingerprint(data) if key is not None else ""
        with uow.lock:
            uow.catch_up()
            done = replayed(uow, key, print_, ValidationError)
            if done is not None:
                return done
            export = read_export(data)
            definitions = uow.definitions
            mapping = {c.name.casefold(): c.id for c in definitions.categories.values()}
            renumber = {c.id: mapping.get(c.name.casefold(), c.id) for c in export.categories}
            problems = _definition_problems(export)
            checked = self._customers(export, renumber, mapping, problems)
            problems += self._record_problems(export, {c.id for c in checked})
            if problems:
                raise ValidationError(problems)
            reserve = None
            at = self._settings.clock()
            with uow.transaction(author=author, at=at) as tx:  # caught up inside: compare there
                done = replayed(uow, key, print_, ValidationError)  # another process was first
                if done is not None:
                    return done
                _write(tx, export, checked, mapping, set(definitions.fields))
                log(tx, key, print_, checked, uow)
                numbers = [uow.model.last_number(), *(c.number for c in checked)]
                if export.last_number > max(numbers):
                    reserve = export.last_number
                    _reserve_number(tx, reserve)
            if reserve is not None:  # the read model learns the number from the store
                uow.model.reload(uow.store, uow.definitions)
            return checked

    def _customers(
        self,
        export: Export,
        renumber: Mapping[uuid.UUID, uuid.UUID],
        mapping: Mapping[str, uuid.UUID],
        problems: list[Problem],
    ) -> list[Customer]:
        """The export's customers checked and in normal form; their problems into ``problems``."""
        definitions = self._uow.definitions
        context = attrs.evolve(
            definitions.context(self._settings.required),
            categories={**{c.name.casefold(): c.id for c in export.categories}, **mapping},
            fields={**{f.key: f for f in export.fields}, **definitions.fields},
        )
        names = {**{c.id: c.name for c in export.categories}, **definitions.category_names()}
        erased = {
            r.customer_id
            for _kind, records in export.records
            for r in records
            if type(r) is Erasure
        }
        ids: set[uuid.UUID] = set()
        numbers: set[int] = set()
        checked: list[Customer] = []
        for position, record in enumerate(export.customers):
            customer = attrs.evolve(
                record,
                categories=tuple(sorted(renumber.get(c, c) for c in record.categories)),
            )
            found = structural_problems(customer)
            clearer = number_problems(customer.number, lambda _: False)
            if clearer:  # a number out of range: said as registration says it
                found = [p for p in found if p.path != "number"] + clearer
            if not found:
                form = None if _is_tombstone(customer, erased) else context
                customer, found = self._check(customer, form, names, ids, numbers)
            problems += [p.at(f"customers[{position}]") for p in found]
            ids.add(customer.id)
            numbers.add(customer.number)
            checked.append(customer)
        return checked

    def _check(
        self,
        customer: Customer,
        context: FormContext | None,
        names: Mapping[uuid.UUID, str],
        ids: set[uuid.UUID],
        numbers: set[int],
    ) -> tuple[Customer, list[Problem]]:
        """Check an imported customer like a form; return it in normal form, and problems.

        ``ids`` and ``numbers`` are those of the customers imported before it. Without a
        ``context`` (an erased customer's tombstone, which holds no data to check) only
        its id and number are checked.
        """
        model = self._uow.model
        draft = None
        problems: list[Problem] = []
        if context is not None:
            previous = attrs.evolve(context, previous_fields=customer.custom_fields)
            draft, found = parse_form(customer_to_form(customer, names), previous)
            problems = [p for p in found if p.is_error]
        if customer.id in ids or model.get(customer.id) is not None:
            customer_id = str(customer.id)
            problems.append(problem("id", "id.taken", customer_id, id=customer_id))
        problems += number_problems(
            customer.number, lambda n: n in numbers or model.get_by_number(n) is not None
        )
        return (customer if problems or draft is None else with_draft(customer, draft)), problems

    def _record_problems(self, export: Export, customer_ids: set[uuid.UUID]) -> list[Problem]:
        """What is wrong with the export's records: damage, clashes, references."""
        uow = self._uow
        model = uow.model
        known_customers = customer_ids.union(c.id for c in model.search(EVERYONE))
        invoice_numbers = {i.number for i in model.invoices()}
        invoices = {i.id for i in model.invoices()}
        for _kind, records in export.records:
            invoices.update(r.id for r in records if isinstance(r, Invoice))
        problems: list[Problem] = []
        for kind, records in export.records:
            stored = {r.key for r in uow.store.records(RECORD_KINDS[kind])}
            for position, record in enumerate(records):
                where = f"records.{kind}[{position}]"
                found = structural_problems(record)
                if record.key in stored:
                    params = {"record": kind, "key": str(record.key)}
                    found.append(Problem("key", "record.taken", value=record.key, params=params))
                stored.add(record.key)
                found += _references(record, known_customers, invoices, invoice_numbers)
                problems += [p.at(where) for p in found]
        return problems


def _write(
    tx: Writes,
    export: Export,
    customers: list[Customer],
    categories: Mapping[str, uuid.UUID],
    fields: set[str],
) -> None:
    """Store what the book lacks of the export's definitions, and its customers and records."""
    for category in export.categories:
        if category.name.casefold() not in categories:
            tx.put_category(category, action=None)  # the export carries its audit
    for definition in export.fields:
        if definition.key not in fields:
            tx.put_custom_field(definition, action=None)
    # The audit trail of a category or field the book has already is the book's own.
    kept = {
        (DefinitionSubject.CATEGORY, str(c.id))
        for c in export.categories
        if c.name.casefold() in categories
    }
    kept.update((DefinitionSubject.FIELD, d.key) for d in export.fields if d.key in fields)
    carried: set[uuid.UUID] = set()  # customers whose history comes with them
    for _kind, records in export.records:  # first: a carried history, then an import's entry
        for record in records:
            if isinstance(record, DefinitionChange) and (record.what, record.subject) in kept:
                continue
            tx.put_record(record, expected_version=None)
            if isinstance(record, HistoryEntry):
                carried.add(record.customer_id)
    for customer in customers:
        tx.add(customer, action=None if customer.id in carried else HistoryAction.IMPORTED)


def _references(
    record: Record,
    customers: set[uuid.UUID],
    invoices: set[uuid.UUID],
    invoice_numbers: set[int],
) -> list[Problem]:
    """What a record refers to that neither the book nor the export holds.

    Invoices name their customer and payments and reminder logs their invoice, and the
    book keeps those references whole (a customer with invoices is never deleted; a
    merge moves them). A delivery may outlive a merged customer, so it is not checked.
    """
    problems: list[Problem] = []
    if isinstance(record, Invoice):
        if record.customer_id not in customers:
            customer_id = str(record.customer_id)
            params = {"record": record.KIND, "customer_id": customer_id}
            problems.append(
                Problem("customer_id", "record.reference", value=customer_id, params=params)
            )
        if record.number in invoice_numbers:
            number = record.number
            problems.append(problem("number", "invoice.number_taken", number, number=number))
        invoice_numbers.add(record.number)
    elif isinstance(record, Payment | ReminderLog) and record.invoice_id not in invoices:
        invoice_id = str(record.invoice_id)
        params = {"record": record.KIND, "invoice_id": invoice_id}
        problems.append(Problem("invoice_id", "record.reference", value=invoice_id, params=params))
    return problems


def _is_tombstone(customer: Customer, erased: set[uuid.UUID]) -> bool:
    """Whether ``customer`` is exactly what `CustomerBook.erase` leaves of an erased one.

    A tombstone has no country or other data a book may require, so it is not checked
    like a form; anything more than a tombstone is, whatever the records say.
    """
    tombstone = Customer(
        id=customer.id,
        number=customer.number,
        name=erased_name(customer.number),
        archived=True,
        created=customer.created,
        updated=customer.updated,
        version=customer.version,
    )
    return customer.id in erased and customer == tombstone


def _public(customer: Customer, personal: set[str]) -> Customer:
    """``customer`` without private notes, attachments, consent and personal-data fields."""
    fields = customer.custom_fields
    if personal and not personal.isdisjoint(fields):
        fields = {k: v for k, v in fields.items() if k not in personal}
    return attrs.evolve(customer, notes=(), attachments=(), consents=(), custom_fields=fields)


def _reserve_number(tx: Writes, number: int) -> None:
    """Raise the store's last customer number to ``number``, through the `Store` protocol.

    A stand-in customer with that number is added and deleted in the same transaction:
    a store keeps the highest number any customer ever had, so no store, ours or a host
    app's, hands the number out again.
    """
    stand_in = Customer(
        id=uuid.uuid4(),
        number=number,
        name="-",
        created=_PLACEHOLDER_TIME,
        updated=_PLACEHOLDER_TIME,
    )
    tx.stand_in(stand_in)


def _definition_problems(export: Export) -> list[Problem]:
    """Structural problems of the export's categories and custom fields."""
    problems: list[Problem] = []
    for section, items in (("categories", export.categories), ("custom_fields", export.fields)):
        for position, item in enumerate(items):
            problems += [p.at(f"{section}[{position}]") for p in structural_problems(item)]
    return problems
