"""Hypothesis strategies for debitor-core's values, forms and customers.

Install with the ``strategies`` extra: ``pip install 'debitor-core[strategies]'``.

Every strategy draws *valid* data, in the raw shapes users type (spacing, case and
formatting vary); run it through the matching rule to get the normal form.

>>> from debitor_core import rules, strategies
>>> from hypothesis import given
>>> @given(strategies.vat_numbers())
... def test_vat(raw):
...     assert rules.validate_vat(raw).checked
>>> test_vat()
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
from collections.abc import Mapping, Sequence
from typing import Any

try:
    from hypothesis import assume
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised by a subprocess test
    msg = (
        "debitor_core.strategies needs Hypothesis; install it with "
        "pip install 'debitor-core[strategies]'"
    )
    raise ImportError(msg) from exc

import itertools
import re

import attrs
import phonenumbers
from stdnum import exceptions as stdnum_errors
from stdnum import get_cc_module, luhn
from stdnum.eu import vat as eu_vat

from debitor_core import CustomerBook
from debitor_core._category import Category
from debitor_core._errors import ValidationError
from debitor_core._fields import CustomFieldDefinition, FieldType
from debitor_core._form import RequiredFields
from debitor_core._invoice import InvoiceLine
from debitor_core._limits import MAX_AMOUNT, MAX_QUANTITY, MAX_VAT_RATE
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
from debitor_core._postal import country_codes, country_rules
from debitor_core._rules import _COMPANY_ID_MODULES
from debitor_core._shown import shown
from debitor_core._terms import PaymentTerms

__all__ = [
    "COMPANY_ID_COUNTRIES",
    "COUNTRIES",
    "Expected",
    "addresses",
    "books",
    "categories",
    "compact_vat_numbers",
    "company_ids",
    "customers",
    "emails",
    "field_definitions",
    "field_values",
    "forms",
    "invalid_forms",
    "invoice_lines",
    "names",
    "payment_terms",
    "phone_numbers",
    "postal_codes",
    "vat_numbers",
]


def _bad_argument(function: str, parameter: str, value: object, allowed: Sequence[str]) -> None:
    """Refuse a strategy's argument with a sentence that names the allowed values."""
    params = {
        "allowed": tuple(allowed),
        "function": function,
        "parameter": parameter,
        "value": shown(value),
    }
    raise ValidationError.single("argument.invalid", None, value, parameter, params=params)


def _checked_code(function: str, parameter: str, value: object, allowed: Sequence[str]) -> str:
    """Return ``value`` as an upper-case code if it is one of ``allowed``, else refuse it."""
    code = value.strip().upper() if isinstance(value, str) else None
    if code is None or code not in allowed:
        _bad_argument(function, parameter, value, allowed)
    assert code is not None  # noqa: S101 - refused above
    return code


@functools.cache
def _phone_regions() -> tuple[str, ...]:
    """Countries with example phone numbers in phonenumbers and address data in Google's."""
    return tuple(
        sorted(
            code
            for code in country_codes()
            if any(phonenumbers.example_number_for_type(code, t) for t in _PHONE_TYPES)
        )
    )


COUNTRIES: tuple[str, ...] = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR", "HR",
    "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI",
    "SK", "CH", "US", "CA", "JP", "AU",
)  # fmt: skip
"""Countries the strategies draw from by default: the EU and some frequent partners."""

_LATIN = "abcdefghijklmnopqrstuvwxyzāčēģīķļņšūžäöüßéèàçñøåæłńśźżőű"
_SCRIPTS = {
    "latin": "abcdefghijklmnopqrstuvwxyzāčēģīķļņšūžäöüéèàçñøåłńśźżőű",
    "cyrillic": "абвгдежзийклмнопрстуфхцчшщыэюя",
    "greek": "αβγδεζηθικλμνξοπρστυφχψω",
    "cjk": "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗",
}


def _word(alphabet: str, *, min_size: int = 2, max_size: int = 12) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=min_size, max_size=max_size).map(
        lambda w: w[:1].upper() + w[1:]
    )


