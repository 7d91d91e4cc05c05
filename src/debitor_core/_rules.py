"""Validation rules: small pure functions, one shape.

Every rule takes a raw value (whatever a form, a CSV row or JSON gave) and returns its
normal form, or raises `ValidationError` carrying exactly one `Problem` whose path is
empty; the caller places it under the field's path with `Problem.at`. A rule never
returns ``None`` and never lets a third-party exception escape: blank input is the
caller's business (a blank optional field is simply absent), so a rule given ``""``
reports it as empty.

Rules that depend on context (the customer's country) take it as a keyword argument.

Every problem carries its parameters (`Problem.params`) under stable names; the
validation docs list them per code.

The libraries behind the rules (email-validator, phonenumbers, python-stdnum) are
imported on first use and kept, so that ``import debitor_core`` stays fast.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import re
import unicodedata
import urllib.parse
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any, Final, Protocol, TypeVar

from debitor_core import _i18n
from debitor_core._errors import ValidationError
from debitor_core._model import CustomerKind, PhoneType, TaxId
from debitor_core._postal import country_by_name, country_codes, country_rules
from debitor_core._reference import CURRENCY_MINOR_UNITS, LANGUAGES
from debitor_core._shown import shown
from debitor_core._terms import MAX_TERMS_DAYS, PaymentTerms

__all__ = [
    "LIMITS",
    "Rule",
    "country_name",
    "is_valid",
    "normalise_name",
    "text",
    "validate_company_id",
    "validate_country",
    "validate_currency",
    "validate_email",
    "validate_kind",
    "validate_language",
    "validate_payment_terms",
    "validate_phone",
    "validate_phone_type",
    "validate_postal_code",
    "validate_vat",
    "validate_website",
]

T_co = TypeVar("T_co", covariant=True)


class Rule(Protocol[T_co]):
    """The shape of every rule: raw value in, normal form out, `ValidationError` on failure."""

    def __call__(self, value: object, /) -> T_co:
        """Return the normal form of ``value`` or raise `ValidationError`."""
        ...


LIMITS: Final[Mapping[str, int]] = {
    "name": 200,
    "contact_person": 200,
    "street": 300,
    "city": 100,
    "region": 100,
    "postal_code": 20,
    "email": 254,
    "phone": 40,
    "tax_id": 40,
    "company_id": 40,
    "website": 2000,
    "note": 10_000,
    "author": 200,
    "source": 200,
    "text": 1000,
    "multiline_text": 10_000,
    "label": 100,
    "help_text": 1000,
    "choice": 200,
    "category": 100,
    "business_name": 200,
    "logo": 2000,
    "line_description": 1000,
}
"""The maximum length, in characters, of each free-text field."""

# Control characters (C0, DEL, C1) and lone surrogates. Tab, LF and CR are whitespace
# and handled by whitespace normalisation instead.
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Bidi embeddings, overrides and isolates: they reorder what a person sees ("Anna
# \u202eazO" shows as another name). The marks U+200E, U+200F and U+061C change no
# order of letters and are needed in mixed-direction text, so they are kept, as are
# the joiners U+200C and U+200D that Persian and Indic names need.
_DIRECTION: Final = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_BIG_INT_BITS: Final = 200  # about 60 digits: longer than any number a text field holds
_HORIZONTAL_SPACE: Final = re.compile(r"[^\S\n]+")
_VAT_SEPARATORS: Final = re.compile(r"[\s\-./:,]+")
_GREECE_PREFIX: Final = "EL"
_VAT_PREFIX_ALIASES: Final = {"GR": "EL", "UK": "GB"}
_COUNTRY_ALIASES: Final = {"UK": "GB", "EL": "GR"}

# Company registration numbers python-stdnum can check, by country.
_COMPANY_ID_MODULES: Final = {
    "AT": "businessid",
    "CH": "uid",
    "DK": "cvr",
    "EE": "registrikood",
    "ES": "cif",
    "FI": "ytunnus",
    "FR": "siren",
    "HR": "oib",
    "NO": "orgnr",
    "PL": "regon",
    "RO": "onrc",
    "SE": "orgnr",
}


@functools.cache
def _library(name: str) -> ModuleType:
    """Import a validation library on first use (``import debitor_core`` stays light)."""
    return importlib.import_module(name)


def _fail(code: str, value: object, /, **params: object) -> ValidationError:
    """One problem, its sentence from the message catalogs (`debitor_core._messages`)."""
    return ValidationError.single(code, None, value, params=params)


def _show(value: object) -> str:
    """Quote a value for a message, shortened when long; never fails."""
    return shown(value)


def _country_argument(value: object, name: str) -> str | None:
    """Check the country a rule is given as context: ``None`` or a code (text)."""
    if value is None or isinstance(value, str):
        return value
    msg = f"The {name} must be a country code (text, such as 'LV') or None, not {_show(value)}."
    raise TypeError(msg)


def text(
    value: object,
    *,
    label: str = "text",
    code: str = "text",
    max_length: int = LIMITS["text"],
    multiline: bool = False,
    numbers: bool = False,
) -> str:
    """Check and normalise free text.

    Unicode is put in NFC form; runs of spaces collapse into one (line breaks are kept
    for ``multiline`` text, with spaces around them removed); surrounding whitespace goes.

    Args:
        value: The raw value.
        label: How the field is named in messages ("the city").
        code: The prefix of problem codes (``city`` gives ``city.too_long``).
        max_length: The most characters allowed after normalisation.
        multiline: Whether line breaks are allowed.
        numbers: Whether an integer is accepted and read as its digits (a phone number
            or postal code from JSON).

    Returns:
        The normalised text, never empty.

    Raises:
        ValidationError: ``<code>.type``, ``<code>.control_character`` (also a lone
            surrogate, as badly decoded text has), ``<code>.direction_control`` (a bidi
            embedding, override or isolate, U+202A-U+202E and U+2066-U+2069),
            ``<code>.empty`` or ``<code>.too_long``.
    """
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > _BIG_INT_BITS:
            raise _fail(f"{code}.too_long", value, subject=label, max_length=max_length)
        value = str(value)
    if not isinstance(value, str):
        raise _fail(f"{code}.type", value, subject=label, type=type(value).__name__)
    if value.isprintable() and (multiline or "  " not in value):
        cleaned = value.strip()  # the common case: no control characters, no runs of spaces
    else:
        cleaned = _clean(value, label, code, multiline=multiline)
    if not cleaned.isascii():
        cleaned = unicodedata.normalize("NFC", cleaned)
    if not cleaned:
        raise _fail(f"{code}.empty", value, subject=label)
    if len(cleaned) > max_length:
        raise _fail(
            f"{code}.too_long", value, subject=label, length=len(cleaned), max_length=max_length
        )
    return cleaned


def _clean(value: str, label: str, code: str, *, multiline: bool) -> str:
    """Reject control and direction-changing characters; normalise whitespace."""
    bad = _CONTROL.search(value)
    if bad:
        character = f"U+{ord(bad.group()):04X}"
        raise _fail(
            f"{code}.control_character",
            value,
            subject=label,
            character=character,
            position=bad.start(),
        )
    bad = _DIRECTION.search(value)
    if bad:
        character = f"U+{ord(bad.group()):04X}"
        raise _fail(
            f"{code}.direction_control",
            value,
            subject=label,
            character=character,
            position=bad.start(),
        )
    if multiline:
        lines = (
            _HORIZONTAL_SPACE.sub(" ", line).strip()
            for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        )
        return "\n".join(line for line in lines if line)
    return " ".join(value.split())


def normalise_name(value: object, *, kind: CustomerKind = CustomerKind.COMPANY) -> str:
    """Normalise a customer's name.

    Whitespace collapses to single spaces and Unicode is put in NFC form. For a person
    written surname first with a comma ("Bērziņš, Jānis"), the order becomes first
    name(s) then surname ("Jānis Bērziņš").

    Raises:
        ValidationError: as `text` does, with codes ``name.*``.
    """
    name = text(value, label="name", code="name", max_length=LIMITS["name"])
    if kind is CustomerKind.PERSON and name.count(",") == 1:
        surname, _, given = name.partition(",")
        if surname.strip() and given.strip():
            name = f"{given.strip()} {surname.strip()}"
    return name


def validate_kind(value: object) -> CustomerKind:
    """Read the kind of customer: ``company`` (also ``business``) or ``person`` (``private``).

    Raises:
        ValidationError: ``kind.invalid``.
    """
    if isinstance(value, CustomerKind):
        return value
    word = value.strip().casefold() if isinstance(value, str) else None
    kinds = {"company": CustomerKind.COMPANY, "business": CustomerKind.COMPANY}
    kinds |= {"person": CustomerKind.PERSON, "private": CustomerKind.PERSON}
    if word in kinds:
        return kinds[word]
    raise _fail("kind.invalid", value, value=_show(value), choices=("company", "person"))


def validate_email(value: object, *, check_deliverability: bool = False) -> str:
    """Check an email address and return its normalised form.

    Args:
        value: The raw address.
        check_deliverability: Also ask DNS whether the domain accepts mail (off by
            default: it needs the network and is slow).

    Raises:
        ValidationError: ``email.invalid``, ``email.undeliverable`` (and the codes of
            `text`).
    """
    raw = text(value, label="email address", code="email", max_length=LIMITS["email"])
    email_validator = _library("email_validator")
    try:
        checked = email_validator.validate_email(raw, check_deliverability=check_deliverability)
    except email_validator.EmailUndeliverableError as exc:
        raise _fail("email.undeliverable", value, email=raw, reason=str(exc)) from exc
    except email_validator.EmailNotValidError as exc:
        raise _fail("email.invalid", value, email=raw, reason=str(exc)) from exc
    return str(checked.normalized)


@functools.cache
def _parse_errors() -> dict[int, str]:
    """Our code for each error type phonenumbers' parser raises."""
    errors = _library("phonenumbers").NumberParseException
    return {
        errors.INVALID_COUNTRY_CODE: "phone.country_code",
        errors.NOT_A_NUMBER: "phone.not_a_number",
        errors.TOO_SHORT_AFTER_IDD: "phone.too_short",
        errors.TOO_SHORT_NSN: "phone.too_short",
        errors.TOO_LONG: "phone.too_long",
    }


