"""The structural invariants of stored records: one fixed list, shared by every store.

A store checks these when it loads a record (and the durable stores when they commit
one), and `CustomerBook.import_data` checks them on every imported record. They are
what every computation over stored data relies on, so that a damaged or hand-edited
record is refused with a clear sentence instead of being loaded and breaking something
later:

- types: each attribute holds the type its class declares (no ``"12345"`` for a number,
  no ``"false"`` for a boolean, no naive datetimes);
- ranges: customer and invoice numbers in 1 to `MAX_NUMBER`; versions of 1 or more;
  amounts, quantities and dates within `debitor_core._limits`; sizes and counters of 0
  or more;
- lengths: free text within `debitor_core._rules.LIMITS` (and generous bounds where the
  rules set none);
- characters: no control characters (line breaks only in multi-line text) and no lone
  surrogates, which no file or database can store;
- shapes: a non-empty name, ISO country, currency and language codes, custom-field
  keys, attachment names that are a plain file name (no folder, no ``..``), SHA-256
  digests of 64 lowercase hexadecimal digits.

It does not re-run the validation rules (email syntax, VAT check digits, postal codes):
those apply to input, and records stored under older rules keep loading.

The API, for stores and the book:

- `structural_problems(value)` returns every problem found in a `Customer`,
  `Category`, `CustomFieldDefinition` or record (`Invoice`, `Payment`, `Delivery`,
  `ReminderLog`, `HistoryEntry`, `Forward`, `Erasure`, `DefinitionChange`), as
  `Problem` objects with a
  path (``attachments[0].file_name``), a code (``integrity.file_name``) and a
  sentence; an empty list means sound.
- `check_structure(value)` raises `ValidationError` with those problems.
- `describe(value)` names the record in a sentence: ``customer 17``,
  ``category 'Food'``, ``invoice 3``.

Pure Python over the domain classes: no I/O, no storage.

The lengths come from `LIMITS`, so a limit there may be raised but never lowered: a
record stored under the old limit would be refused on load.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import types
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Final

from debitor_core._category import Category
from debitor_core._errors import Problem, ValidationError, problem
from debitor_core._fields import CustomFieldDefinition, FieldType
from debitor_core._history import (
    DefinitionAction,
    DefinitionChange,
    DefinitionSubject,
    Erasure,
    FieldChange,
    Forward,
    HistoryAction,
    HistoryEntry,
)
from debitor_core._invoice import (
    BillTo,
    Branding,
    Delivery,
    DeliveryState,
    Invoice,
    InvoiceLine,
    InvoiceState,
    Payment,
    Record,
    RegistrationLog,
    ReminderLog,
)
from debitor_core._limits import (
    MAX_AMOUNT,
    MAX_DATE,
    MAX_INVOICE_LINES,
    MAX_NUMBER,
    MAX_QUANTITY,
    MIN_DATE,
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
from debitor_core._rules import LIMITS
from debitor_core._terms import PaymentTerms, TermsKind

__all__ = ["Checked", "check_structure", "describe", "structural_problems"]

Checked = Customer | Category | CustomFieldDefinition | Record
"""What the checks apply to: everything a store keeps."""

# Bounds for what the rules do not limit (yet): generous, since they only tell damage
# from data.
MAX_FILE_NAME: Final = 255
"""The longest attachment file name (most file systems allow 255 bytes or characters)."""
MAX_MEDIA_TYPE: Final = 255
"""The longest media type (RFC 6838 allows 127 characters on each side of the slash)."""
MAX_MESSAGE: Final = 1_000_000
"""The longest free text written by a program rather than a person (invoice messages)."""
MAX_DIGITS: Final = 100
"""The most digits of a custom-field number."""
MAX_OFFSET_DAYS: Final = 100_000
MAX_IDEMPOTENCY_KEY: Final = 200
"""The longest idempotency key a registration log keeps."""
"""The largest reminder offset, in days, either side of the due date."""
MAX_TERMS_DAYS: Final = 365
"""The most days of net or end-of-month payment terms (as `PaymentTerms` allows)."""

_LINE_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
"""What single-line text must not hold: control characters, line breaks, lone surrogates."""
_MULTILINE_CONTROL: Final = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
"""What multi-line text typed by a person must not hold (line breaks are kept)."""
_FREE_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
"""What program-written text must not hold (tabs and line breaks are kept)."""
_COUNTRY: Final = re.compile(r"[A-Z]{2}")
_CURRENCY: Final = re.compile(r"[A-Z]{3}")
_LANGUAGE: Final = re.compile(r"[a-z]{2,3}")
_FIELD_KEY: Final = re.compile(r"[a-z][a-z0-9_]{0,49}")
_SHA256: Final = re.compile(r"[0-9a-f]{64}")
_PERCENT: Final = decimal.Decimal(100)
_FROZEN_FIELDS: Final = types.MappingProxyType
_MAX_BITS: Final = (10**MAX_DIGITS).bit_length()
_NAME: Final = LIMITS["name"]
_CONTACT: Final = LIMITS["contact_person"]
_EMAIL: Final = LIMITS["email"]
_PHONE: Final = LIMITS["phone"]
_WEBSITE: Final = LIMITS["website"]
_COMPANY_ID: Final = LIMITS["company_id"]
_POSTAL_CODE: Final = LIMITS["postal_code"]
_CITY: Final = LIMITS["city"]
_REGION: Final = LIMITS["region"]


def structural_problems(value: object) -> list[Problem]:
    """Return every structural problem of a stored record (empty when it is sound).

    Args:
        value: A `Customer`, `Category`, `CustomFieldDefinition`, `Invoice`,
            `Payment`, `Delivery`, `ReminderLog`, `HistoryEntry`, `Forward`,
            `Erasure`, `RegistrationLog` or `DefinitionChange`.

    Returns:
        The problems, each with a path inside the record, an ``integrity.*`` code and
        a sentence; an empty list when the record is sound.

    Raises:
        TypeError: ``value`` is none of the classes a store keeps.
    """
    check = _CHECKS.get(type(value))
    if check is None:
        msg = (
            "structural_problems() takes a Customer, Category, CustomFieldDefinition, "
            "Invoice, Payment, Delivery, ReminderLog, HistoryEntry, Forward, Erasure, "
            "RegistrationLog or DefinitionChange, not "
            f"{type(value).__name__}."
        )
        raise TypeError(msg)
    out: list[Problem] = []
    check(value, out)
    return out


def check_structure(value: object) -> None:
    """Raise `ValidationError` if a record breaks a structural invariant.

    Args:
        value: As for `structural_problems`.

    Raises:
        ValidationError: with every problem found.
        TypeError: ``value`` is none of the classes a store keeps.
    """
    problems = structural_problems(value)
    if problems:
        raise ValidationError(problems)


def describe(value: object) -> str:
    """Name a stored record the way a sentence about it would.

    Args:
        value: Any record a store keeps (or anything else, named by its type).

    Returns:
        ``customer 17``, ``category 'Food'``, ``custom field 'tier'``, ``invoice 3``,
        ``payment <id>``, ``delivery for customer <id>`` or ``reminder <key>``.
    """
    name = _NAMES.get(type(value))
    return f"a {type(value).__name__}" if name is None else name(value)


def _plain(value: object) -> str:
    """A number as it reads, or anything else (damage) as its repr."""
    return str(value) if type(value) is int else repr(value)


_NAMES: Final[Mapping[type, Callable[[Any], str]]] = {
    Customer: lambda v: f"customer {_plain(v.number)}",
    Category: lambda v: f"category {v.name!r}",
    CustomFieldDefinition: lambda v: f"custom field {v.key!r}",
    Invoice: lambda v: f"invoice {_plain(v.number)}",
    Payment: lambda v: f"payment {v.id}",
    Delivery: lambda v: f"delivery for customer {v.customer_id}",
    RegistrationLog: lambda v: f"registration {v.idempotency_key!r}",
    ReminderLog: lambda v: f"reminder {v.invoice_id}:{_plain(v.offset_days)}",
    HistoryEntry: lambda v: f"history entry {v.id}",
    Forward: lambda v: f"forward of customer {_plain(v.number)}",
    Erasure: lambda v: f"erasure of customer {_plain(v.number)}",
    DefinitionChange: lambda v: f"definition change {v.id}",
}


# -- the checks, one function per class ----------------------------------------------


# The customer is the record a store holds most of, so its check is written for speed:
# each field is first tested inline (a sound value costs a few comparisons), and only a
# value that fails goes to the helper that explains what is wrong with it.


def _customer(c: Customer, out: list[Problem]) -> None:  # noqa: C901, PLR0912 - a checklist
    if type(c.id) is not uuid.UUID:
        _uuid(c.id, "id", out)
    v: object = c.number
    if type(v) is not int or not 1 <= v <= MAX_NUMBER:
        _number(v, "number", out)
    v = c.name
    if type(v) is not str or not 0 < len(v) <= _NAME or not v.isprintable() or v.isspace():
        _text(v, "name", _NAME, out, required=True)
    if type(c.kind) is not CustomerKind:
        _member(c.kind, CustomerKind, "kind", out)
    v = c.contact_person
    if v is not None and (type(v) is not str or len(v) > _CONTACT or not v.isprintable()):
        _text(v, "contact_person", _CONTACT, out)
    if type(c.address) is Address:
        _address(c.address, "address.", out)
    else:
        _wrong_type(c.address, "an address", "address", out)
    _contact(c, out)
    if c.payment_terms is not None:
        _terms(c.payment_terms, "payment_terms", out)
    v = c.currency
    if v is not None and (type(v) is not str or not _CURRENCY.fullmatch(v)):
        _code(v, _CURRENCY, "currency", "currency", out)
    v = c.language
    if v is not None and (type(v) is not str or not _LANGUAGE.fullmatch(v)):
        _code(v, _LANGUAGE, "language", "language", out)
    if _occupied(c.categories):
        for i, category in enumerate(_items(c.categories, "categories", out)):
            if type(category) is not uuid.UUID:
                _uuid(category, f"categories[{i}]", out)
    v = c.custom_fields
    if v or type(v) is not _FROZEN_FIELDS:  # empty and of the usual kind: nothing to check
        _custom_values(v, out)
    if _occupied(c.notes) or _occupied(c.attachments) or _occupied(c.consents):
        _private(c, out)
    _bool(c.archived, "archived", out)
    v = c.created
    if type(v) is not dt.datetime or v.tzinfo is not dt.UTC:
        _moment(v, "created", out)
    v = c.updated
    if type(v) is not dt.datetime or v.tzinfo is not dt.UTC:
        _moment(v, "updated", out)
    v = c.version
    if type(v) is not int or v < 1:
        _version(v, out)


def _occupied(items: object) -> bool:
    """Whether a list has items to check (or is not the empty tuple it should be)."""
    return bool(items) or type(items) is not tuple


def _contact(c: Customer, out: list[Problem]) -> None:  # noqa: C901 - a checklist
    """The ways to reach the customer and to identify it."""
    v: object = c.email
    if v is not None and (type(v) is not str or len(v) > _EMAIL or not v.isprintable()):
        _text(v, "email", _EMAIL, out)
    if _occupied(c.other_emails):
        for i, email in enumerate(_items(c.other_emails, "other_emails", out)):
            if (
                type(email) is not str
                or not 0 < len(email) <= _EMAIL
                or not email.isprintable()
                or email.isspace()
            ):
                _text(email, f"other_emails[{i}]", _EMAIL, out, required=True)
    if c.phone is not None:
        _phone(c.phone, "phone", out)
    if _occupied(c.other_phones):
        for i, phone in enumerate(_items(c.other_phones, "other_phones", out)):
            _phone(phone, f"other_phones[{i}]", out)
    v = c.website
    if v is not None and (type(v) is not str or len(v) > _WEBSITE or not v.isprintable()):
        _text(v, "website", _WEBSITE, out)
    if c.tax_id is not None:
        _tax_id(c.tax_id, out)
    v = c.company_id
    if v is not None and (type(v) is not str or len(v) > _COMPANY_ID or not v.isprintable()):
        _text(v, "company_id", _COMPANY_ID, out)


def _private(c: Customer, out: list[Problem]) -> None:
    """Notes, attachments and consent records."""
    for i, note in enumerate(_items(c.notes, "notes", out)):
        _note(note, f"notes[{i}]", out)
    for i, attachment in enumerate(_items(c.attachments, "attachments", out)):
        _attachment(attachment, f"attachments[{i}]", out)
    for i, consent in enumerate(_items(c.consents, "consents", out)):
        _consent(consent, f"consents[{i}]", out)


def _address(a: Address, prefix: str, out: list[Problem]) -> None:
    v: object = a.street
    if v is not None:
        _text(v, prefix + "street", LIMITS["street"], out, control=_MULTILINE_CONTROL)
    v = a.postal_code
    if v is not None and (type(v) is not str or len(v) > _POSTAL_CODE or not v.isprintable()):
        _text(v, prefix + "postal_code", _POSTAL_CODE, out)
    v = a.city
    if v is not None and (type(v) is not str or len(v) > _CITY or not v.isprintable()):
        _text(v, prefix + "city", _CITY, out)
    v = a.region
    if v is not None and (type(v) is not str or len(v) > _REGION or not v.isprintable()):
        _text(v, prefix + "region", _REGION, out)
    v = a.country
    if v is not None and (type(v) is not str or not _COUNTRY.fullmatch(v)):
        _code(v, _COUNTRY, prefix + "country", "country", out)


def _phone(phone: object, path: str, out: list[Problem]) -> None:
    if type(phone) is not Phone:
        _wrong_type(phone, "a phone", path, out)
        return
    number = phone.number
    if (
        type(number) is not str
        or not 0 < len(number) <= _PHONE
        or not number.isprintable()
        or number.isspace()
    ):
        _text(number, path + ".number", _PHONE, out, required=True)
    if type(phone.type) is not PhoneType:
        _member(phone.type, PhoneType, path + ".type", out)


def _tax_id(tax_id: object, out: list[Problem]) -> None:
    if type(tax_id) is not TaxId:
        _wrong_type(tax_id, "a VAT number", "tax_id", out)
        return
    _text(tax_id.value, "tax_id.value", LIMITS["tax_id"], out, required=True)
    _code(tax_id.country, _COUNTRY, "tax_id.country", "country", out)
    _bool(tax_id.checked, "tax_id.checked", out)


def _terms(terms: object, path: str, out: list[Problem]) -> None:
    if type(terms) is not PaymentTerms:
        _wrong_type(terms, "payment terms", path, out)
        return
    _member(terms.kind, TermsKind, path + ".kind", out)
    _integer(terms.days, path + ".days", 0, MAX_TERMS_DAYS, out)
    if terms.fixed_date is not None:
        _date(terms.fixed_date, path + ".fixed_date", out)


def _custom_values(values: object, out: list[Problem]) -> None:
    if not isinstance(values, Mapping):
        _wrong_type(values, "a mapping of custom-field values", "custom_fields", out)
        return
    for key, value in values.items():
        if type(key) is not str or not _FIELD_KEY.fullmatch(key):
            out.append(
                problem(
                    "custom_fields", "integrity.field_key", key, shown=_shown(key), rule="custom"
                )
            )
            continue
        _field_value(value, f"custom_fields.{key}", out)


def _field_value(value: object, path: str, out: list[Problem]) -> None:
    if type(value) is str:
        if len(value) > LIMITS["multiline_text"] or not value.isprintable():
            _text(value, path, LIMITS["multiline_text"], out, control=_MULTILINE_CONTROL)
    elif type(value) is bool or type(value) is dt.date:
        return
    elif type(value) is int:
        if value.bit_length() > _MAX_BITS:
            out.append(problem(path, "integrity.range", None, rule="digits", max_digits=MAX_DIGITS))
    elif type(value) is decimal.Decimal:
        _decimal_digits(value, path, out)
    elif type(value) is tuple:
        for i, item in enumerate(value):
            _text(item, f"{path}[{i}]", LIMITS["text"], out, required=True)
    else:
        _wrong_type(value, "text, a number, a date, yes/no or a list of choices", path, out)


def _decimal_digits(value: decimal.Decimal, path: str, out: list[Problem]) -> None:
    if (
        not value.is_finite()
        or len(value.as_tuple().digits) > MAX_DIGITS
        or abs(value.adjusted()) > MAX_DIGITS
    ):
        params = {"rule": "decimal", "shown": _shown(value), "max_digits": MAX_DIGITS}
        out.append(Problem(path, "integrity.range", value=value, params=params))


def _note(note: object, path: str, out: list[Problem]) -> None:
    if type(note) is not Note:
        _wrong_type(note, "a note", path, out)
        return
    _text(note.text, path + ".text", LIMITS["note"], out, required=True, control=_MULTILINE_CONTROL)
    _moment(note.at, path + ".at", out)
    _text(note.author, path + ".author", LIMITS["author"], out)


def _attachment(ref: object, path: str, out: list[Problem]) -> None:
    if type(ref) is not AttachmentRef:
        _wrong_type(ref, "an attachment", path, out)
        return
    name = ref.file_name
    if _text(name, path + ".file_name", MAX_FILE_NAME, out, required=True) and (
        "/" in name or "\\" in name or name in (".", "..")
    ):
        out.append(problem(path + ".file_name", "integrity.file_name", name, shown=_shown(name)))
    _text(ref.media_type, path + ".media_type", MAX_MEDIA_TYPE, out, required=True)
    _integer(ref.size, path + ".size", 0, 2**63 - 1, out)
    sha = ref.sha256
    if type(sha) is not str or not _SHA256.fullmatch(sha):
        out.append(problem(path + ".sha256", "integrity.sha256", sha, shown=_shown(sha)))
    _moment(ref.added, path + ".added", out)


def _consent(consent: object, path: str, out: list[Problem]) -> None:
    if type(consent) is not Consent:
        _wrong_type(consent, "a consent record", path, out)
        return
    _member(consent.channel, ConsentChannel, path + ".channel", out)
    _bool(consent.given, path + ".given", out)
    _moment(consent.at, path + ".at", out)
    _text(consent.source, path + ".source", LIMITS["source"], out)
    _text(consent.wording, path + ".wording", LIMITS["source"], out)


def _category(c: Category, out: list[Problem]) -> None:
    _uuid(c.id, "id", out)
    _text(c.name, "name", LIMITS["text"], out, required=True)
    if c.parent is not None:
        _uuid(c.parent, "parent", out)
        if c.parent == c.id:
            out.append(problem("parent", "integrity.parent"))


def _definition(d: CustomFieldDefinition, out: list[Problem]) -> None:
    if type(d.key) is not str or not _FIELD_KEY.fullmatch(d.key):
        out.append(problem("key", "integrity.field_key", d.key, shown=_shown(d.key)))
    _text(d.label, "label", LIMITS["text"], out, required=True)
    _member(d.type, FieldType, "type", out)
    _bool(d.required, "required", out)
    for i, choice in enumerate(_items(d.choices, "choices", out)):
        _text(choice, f"choices[{i}]", LIMITS["text"], out, required=True)
    for path, number in (("min_value", d.min_value), ("max_value", d.max_value)):
        if number is not None:
            if type(number) is decimal.Decimal:
                _decimal_digits(number, path, out)
            else:
                _wrong_type(number, "a decimal number", path, out)
    for path, day in (("min_date", d.min_date), ("max_date", d.max_date)):
        if day is not None and type(day) is not dt.date:
            _wrong_type(day, "a date", path, out)
    if d.max_length is not None:
        _integer(d.max_length, "max_length", 1, LIMITS["multiline_text"], out)
    _text(d.pattern, "pattern", LIMITS["text"], out)
    if d.default is not None:
        _field_value(d.default, "default", out)
    _text(d.help_text, "help_text", LIMITS["multiline_text"], out, control=_MULTILINE_CONTROL)
    _bool(d.personal_data, "personal_data", out)
    _bool(d.active, "active", out)


def _invoice(inv: Invoice, out: list[Problem]) -> None:
    _uuid(inv.id, "id", out)
    _number(inv.number, "number", out)
    _uuid(inv.customer_id, "customer_id", out)
    _bill_to(inv.bill_to, out)
    lines = _items(inv.lines, "lines", out)
    if len(lines) > MAX_INVOICE_LINES:
        params = {"count": len(lines), "max_count": MAX_INVOICE_LINES}
        out.append(Problem("lines", "integrity.too_many", value=None, params=params))
    for i, line in enumerate(lines[:MAX_INVOICE_LINES]):
        _line(line, f"lines[{i}]", out)
    _code(inv.currency, _CURRENCY, "currency", "currency", out, required=True)
    _date(inv.issue_date, "issue_date", out)
    _date(inv.due_date, "due_date", out)
    _terms(inv.payment_terms, "payment_terms", out)
    _member(inv.state, InvoiceState, "state", out)
    _text(inv.message, "message", MAX_MESSAGE, out, control=_FREE_CONTROL)
    if inv.branding is not None:
        _branding(inv.branding, out)
    _bool(inv.welcome, "welcome", out)
    _version(inv.version, out)


def _bill_to(bill_to: object, out: list[Problem]) -> None:
    if type(bill_to) is not BillTo:
        _wrong_type(bill_to, "the customer's details", "bill_to", out)
        return
    _number(bill_to.customer_number, "bill_to.customer_number", out)
    _text(bill_to.name, "bill_to.name", LIMITS["name"], out, required=True)
    _text(bill_to.contact_person, "bill_to.contact_person", LIMITS["contact_person"], out)
    if type(bill_to.address) is Address:
        _address(bill_to.address, "bill_to.address.", out)
    else:
        _wrong_type(bill_to.address, "an address", "bill_to.address", out)
    _text(bill_to.email, "bill_to.email", LIMITS["email"], out)
    _text(bill_to.tax_id, "bill_to.tax_id", LIMITS["tax_id"], out)
    _text(bill_to.company_id, "bill_to.company_id", LIMITS["company_id"], out)


def _line(line: object, path: str, out: list[Problem]) -> None:
    if type(line) is not InvoiceLine:
        _wrong_type(line, "an invoice line", path, out)
        return
    _text(
        line.description,
        path + ".description",
        LIMITS["multiline_text"],
        out,
        control=_FREE_CONTROL,
    )
    _amount(line.quantity, path + ".quantity", MAX_QUANTITY, out)
    _amount(line.unit_price, path + ".unit_price", MAX_AMOUNT, out)
    rate = line.vat_rate
    if type(rate) is not decimal.Decimal or not rate.is_finite() or not 0 <= rate <= _PERCENT:
        params = {"rule": "vat_rate", "shown": _shown(rate)}
        out.append(Problem(path + ".vat_rate", "integrity.range", value=rate, params=params))


def _branding(branding: object, out: list[Problem]) -> None:
    if type(branding) is not Branding:
        _wrong_type(branding, "branding", "branding", out)
        return
    _text(branding.business_name, "branding.business_name", LIMITS["name"], out, required=True)
    _text(branding.logo, "branding.logo", LIMITS["website"], out)
    _text(branding.colour, "branding.colour", LIMITS["text"], out)


def _payment(p: Payment, out: list[Problem]) -> None:
    _uuid(p.id, "id", out)
    _uuid(p.invoice_id, "invoice_id", out)
    _amount(p.amount, "amount", MAX_AMOUNT, out)
    _code(p.currency, _CURRENCY, "currency", "currency", out, required=True)
    _date(p.date, "date", out)
    _version(p.version, out)


def _delivery(d: Delivery, out: list[Problem]) -> None:
    _uuid(d.customer_id, "customer_id", out)
    _uuid(d.invoice_id, "invoice_id", out)
    _member(d.state, DeliveryState, "state", out)
    _integer(d.attempts, "attempts", 0, MAX_NUMBER, out)
    if d.next_attempt is not None:
        _moment(d.next_attempt, "next_attempt", out)
    _text(d.last_error, "last_error", LIMITS["multiline_text"], out, control=_FREE_CONTROL)
    if d.sent_at is not None:
        _moment(d.sent_at, "sent_at", out)
    _version(d.version, out)


def _reminder(r: ReminderLog, out: list[Problem]) -> None:
    _uuid(r.invoice_id, "invoice_id", out)
    _integer(r.offset_days, "offset_days", -MAX_OFFSET_DAYS, MAX_OFFSET_DAYS, out)
    _moment(r.sent_at, "sent_at", out)
    _version(r.version, out)


MAX_HISTORY_FIELDS: Final = 10_000
"""The most fields one history entry lists (a customer has far fewer)."""
MAX_HISTORY_VALUE: Final = 10_000_000
"""The longest JSON text of one value in a history entry."""


def _history(h: HistoryEntry, out: list[Problem]) -> None:
    _uuid(h.id, "id", out)
    _uuid(h.customer_id, "customer_id", out)
    _moment(h.at, "at", out)
    _member(h.action, HistoryAction, "action", out)
    _text(h.author, "author", LIMITS["author"], out)
    if h.other is not None:
        _uuid(h.other, "other", out)
    if h.invoice is not None:
        _uuid(h.invoice, "invoice", out)
    _text(h.reason, "reason", LIMITS["multiline_text"], out, control=_FREE_CONTROL)
    if h.initial is not None:
        if type(h.initial) is not Customer:
            _wrong_type(h.initial, "a customer", "initial", out)
        else:
            found: list[Problem] = []
            _customer(h.initial, found)
            out += [p.at("initial") for p in found]
            if h.initial.notes or h.initial.attachments:
                msg = "A private field's value is kept in its history entry."
                out.append(Problem("initial", "integrity.private_value", msg))
    _field_changes(h.fields, out)
    _version(h.version, out)


def _field_changes(fields: object, out: list[Problem]) -> None:
    changes = _items(fields, "fields", out)
    if len(changes) > MAX_HISTORY_FIELDS:
        _wrong_type(len(changes), f"at most {MAX_HISTORY_FIELDS:,} fields", "fields", out)
    for index, change in enumerate(changes[:MAX_HISTORY_FIELDS]):
        _field_change(change, f"fields[{index}]", out)


def _field_change(change: object, path: str, out: list[Problem]) -> None:
    if type(change) is not FieldChange:
        _wrong_type(change, "a changed field", path, out)
        return
    _text(change.field, f"{path}.field", MAX_FILE_NAME, out, required=True)
    _bool(change.private, f"{path}.private", out)
    for name in ("old_json", "new_json"):
        value = getattr(change, name)
        _text(value, f"{path}.{name}", MAX_HISTORY_VALUE, out, control=_FREE_CONTROL)
        if change.private is True and value is not None:
            msg = "A private field's value is kept in its history entry."
            out.append(Problem(f"{path}.{name}", "integrity.private_value", msg))


def _forward(f: Forward, out: list[Problem]) -> None:
    _uuid(f.customer_id, "customer_id", out)
    _number(f.number, "number", out)
    _uuid(f.to, "to", out)
    if f.to == f.customer_id:
        msg = "A customer is forwarded to itself."
        out.append(Problem("to", "integrity.forward", msg, value=f.to))
    _moment(f.at, "at", out)
    _version(f.version, out)


def _erasure(e: Erasure, out: list[Problem]) -> None:
    _uuid(e.customer_id, "customer_id", out)
    _number(e.number, "number", out)
    _moment(e.at, "at", out)
    _text(e.reason, "reason", LIMITS["multiline_text"], out, control=_FREE_CONTROL, required=True)
    _text(e.author, "author", LIMITS["author"], out)
    if e.invoices_released is not None:
        _date(e.invoices_released, "invoices_released", out)
    _version(e.version, out)


def _definition_change(d: DefinitionChange, out: list[Problem]) -> None:
    _uuid(d.id, "id", out)
    _moment(d.at, "at", out)
    _member(d.what, DefinitionSubject, "what", out)
    _text(d.subject, "subject", MAX_FILE_NAME, out, required=True)
    _member(d.action, DefinitionAction, "action", out)
    _text(d.author, "author", LIMITS["author"], out)
    _field_changes(d.fields, out)
    _version(d.version, out)


def _registration(r: RegistrationLog, out: list[Problem]) -> None:
    _text(r.idempotency_key, "idempotency_key", MAX_IDEMPOTENCY_KEY, out, required=True)
    for index, customer_id in enumerate(_items(r.customer_ids, "customer_ids", out)):
        _uuid(customer_id, f"customer_ids[{index}]", out)
    fingerprint: object = r.fingerprint
    if type(fingerprint) is not str or not _SHA256.fullmatch(fingerprint):
        shown = _shown(fingerprint)
        out.append(problem("fingerprint", "integrity.sha256", fingerprint, shown=shown))
    _moment(r.at, "at", out)
    _version(r.version, out)


_CHECKS: Final[Mapping[type, Callable[[Any, list[Problem]], None]]] = {
    Customer: _customer,
    Category: _category,
    CustomFieldDefinition: _definition,
    Invoice: _invoice,
    Payment: _payment,
    Delivery: _delivery,
    ReminderLog: _reminder,
    HistoryEntry: _history,
    Forward: _forward,
    Erasure: _erasure,
    RegistrationLog: _registration,
    DefinitionChange: _definition_change,
}


# -- the building blocks ---------------------------------------------------------------


def _text(
    value: object,
    path: str,
    limit: int,
    out: list[Problem],
    *,
    required: bool = False,
    control: re.Pattern[str] = _LINE_CONTROL,
) -> bool:
    """Check optional text (``None`` allowed unless ``required``); return whether it is text."""
    if value is None:
        if required:
            out.append(problem(path, "integrity.missing"))
        return False
    if type(value) is not str:
        _wrong_type(value, "text", path, out)
        return False
    if not value.isprintable():  # rare: line breaks, or characters never stored
        bad = control.search(value)
        if bad is not None:
            character = f"U+{ord(bad.group()):04X}"
            out.append(problem(path, "integrity.control_character", value, character=character))
    if len(value) > limit:
        params = {"length": len(value), "max_length": limit}
        out.append(Problem(path, "integrity.too_long", value=None, params=params))
    if required and not value.strip():
        out.append(problem(path, "integrity.empty", value))
    return True


def _items(value: object, path: str, out: list[Problem]) -> tuple[object, ...]:
    if type(value) is tuple:
        return value
    _wrong_type(value, "a list", path, out)
    return ()


def _uuid(value: object, path: str, out: list[Problem]) -> None:
    if type(value) is not uuid.UUID:
        _wrong_type(value, "an id (UUID)", path, out)


def _bool(value: object, path: str, out: list[Problem]) -> None:
    if type(value) is not bool:
        _wrong_type(value, "yes or no (true or false)", path, out)


def _integer(value: object, path: str, low: int, high: int, out: list[Problem]) -> None:
    if type(value) is not int:
        _wrong_type(value, "a whole number", path, out)
    elif not low <= value <= high:
        out.append(problem(path, "integrity.range", value, value=value, min=low, max=high))


def _number(value: object, path: str, out: list[Problem]) -> None:
    _integer(value, path, 1, MAX_NUMBER, out)


def _version(value: object, out: list[Problem]) -> None:
    if type(value) is not int:
        _wrong_type(value, "a whole number", "version", out)
    elif value < 1:
        out.append(problem("version", "integrity.version", value, version=value))


def _amount(value: object, path: str, limit: decimal.Decimal, out: list[Problem]) -> None:
    if type(value) is not decimal.Decimal:
        _wrong_type(value, "a decimal number", path, out)
    elif not value.is_finite() or abs(value) > limit:
        params = {"rule": "amount", "shown": _shown(value), "max": limit}
        out.append(Problem(path, "integrity.range", value=value, params=params))


def _date(value: object, path: str, out: list[Problem]) -> None:
    if type(value) is not dt.date:
        _wrong_type(value, "a date", path, out)
    elif not MIN_DATE <= value <= MAX_DATE:
        params = {"date": value.isoformat(), "min_date": MIN_DATE.isoformat()}
        params["max_date"] = MAX_DATE.isoformat()
        params["rule"] = "date"
        out.append(Problem(path, "integrity.range", value=value, params=params))


def _moment(value: object, path: str, out: list[Problem]) -> None:
    if type(value) is not dt.datetime:
        _wrong_type(value, "a date and time", path, out)
    elif value.utcoffset() is None:
        out.append(problem(path, "integrity.time_zone", value, time=value.isoformat()))


def _member(value: object, kind: type, path: str, out: list[Problem]) -> None:
    if type(value) is not kind:
        _wrong_type(value, f"a {kind.__name__}", path, out)


def _code(
    value: object,
    pattern: re.Pattern[str],
    path: str,
    shape: str,
    out: list[Problem],
    *,
    required: bool = False,
) -> None:
    if value is None and not required:
        return
    if type(value) is not str or not pattern.fullmatch(value):
        out.append(problem(path, "integrity.code", value, shown=_shown(value), rule=shape))


def _wrong_type(value: object, expected: str, path: str, out: list[Problem]) -> None:
    params = {"expected": expected, "type": type(value).__name__, "shown": _shown(value)}
    out.append(Problem(path, "integrity.type", value=value, params=params))


def _shown(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:59] + "…"  # noqa: PLR2004 - a short preview