def names(*, kind: CustomerKind | None = None) -> st.SearchStrategy[str]:
    """Names in Latin with diacritics, Cyrillic, Greek and CJK scripts.

    A person's name is first name(s) then surname; a company name may carry a legal
    form (``SIA``, ``GmbH``, ``Ltd``).
    """
    person = st.sampled_from(sorted(_SCRIPTS.values())).flatmap(
        lambda abc: st.lists(_word(abc), min_size=1, max_size=3).map(" ".join)
    )
    company = st.tuples(
        st.sampled_from(["", "SIA ", "AS ", "Ltd ", "GmbH ", "OOO ", "AE "]),
        person,
    ).map("".join)
    if kind is CustomerKind.PERSON:
        return person
    if kind is CustomerKind.COMPANY:
        return company
    return st.one_of(person, company)


_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True).filter(
    lambda label: "--" not in label
)
_TLDS = st.sampled_from(["com", "lv", "de", "org", "eu", "net", "co.uk", "fr"])


def emails(*, international: bool = True) -> st.SearchStrategy[str]:
    """Email addresses email-validator accepts (no DNS), ASCII and internationalised."""
    ascii_local = st.from_regex(r"[a-z0-9]+([._+-][a-z0-9]+){0,2}", fullmatch=True)
    ascii_mail = st.builds(
        lambda local, domain, tld: f"{local}@{domain}.{tld}", ascii_local, _LABEL, _TLDS
    )
    if not international:
        return ascii_mail
    intl_local = st.text(alphabet=_LATIN[26:] + "abc", min_size=1, max_size=10)
    intl_domain = st.text(alphabet="abcdefgāčēģīķļņšūž", min_size=2, max_size=10)
    intl_mail = st.builds(
        lambda local, domain, tld: f"{local}@{domain}.{tld}", intl_local, intl_domain, _TLDS
    )
    return st.one_of(ascii_mail, intl_mail)


_PHONE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)


def _phone_in(region: str, formatting: str) -> st.SearchStrategy[str]:
    examples = [
        n
        for t in _PHONE_TYPES
        if (n := phonenumbers.example_number_for_type(region, t)) is not None
    ]

    def vary(pair: tuple[phonenumbers.PhoneNumber, int]) -> phonenumbers.PhoneNumber:
        example, tail = pair
        digits = str(example.national_number)
        changed = digits[:-2] + f"{tail:02d}" if len(digits) > 4 else digits  # noqa: PLR2004
        number = phonenumbers.PhoneNumber(
            country_code=example.country_code, national_number=int(changed)
        )
        if example.italian_leading_zero:
            number.italian_leading_zero = True
        return number

    number_format = {
        "e164": phonenumbers.PhoneNumberFormat.E164,
        "international": phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        "national": phonenumbers.PhoneNumberFormat.NATIONAL,
    }[formatting]
    return (
        st.tuples(st.sampled_from(examples), st.integers(0, 99))
        .map(vary)
        .filter(phonenumbers.is_valid_number)
        .map(lambda n: phonenumbers.format_number(n, number_format))
    )


def phone_numbers(
    *, region: str | None = None, formatting: str = "international"
) -> st.SearchStrategy[str]:
    """Phone numbers valid by phonenumbers' metadata, written internationally.

    Args:
        region: Draw numbers of this country only (ISO alpha-2); default: `COUNTRIES`.
        formatting: ``"international"`` (``+371 21 234 567``), ``"e164"``, or
            ``"national"`` (``21 234 567``: give the customer's country with it).
    """
    if formatting not in _FORMATTINGS:
        _bad_argument("phone_numbers", "formatting", formatting, _FORMATTINGS)
    regions = (
        [_checked_code("phone_numbers", "region", region, _phone_regions())]
        if region
        else list(COUNTRIES)
    )
    return st.sampled_from(regions).flatmap(lambda r: _phone_in(r, formatting))


_FORMATTINGS = ("international", "e164", "national")


# The shape of each EU VAT number, after its prefix: ``#`` a digit, ``L`` a capital
# letter, anything else itself. The check digits (``check`` characters from the end of
# the variable part) are found by trying every value against python-stdnum.
_VAT_SHAPES: Mapping[str, tuple[str, int]] = {
    "AT": ("U########", 1), "BE": ("0#########", 2), "BG": ("#########", 1),
    "CY": ("########L", 1), "CZ": ("########", 1), "DE": ("#########", 1),
    "DK": ("########", 1), "EE": ("10#######", 1), "EL": ("#########", 1),
    "ES": ("A########", 1), "FI": ("########", 1), "HR": ("###########", 1),
    "HU": ("########", 1), "IE": ("#######L", 1), "IT": ("#######01##", 1),
    "LT": ("#######1#", 1), "LU": ("########", 2), "LV": ("4##########", 1),
    "MT": ("1#######", 2), "NL": ("#########B01", 1), "PL": ("##########", 1),
    "PT": ("#########", 1), "RO": ("########", 1), "SE": ("##########01", 1),
    "SI": ("1#######", 1), "SK": ("##########", 2), "XI": ("#########", 2),
    "FR": ("", 0),
}  # fmt: skip
"""Every EU VAT prefix (``EL`` is Greece, ``XI`` Northern Ireland) the generator covers."""

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _present(strategy: st.SearchStrategy[str | None]) -> st.SearchStrategy[str]:
    """Drop the draws that came out as ``None``."""
    return strategy.filter(lambda value: value is not None).map(lambda value: value or "")