def validate_phone(value: object, *, region: str | None = None) -> str:
    """Check a phone number and return it in E.164 form (``+37120000000``).

    Args:
        value: The raw number, international (``+371 2000 0000``) or national.
        region: The customer's country (ISO alpha-2); national numbers are read as
            numbers of this country.

    Raises:
        ValidationError: ``phone.country_code``, ``phone.not_a_number``,
            ``phone.too_short``, ``phone.too_long`` or ``phone.invalid``.
    """
    region = _country_argument(region, "region")
    raw = text(value, label="phone number", code="phone", max_length=LIMITS["phone"], numbers=True)
    phonenumbers = _library("phonenumbers")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        code = _parse_errors().get(exc.error_type, "phone.invalid")
        raise _fail(code, value, phone=raw, country=region) from exc
    if not phonenumbers.is_valid_number(number):
        where = phonenumbers.region_code_for_number(number) or region
        raise _fail("phone.invalid", value, phone=raw, country=where)
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def validate_phone_type(value: object) -> PhoneType:
    """Read what a phone number is for: mobile, work, fax or other.

    Raises:
        ValidationError: ``phone_type.invalid``.
    """
    if isinstance(value, PhoneType):
        return value
    if isinstance(value, str):
        word = value.strip().casefold()
        for member in PhoneType:
            if member.value == word:
                return member
    choices = tuple(m.value for m in PhoneType)
    raise _fail("phone_type.invalid", value, value=_show(value), choices=choices)


