"""The customer and the value objects it is made of.

Every class is a frozen, slotted attrs class. Objects are built by the validation rules
(from raw input) or by the converter (from stored data); a `Customer` that exists holds
normalised values only. Nothing here does I/O.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from collections.abc import Mapping

import attrs

from debitor_core._frozen import EMPTY, frozen_dict
from debitor_core._terms import PaymentTerms

__all__ = [
    "Address",
    "AttachmentRef",
    "Consent",
    "ConsentChannel",
    "Customer",
    "CustomerKind",
    "FieldValue",
    "Note",
    "Phone",
    "PhoneType",
    "TaxId",
    "utc_now",
]

FieldValue = str | int | decimal.Decimal | dt.date | bool | tuple[str, ...]
"""The Python types a custom-field value can have once validated."""


def utc_now() -> dt.datetime:
    """Return the current time as a timezone-aware UTC datetime.

    This is the library's only reading of the wall clock: books take ``clock=`` for
    tests, and the test suite replaces `_wall_clock` to prove no test reads it.
    """
    return _wall_clock()


def _wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CustomerKind(enum.Enum):
    """Whether the customer is a business or a private person."""

    COMPANY = "company"
    PERSON = "person"


class PhoneType(enum.Enum):
    """What a phone number is for."""

    MOBILE = "mobile"
    WORK = "work"
    FAX = "fax"
    OTHER = "other"


class ConsentChannel(enum.Enum):
    """A channel the customer agreed (or declined) to be contacted through."""

    EMAIL = "email"
    PHONE = "phone"
    SMS = "sms"
    POST = "post"


@attrs.frozen(repr=False)
class Phone:
    """A phone number in E.164 form (``+37120000000``) with what it is for.

    ``str(phone)`` is the E.164 text.
    """

    number: str
    type: PhoneType = PhoneType.OTHER

    def __str__(self) -> str:
        return self.number

    def __repr__(self) -> str:
        return f"<Phone {self.number} {self.type.value}>"


@attrs.frozen(repr=False)
class TaxId:
    """A VAT (taxpayer) number in compact form with its country prefix (``LV40003521600``).

    Attributes:
        value: The compact number; for a number we could check, with its prefix.
        country: The ISO 3166-1 alpha-2 country the number belongs to, if known
            (``GR`` for a number written with the VAT prefix ``EL``).
        checked: Whether the number passed a check-digit validation. ``False`` means
            we had no rules for its country and kept it as text.

    ``str(tax_id)`` is ``value``.
    """

    value: str
    country: str | None = None
    checked: bool = True

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        flag = "" if self.checked else " unchecked"
        return f"<TaxId {self.value}{flag}>"


@attrs.frozen(repr=False)
class Address:
    """A postal address.

    Attributes:
        street: Street lines, joined by newlines (``str.splitlines`` gives the lines).
        postal_code: Written the way the country writes it (``LV-1050``, ``1011 AB``).
        city: The city, town or village.
        region: State, province or county, where the country uses one.
        country: ISO 3166-1 alpha-2 code (``LV``), or ``None`` when not given.
    """

    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None

    @property
    def street_lines(self) -> tuple[str, ...]:
        """The street lines as a tuple (empty when there is no street)."""
        return tuple(self.street.splitlines()) if self.street else ()

    def __str__(self) -> str:
        town = " ".join(p for p in (self.postal_code, self.city) if p)
        parts = [*self.street_lines, town, self.region or "", self.country or ""]
        return ", ".join(p for p in parts if p)

    def __repr__(self) -> str:
        return f"<Address {self}>"


EMPTY_ADDRESS = Address()
EMPTY_FIELDS: Mapping[str, FieldValue] = EMPTY


def freeze_fields(values: Mapping[str, FieldValue]) -> Mapping[str, FieldValue]:
    """Return a read-only copy of custom-field values (so stored customers stay unchanged).

    The copy is a `dict` that refuses changes, so a customer can be pickled and
    deep-copied.
    """
    return frozen_dict(values)


@attrs.frozen(repr=False)
class Note:
    """A private note on a customer: never part of exports unless asked for.

    Attributes:
        text: The note (may span lines).
        at: When it was written (UTC).
        author: Who wrote it, as the host app names its users.
    """

    text: str
    at: dt.datetime
    author: str | None = None

    def __repr__(self) -> str:
        # Nothing of the private text: reprs end up in logs and tracebacks.
        return f"<Note {self.at:%Y-%m-%d} by {self.author or '?'}>"


@attrs.frozen(repr=False)
class AttachmentRef:
    """A reference to a file kept by the host app, such as a scanned PDF contract.

    Attributes:
        file_name: The file's name as shown to the user.
        media_type: The MIME type, such as ``application/pdf``.
        size: Size in bytes.
        sha256: Hex SHA-256 of the bytes, lowercase, so the host can prove integrity.
        added: When it was attached (UTC).
    """

    file_name: str
    media_type: str
    size: int
    sha256: str
    added: dt.datetime

    def __repr__(self) -> str:
        return f"<AttachmentRef {self.file_name} {self.media_type} {self.size} B>"


@attrs.frozen(repr=False)
class Consent:
    """A grant or withdrawal of consent to be contacted through one channel.

    A customer's ``consents`` are its consent ledger, oldest first: every grant and
    withdrawal is kept, and the current state of a channel is the last record for it
    (`Customer.consent_to`); a channel never granted is not allowed (opt-in).

    Attributes:
        channel: The channel the consent is about.
        given: ``True`` for a grant, ``False`` for a withdrawal.
        at: When (UTC).
        source: Where it was recorded, such as ``signup form`` or ``phone call``.
        wording: Which version of the consent text the customer saw, such as
            ``newsletter-2026-01`` (``None``: not recorded).
    """

    channel: ConsentChannel
    given: bool
    at: dt.datetime
    source: str | None = None
    wording: str | None = None

    def __repr__(self) -> str:
        verb = "given" if self.given else "withdrawn"
        return f"<Consent {self.channel.value} {verb} {self.at:%Y-%m-%d}>"


@attrs.frozen(repr=False)
class Customer:
    """A registered customer: every value validated and in its normal form.

    Customers are built by `CustomerBook.register` (from raw input) or loaded from
    storage; change one with `CustomerBook.update`, which returns a new object.

    Attributes:
        id: Stable identifier.
        number: The customer number, positive and unique in its book.
        kind: Company or person.
        name: For a person, first name(s) then surname.
        contact_person: The main contact at a company.
        address: The postal address.
        email: The primary email, normalised.
        other_emails: Secondary emails.
        phone: The primary phone.
        other_phones: Secondary phones.
        website: The website URL.
        tax_id: The VAT (taxpayer) number.
        company_id: The company registration number.
        payment_terms: Default terms for the customer's invoices (``None``: the book's).
        currency: Preferred currency, ISO 4217 (``EUR``).
        language: Preferred language, a lowercase ISO 639-1 code (``lv``).
        categories: Ids of the customer's categories, sorted.
        custom_fields: Custom-field values by field key (read-only).
        notes: Private notes, oldest first.
        attachments: References to files kept by the host app.
        consents: Consent records, oldest first.
        archived: Archived customers are hidden from listings unless asked for.
        created: When the customer was registered (UTC).
        updated: When it last changed (UTC).
        version: Starts at 1; each stored change adds 1 (optimistic concurrency).
    """

    id: uuid.UUID
    number: int
    name: str
    kind: CustomerKind = CustomerKind.COMPANY
    contact_person: str | None = None
    address: Address = EMPTY_ADDRESS
    email: str | None = None
    other_emails: tuple[str, ...] = ()
    phone: Phone | None = None
    other_phones: tuple[Phone, ...] = ()
    website: str | None = None
    tax_id: TaxId | None = None
    company_id: str | None = None
    payment_terms: PaymentTerms | None = None
    currency: str | None = None
    language: str | None = None
    categories: tuple[uuid.UUID, ...] = ()
    custom_fields: Mapping[str, FieldValue] = attrs.field(
        default=EMPTY_FIELDS, converter=freeze_fields, hash=False
    )
    notes: tuple[Note, ...] = ()
    attachments: tuple[AttachmentRef, ...] = ()
    consents: tuple[Consent, ...] = ()
    archived: bool = False
    created: dt.datetime = attrs.field(factory=utc_now)
    updated: dt.datetime = attrs.field(factory=utc_now)
    version: int = 1

    @property
    def emails(self) -> tuple[str, ...]:
        """The primary email (if any) followed by the other emails."""
        return (self.email, *self.other_emails) if self.email else self.other_emails

    @property
    def phones(self) -> tuple[Phone, ...]:
        """The primary phone (if any) followed by the other phones."""
        return (self.phone, *self.other_phones) if self.phone else self.other_phones

    def consent_to(self, channel: ConsentChannel) -> bool:
        """Whether the latest consent record for ``channel`` is a grant (opt-in: no record, no)."""
        for consent in reversed(self.consents):
            if consent.channel is channel:
                return consent.given
        return False

    def __repr__(self) -> str:
        flag = " archived" if self.archived else ""
        return f"<Customer #{self.number} {self.name!r} v{self.version}{flag}>"