def _check_positions(shape: str, count: int) -> list[int]:
    variable = [i for i, c in enumerate(shape) if c in "#L"]
    return variable[-count:]


def _complete(prefix: str, shape: str, count: int, body: str) -> str | None:
    """Fill the check characters of ``body`` so the number passes stdnum, if it can."""
    positions = _check_positions(shape, count)
    alphabets = ["0123456789" if shape[i] == "#" else _LETTERS for i in positions]
    for combination in itertools.product(*alphabets):
        chars = list(body)
        for position, char in zip(positions, combination, strict=True):
            chars[position] = char
        number = prefix + "".join(chars)
        if eu_vat.is_valid(number):
            return number
    return None


def _french_vat(siren_start: str) -> str:
    for last in "0123456789":
        siren = siren_start + last
        if luhn.is_valid(siren):
            key = (12 + 3 * (int(siren) % 97)) % 97
            return f"FR{key:02d}{siren}"
    raise AssertionError  # pragma: no cover - one of ten digits always passes Luhn


def _shape_regex(shape: str) -> str:
    return "".join("[0-9]" if c == "#" else "[A-Z]" if c == "L" else re.escape(c) for c in shape)


def compact_vat_numbers(*, country: str | None = None) -> st.SearchStrategy[str]:
    """Valid EU VAT numbers with correct check digits, compact with their prefix.

    Args:
        country: A VAT prefix (``LV``; ``EL`` or ``GR`` for Greece; ``XI``); default: any.
    """
    prefixes = sorted(_VAT_SHAPES)
    if country is not None:
        prefix = _checked_code("compact_vat_numbers", "country", country, (*prefixes, "GR"))
        prefixes = [{"GR": "EL"}.get(prefix, prefix)]

    def numbers(cc: str) -> st.SearchStrategy[str]:
        if cc == "FR":
            return st.from_regex(r"[1-9][0-9]{7}", fullmatch=True).map(_french_vat)
        shape, count = _VAT_SHAPES[cc]
        bodies = st.from_regex(_shape_regex(shape), fullmatch=True)
        return _present(bodies.map(lambda body: _complete(cc, shape, count, body)))

    return st.sampled_from(prefixes).flatmap(numbers)


def vat_numbers(*, country: str | None = None) -> st.SearchStrategy[str]:
    """Valid EU VAT numbers (correct check digits) in varied everyday formatting.

    ``LV40003521600`` may come as ``LV 40003521600``, ``lv40003521600``,
    ``LV - 40003521600`` or ``Lv 40003521600``.

    Args:
        country: A VAT prefix (``LV``; ``EL`` or ``GR`` for Greece; ``XI``); default: any.
    """

    def style(pair: tuple[str, int]) -> str:
        number, how = pair
        head, body = number[:2], number[2:]
        return [
            number,
            f"{head} {body}",
            f"{head.lower()}{body}",
            f"{head} - {body}",
            f"{head[0]}{head[1].lower()} {body}",
        ][how]

    if country is not None:
        _checked_code("vat_numbers", "country", country, (*sorted(_VAT_SHAPES), "GR"))
    return st.tuples(compact_vat_numbers(country=country), st.integers(0, 4)).map(style)


_COMPANY_SHAPES: Mapping[str, tuple[str, int]] = {
    "DK": ("1#######", 1), "EE": ("1#######", 1), "FI": ("#######", 1),
    "HR": ("###########", 1), "NO": ("9########", 1), "PL": ("#########", 1),
    "SE": ("55########", 1), "FR": ("#########", 1),
}  # fmt: skip
"""Countries whose company registration numbers the generator covers."""