def country_name(code: str) -> str:
    """Return the English name of a country code, or the code when unknown."""
    if code == "XI":
        return "Northern Ireland"
    return country_rules(code).name if code in country_codes() else code


_STDNUM_REASONS: Final = (
    ("InvalidChecksum", "checksum"),
    ("InvalidLength", "length"),
    ("InvalidFormat", "format"),
    ("InvalidComponent", "component"),
)


def _stdnum_errors() -> ModuleType:
    return _library("stdnum.exceptions")


def _stdnum_failure(
    exc: Exception, raw: str, field: str, *, country: str | None
) -> ValidationError:
    code = f"{field}.invalid"
    errors = _stdnum_errors()
    for name, known_code in _STDNUM_REASONS:
        if isinstance(exc, getattr(errors, name)):
            code = f"{field}.{known_code}"
            break
    return _fail(code, raw, **{field: raw, "country": country})


@functools.cache
def _vat_module(prefix: str) -> Any:  # noqa: ANN401 - stdnum modules are untyped
    """Return python-stdnum's VAT module for a VAT prefix, or ``None``.

    The same dispatch as ``stdnum.eu.vat`` (``EL`` is Greece, ``XI`` uses the British
    rules), extended to every other country python-stdnum has a VAT module for.
    """
    country = {"EL": "gr", "XI": "gb"}.get(prefix, prefix.lower())
    if prefix == "GR" or country.upper() not in country_codes():
        return None
    return _library("stdnum").get_cc_module(country, "vat")


