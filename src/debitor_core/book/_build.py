"""Pure functions that build, change and merge customers, and a new customer's welcome records.

Nothing here reads the store, the clock or the book's state: every input is an argument.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Final

import attrs

from debitor_core._errors import Problem
from debitor_core._form import CustomerDraft
from debitor_core._invoice import Delivery, Invoice
from debitor_core._limits import MAX_NUMBER
from debitor_core._model import Address, Consent, Customer, Note
from debitor_core._shown import shown
from debitor_core._util import new_id
from debitor_core._welcome import WelcomeInvoicePolicy
from debitor_core.book._types import DuplicateMatch

__all__ = [
    "FORM_FIELDS",
    "build",
    "consents",
    "draft_fields",
    "erased_name",
    "gets_welcome",
    "merged",
    "merged_address",
    "number_problems",
    "probe",
    "welcome_records",
    "with_draft",
]

_PROBE_TIME: Final = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
"""The times of the stand-in customer a duplicate check builds (never stored)."""

FORM_FIELDS: Final = tuple(
    name
    for name in attrs.fields_dict(CustomerDraft)
    if name in attrs.fields_dict(Customer) and name != "consents"  # a draft's are statements
)
"""The customer fields a form sets: those a draft and a customer share."""


def build(draft: CustomerDraft, number: int, *, now: dt.datetime, author: str | None) -> Customer:
    """A new customer from a draft without errors, numbered, created ``now``."""
    # Every field of FORM_FIELDS by name (not **draft_fields): this runs for each
    # registration, and the dict costs a measurable part of it. A test checks that
    # the two agree.
    assert draft.name is not None  # noqa: S101 - a draft without errors has a name
    return Customer(
        id=new_id(),
        number=number,
        name=draft.name,
        kind=draft.kind,
        contact_person=draft.contact_person,
        address=draft.address,
        email=draft.email,
        other_emails=draft.other_emails,
        phone=draft.phone,
        other_phones=draft.other_phones,
        website=draft.website,
        tax_id=draft.tax_id,
        company_id=draft.company_id,
        payment_terms=draft.payment_terms,
        currency=draft.currency,
        language=draft.language,
        categories=draft.categories,
        custom_fields=draft.custom_fields,
        notes=(Note(draft.note, now, author),) if draft.note else (),
        consents=consents(draft, now) if draft.consents else (),
        created=now,
        updated=now,
    )


def consents(draft: CustomerDraft, now: dt.datetime) -> tuple[Consent, ...]:
    """The consent records of the statements in ``draft``, made ``now``."""
    source = draft.consent_source or "registration form"
    return tuple(Consent(channel, given, now, source) for channel, given in draft.consents)


def draft_fields(draft: CustomerDraft) -> dict[str, Any]:
    """The customer fields a form sets, from a draft without errors."""
    return {name: getattr(draft, name) for name in FORM_FIELDS}


def with_draft(customer: Customer, draft: CustomerDraft) -> Customer:
    """``customer`` with every form field taken from ``draft`` (which has no errors)."""
    return attrs.evolve(customer, **draft_fields(draft))


def probe(draft: CustomerDraft) -> Customer | None:
    """A stand-in customer with the draft's values, to look for duplicates of (never stored)."""
    if draft.name is None:
        return None
    return Customer(
        id=uuid.UUID(int=0),
        number=0,
        name=draft.name,
        address=draft.address,
        email=draft.email,
        other_emails=draft.other_emails,
        phone=draft.phone,
        other_phones=draft.other_phones,
        tax_id=draft.tax_id,
        created=_PROBE_TIME,
        updated=_PROBE_TIME,
    )


def number_problems(number: object, taken: Callable[[int], bool]) -> list[Problem]:
    """What is wrong with ``number`` as a new customer's number, if anything.

    Args:
        number: The number asked for.
        taken: Says whether a number (in range) is already in use.
    """
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= MAX_NUMBER:
        params = {"max": MAX_NUMBER, "value": shown(number)}
        return [Problem("number", "number.invalid", value=number, params=params)]
    if taken(number):
        return [Problem("number", "number.taken", value=number, params={"number": number})]
    return []


def merged(keep: Customer, other: Customer) -> Customer:
    """``keep`` completed with what ``other`` has and it lacks."""
    simple = (
        "contact_person", "email", "phone", "website", "tax_id", "company_id",
        "payment_terms", "currency", "language",
    )  # fmt: skip
    filled = {name: getattr(keep, name) or getattr(other, name) for name in simple}
    seen_emails = {e.casefold() for e in (filled["email"],) if e}
    other_emails = []
    for email in (*keep.other_emails, *other.emails):
        if email.casefold() not in seen_emails:
            seen_emails.add(email.casefold())
            other_emails.append(email)
    seen_phones = {p.number for p in (filled["phone"],) if p}
    other_phones = []
    for phone in (*keep.other_phones, *other.phones):
        if phone.number not in seen_phones:
            seen_phones.add(phone.number)
            other_phones.append(phone)
    return attrs.evolve(
        keep,
        **filled,
        address=merged_address(keep.address, other.address),
        other_emails=tuple(other_emails),
        other_phones=tuple(other_phones),
        categories=tuple(sorted(set(keep.categories) | set(other.categories))),
        custom_fields={**other.custom_fields, **keep.custom_fields},
        notes=tuple(sorted((*keep.notes, *other.notes), key=lambda n: n.at)),
        attachments=(*keep.attachments, *other.attachments),
        consents=tuple(sorted((*keep.consents, *other.consents), key=lambda c: c.at)),
        created=min(keep.created, other.created),
    )


def merged_address(keep: Address, other: Address) -> Address:
    """``keep``'s address, its blank parts filled from ``other`` when in the same country."""
    if keep.country not in (None, other.country):
        return keep
    parts = ("street", "postal_code", "city", "region", "country")
    return Address(**{p: getattr(keep, p) or getattr(other, p) for p in parts})


def gets_welcome(
    policy: WelcomeInvoicePolicy | None,
    customer: Customer,
    duplicates: Iterable[DuplicateMatch],
    has_welcome: Callable[[uuid.UUID], bool],
) -> bool:
    """Whether ``policy`` gives a new ``customer`` a welcome invoice.

    Never twice: not when the customer (or a stored customer it looks like, as on a
    re-import) already has one, as ``has_welcome`` tells.
    """
    if policy is None or not policy.applies_to(customer):
        return False
    return not has_welcome(customer.id) and not any(has_welcome(m.customer.id) for m in duplicates)


def welcome_records(
    policy: WelcomeInvoicePolicy, customer: Customer, number: int, timezone: dt.tzinfo = dt.UTC
) -> tuple[Invoice, Delivery]:
    """A new customer's welcome invoice (numbered ``number``) and its pending delivery."""
    invoice = welcome_invoice(policy, customer, number, timezone)
    return invoice, Delivery(customer.id, invoice.id, next_attempt=customer.created)


def welcome_invoice(
    policy: WelcomeInvoicePolicy, customer: Customer, number: int, timezone: dt.tzinfo = dt.UTC
) -> Invoice:
    """The welcome invoice ``policy`` makes for ``customer``, issued the day it was created.

    That day is the day in ``timezone`` (the book's) when the customer was created.
    """
    day = customer.created.astimezone(timezone).date()
    return policy.invoice_for(customer, number=number, issue_date=day)


def erased_name(number: int) -> str:
    """The name an erased customer keeps: ``Erased customer 17``."""
    return f"Erased customer {number}"