def company_ids(*, country: str) -> st.SearchStrategy[str]:
    """Valid company registration numbers of ``country``, where python-stdnum checks them.

    Args:
        country: One of `COMPANY_ID_COUNTRIES`.
    """
    country = _checked_code("company_ids", "country", country, COMPANY_ID_COUNTRIES)
    shape, count = _COMPANY_SHAPES[country]
    module = get_cc_module(country.lower(), _COMPANY_ID_MODULES[country])
    assert module is not None  # noqa: S101 - every country in the table has a module

    def complete(body: str) -> str | None:
        for digit in "0123456789":
            number = body[: len(body) - count] + digit
            if module.is_valid(number):
                return number
        return None

    bodies = st.from_regex(_shape_regex(shape), fullmatch=True)
    return _present(bodies.map(complete))


COMPANY_ID_COUNTRIES: tuple[str, ...] = tuple(sorted(_COMPANY_SHAPES))
"""The countries `company_ids` draws for."""


def postal_codes(*, country: str) -> st.SearchStrategy[str]:
    """Postal codes of ``country``: its examples, and codes made from its pattern.

    Codes made from the pattern are written the country's way (as the rules store them).

    Args:
        country: An ISO 3166-1 alpha-2 code that Google's address data knows.
    """
    country = _checked_code("postal_codes", "country", country, sorted(country_codes()))
    rules = country_rules(country)
    if rules.postal_pattern is None:
        return st.from_regex(r"[0-9]{4,6}", fullmatch=True)
    written = rules.written_examples
    examples = st.sampled_from(written) if written else st.nothing()
    made = (
        st.from_regex(rules.postal_pattern, fullmatch=True)
        .map(lambda raw: rules.normalise_postal_code(raw) or "")
        .filter(lambda code: code.isprintable() and 0 < len(code) <= 20)  # noqa: PLR2004
    )
    return st.one_of(examples, made)


def _clean_text(alphabet: str, max_size: int) -> st.SearchStrategy[str]:
    return (
        st.text(alphabet=alphabet, min_size=1, max_size=max_size)
        .map(lambda s: " ".join(s.split()))
        .filter(bool)
    )


def addresses(*, country: str | None = None) -> st.SearchStrategy[Address]:
    """Normalised addresses, postal code written the country's way."""
    if country:
        country = _checked_code("addresses", "country", country, sorted(country_codes()))
    countries = st.just(country) if country else st.sampled_from(COUNTRIES)

    def build(code: str) -> st.SearchStrategy[Address]:
        rules = country_rules(code)
        written = rules.written_examples
        postal = st.sampled_from(written) if written else st.none()
        return st.builds(
            Address,
            street=st.one_of(st.none(), _clean_text(_LATIN + " 0123456789", 40)),
            postal_code=postal,
            city=st.one_of(st.none(), names(kind=CustomerKind.PERSON)),
            region=st.none(),
            country=st.just(code),
        )

    return countries.flatmap(build)


def payment_terms() -> st.SearchStrategy[PaymentTerms]:
    """Every kind of payment terms."""
    return st.one_of(
        st.integers(0, 365).map(PaymentTerms.net),
        st.just(PaymentTerms.prepaid()),
        st.integers(0, 365).map(PaymentTerms.end_of_month),
        st.dates(dt.date(2000, 1, 1), dt.date(2100, 12, 31)).map(PaymentTerms.on),
    )


_MOMENTS = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001 - made aware by timezones=
    max_value=dt.datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)
_FIELD_VALUES: st.SearchStrategy[Any] = st.one_of(
    _clean_text(_LATIN + " 0123456789", 30),
    st.integers(-(10**9), 10**9),
    st.decimals(
        allow_nan=False, allow_infinity=False, places=2, max_value=10**9, min_value=-(10**9)
    ),
    st.dates(),
    st.booleans(),
    st.lists(_clean_text(_LATIN, 10), max_size=3, unique=True).map(tuple),
)


def _normal_email(raw: str) -> str:
    from debitor_core._rules import validate_email  # noqa: PLC0415 - avoid a cycle at import

    return validate_email(raw)


def _normal_phone(raw: str) -> str:
    from debitor_core._rules import validate_phone  # noqa: PLC0415

    return validate_phone(raw)