@functools.cache
def _company_module(country: str) -> Any:  # noqa: ANN401 - stdnum modules are untyped
    """Return python-stdnum's company-number module for ``country`` (a key of the table)."""
    return _library("stdnum").get_cc_module(country.lower(), _COMPANY_ID_MODULES[country])


def validate_vat(value: object, *, country: str | None = None) -> TaxId:
    """Check a VAT (taxpayer) number and return it compact with its country prefix.

    Any common formatting is accepted (``LV 4000 3521 600``, ``DE - 113866163``,
    ``Bg 200442771``). Greek numbers use the prefix ``EL`` and Northern Irish ones
    ``XI``. A number without a prefix is read as a number of ``country``. A number of
    a country python-stdnum has no rules for is kept as text with ``checked=False``;
    the caller turns that into a warning.

    Args:
        value: The raw number.
        country: The customer's country (ISO alpha-2), for numbers without a prefix.

    Raises:
        ValidationError: ``tax_id.checksum``, ``tax_id.length``, ``tax_id.format`` or
            ``tax_id.component`` (and the codes of `text`).
    """
    country = _country_argument(country, "country")
    raw = text(value, label="VAT number", code="tax_id", max_length=LIMITS["tax_id"], numbers=True)
    compact = _VAT_SEPARATORS.sub("", raw.upper())
    head = compact[:2]
    has_prefix = len(head) == 2 and head.isalpha() and head.isascii()  # noqa: PLR2004
    if has_prefix:
        prefix = _VAT_PREFIX_ALIASES.get(head, head)
        compact = prefix + compact[2:]
    elif country:
        prefix = "EL" if country == "GR" else country
        compact = prefix + compact
    else:
        return TaxId(raw, None, checked=False)
    module = _vat_module(prefix)
    owner = _COUNTRY_ALIASES.get(prefix, prefix)
    if module is None:
        return TaxId(raw, owner if owner in country_codes() else None, checked=False)
    try:
        number = str(module.validate(compact))
    except _stdnum_errors().ValidationError as exc:
        raise _stdnum_failure(exc, raw, "tax_id", country=owner) from exc
    if not number.startswith(prefix):
        number = prefix + number
    return TaxId(number, "GB" if owner == "XI" else owner, checked=True)


