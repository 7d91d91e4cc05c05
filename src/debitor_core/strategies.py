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
from collections.abc import Mapping, Sequence
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised by a subprocess test
    msg = (
        "debitor_core.strategies needs Hypothesis; install it with "
        "pip install 'debitor-core[strategies]'"
    )
    raise ImportError(msg) from exc

import phonenumbers

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
from debitor_core._postal import country_rules
from debitor_core._terms import PaymentTerms

__all__ = [
    "COUNTRIES",
    "addresses",
    "customers",
    "emails",
    "names",
    "payment_terms",
    "phone_numbers",
    "postal_codes",
    "vat_numbers",
]

COUNTRIES: tuple[str, ...] = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR", "HR",
    "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI",
    "SK", "CH", "US", "CA", "JP", "AU",
)  # fmt: skip
"""Countries the strategies draw from by default: the EU and some frequent partners."""

# Real, valid VAT numbers (public registrations and python-stdnum's examples), one or
# more per country, in the compact form with prefix.
_VAT_EXAMPLES: Mapping[str, tuple[str, ...]] = {
    "AT": ("ATU13585627",),
    "BE": ("BE0403019261", "BE0776091951"),
    "BG": ("BG200442771", "BG175074752"),
    "CY": ("CY10259033P",),
    "CZ": ("CZ25123891", "CZ7103192745"),
    "DE": ("DE113866163", "DE136695976"),
    "DK": ("DK13585628",),
    "EE": ("EE100931558", "EE100594102"),
    "EL": ("EL094259216",),
    "ES": ("ESA13585625", "ESX2482300W"),
    "FI": ("FI20774740",),
    "FR": ("FR40303265045", "FR23334175221"),
    "HR": ("HR33392005961",),
    "HU": ("HU12892312",),
    "IE": ("IE6433435F", "IE8D79739I"),
    "IT": ("IT00743110157",),
    "LT": ("LT119511515", "LT100001919017"),
    "LU": ("LU15027442",),
    "LV": ("LV40003521600", "LV16117519997"),
    "MT": ("MT11679112",),
    "NL": ("NL004495445B01",),
    "PL": ("PL8567346215",),
    "PT": ("PT501964843",),
    "RO": ("RO18547290",),
    "SE": ("SE123456789701",),
    "SI": ("SI50223054",),
    "SK": ("SK2022749619",),
    "XI": ("XI980780684",),
}

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
        formatting: ``"international"`` (``+371 21 234 567``) or ``"e164"``.
    """
    regions = [region] if region else list(COUNTRIES)
    return st.sampled_from(regions).flatmap(lambda r: _phone_in(r, formatting))


def vat_numbers(*, country: str | None = None) -> st.SearchStrategy[str]:
    """Valid EU VAT numbers (correct check digits), in varied everyday formatting.

    Args:
        country: A VAT prefix (``LV``, ``EL`` for Greece, ``XI``); default: any.
    """
    pool = (
        _VAT_EXAMPLES[country]
        if country
        else tuple(v for values in _VAT_EXAMPLES.values() for v in values)
    )

    def style(pair: tuple[str, int]) -> str:
        number, how = pair
        prefix, body = number[:2], number[2:]
        return [
            number,
            f"{prefix} {body}",
            f"{prefix.lower()}{body}",
            f"{prefix} - {body}",
            f"{prefix[0]}{prefix[1].lower()} {body}",
        ][how]

    return st.tuples(st.sampled_from(pool), st.integers(0, 4)).map(style)


def postal_codes(*, country: str) -> st.SearchStrategy[str]:
    """Postal codes of ``country`` as its postal service writes them."""
    rules = country_rules(country)
    if not rules.examples:
        return st.from_regex(r"[0-9]{4,6}", fullmatch=True)
    return st.sampled_from(rules.examples)


def _clean_text(alphabet: str, max_size: int) -> st.SearchStrategy[str]:
    return (
        st.text(alphabet=alphabet, min_size=1, max_size=max_size)
        .map(lambda s: " ".join(s.split()))
        .filter(bool)
    )


def addresses(*, country: str | None = None) -> st.SearchStrategy[Address]:
    """Normalised addresses, postal code written the country's way."""
    countries = st.just(country) if country else st.sampled_from(COUNTRIES)

    def build(code: str) -> st.SearchStrategy[Address]:
        rules = country_rules(code)
        postal = st.sampled_from(rules.examples) if rules.examples else st.none()
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
    vat = st.sampled_from(sorted(_VAT_EXAMPLES)).map(
        lambda p: TaxId(_VAT_EXAMPLES[p][0], "GR" if p == "EL" else ("GB" if p == "XI" else p))
    )

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