def customers(*, countries: Sequence[str] = COUNTRIES) -> st.SearchStrategy[Customer]:
    """Whole, valid customers with every field drawn (including notes and consents)."""
    emails_normal = emails().map(_normal_email)
    phones = st.builds(Phone, phone_numbers(formatting="e164"), st.sampled_from(list(PhoneType)))
    vat = compact_vat_numbers().map(lambda n: TaxId(n, {"EL": "GR", "XI": "GB"}.get(n[:2], n[:2])))

    def build(kind: CustomerKind, country: str) -> st.SearchStrategy[Customer]:
        return st.builds(
            Customer,
            id=st.uuids(),
            number=st.integers(1, 10**9),
            name=names(kind=kind),
            kind=st.just(kind),
            contact_person=st.one_of(st.none(), names(kind=CustomerKind.PERSON)),
            address=addresses(country=country),
            email=st.one_of(st.none(), emails_normal),
            other_emails=st.lists(emails_normal, max_size=2, unique=True).map(tuple),
            phone=st.one_of(st.none(), phones),
            other_phones=st.lists(phones, max_size=2).map(tuple),
            website=st.one_of(st.none(), _LABEL.map(lambda h: f"https://{h}.com")),
            tax_id=st.one_of(st.none(), vat),
            company_id=st.one_of(st.none(), st.from_regex(r"[0-9]{6,10}", fullmatch=True)),
            payment_terms=st.one_of(st.none(), payment_terms()),
            currency=st.one_of(st.none(), st.sampled_from(["EUR", "USD", "GBP", "JPY"])),
            language=st.one_of(st.none(), st.sampled_from(["en", "lv", "de", "ru"])),
            categories=st.lists(st.uuids(), max_size=3, unique=True).map(
                lambda ids: tuple(sorted(ids))
            ),
            custom_fields=st.dictionaries(
                st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True), _FIELD_VALUES, max_size=3
            ),
            notes=st.lists(
                st.builds(
                    Note,
                    _clean_text(_LATIN + " \n0123456789", 50),
                    _MOMENTS,
                    st.one_of(st.none(), names(kind=CustomerKind.PERSON)),
                ),
                max_size=2,
            ).map(tuple),
            attachments=st.lists(
                st.builds(
                    AttachmentRef,
                    st.just("contract.pdf"),
                    st.just("application/pdf"),
                    st.integers(0, 10**9),
                    st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
                    _MOMENTS,
                ),
                max_size=1,
            ).map(tuple),
            consents=st.lists(
                st.builds(
                    Consent,
                    st.sampled_from(list(ConsentChannel)),
                    st.booleans(),
                    _MOMENTS,
                    st.one_of(st.none(), st.just("signup form")),
                ),
                max_size=2,
            ).map(tuple),
            archived=st.booleans(),
            created=_MOMENTS,
            updated=_MOMENTS,
            version=st.integers(1, 1000),
        )

    return st.tuples(st.sampled_from(list(CustomerKind)), st.sampled_from(list(countries))).flatmap(
        lambda pair: build(*pair)
    )


def categories() -> st.SearchStrategy[Category]:
    """Top-level categories with readable names."""
    return st.builds(
        Category, st.uuids(), _word(_SCRIPTS["latin"], min_size=3, max_size=15), st.none()
    )


_KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True)


_LINE_NUMBERS = st.decimals(allow_nan=False, allow_infinity=False, places=4)


def invoice_lines(*, extremes: bool = True) -> st.SearchStrategy[InvoiceLine]:
    """Invoice lines within every bound (`line_problems` finds nothing wrong with them).

    Args:
        extremes: Also draw the bounds themselves (the largest quantity and price,
            1,000,000,000 times 0.0009, VAT 100 %), where sums are most likely to break.
    """
    quantities = st.decimals(min_value="0.0001", max_value=MAX_QUANTITY, places=4)
    prices = st.decimals(min_value=0, max_value=MAX_AMOUNT, places=2)
    rates = st.decimals(min_value=0, max_value=MAX_VAT_RATE, places=2)
    if extremes:
        quantities = st.one_of(
            quantities, st.sampled_from(["0.0001", "1", str(MAX_QUANTITY)]).map(decimal.Decimal)
        )
        prices = st.one_of(
            prices, st.sampled_from(["0", "0.01", str(MAX_AMOUNT)]).map(decimal.Decimal)
        )
        rates = st.one_of(rates, st.just(MAX_VAT_RATE))

    def within(line: InvoiceLine) -> bool:
        return line.quantity * line.unit_price <= MAX_AMOUNT

    return st.builds(
        InvoiceLine, _clean_text(_LATIN + " 0123456789", 40), quantities, prices, rates
    ).filter(within)