def validate_company_id(value: object, *, country: str | None = None) -> str:
    """Check a company registration number where python-stdnum knows the country.

    For other countries the number is kept as normalised text.

    Raises:
        ValidationError: ``company_id.checksum`` and the like (see `validate_vat`).
    """
    country = _country_argument(country, "country")
    raw = text(
        value,
        label="company registration number",
        code="company_id",
        max_length=LIMITS["company_id"],
        numbers=True,
    )
    module = _company_module(country) if country in _COMPANY_ID_MODULES else None
    if module is None:
        return raw
    try:
        return str(module.compact(module.validate(raw)))
    except _stdnum_errors().ValidationError as exc:
        raise _stdnum_failure(exc, raw, "company_id", country=country) from exc


def validate_country(value: object) -> str:
    """Read a country as an ISO 3166-1 alpha-2 code: ``lv``, ``LV`` or ``Latvia`` give ``LV``.

    Raises:
        ValidationError: ``country.unknown``.
    """
    raw = text(value, label="country", code="country", max_length=100)
    code = raw.upper()
    code = _COUNTRY_ALIASES.get(code, code)
    if code in country_codes():
        return code
    by_name = country_by_name(raw)
    if by_name:
        return by_name
    raise _fail("country.unknown", value, country=raw)


def validate_postal_code(value: object, *, country: str | None = None) -> str:
    """Check a postal code against the country's format and write it the country's way.

    Lenient where the intent is plain: ``lv 1050`` and ``1050`` in Latvia give
    ``LV-1050``; ``1011ab`` in the Netherlands gives ``1011 AB``. Without a country, or
    for a country with no postal-code format, the code is kept as normalised text.

    Raises:
        ValidationError: ``postal_code.invalid`` (and the codes of `text`).
    """
    country = _country_argument(country, "country")
    raw = text(
        value,
        label="postal code",
        code="postal_code",
        max_length=LIMITS["postal_code"],
        numbers=True,
    ).upper()
    if country is None or country not in country_codes():
        return raw
    rules = country_rules(country)
    normal = rules.normalise_postal_code(raw)
    if normal is not None:
        return normal
    examples = rules.written_examples[:2]
    raise _fail("postal_code.invalid", value, postal_code=raw, country=country, examples=examples)


def validate_currency(value: object) -> str:
    """Read an ISO 4217 currency code (any case): ``eur`` gives ``EUR``.

    Raises:
        ValidationError: ``currency.unknown``.
    """
    code = text(value, label="currency", code="currency", max_length=10).upper()
    if code in CURRENCY_MINOR_UNITS:
        return code
    raise _fail("currency.unknown", value, currency=code)


def validate_language(value: object) -> str:
    """Read an ISO 639-1 language code: ``LV``, ``lv`` and ``lv-LV`` give ``lv``.

    Raises:
        ValidationError: ``language.unknown``.
    """
    raw = text(value, label="language", code="language", max_length=35)
    code = re.split(r"[-_]", raw, maxsplit=1)[0].lower()
    if code in LANGUAGES:
        return code
    raise _fail("language.unknown", value, language=raw)


_HOST: Final = re.compile(r"^(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}\.?$")


def validate_website(value: object) -> str:
    """Check a website address; ``example.com`` gives ``https://example.com``.

    Raises:
        ValidationError: ``website.invalid``.
    """
    raw = text(value, label="website", code="website", max_length=LIMITS["website"])
    candidate = raw if "://" in raw else f"https://{raw}"
    try:
        parts = urllib.parse.urlsplit(candidate)
        host = parts.hostname or ""
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError as exc:
        raise _fail("website.invalid", value, website=raw) from exc
    if parts.scheme.lower() not in {"http", "https"} or " " in raw or not _HOST.match(host):
        raise _fail("website.invalid", value, website=raw)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    netloc = f"{userinfo}{at}{hostport.lower()}"
    return urllib.parse.urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=netloc))


_TERMS_FORMS: Final = (
    (re.compile(r"(?:prepaid|paid in advance|advance)"), "prepaid"),
    (re.compile(r"(?:net\s*)?(\d{1,3})(?:\s*days?)?(?:\s*net)?"), "net"),
    (
        re.compile(r"(?:eom|end of month|current month|cm)\s*\+?\s*(\d{1,3})(?:\s*days?)?"),
        "end_of_month",
    ),
    (re.compile(r"(?:fixed|due|on)?\s*(\d{4}-\d{2}-\d{2})"), "fixed_date"),
)


