"""Validation rules, one function per kind of value, for use outside a book.

Each rule takes a raw value and returns its normal form, or raises `ValidationError`
carrying one `Problem`; `is_valid(rule, value)` only wraps a rule.

>>> from debitor_core import rules
>>> rules.validate_vat("LV 4000 3521 600").value
'LV40003521600'
>>> rules.validate_postal_code("1050", country="LV")
'LV-1050'
>>> rules.is_valid(rules.validate_email, "not an email")
False
"""

from debitor_core._rules import (
    LIMITS,
    Rule,
    is_valid,
    normalise_name,
    text,
    validate_company_id,
    validate_country,
    validate_currency,
    validate_email,
    validate_kind,
    validate_language,
    validate_payment_terms,
    validate_phone,
    validate_phone_type,
    validate_postal_code,
    validate_vat,
    validate_website,
)

__all__ = [
    "LIMITS",
    "Rule",
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