def _definition(options: dict[str, Any]) -> CustomFieldDefinition:
    return CustomFieldDefinition(**options)


def field_definitions() -> st.SearchStrategy[CustomFieldDefinition]:
    """Sound custom-field definitions of every type, with their rules."""
    label = _word(_SCRIPTS["latin"], min_size=2, max_size=20)
    choices = st.lists(
        _word(_SCRIPTS["latin"], min_size=2, max_size=10),
        min_size=1,
        max_size=5,
        unique_by=str.casefold,
    ).map(tuple)

    def build(field_type: FieldType) -> st.SearchStrategy[CustomFieldDefinition]:
        base = {
            "key": _KEYS,
            "label": label,
            "type": st.just(field_type),
            "required": st.booleans(),
        }
        if field_type in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
            base["choices"] = choices
        if field_type in (FieldType.INTEGER, FieldType.DECIMAL):
            low = st.integers(-1000, 1000)
            base["min_value"] = low.map(decimal.Decimal)
            base["max_value"] = low.map(lambda n: decimal.Decimal(n + 5000))
        if field_type is FieldType.TEXT:
            base["max_length"] = st.one_of(st.none(), st.integers(20, 200))
        return st.fixed_dictionaries(base).map(_definition)

    return st.sampled_from(list(FieldType)).flatmap(build)


def _numbers_for(definition: CustomFieldDefinition) -> st.SearchStrategy[object]:
    low = int(definition.min_value) if definition.min_value is not None else -(10**6)
    high = int(definition.max_value) if definition.max_value is not None else 10**6
    numbers = st.integers(low, high)
    return st.one_of(numbers, numbers.map(str))


def _text_for(definition: CustomFieldDefinition) -> st.SearchStrategy[object]:
    return _clean_text(_LATIN + " 0123456789", min(definition.max_length or 100, 60))


_VALUES: Mapping[FieldType, Any] = {
    FieldType.INTEGER: _numbers_for,
    FieldType.DECIMAL: _numbers_for,
    FieldType.CHOICE: lambda d: st.sampled_from(d.choices),
    FieldType.MULTI_CHOICE: lambda d: st.lists(st.sampled_from(d.choices), min_size=1, unique=True),
    FieldType.DATE: lambda _: st.dates(dt.date(1990, 1, 1), dt.date(2090, 12, 31)).map(
        dt.date.isoformat
    ),
    FieldType.BOOLEAN: lambda _: st.sampled_from(["yes", "no", True, False, "1", "0"]),
    FieldType.EMAIL: lambda _: emails(international=False),
    FieldType.PHONE: lambda _: phone_numbers(),
    FieldType.URL: lambda _: _LABEL.map(lambda host: f"{host}.com"),
    FieldType.TEXT: _text_for,
    FieldType.MULTILINE_TEXT: _text_for,
}


def field_values(definition: CustomFieldDefinition) -> st.SearchStrategy[object]:
    """Raw values (as a form gives them) that ``definition`` accepts."""
    strategy: st.SearchStrategy[object] = _VALUES[definition.type](definition)
    return strategy


_TERMS_TEXT = st.sampled_from(["net 14", "14 days", "prepaid", "end of month + 30", "eom 15", "30"])