def validate_payment_terms(value: object) -> PaymentTerms:
    """Read payment terms from text, a number of days or a mapping.

    Accepted: a `PaymentTerms`; an integer N (net N days); text such as ``net 14``,
    ``14 days``, ``prepaid``, ``end of month + 30``, ``eom 30``, ``fixed 2026-12-31``;
    or a mapping ``{"kind": "net", "days": 14}`` / ``{"kind": "fixed_date",
    "date": "2026-12-31"}``.

    Raises:
        ValidationError: ``payment_terms.invalid``.
    """
    if isinstance(value, PaymentTerms):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        days = value
        return _terms_or_fail(value, lambda: PaymentTerms.net(days))
    if not isinstance(value, str) and isinstance(value, Mapping):
        mapping = value
        return _terms_or_fail(value, lambda: _terms_from_mapping(mapping))
    raw = text(value, label="payment terms", code="payment_terms", max_length=60)
    return _terms_or_fail(raw, lambda: _terms_from_text(raw.casefold()))


class _TermsRefusal(ValueError):
    """Why text or a mapping is no payment terms: a cause and its parameters."""

    def __init__(self, cause: str, **params: object) -> None:
        self.cause = cause
        self.params = params
        super().__init__(cause)


def _terms_or_fail(value: object, make: Callable[[], PaymentTerms]) -> PaymentTerms:
    """Make the terms, or turn the reason they cannot be made into our problem."""
    try:
        return make()
    except _TermsRefusal as exc:
        cause, params = exc.cause, exc.params
    except ValidationError as exc:
        cause, params = exc.problems[0].code, dict(exc.problems[0].params)
    inner = {**params, "cause": cause}
    reason = _i18n.render_detail("payment_terms.invalid", inner)
    params |= {"terms": _show(value), "reason": reason, "max_days": MAX_TERMS_DAYS}
    raise _fail("payment_terms.invalid", value, cause=cause, **params) from None


def _terms_from_text(raw: str) -> PaymentTerms:
    for pattern, kind in _TERMS_FORMS:
        match = pattern.fullmatch(raw)
        if not match:
            continue
        if kind == "prepaid":
            return PaymentTerms.prepaid()
        if kind == "fixed_date":
            return PaymentTerms.on(_date(match.group(1)))
        days = int(match.group(1))
        return PaymentTerms.net(days) if kind == "net" else PaymentTerms.end_of_month(days)
    raise _TermsRefusal("format")


def _date(text: object) -> dt.date:
    if isinstance(text, str) and len(text) <= 40:  # noqa: PLR2004 - no date is longer
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            pass
    shown_text = text if isinstance(text, str) and len(text) <= 40 else _show(text)  # noqa: PLR2004
    raise _TermsRefusal("date", date=shown_text)


def _terms_from_mapping(raw: Mapping[Any, Any]) -> PaymentTerms:
    kind = raw.get("kind")
    days = raw.get("days", 0)
    if not isinstance(days, int) or isinstance(days, bool):
        raise _TermsRefusal("days_type", days=_show(days))
    if kind == "net":
        return PaymentTerms.net(days)
    if kind == "end_of_month":
        return PaymentTerms.end_of_month(days)
    if kind == "prepaid":
        return PaymentTerms.prepaid()
    if kind == "fixed_date":
        due = raw.get("date")
        if isinstance(due, dt.date) and not isinstance(due, dt.datetime):
            return PaymentTerms.on(due)
        return PaymentTerms.on(_date(due))
    raise _TermsRefusal("kind", kind=_show(kind))


def is_valid(rule: Rule[object], value: object) -> bool:
    """Return whether ``rule`` accepts ``value``; it only wraps the rule."""
    try:
        rule(value)
    except ValidationError:
        return False
    return True
