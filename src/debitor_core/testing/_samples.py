"""Sample customers and records with every field filled, for tests of stores."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import attrs

from debitor_core._category import Category
from debitor_core._fields import CustomFieldDefinition, FieldType
from debitor_core._history import (
    DefinitionAction,
    DefinitionChange,
    DefinitionSubject,
    FieldChange,
    HistoryAction,
    HistoryEntry,
    attribute_changes,
    field_changes,
)
from debitor_core._invoice import (
    BillTo,
    Branding,
    Delivery,
    Invoice,
    InvoiceLine,
    InvoiceState,
    Payment,
    ReminderLog,
)
from debitor_core._model import (
    Address,
    AttachmentRef,
    Consent,
    ConsentChannel,
    Customer,
    CustomerKind,
    Note,
    Phone,
    PhoneType,
    TaxId,
)
from debitor_core._terms import PaymentTerms

_MOMENT = dt.datetime(2026, 11, 26, 9, 30, 15, 123456, tzinfo=dt.UTC)


def sample_customer(number: int = 1, **changes: Any) -> Customer:  # noqa: ANN401 - any field
    """A customer with every field filled, Unicode, decimals and dates included."""
    customer = Customer(
        id=uuid.uuid4(),
        number=number,
        name="SIA Bērziņš & Ko — Ωμέγα 王",
        kind=CustomerKind.COMPANY,
        contact_person="Jānis Bērziņš",
        address=Address("Brīvības iela 1\n2. stāvs", "LV-1050", "Rīga", "Rīgas novads", "LV"),
        email="jānis@bērziņš.lv",
        other_emails=("info@koks.lv",),
        phone=Phone("+37120000000", PhoneType.MOBILE),
        other_phones=(Phone("+37167000000", PhoneType.FAX),),
        website="https://koks.lv",
        tax_id=TaxId("LV40003521600", "LV"),
        company_id="40003521600",
        payment_terms=PaymentTerms.on(dt.date(2027, 2, 28)),
        currency="EUR",
        language="lv",
        categories=(uuid.UUID(int=1), uuid.UUID(int=2)),
        custom_fields={
            "limit": Decimal("1234.50"),
            "since": dt.date(2020, 2, 29),
            "vip": True,
            "visits": 7,
            "tags": ("a", "b"),
            "segment": "Mēbeles",
        },
        notes=(Note("Maksā ar karti.\nLabi.", _MOMENT, "anna"),),
        attachments=(AttachmentRef("līgums.pdf", "application/pdf", 2048, "ab" * 32, _MOMENT),),
        consents=(Consent(ConsentChannel.EMAIL, given=True, at=_MOMENT, source="web"),),
        archived=False,
        created=_MOMENT,
        updated=_MOMENT,
        version=1,
    )
    return attrs.evolve(customer, **changes)


def sample_records(customer: Customer) -> tuple[Invoice, Payment, Delivery, ReminderLog]:
    """An invoice of ``customer`` with a payment, a delivery and a reminder log."""
    invoice = Invoice(
        id=uuid.uuid4(),
        number=1,
        customer_id=customer.id,
        bill_to=BillTo.of(customer),
        lines=(
            InvoiceLine("Sveiki! Welcome", Decimal(1), Decimal("0.00")),
            InvoiceLine("Setup fee", Decimal("2.5"), Decimal("19.99"), Decimal(21)),
        ),
        currency="EUR",
        issue_date=dt.date(2026, 11, 26),
        due_date=dt.date(2026, 12, 10),
        payment_terms=PaymentTerms.net(14),
        state=InvoiceState.DRAFT,
        message="Labdien, Jānis!",
        branding=Branding("Koks", "logo.png", "#00aa55"),
        welcome=True,
    )
    payment = Payment(uuid.uuid4(), invoice.id, Decimal("10.01"), "EUR", dt.date(2026, 12, 1))
    delivery = Delivery(customer.id, invoice.id, next_attempt=_MOMENT)
    reminder = ReminderLog(invoice.id, -3, _MOMENT)
    return invoice, payment, delivery, reminder


def sample_history(customer: Customer) -> tuple[HistoryEntry, HistoryEntry, HistoryEntry]:
    """Three history entries of ``customer``: registered, changed, an invoice paid.

    The change has a private field; the payment names an invoice.
    """
    registered = HistoryEntry(
        uuid.uuid4(),
        customer.id,
        _MOMENT,
        HistoryAction.REGISTERED,
        "anna",
        field_changes(None, customer),
    )
    changed = HistoryEntry(
        uuid.uuid4(),
        customer.id,
        _MOMENT + dt.timedelta(seconds=1),
        HistoryAction.MERGED,
        None,
        (
            FieldChange("address.city", '"Rīga"', '"Jūrmala"'),
            FieldChange("custom_fields.birthday", private=True),
            FieldChange("notes", private=True),
        ),
        other=uuid.uuid4(),
        reason="Tab\tand line\nbreaks are kept.",
    )
    paid = HistoryEntry(
        uuid.uuid4(),
        customer.id,
        _MOMENT + dt.timedelta(seconds=2),
        HistoryAction.PAYMENT_RECORDED,
        "ilze",
        invoice=uuid.uuid4(),
    )
    return registered, changed, paid


def sample_definition_changes() -> tuple[DefinitionChange, DefinitionChange, DefinitionChange]:
    """Three definition changes: a category created and renamed, a field defined.

    The names hold text a store must keep exactly (quotes, non-ASCII letters).
    """
    created = Category(uuid.uuid4(), 'Vairumtirgotāji "A"')
    renamed = attrs.evolve(created, name="Wholesale\u00a0B")
    field = CustomFieldDefinition("tier", "Līmenis", FieldType.CHOICE, choices=("a", "b"))
    category = DefinitionSubject.CATEGORY
    return (
        DefinitionChange(
            uuid.uuid4(),
            _MOMENT,
            category,
            str(created.id),
            DefinitionAction.CREATED,
            "anna",
            attribute_changes(None, created),
        ),
        DefinitionChange(
            uuid.uuid4(),
            _MOMENT + dt.timedelta(seconds=1),
            category,
            str(created.id),
            DefinitionAction.RENAMED,
            None,
            attribute_changes(created, renamed),
        ),
        DefinitionChange(
            uuid.uuid4(),
            _MOMENT + dt.timedelta(seconds=2),
            DefinitionSubject.FIELD,
            field.key,
            DefinitionAction.DEFINED,
            "ilze",
            attribute_changes(None, field),
        ),
    )