def forms(
    *,
    country: str | None = None,
    required: RequiredFields | None = None,
    fields: Sequence[CustomFieldDefinition] = (),
    category_names: Sequence[str] = (),
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid registration forms (the mapping `CustomerBook.register` takes), raw.

    Args:
        country: Draw customers of this country only; default: `COUNTRIES`.
        required: The book's required-fields policy; its fields are always filled in.
        fields: The book's custom-field definitions; required ones are always filled.
        category_names: Names of the book's categories, to put customers in.
    """
    policy = required or RequiredFields.default()
    countries = (
        [_checked_code("forms", "country", country, _phone_regions())]
        if country
        else list(COUNTRIES)
    )
    return st.sampled_from(countries).flatmap(
        lambda code: _form_in(code, policy, tuple(fields), tuple(category_names))
    )


def _form_in(
    country: str,
    policy: RequiredFields,
    fields: tuple[CustomFieldDefinition, ...],
    category_names: tuple[str, ...],
) -> st.SearchStrategy[dict[str, Any]]:
    vat_prefix = "EL" if country == "GR" else country
    optional: dict[str, st.SearchStrategy[Any]] = {
        "address.street": _clean_text(_LATIN + " 0123456789", 40),
        "address.postal_code": postal_codes(country=country),
        "address.city": names(kind=CustomerKind.PERSON),
        "email": emails(),
        "phone": st.sampled_from(["international", "e164", "national"]).flatmap(
            lambda style: phone_numbers(region=country, formatting=style)
        ),
        "contact_person": names(kind=CustomerKind.PERSON),
        "payment_terms": _TERMS_TEXT,
        "currency": st.sampled_from(["EUR", "eur", "USD"]),
        "language": st.sampled_from(["lv", "en", "de-DE"]),
    }
    if country in _EU_VAT_COUNTRIES:
        optional["tax_id"] = vat_numbers(country=vat_prefix)
    if country in _COMPANY_SHAPES:
        optional["company_id"] = company_ids(country=country)

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        kind = draw(st.sampled_from(["company", "person"]))
        form: dict[str, Any] = {"kind": kind, "name": draw(names(kind=CustomerKind(kind)))}
        address = {"country": draw(st.sampled_from([country, country.lower()]))}
        for path, strategy in optional.items():
            if path in policy.fields or draw(st.booleans()):
                if path.startswith("address."):
                    address[path.removeprefix("address.")] = draw(strategy)
                else:
                    form[path] = draw(strategy)
        form["address"] = address
        if category_names:
            chosen = draw(st.lists(st.sampled_from(category_names), unique=True, max_size=3))
            if "categories" in policy.fields and not chosen:
                chosen = [category_names[0]]
            form["categories"] = chosen
        values = {
            d.key: draw(field_values(d))
            for d in fields
            if d.active and (d.required or draw(st.booleans()))
        }
        if values:
            form["custom_fields"] = values
        return form

    return build()


_EU_VAT_COUNTRIES = frozenset({"GR" if p == "EL" else p for p in _VAT_SHAPES if p != "XI"})
_NANP = frozenset({"US", "CA"})

Expected = frozenset[tuple[str, str]]
"""The problems an invalid form must produce: ``{(path, code), ...}``."""


def invalid_forms(
    *,
    country: str | None = None,
    required: RequiredFields | None = None,
    fields: Sequence[CustomFieldDefinition] = (),
    category_names: Sequence[str] = (),
) -> st.SearchStrategy[tuple[dict[str, Any], Expected]]:
    """Forms with one to three known mistakes, each labelled with the problem it must cause.

    Yields ``(form, expected)``; registering ``form`` must fail with exactly the errors
    in ``expected`` (pairs of path and code), no more, no fewer. The mistakes: an email
    with two @, a phone number too short, a VAT number with a wrong check digit, a postal
    code of the wrong shape, a custom-field value above its maximum, a required field
    left out, and a field the form does not have.

    Takes the same parameters as `forms`.
    """
    policy = required or RequiredFields.default()
    if country:
        country = _checked_code("invalid_forms", "country", country, _phone_regions())
    range_fields = [
        f for f in fields if f.active and f.max_value is not None and f.type in _NUMERIC_TYPES
    ]

    @st.composite
    def build(draw: st.DrawFn) -> tuple[dict[str, Any], Expected]:
        form = draw(
            forms(country=country, required=policy, fields=fields, category_names=category_names)
        )
        code = str(form["address"]["country"]).upper()
        breakers = ["email", "unknown_field"]
        if code not in _NANP:
            breakers.append("phone")
        if code in _EU_VAT_COUNTRIES:
            breakers.append("tax_id")
        if country_rules(code).postal_pattern is not None:
            breakers.append("postal_code")
        if range_fields:
            breakers.append("custom_field")
        if "name" in policy.fields:
            breakers.append("name")
        chosen = draw(st.lists(st.sampled_from(breakers), min_size=1, max_size=3, unique=True))
        expected: set[tuple[str, str]] = set()
        for breaker in chosen:
            expected.add(_BREAKERS[breaker](draw, form, code, range_fields))
        return form, frozenset(expected)

    return build()


_NUMERIC_TYPES = frozenset({FieldType.INTEGER, FieldType.DECIMAL})


def _break_email(
    draw: st.DrawFn, form: dict[str, Any], _code: str, _fields: object
) -> tuple[str, str]:
    local = draw(st.from_regex(r"[a-z]{1,8}", fullmatch=True))
    form["email"] = f"{local}@@example.com"
    return ("email", "email.invalid")


def _break_phone(
    draw: st.DrawFn, form: dict[str, Any], code: str, _fields: object
) -> tuple[str, str]:
    form["phone"] = f"+{phonenumbers.country_code_for_region(code)} {draw(st.integers(1, 9))}"
    return ("phone", "phone.too_short")


def _break_vat(
    draw: st.DrawFn, form: dict[str, Any], code: str, _fields: object
) -> tuple[str, str]:
    prefix = "EL" if code == "GR" else code
    number = draw(compact_vat_numbers(country=prefix))
    if prefix == "FR":
        key = (int(number[2:4]) + draw(st.integers(1, 96))) % 97
        candidates = [f"FR{key:02d}{number[4:]}"]
    else:
        shape, count = _VAT_SHAPES[prefix]
        position = 2 + _check_positions(shape, count)[-1]
        alphabet = "0123456789" if number[position].isdigit() else _LETTERS
        candidates = [number[:position] + c + number[position + 1 :] for c in alphabet]
    wrong = [n for n in candidates if _fails_checksum(n)]
    assume(wrong)  # the shape's rules can make every change a format error instead
    form["tax_id"] = draw(st.sampled_from(wrong))
    return ("tax_id", "tax_id.checksum")


def _fails_checksum(number: str) -> bool:
    """Whether python-stdnum rejects ``number`` for its check digits (and nothing else)."""
    try:
        eu_vat.validate(number)
    except stdnum_errors.InvalidChecksum:
        return True
    except stdnum_errors.ValidationError:
        return False
    return False


def _break_postal(
    _draw: st.DrawFn, form: dict[str, Any], _code: str, _fields: object
) -> tuple[str, str]:
    form["address"]["postal_code"] = "??"
    return ("address.postal_code", "postal_code.invalid")


def _break_field(
    draw: st.DrawFn, form: dict[str, Any], _code: str, fields: Sequence[CustomFieldDefinition]
) -> tuple[str, str]:
    definition = draw(st.sampled_from(list(fields)))
    assert definition.max_value is not None  # noqa: S101 - only range fields are chosen
    form.setdefault("custom_fields", {})[definition.key] = str(definition.max_value + 1)
    return (f"custom_fields.{definition.key}", "custom_field.range")


def _break_name(
    _draw: st.DrawFn, form: dict[str, Any], _code: str, _fields: object
) -> tuple[str, str]:
    form["name"] = "   "
    return ("name", "name.required")


def _break_key(
    _draw: st.DrawFn, form: dict[str, Any], _code: str, _fields: object
) -> tuple[str, str]:
    form["colour"] = "blue"
    return ("colour", "form.unknown_field")


_BREAKERS: Mapping[str, Any] = {
    "email": _break_email,
    "phone": _break_phone,
    "tax_id": _break_vat,
    "postal_code": _break_postal,
    "custom_field": _break_field,
    "name": _break_name,
    "unknown_field": _break_key,
}


class _TickingClock:
    """A clock that starts at a drawn moment and moves one second per reading.

    Books drawn by `books` use it, so that a drawn book never depends on the day.
    """

    def __init__(self, start: dt.datetime) -> None:
        self._now = start

    def __call__(self) -> dt.datetime:
        self._now += dt.timedelta(seconds=1)
        return self._now


def books(*, max_customers: int = 5, country: str | None = None) -> st.SearchStrategy[CustomerBook]:
    """In-memory books with a few categories, custom fields and registered customers."""

    @st.composite
    def build(draw: st.DrawFn) -> CustomerBook:
        book = CustomerBook(clock=_TickingClock(draw(_MOMENTS)))
        names_used: list[str] = []
        for category in draw(
            st.lists(categories(), max_size=3, unique_by=lambda c: c.name.casefold())
        ):
            book.create_category(category.name)
            names_used.append(category.name)
        definitions = draw(st.lists(field_definitions(), max_size=3, unique_by=lambda d: d.key))
        for definition in definitions:
            book.define_field(**attrs.asdict(definition, recurse=False))
        for form in draw(
            st.lists(
                forms(country=country, fields=definitions, category_names=names_used),
                max_size=max_customers,
            )
        ):
            book.register(form)
        return book

    return build()
