"""Every sentence the domain says, in English, keyed for the message catalogs.

Each entry is a template keyed by a problem code (``email.invalid``), by a variant of
one (``phone.invalid/anywhere``: the same code, worded otherwise because its parameters
differ) or by a code family (``*.too_long``: every field's text that is too long). The
key is the catalog's ``msgctxt``; the English template is its ``msgid``. `select` picks
the key of a problem from its code and parameters alone, so that a code and its
parameters, wherever they were kept, are enough to say the problem in any language.

Templates are Python format strings over the problem's parameters. After the colon, a
field says how to write its value (see ``debitor_core._i18n``): ``,`` a number with
grouping, ``q`` the value quoted and shortened, ``or`` a list joined with "or",
``list`` one joined with commas, ``country`` a country's name, ``date`` a date in the
language's format, ``lc`` a sentence that goes on after a colon. ``{detail}`` is the
sentence of a problem nested in this one. The parameters ``subject`` and ``expected``
hold English words that the catalogs translate on their own (``msgctxt`` ``subject``).

``make catalogs`` extracts this module with Babel (the markers are `message`, `plural`
and `term`); the comments that start with ``TRANSLATORS:`` reach the translators.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, NamedTuple

__all__ = ["MESSAGES", "NESTED", "TERMS", "TERM_PARAMS", "Message", "select"]


class Message(NamedTuple):
    """One template: its English text, and for a plural its plural and count parameter."""

    text: str
    plural: str | None = None
    counter: str | None = None


MESSAGES: Final[dict[str, Message]] = {}
"""Every template by key (the catalogs' ``msgctxt``)."""

TERMS: Final[dict[str, list[str]]] = {}
"""Words that go into sentences, by context: ``subject`` (what a text field is called),
``expected`` (what an attribute must be), ``country`` (names CLDR lacks)."""

TERM_PARAMS: Final = ("subject", "expected", "record")
"""Parameters whose English value the catalogs translate (context = parameter name)."""


def message(key: str, text: str) -> None:
    """Register the English template ``text`` under ``key`` (a Babel keyword: 1c,2)."""
    MESSAGES[key] = Message(text)


def plural(key: str, singular: str, plural_text: str, count: str) -> None:
    """Register a template with a plural, chosen by the parameter ``count`` (1c,2,3)."""
    MESSAGES[key] = Message(singular, plural_text, count)


def term(context: str, text: str) -> None:
    """Register a word that goes into sentences (a Babel keyword: 1c,2)."""
    TERMS.setdefault(context, []).append(text)


# -- the text of any field (rules.text) ------------------------------------------------
# TRANSLATORS: {subject} names the field ("postal code", "email address"); it is
# translated on its own (context "subject"), in the nominative case.
plural(
    "*.too_long",
    "The {subject} is {length:,} character long; at most {max_length:,} are allowed.",
    "The {subject} is {length:,} characters long; at most {max_length:,} are allowed.",
    "length",
)
message("*.too_long/number", "The {subject} is a number far too long for a {subject}.")
message("*.type", "The {subject} must be text, not a value of type {type}.")
message("*.type/none", "The {subject} must be text, not nothing.")
message("*.empty", "The {subject} is empty.")
# TRANSLATORS: {character} is a code point such as U+0007.
message(
    "*.control_character",
    "The {subject} contains the control character {character}; remove it and try again.",
)
message(
    "*.direction_control",
    "The {subject} contains the invisible character {character}, which changes the "
    "direction of the text around it so that it reads differently from what is stored; "
    "remove it and try again.",
)
term("subject", "text")
term("subject", "name")
term("subject", "contact person")
term("subject", "street")
term("subject", "city")
term("subject", "region")
term("subject", "note")
term("subject", "email address")
term("subject", "phone number")
term("subject", "VAT number")
term("subject", "company registration number")
term("subject", "postal code")
term("subject", "country")
term("subject", "currency")
term("subject", "language")
term("subject", "website")
term("subject", "payment terms")
term("subject", "value")
term("subject", "label")
term("subject", "help text")
term("subject", "choice")
term("subject", "category name")
term("subject", "business name")
term("subject", "logo")
term("subject", "message template")
term("subject", "description")
term("subject", "consent source")
term("subject", "quantity")
term("subject", "unit price")
term("subject", "price")
term("subject", "VAT rate")
term("subject", "amount")
term("subject", "number")

# -- required fields -------------------------------------------------------------------
message("kind.required", "The kind of customer is required.")
message("name.required", "The name is required.")
message("contact_person.required", "The contact person is required.")
message("email.required", "The email address is required.")
message("phone.required", "The phone number is required.")
message("website.required", "The website is required.")
message("tax_id.required", "The VAT number is required.")
message("company_id.required", "The company registration number is required.")
message("street.required", "The street is required.")
message("postal_code.required", "The postal code is required.")
message("city.required", "The city is required.")
message("region.required", "The region is required.")
message("country.required", "The country is required.")
message("payment_terms.required", "The payment terms is required.")
message("currency.required", "The currency is required.")
message("language.required", "The language is required.")
message("categories.required", "The category is required.")

# -- the rules ---------------------------------------------------------------------------
message("kind.invalid", "The kind of customer must be company or person, not {value}.")
# TRANSLATORS: {reason} is email-validator's own sentence, in English.
message("email.invalid", "The email address {email:q} is not valid. {reason}")
message("email.undeliverable", "The email address {email:q} cannot receive mail. {reason}")
message(
    "phone.country_code",
    "The phone number {phone:q} does not start with a known country code; "
    "write it with + and the country code.",
)
message(
    "phone.country_code/no_country",
    "The phone number {phone:q} has no country code; write it with + and the country "
    "code, or give the customer's country.",
)
message("phone.not_a_number", "The phone number {phone:q} is not a phone number.")
message("phone.too_short", "The phone number {phone:q} is too short.")
message("phone.too_long", "The phone number {phone:q} is too long.")
message("phone.invalid", "The phone number {phone:q} is not a valid number in {country:country}.")
message("phone.invalid/anywhere", "The phone number {phone:q} is not a valid number.")
message("phone_type.invalid", "The phone type must be one of {choices:list}, not {value}.")
message(
    "tax_id.checksum",
    "The VAT number {tax_id:q} is not a valid number from {country:country}: "
    "its check digit is wrong.",
)
message(
    "tax_id.length",
    "The VAT number {tax_id:q} is not a valid number from {country:country}: "
    "it has the wrong number of characters.",
)
message(
    "tax_id.format",
    "The VAT number {tax_id:q} is not a valid number from {country:country}: "
    "it is not in the expected format.",
)
message(
    "tax_id.component",
    "The VAT number {tax_id:q} is not a valid number from {country:country}: "
    "a part of it is not valid.",
)
message(
    "tax_id.invalid",
    "The VAT number {tax_id:q} is not a valid number from {country:country}: it is not valid.",
)
message(
    "company_id.checksum",
    "The company registration number {company_id:q} is not a valid number from {country:country}: "
    "its check digit is wrong.",
)
message(
    "company_id.length",
    "The company registration number {company_id:q} is not a valid number from {country:country}: "
    "it has the wrong number of characters.",
)
message(
    "company_id.format",
    "The company registration number {company_id:q} is not a valid number from {country:country}: "
    "it is not in the expected format.",
)
message(
    "company_id.component",
    "The company registration number {company_id:q} is not a valid number from {country:country}: "
    "a part of it is not valid.",
)
message(
    "company_id.invalid",
    "The company registration number {company_id:q} is not a valid number from {country:country}: "
    "it is not valid.",
)
message(
    "tax_id.unchecked",
    "The VAT number {tax_id:r} was kept as written: we have no rules to check numbers "
    "of its country. Check it by hand.",
)
message(
    "country.unknown",
    "{country:q} is not a country we know; use a two-letter ISO 3166 code such as LV "
    "or DE, or the English name.",
)
term("country", "Northern Ireland")
# TRANSLATORS: "in a country", for sentences such as "not valid in Germany"; the
# phrases by country code below (as the language says "in Germany"), and for the
# other countries this pattern around the country's name. English never uses them.
term("country/in", "in {country}")
term("country/in", "AT")
term("country/in", "BE")
term("country/in", "BG")
term("country/in", "HR")
term("country/in", "CY")
term("country/in", "CZ")
term("country/in", "DK")
term("country/in", "EE")
term("country/in", "FI")
term("country/in", "FR")
term("country/in", "DE")
term("country/in", "GR")
term("country/in", "HU")
term("country/in", "IE")
term("country/in", "IT")
term("country/in", "LV")
term("country/in", "LT")
term("country/in", "LU")
term("country/in", "MT")
term("country/in", "NL")
term("country/in", "PL")
term("country/in", "PT")
term("country/in", "RO")
term("country/in", "SK")
term("country/in", "SI")
term("country/in", "ES")
term("country/in", "SE")
term("country/in", "NO")
term("country/in", "IS")
term("country/in", "LI")
term("country/in", "CH")
term("country/in", "GB")
term("country/in", "US")
message(
    "postal_code.invalid",
    "The postal code {postal_code} is not valid in {country:country}; "
    "it should look like {examples:or}.",
)
message(
    "currency.unknown",
    "{currency:q} is not a currency code we know; use an ISO 4217 code such as EUR.",
)
message(
    "language.unknown",
    "{language:q} is not a language code we know; use an ISO 639-1 code such as en.",
)
message(
    "website.invalid",
    "The website {website:q} is not a valid web address; write it like example.com.",
)

# -- payment terms -----------------------------------------------------------------------
# TRANSLATORS: {kind} is one of prepaid, fixed_date (a code, not translated).
message("payment_terms.invalid/days", "{kind} payment terms take no number of days.")
message(
    "payment_terms.invalid/fixed",
    "A fixed due date goes with fixed-date payment terms, and only with them.",
)
message("payment_terms.days", "The number of days must be between 0 and {max_days}, not {days}.")
message(
    "payment_terms.date_range",
    "The fixed due date {date} must be between {min_date} and {max_date}.",
)
message("issue_date.range", "The invoice date {date} must be between {min_date} and {max_date}.")
# TRANSLATORS: {detail} is one of the sentences that follow, going on after the colon.
message("payment_terms.invalid", "The payment terms {terms} are not valid: {detail:lc}")
message(
    "payment_terms.cause/format",
    "use 'net 14', 'prepaid', 'end of month + 30' or a fixed date like 'fixed 2026-12-31'.",
)
message("payment_terms.cause/date", "{date} is not a date; write it as YYYY-MM-DD.")
message("payment_terms.cause/days_type", "the number of days must be a whole number, not {days}.")
message(
    "payment_terms.cause/kind",
    "the kind must be net, prepaid, end_of_month or fixed_date, not {kind}.",
)

# -- the form ----------------------------------------------------------------------------
message("form.type", "The form must be a mapping of fields, not {value}.")
plural(
    "form.too_many_problems",
    "{left_out:,} more problem like those above ({code}) was left out; "
    "correct those and try again.",
    "{left_out:,} more problems like those above ({code}) were left out; "
    "correct those and try again.",
    "left_out",
)
message(
    "address.type",
    "The address must be a mapping of street, postal_code, city, region and country.",
)
message(
    "form.unknown_field",
    "The form has a field {field:q} that we do not know; use {known:list}.",
)
message(
    "form.unknown_field/suggest",
    "The form has a field {field:q} that we do not know; did you mean {suggestions:or}?",
)
plural(
    "other_emails.too_many",
    "A customer has at most {max_count} other email, not {count:,}.",
    "A customer has at most {max_count} other emails, not {count:,}.",
    "max_count",
)
plural(
    "other_phones.too_many",
    "A customer has at most {max_count} other phone, not {count:,}.",
    "A customer has at most {max_count} other phones, not {count:,}.",
    "max_count",
)
message("categories.unknown", "There is no category {category}; create it first.")
message(
    "categories.unknown/none",
    "There is no category {category}; the book has no categories yet; create it first.",
)
message(
    "categories.unknown/suggest",
    "There is no category {category}; did you mean {suggestions:or}? Otherwise create it first.",
)
message("custom_fields.type", "The custom fields must be a mapping of field keys to values.")
message("custom_field.required", "{label} is required.")
message("custom_field.unknown", "There is no custom field {field:q} (the book has {count:,}).")
message("custom_field.unknown/none", "There is no custom field {field:q} (none are defined).")
message(
    "custom_field.unknown/suggest",
    "There is no custom field {field:q}; did you mean {suggestions:or}?",
)
message("custom_field.inactive", "{label}: the field is deactivated and takes no new values.")
message(
    "consent.invalid",
    "Consent must be yes or no: True, or on, yes, true or 1 for yes; False, or no, "
    "false, 0 or an empty value for no (in any case); or a list of channels (email, "
    "phone, sms, post); or a mapping such as {{'email': 'yes', 'source': 'signup form'}}.",
)

# -- a custom field's value ----------------------------------------------------------------
# TRANSLATORS: {label} is the custom field's name, as the book's owner wrote it.
plural(
    "custom_field.too_long",
    "{label}: The value is {length:,} character long; at most {max_length:,} are allowed.",
    "{label}: The value is {length:,} characters long; at most {max_length:,} are allowed.",
    "length",
)
message("custom_field.too_long/number", "{label}: The value is a number far too long for a value.")
message("custom_field.type/text", "{label}: The value must be text, not a value of type {type}.")
message("custom_field.type/none", "{label}: The value must be text, not nothing.")
message("custom_field.empty", "{label}: The value is empty.")
message(
    "custom_field.control_character",
    "{label}: The value contains the control character {character}; remove it and try again.",
)
message(
    "custom_field.direction_control",
    "{label}: The value contains the invisible character {character}, which changes the "
    "direction of the text around it so that it reads differently from what is stored; "
    "remove it and try again.",
)
message(
    "custom_field.pattern_invalid",
    "{label}: the field's pattern cannot be used ({detail}); change the field first.",
)
message("custom_field.pattern", "{label}: {value:q} is not in the expected format.")
message("custom_field.type/integer", "{label}: {value} is not a whole number.")
message("custom_field.type/decimal", "{label}: {value} is not a number.")
message("custom_field.type/date", "{label}: {value} is not a date; write it as YYYY-MM-DD.")
message("custom_field.type/boolean", "{label}: {value} is not yes or no.")
message("custom_field.type/multi_choice", "{label}: {value} is not a list of choices.")
message(
    "custom_field.range/beyond",
    "{label}: {value} is beyond the largest number a field holds ({max:,}).",
)
message("custom_field.range/below", "{label}: {value} is below the minimum of {min}.")
message("custom_field.range/above", "{label}: {value} is above the maximum of {max}.")
message("custom_field.range/before", "{label}: {value} is before {min}.")
message("custom_field.range/after", "{label}: {value} is after {max}.")
plural(
    "custom_field.digits",
    "{label}: {value} has more than {max_digits} significant digit.",
    "{label}: {value} has more than {max_digits} significant digits.",
    "max_digits",
)
message("custom_field.choice", "{label}: {value} is not one of the {count:,} choices.")
message(
    "custom_field.choice/listed", "{label}: {value} is not one of the choices ({choices:list})."
)
message(
    "custom_field.choice/suggest",
    "{label}: {value} is not one of the {count:,} choices; did you mean {suggestions:or}?",
)
# TRANSLATORS: {detail} is the sentence of the email, phone or web-address rule.
message("custom_field.invalid", "{label}: {detail}")

# -- a custom field's definition -----------------------------------------------------------
plural(
    "pattern.too_long",
    "The pattern is {length:,} character long; at most {max_length:,} are allowed.",
    "The pattern is {length:,} characters long; at most {max_length:,} are allowed.",
    "length",
)
message(
    "pattern.surrogate",
    "The pattern contains an unpaired surrogate, which is not text; remove it.",
)
# TRANSLATORS: {re2_error} is RE2's own description of the error, in English.
message("pattern.refused", "The pattern cannot be used: {re2_error}.")
message(
    "pattern.refused/linear",
    "The pattern cannot be used: {re2_error}. Patterns may not use backreferences or "
    "look-ahead and look-behind, which cannot be matched in linear time.",
)
message(
    "custom_field_definition.key",
    "The key {key} must be lowercase letters, digits and _, starting with a letter, "
    "at most 50 characters.",
)
message("custom_field_definition.label", "The label is empty; give the field a name.")
# TRANSLATORS: {attribute} is a Python attribute such as max_length; {expected} is
# translated on its own (context "expected").
message(
    "custom_field_definition.attribute_type",
    "The {attribute:words} must be {expected}, not a value of type {type}.",
)
term("expected", "a FieldType")
term("expected", "True or False")
term("expected", "a tuple of choices")
term("expected", "a Decimal")
term("expected", "a datetime.date")
term("expected", "a whole number")
term("expected", "text")
message("custom_field_definition.choices/missing", "A choice field needs at least one choice.")
plural(
    "custom_field_definition.choices/too_many",
    "A field has at most {max_count:,} choice, not {count:,}.",
    "A field has at most {max_count:,} choices, not {count:,}.",
    "max_count",
)
message("custom_field_definition.choices/duplicates", "The choices must differ from each other.")
message("custom_field_definition.choices/choice_only", "Only choice fields take choices.")
message(
    "custom_field_definition.range/number_only", "Only number fields take a minimum or maximum."
)
message("custom_field_definition.range/max_below_min", "The maximum is below the minimum.")
message(
    "custom_field_definition.range/date_only",
    "Only date fields take an earliest or latest date.",
)
message(
    "custom_field_definition.range/latest_before_earliest",
    "The latest date is before the earliest.",
)
message(
    "custom_field_definition.range",
    "The {attribute:words} must be a number between {min:,} and {max:,}.",
)
message(
    "custom_field_definition.max_length",
    "The maximum length must be between {min} and {max:,}.",
)
message(
    "custom_field_definition.pattern/text_only",
    "Only text fields take a pattern or maximum length.",
)
# TRANSLATORS: {detail} is one of the pattern.* sentences.
message("custom_field_definition.pattern", "{detail}")
message("custom_field_definition.default", "The default does not fit: {detail}")

# -- invoices ----------------------------------------------------------------------------
message("*.invalid/number", "The {subject} {value} is not a number; write it like 1.50.")
message(
    "*.invalid/number_in",
    "The {subject} in {currency} {value} is not a number; write it like 1.50.",
)
message("*.invalid/not_finite", "The {subject} must be a finite number, not {number}.")
message(
    "*.invalid/not_finite_in",
    "The {subject} in {currency} must be a finite number, not {number}.",
)
message("*.range", "The {subject} {value} must be at least {min} and at most {max:,}.")
message("*.range/above", "The {subject} {value} must be more than {min} and at most {max:,}.")
plural(
    "*.digits",
    "The {subject} {value} has more than {max_digits} significant digit.",
    "The {subject} {value} has more than {max_digits} significant digits.",
    "max_digits",
)
message("lines.empty", "An invoice needs at least one line.")
message("lines.empty/welcome", "A welcome invoice needs at least one line.")
plural(
    "lines.too_many",
    "An invoice has at most {max_count:,} line, not {count:,}.",
    "An invoice has at most {max_count:,} lines, not {count:,}.",
    "max_count",
)
message("line.type", "Lines must be InvoiceLine objects, not {type}.")
message(
    "line.net_range",
    "The line comes to {net:,} (quantity times unit price); a line is at most {max:,}.",
)
message("amount.precision", "{value} has more decimals than {currency} allows ({places}).")

# -- the welcome-invoice policy ------------------------------------------------------------
# TRANSLATORS: write {{ for a brace, as in Python; {placeholders} lists them in braces.
message(
    "template.placeholder",
    "The message uses {{{placeholder:bare}}}, which is not a placeholder we fill in; "
    "use {placeholders:braces}, and write {{{{ or }}}} for a brace.",
)
plural(
    "template.placeholders",
    "The message uses {count:,} placeholder; at most {max_count} are allowed.",
    "The message uses {count:,} placeholders; at most {max_count} are allowed.",
    "count",
)
message(
    "template.brace",
    "The message has a brace without its partner; write {{{{ or }}}} for a brace.",
)
message("template.type", "The message template must be text, not a value of type {type}.")
message("lines.type", "The lines must be a tuple of LineTemplate, not a value of type {type}.")
message(
    "unit_price.conflict",
    "The line has two prices in {currency}: {unit_price} as its unit price and {price} "
    "among its prices; give one.",
)
plural(
    "unit_price.precision",
    "The price {value} {currency} has more decimals than {currency} has ({places} decimal place).",
    "The price {value} {currency} has more decimals than {currency} has ({places} decimal places).",
    "places",
)
message(
    "unit_price.precision/none",
    "The price {value} {currency} has more decimals than {currency} has (no minor unit).",
)
message(
    "welcome.currency",
    "The welcome invoice has no price in {currency}; its lines are priced in "
    "{currencies:list}. Add prices in {currency} to the policy's lines.",
)
message(
    "welcome.currency/none",
    "The welcome invoice has no price in {currency}; its lines are priced in no single "
    "currency. Add prices in {currency} to the policy's lines.",
)
message("categories.type", "The categories must be category ids (UUIDs), not {value}.")
message(
    "reminders.invalid",
    "Reminders are distinct day offsets from -{max_offset} to {max_offset}, "
    "at most {max_count} of them.",
)
message("branding.type", "The branding must be a Branding, not a value of type {type}.")
message("branding.name", "The business name is empty.")
message("branding.colour", "The colour {colour} must be written like #00aa55.")
message("enabled.type", "enabled must be True or False, not a value of type {type}.")
message(
    "locale.unknown",
    "We have no messages in {locale}; use one of {locales:list}.",
)
# TRANSLATORS: the default message of a welcome invoice; keep {customer.greeting_name}.
message("welcome.default_message", "Welcome, {{customer.greeting_name}}!")
# TRANSLATORS: the description of the default line of a welcome invoice.
message("welcome.default_line", "Welcome")

# -- categories ----------------------------------------------------------------------------
message("category.name_taken", "A category named {name:r} already exists; choose another name.")
message("category.parent_unknown", "The parent category does not exist.")
message("category.cycle", "{name:r} cannot be placed under one of its own sub-categories.")

# -- strategies ----------------------------------------------------------------------------
message(
    "argument.invalid",
    "{function}() takes {parameter}= as one of {allowed:list}; {value} is not one of them.",
)

# -- errors and the book's duplicate check -------------------------------------------------
plural(
    "errors.summary",
    "{count:,} problem was found:",
    "{count:,} problems were found:",
    "count",
)
# TRANSLATORS: {evidence} lists what matched, each a duplicate.evidence/* phrase.
message(
    "duplicate.likely",
    "This may be a customer you already have: Customer {number} ({name}) has {evidence:evidence}.",
)
message(
    "duplicate.likely/archived",
    "This may be a customer you already have: Customer {number} ({name}), archived, "
    "has {evidence:evidence}.",
)
message("duplicate.evidence/tax_id", "the same VAT number")
message("duplicate.evidence/email", "the same email address")
message("duplicate.evidence/phone", "the same phone number")
message("duplicate.evidence/name_city", "the same name and city")
# TRANSLATORS: joins the evidence phrases: "the same VAT number and the same email address".
message("duplicate.evidence/and", " and ")


# -- the book ------------------------------------------------------------------------------
# TRANSLATORS: {function} and {parameter} are Python names; {expected} says what is taken,
# in English words (for programmers).
message(
    "argument.type",
    "The argument {parameter}= of {function}() must be {expected}, not a value of type {type}.",
)
message(
    "argument.range",
    "The argument {parameter}= of {function}() must be a whole number of {min} or more, "
    "not {value}.",
)
message(
    "book.store",
    "CustomerBook() takes a store, not a value of type {type}: pass a store, "
    "e.g. JsonFileStore(path) or SqliteStore(path).",
)
message(
    "book.timezone",
    "{timezone:q} is not a time zone we know; use an IANA name such as Europe/Riga.",
)
message("date.invalid", "{value} is not a date; write it like 2026-12-31.")
message("date.range", "The date {date} must be between {min_date} and {max_date}.")
message(
    "number.invalid",
    "The customer number must be a whole number from 1 to {max:,}, not {value}.",
)
message(
    "number.taken",
    "The customer number {number} is already taken; leave it out to get the next free one.",
)
message(
    "number.exhausted",
    "Every customer number up to {max:,} has been handed out; give a free number of your "
    "own with number=.",
)
# TRANSLATORS: {name} is the new customer's name.
message("duplicate.customer", "{name} looks like a customer you already have.")
message(
    "customer.changed",
    "Customer {number} was changed by someone else: it is at version {actual}, not "
    "{expected}. Reload it and try again.",
)
# TRANSLATORS: {reasons} says what refers to the customer ("has 2 invoices"), joined by "; ".
message(
    "customer.in_use",
    "Customer {number} ({name}) cannot be deleted: it {reasons}. Archive it instead with "
    "book.archive().",
)
message("customer.merge_in_use", "Customer {number} cannot be merged away: it {reasons}.")
plural("customer.invoices", "has {count:,} invoice", "has {count:,} invoices", "count")
message(
    "numbers.count",
    "{numbers:,} numbers were given for {forms:,} forms; give one number (or None) per form.",
)
message("category.not_found", "There is no category {name}.")
message("custom_field.not_found", "There is no custom field {key}.")
message("customer.not_found", "No customer has the id {id}.")
message("customer.no_number", "No customer has the number {number}.")
message(
    "customer.merged_away",
    "The customer {id} was merged into customer {number}; to delete that customer, "
    "give its own id.",
)
message("invoice.not_found", "No invoice has the id {id}.")

# -- what a store refuses (NotFound, AlreadyExists, ConcurrencyConflict) ----------------------
# TRANSLATORS: {record} is the kind of record, translated on its own (context "record");
# {key} is its key, {id} an id, {number} a customer number.
message("record.not_found", "No {record} has the key {key}.")
message("category.no_id", "No category has the id {id}.")
message("customer.exists", "A customer with the id {id} or the number {number} is already stored.")
message("customer.id_taken", "A customer with the id {id} is already stored.")
message("customer.number_taken", "The customer number {number} is already taken.")
message("customer.twice", "The customer id {id} or number {number} appears twice.")
message("customer.id_twice", "The customer id {id} is given twice.")
message("customer.number_twice", "The customer number {number} is given twice.")
message("customer.import_clash", "An imported customer clashes with a stored one.")
message("record.exists", "A {record} with the key {key} is already stored.")
message(
    "record.changed",
    "The {record} {key} was changed by someone else: it is at version {actual}, not {expected}.",
)
# TRANSLATORS: {reason} is the database's own sentence, in English; {book} is a path or
# a quoted name.
message("storage.duplicate", "The book {book} already holds that record ({reason}).")
message("storage.duplicate/database", "The database {book} already holds that record ({reason}).")
# The kinds of record a store keeps besides those above (history, merges, erasures).
term("record", "history")
term("record", "forward")
term("record", "erasure")
message(
    "customer.erase_no_number",
    "The customer {id} cannot be erased: its number is not on record.",
)
plural(
    "category.in_use",
    "{count:,} customer is in the category {name:q}. Pass detach=True to take it off them, "
    "or move them first.",
    "{count:,} customers are in the category {name:q}. Pass detach=True to take it off "
    "them, or move them first.",
    "count",
)
message("duplicate.description", "Customer {number} ({name}) has {evidence:evidence}.")
message(
    "duplicate.description/archived",
    "Customer {number} ({name}), archived, has {evidence:evidence}.",
)
message("merge.same", "A customer cannot be merged into itself.")
message(
    "file_name.invalid", "The file name {value} has no name left once its folders are taken off."
)
message("size.invalid", "The size must be a whole number of bytes from 0 to {max:,}, not {value}.")
message("sha256.invalid", "The SHA-256 must be 64 hexadecimal characters, not {value}.")
message(
    "consent.channel",
    "The consent channel must be one of {choices:list}, not {value}.",
)
message(
    "payment.currency",
    "Invoice {number} is in {currency}; a payment in {given} cannot be booked against it.",
)
# TRANSLATORS: {state} is draft or void (a code, not translated).
message("payment.state", "Invoice {number} is {state}; it takes no payments.")
message(
    "payment.overpaid",
    "The payment of {amount} {currency} is more than the {left} {currency} left to pay on "
    "invoice {number}.",
)
message("invoice.paid", "Invoice {number} has payments; refund them before voiding it.")
message(
    "reminder.offset",
    "The reminder offset must be a whole number of days from -{max_offset} to "
    "{max_offset}, not {value}.",
)
message(
    "idempotency.key",
    "The idempotency key must be text of 1 to {max_length} characters, not {value}.",
)
message(
    "idempotency.conflict",
    "The idempotency key {key:q} was used before with another form; use a new key for a "
    "new registration.",
)
message(
    "delivery.no_sender",
    "The book has no sender for welcome invoices; pass sender= to CustomerBook.",
)


# -- stored records that are not sound (_integrity: imports, damaged stores) ----------------
message("integrity.missing", "There is no value; one is required.")
message("integrity.empty", "The text is empty.")
# TRANSLATORS: {character} is a code point such as U+0007.
message("integrity.control_character", "The text contains the control character {character}.")
plural(
    "integrity.too_long",
    "The text is {length:,} character long; at most {max_length:,} are allowed.",
    "The text is {length:,} characters long; at most {max_length:,} are allowed.",
    "length",
)
plural(
    "integrity.too_many",
    "The invoice has {count:,} line; at most {max_count:,} are allowed.",
    "The invoice has {count:,} lines; at most {max_count:,} are allowed.",
    "count",
)
# TRANSLATORS: {shown} is the stored value as Python writes it.
message("integrity.field_key", "The key {shown} is not a key (lowercase letters, digits, _).")
message(
    "integrity.field_key/custom",
    "The custom-field key {shown} is not a key (lowercase letters, digits, _).",
)
message("integrity.range", "{value:,} is outside the range {min:,} to {max:,}.")
message("integrity.range/digits", "The number has more than {max_digits} digits.")
message("integrity.range/decimal", "{shown} is not a finite number of at most {max_digits} digits.")
message("integrity.range/vat_rate", "The VAT rate {shown} is not a percentage from 0 to 100.")
message("integrity.range/amount", "{shown} is outside the range -{max:,} to {max:,}.")
message(
    "integrity.range/date", "The date {date:date} is outside {min_date:date} to {max_date:date}."
)
message(
    "integrity.file_name",
    "{shown} is not a plain file name (one without a folder, not . or ..).",
)
message("integrity.sha256", "{shown} is not a SHA-256 digest (64 lowercase hexadecimal digits).")
message("integrity.parent", "The category is its own parent.")
message("integrity.forward", "A customer is forwarded to itself.")
message("integrity.private_value", "A private field's value is kept in its history entry.")
message("integrity.version", "The version is {version}; versions start at 1.")
message("integrity.time_zone", "The time {time} has no time zone.")
message("integrity.code/country", "{shown} is not a code of two capital letters.")
message("integrity.code/currency", "{shown} is not a code of three capital letters.")
message("integrity.code/language", "{shown} is not a code of two or three small letters.")
# TRANSLATORS: {expected} is translated on its own (context "expected"); {type} is a
# Python type name and {shown} the value as Python writes it.
message("integrity.type", "The value should be {expected}, not {type} {shown}.")
term("expected", "a VAT number")
term("expected", "payment terms")
term("expected", "a mapping of custom-field values")
term("expected", "text, a number, a date, yes/no or a list of choices")
term("expected", "a note")
term("expected", "an attachment")
term("expected", "a consent record")
term("expected", "a decimal number")
term("expected", "a date")
term("expected", "the customer's details")
term("expected", "an address")
term("expected", "an invoice line")
term("expected", "branding")
term("expected", "a list")
term("expected", "an id (UUID)")
term("expected", "yes or no (true or false)")
term("expected", "a date and time")
term("expected", "a phone")

# -- importing an export (book.import_data) --------------------------------------------------
message("id.taken", "A customer with the id {id} is already in the book.")
# TRANSLATORS: {record} is the kind of record, translated on its own (context "record").
message("record.taken", "The book already holds a {record} with the key {key}.")
message(
    "record.reference",
    "The {record} is for the invoice {invoice_id}, which neither the book nor the data holds.",
)
message(
    "record.reference/customer",
    "The {record} is for the customer {customer_id}, whom neither the book nor the data holds.",
)
message("invoice.number_taken", "The invoice number {number} is already taken.")
# TRANSLATORS: {reason} is Python's own description of what is wrong, in English.
message("import.format", "The data is not an export of a customer book ({reason}).")
# TRANSLATORS: {key} is a key of the export's JSON data ("loyalty_points"), not translated;
# {known} lists the keys this version knows at that place.
message(
    "import.unknown_key",
    "The export has a key {key:q} that this version does not know (written by a newer "
    "version, or misspelt); the keys here are {known:list}.",
)
message(
    "import.unknown_key/suggest",
    "The export has a key {key:q} that this version does not know (written by a newer "
    "version, or misspelt); did you mean {suggestions:or}?",
)
term("record", "invoice")
term("record", "payment")
term("record", "delivery")
term("record", "reminder")
term("record", "registration")
term("record", "definition_change")

# -- defining custom fields (book.define_field, book.change_field) ---------------------------
message(
    "custom_field_definition.key_taken",
    "A custom field with the key {key:r} already exists; change it instead.",
)
message(
    "custom_field_definition.key_fixed",
    "A custom field's key cannot change; define a new field instead.",
)
message("custom_field_definition.option", "Unknown custom-field option(s): {options:list}.")

# -- files to import (debitor_core.exchange) -------------------------------------------------
# TRANSLATORS: {file} is the file's path, or "the file" when it came as bytes.
message("file.unreadable", "The file {file} cannot be read: {reason}.")
message("file.empty", "The file {file} is empty: it has no header row naming the columns.")
message(
    "file.encoding",
    "The file {file} is not {encoding} text: near line {line} it has the byte 0x{byte}, "
    "which {encoding} does not allow there. If a spreadsheet saved it, read it with the "
    "encoding cp1257 (Baltic) or latin-1 (Western European).",
)
message(
    "file.encoding/unknown",
    "There is no text encoding called {encoding:r}; use utf-8, cp1257 or latin-1.",
)
# TRANSLATORS: {reason} is Python's decoder's own sentence, in English.
message(
    "file.encoding/codec",
    "The file {file} cannot be read as {encoding} text: {reason}.",
)
# TRANSLATORS: {column} is the export's column name (name, city), not translated;
# {character} is the character and its code point: 'ā' (U+0101).
message(
    "file.encoding/unwritable",
    "The export cannot be written in {encoding}: the {column} of row {row} holds the "
    "character {character}, which {encoding} has no way to write; export in UTF-8 (the "
    "default).",
)
message("file.encoding/json", "The file {file} is not UTF-8 text, as JSON must be.")
# TRANSLATORS: {encoding} is a codec name such as utf-16-le, not translated.
message(
    "file.encoding/no_bom",
    "The file {file} looks like UTF-16 or UTF-32 text without a byte-order mark (it has "
    "zero bytes between its letters); read it with the encoding {encoding}.",
)
message(
    "file.format/workbook",
    "The file {file} is a spreadsheet workbook (such as .xlsx or .xls), not CSV; save it "
    "as CSV (UTF-8) first.",
)
# TRANSLATORS: {reason} is Python's csv module's own sentence, in English.
message("file.format/csv", "The file {file} is not well-formed CSV: near line {line}, {reason}.")
message("file.format/json", "The file {file} is not valid JSON ({reason}).")
message(
    "file.format/json_duplicate",
    "The file {file} names the key {key:r} twice in one object, so one of its values "
    "would be lost.",
)
message(
    "file.format/json_depth",
    "The file {file} nests arrays or objects too deeply to be a list of customers.",
)
message(
    "file.format/open_quote",
    "The file {file} is not well-formed CSV: the quote that opens a value on line {line} "
    "is never closed, so the rest of the file would be read as that one value.",
)
message(
    "file.format/json_array",
    "The file {file} must hold a JSON array of objects, one per customer.",
)
message(
    "file.format/record",
    "Each record must be a mapping of column names to values, not {shown}.",
)
# TRANSLATORS: {subject} names the field (context "subject"); {target} is the column's
# field key (name, postal_code), not translated.
message(
    "file.columns/missing",
    "The file has no column for the {subject}, which this book requires; add the column, "
    "or map the column that holds it to {target}.",
)
message(
    "file.columns/missing_country",
    "The file has no column for the {subject}, which this book requires; add the column, "
    "or map the column that holds it to {target} or give a country for every row.",
)
message(
    "file.columns/missing_field",
    "The file has no column for the custom field {label:r}, which this book requires; add "
    "the column, or map the column that holds it to {target}.",
)
message(
    "file.columns",
    "The columns {first:r} (column {first_column}) and {second:r} (column {second_column}) "
    "would both fill {target}; leave one out by mapping it to '-'.",
)
term("subject", "kind of customer")
# TRANSLATORS: {columns} lists the file's column names as Python writes them.
message("mapping.column", "The file has no column {column:r} to map; its columns are {columns}.")
message(
    "mapping.target",
    "There is no field {field:r} to map the column {column:r} to; use one of {targets:list}, "
    "custom_fields.<key>, or - to ignore it.",
)
plural(
    "row.cells",
    "The row has {count} cells but the header names {columns} column; a value probably "
    "holds the delimiter without quotes around it.",
    "The row has {count} cells but the header names {columns} columns; a value probably "
    "holds the delimiter without quotes around it.",
    "columns",
)
message("archived.invalid", "Archived must be yes or no, not {value:r}.")
message("number.invalid/text", "The customer number must be a positive whole number, not {text:r}.")

# -- what an import did (RowOutcome.describe, ImportReport.summary) -------------------------
# TRANSLATORS: one line per row of a file; {row} is its number as a spreadsheet counts it.
# {who} is empty, or a space and "customer {number} ({name})" below (the customer's name
# alone for a customer a dry run would create); {match} is empty or one of the
# import.matched_by/... phrases, as it is; {note} is empty or " (unchanged)" and the like.
message("import.row/created", "row {row}: created{who}{match}{note}")
message("import.row/updated", "row {row}: updated{who}{match}{note}")
message("import.row/skipped", "row {row}: skipped{who}{match}{note}")
message("import.row/rejected", "row {row}: rejected{who}{match}{note}")
message("import.row/would_create", "row {row}: would create{who}{match}{note}")
message("import.row/would_update", "row {row}: would update{who}{match}{note}")
message("import.row/would_skip", "row {row}: would skip{who}{match}{note}")
message("import.row/would_reject", "row {row}: would reject{who}{match}{note}")
message("import.customer", "customer {number} ({name})")
message("import.matched_by/number", ", matched by customer number")
message("import.matched_by/tax_id", ", matched by VAT number")
message("import.matched_by/email", ", matched by email address")
message("import.matched_by/row", ": the same customer as row {row}")
message("import.note/unchanged", "unchanged")
message("import.note/not_stored", "not stored")
# TRANSLATORS: the counts of an import; a language whose words agree with the number may
# write "created: {created}" instead.
message(
    "import.counts",
    "{created:,} created, {updated:,} updated, {skipped:,} skipped, {rejected:,} rejected",
)
# TRANSLATORS: the last line of an import; {counts} is import.counts, its first letter
# made upper case.
message("import.summary", "{counts}.")
message("import.summary/dry_run", "Dry run, nothing was changed: {counts}.")
message("import.summary/refused", "Nothing was imported (all or nothing): {counts}.")
# TRANSLATORS: the two columns a rejects file adds (ImportReport.write_rejects): the row's
# number in the file imported, and every problem of the row. Importing the file again
# ignores them by these names, in every language.
message("rejects.row", "Rejected row")
message("rejects.reason", "Why it was rejected")

# -- storage errors meant for people (StorageError.message_in) -------------------------------
# TRANSLATORS: {book} and {file} are paths; {reason} is the operating system's or the
# database's own sentence, in English.
message("storage.unreadable", "The book {book} cannot be opened: {reason}")
message("storage.unreadable/database", "The database {book} cannot be opened: {reason}")
message(
    "storage.wrong_kind/sqlite",
    "The file {file} is an SQLite database, not a JSON book: open it with "
    "SqliteStore({file:r}). It was left as it is.",
)
message(
    "storage.wrong_kind/json",
    "The file {file} is a JSON book, not an SQLite database: open it with "
    "JsonFileStore({file:r}). It was left as it is.",
)
message("storage.closed", "The store {book} is closed; open it again to use it.")
message(
    "storage.locked",
    "Another process has held the lock on the book {book} for more than {seconds:,} s. "
    "Try again later: the system releases the lock as soon as that process ends.",
)
message(
    "storage.locked/database",
    "The database {book} is locked by another connection ({reason}). Try again later.",
)
message(
    "storage.corrupt",
    "The book {book} cannot be read: {reason}. The file was left exactly as it is. "
    "Restore it from a backup, or move it (and its .journal) aside to start a new book; "
    "the journal holds the most recent changes as one JSON line per commit.",
)
message(
    "storage.corrupt/edited",
    "The book {book} cannot be read: {reason}. The file was left exactly as it is. "
    "Restore it from a backup, or move it (and its .journal) aside to start a new book; "
    "the journal holds the most recent changes as one JSON line per commit. If you "
    "edited the file on purpose, accept the edit with JsonFileStore.reseal(path), which "
    "checks every record first.",
)
message(
    "storage.corrupt/database",
    "The database {book} cannot be read: {reason}. It was left as it is: restore it from a backup.",
)
message(
    "storage.corrupt/foreign",
    "The database {book} holds tables that are not a debitor-core book.",
)
message(
    "storage.newer",
    "The book {book} was written by a newer debitor-core (format version {version}); "
    "this one reads versions up to {known}. Upgrade debitor-core to open it. The file "
    "was not changed.",
)
message(
    "storage.newer/database",
    "The database {book} has schema version {version}, written by a newer debitor-core; "
    "this one knows up to {known}. Upgrade debitor-core to open it. The database was not "
    "changed.",
)
message(
    "storage.missing_snapshot/missing",
    "The book {book} is missing. Nothing was changed. If it was moved or renamed, put it "
    "back; otherwise restore it from a backup.",
)
message(
    "storage.missing_snapshot/disappeared",
    "The book {book} has disappeared while it was open. Nothing was changed. If it was "
    "moved or renamed, put it back; otherwise restore it from a backup.",
)
# TRANSLATORS: English says "bytes" for any {size}; a language with plural forms may not.
plural(
    "storage.missing_snapshot/missing_journal",
    "The book {book} is missing, but its journal {journal} holds {size:,} bytes of "
    "commits. Nothing was changed. If the book file was moved or renamed, put it back; "
    "otherwise restore it from a backup. To start a new, empty book here instead, move "
    "the journal aside first.",
    "The book {book} is missing, but its journal {journal} holds {size:,} bytes of "
    "commits. Nothing was changed. If the book file was moved or renamed, put it back; "
    "otherwise restore it from a backup. To start a new, empty book here instead, move "
    "the journal aside first.",
    "size",
)
plural(
    "storage.missing_snapshot/disappeared_journal",
    "The book {book} has disappeared while it was open, but its journal {journal} holds "
    "{size:,} bytes of commits. Nothing was changed. If the book file was moved or "
    "renamed, put it back; otherwise restore it from a backup. To start a new, empty book "
    "here instead, move the journal aside first.",
    "The book {book} has disappeared while it was open, but its journal {journal} holds "
    "{size:,} bytes of commits. Nothing was changed. If the book file was moved or "
    "renamed, put it back; otherwise restore it from a backup. To start a new, empty book "
    "here instead, move the journal aside first.",
    "size",
)
message(
    "storage.corrupt/database_undecodable",
    "The database {book} cannot be read ({reason}). It was left as it is: restore it from "
    "a backup.",
)
message(
    "storage.corrupt/database_damaged",
    "The database {book} cannot be read ({reason}). It was left as it is: restore it from "
    "a backup, or move it aside to start a new book.",
)
message("storage.unusable", "The database {book} could not be used: {reason}.")
# TRANSLATORS: {folder} and {book} are paths.
message(
    "storage.folder",
    "The folder {folder} does not exist, so the book {book} cannot be opened or created "
    "there. Check the path, or create the folder first (or pass create_folder=True).",
)
message(
    "storage.folder/missing_database",
    "The folder {folder} does not exist, so the database {book} cannot be opened or "
    "created there. Check the path, or create the folder first (or pass "
    "create_folder=True).",
)
message(
    "storage.folder/not_folder",
    "{folder} is not a folder, so the book {book} cannot be kept in it.",
)
message(
    "storage.folder/not_folder_database",
    "{folder} is not a folder, so the database {book} cannot be kept in it.",
)
message(
    "storage.folder/uncreatable",
    "The folder {folder} could not be created for the book {book}: {reason}",
)
message(
    "storage.folder/uncreatable_database",
    "The folder {folder} could not be created for the database {book}: {reason}",
)
# TRANSLATORS: {reason} is the operating system's sentence, in English, ending in a full stop.
message(
    "storage.compaction",
    "The book {book} could not be compacted: {reason} Nothing changed: the journal keeps "
    "every commit.",
)
message("storage.lock_failed", "The book {book} cannot be locked: {reason}")
message(
    "storage.upgrade",
    "The book {book} is in an older format (version {version}) and must be upgraded, but "
    "it could not be written: {reason} Nothing was changed.",
)
message("storage.reseal", "The book {book} could not be resealed: {reason}")
message(
    "storage.reseal/problems",
    "The book {book} cannot be resealed: {reason}. Correct these and reseal again; the "
    "file was left as it is.",
)
message("storage.reseal/missing", "There is no book at {book} to reseal.")
message(
    "storage.commit_failed",
    "The commit to {journal} failed, so nothing was committed: {reason}",
)
# -- the PostgreSQL store's errors
# TRANSLATORS: {book} is the book's id in quotes ('shop-1'); {server} is user@host:port/db;
# {reason} is PostgreSQL's or psycopg's own sentence, in English.
message(
    "storage.unavailable",
    "Could not connect to the PostgreSQL server {server}: {reason}.",
)
message(
    "storage.unavailable/unreadable",
    "Could not connect to the PostgreSQL server: the connection string could not be read. "
    "In a URL, percent-encode @ : / ? # and the percent sign in the user name, password "
    "and parameters (@ becomes %40).",
)
message(
    "storage.unavailable/timeout",
    "Could not connect to the PostgreSQL server {server} in {seconds} s.",
)
message(
    "storage.unavailable/pool",
    "No database connection for the book {book} became free in time ({reason}). The "
    "connection pool is too small for the load, or the server does not answer.",
)
message("storage.closed/database", "The store of the book {book} is closed.")
message(
    "storage.closed/pool",
    "The connection pool of the book {book} is closed; open a new store.",
)
message(
    "storage.locked/lock_timeout",
    "The book {book} is locked by another transaction that did not finish in time. "
    "Nothing was changed; try again later.",
)
message(
    "storage.locked/conflict",
    "A transaction on the book {book} ran into another one and was rolled back "
    "({reason}). Nothing was changed; try again.",
)
message(
    "storage.cancelled",
    "The database cancelled a statement on the book {book} ({reason}): it ran longer than "
    "the statement timeout, or was cancelled by an administrator. The transaction was "
    "rolled back.",
)
message(
    "storage.corrupt/tables",
    "The tables of the book {book} are missing or were altered ({reason}). They were left "
    "as they are: restore the database from a backup.",
)
message(
    "storage.read_only",
    "The database of the book {book} accepts no writes ({reason}): it is a read-only "
    "standby, or read-only by configuration. Connect to the primary server.",
)
message(
    "storage.forbidden",
    "The database user may not do this on the book {book} ({reason}). Grant it the rights "
    "on debitor-core's tables (and on the schema, to create them).",
)
message(
    "storage.resources",
    "The database server ran out of resources while working on the book {book} "
    "({reason}). Nothing of the failed transaction was stored.",
)
message(
    "storage.connection_lost",
    "The connection to the database of the book {book} was lost ({reason}). Nothing of an "
    "unfinished transaction was stored; what was committed before is kept.",
)
message(
    "storage.corrupt/unversioned",
    "The tables of debitor-core in schema {schema} have no debitor_schema_version table, "
    "so their version is unknown. They were left as they are: restore the database from "
    "a backup, or use another schema.",
)
message(
    "storage.corrupt/unversioned_search_path",
    "The tables of debitor-core in the search path's schema have no debitor_schema_version "
    "table, so their version is unknown. They were left as they are: restore the database "
    "from a backup, or use another schema.",
)
message(
    "storage.corrupt/empty_version",
    "The debitor_schema_version table in schema {schema} is empty, so the version of "
    "debitor-core's tables is unknown. They were left as they are: restore the database "
    "from a backup, or use another schema.",
)
message(
    "storage.corrupt/empty_version_search_path",
    "The debitor_schema_version table in the search path's schema is empty, so the version "
    "of debitor-core's tables is unknown. They were left as they are: restore the database "
    "from a backup, or use another schema.",
)
message(
    "storage.newer/postgres",
    "The database has debitor-core schema version {version}, written by a newer "
    "debitor-core; this one knows up to {known}. Upgrade debitor-core to open it. The "
    "database was not changed.",
)
message(
    "storage.newer/fold",
    "The book {book} was folded for search by a newer debitor-core (fold version "
    "{version}; this one has {known}). Upgrade debitor-core to open it. The database was "
    "not changed.",
)
message(
    "storage.migration",
    "Migrating the debitor-core schema from version {version} to {next} failed ({reason}); "
    "it was rolled back, and the schema is still at version {version}.",
)
message(
    "storage.missing_book",
    "There is no book {book} in this database (nothing was created there); name a book "
    "that exists, or let a command that adds customers create it.",
)
message(
    "storage.deleted",
    "The book {book} is no longer in the database: it was deleted since this store opened it.",
)
message(
    "storage.locked/process",
    "The book {book} is locked by another transaction of this process that did not finish "
    "in time. Nothing was changed; try again later.",
)
message(
    "storage.transaction_failed",
    "This transaction cannot go on: an earlier statement failed, and the database rolled "
    "it back ({reason}).",
)
message(
    "storage.transaction_failed/caught",
    "The transaction was rolled back: a statement in it failed, and the error was caught "
    "({reason}). Nothing of it was stored.",
)
message(
    "storage.nested",
    "A transaction on the book {book} is already open in this thread; transactions cannot "
    "be nested.",
)
message(
    "storage.importing",
    "The book {book} cannot be used while add_many imports into it in this thread: the "
    "customers given to it used the book. Read what the import needs before it starts.",
)
# TRANSLATORS: {error} is the name of the driver's exception (InterfaceError); {reason}
# is its own sentence, in English.
message(
    "storage.failed",
    "The database failed while working on the book {book} ({error}: {reason}).",
)
# TRANSLATORS: {record} names what the row holds ("customer", "invoice"), translated on its
# own (context "record"); {key} is the row's id or key; {detail} is one of the
# storage.row/... phrases below.
message(
    "storage.corrupt/row",
    "The {record} row {key} of the book {book} cannot be read: {detail}. The row was changed "
    "outside debitor-core or damaged; it was left as it is. Restore it from a backup.",
)
message("storage.row/columns", "its data or checksum column is empty or of a wrong type")
message("storage.row/checksum", "its checksum does not match its data")
# TRANSLATORS: {reason} is the converter's or the JSON parser's own sentence, in English.
message("storage.row/data", "its data cannot be read ({reason})")
message("storage.row/keys", "its key columns do not match its data")
# TRANSLATORS: {reason} is the first structural problem found, in English, and how many more.
message("storage.row/structure", "its data is damaged ({reason})")
# TRANSLATORS: {kind} is the stored kind of record as the row names it, in quotes.
message("storage.row/kind", "its kind {kind} is unknown")
message("storage.row/sealed", "its checksum does not match its columns")
message(
    "storage.row/order",
    "its order columns (added_revision, added_seq) do not match their checksum",
)
message(
    "storage.row/changed",
    "its changed_revision does not match its checksum, so a change could be hidden from "
    "the change feed",
)
# TRANSLATORS: {column} is the book row's column (last_number or revision), not translated;
# {value} its value; {found} the highest the book's other rows hold.
message(
    "storage.row/ahead",
    "its {column} is {value}, but the book's rows go up to {found}, so it was moved back",
)
term("record", "book")
term("record", "deleted-customer")
term("record", "customer")
term("record", "category")
term("record", "custom-field")
term("record", "record")
message(
    "storage.commit_unknown",
    "The connection to the database was lost while committing to the book {book} "
    "(revision {revision}), so it is unknown whether the commit was stored. Nothing was "
    "retried: read the book again to see whether your changes are there before making "
    "them again.",
)

# -- choosing the key ----------------------------------------------------------------------

_Chooser = Callable[[str, Mapping[str, Any]], str]


def _text_type(_code: str, params: Mapping[str, Any]) -> str:
    return "*.type/none" if params.get("type") == "NoneType" else "*.type"


def _too_long(_code: str, params: Mapping[str, Any]) -> str:
    return "*.too_long" if "length" in params else "*.too_long/number"


def _number_invalid(_code: str, params: Mapping[str, Any]) -> str:
    key = "*.invalid/not_finite" if "number" in params else "*.invalid/number"
    return f"{key}_in" if "currency" in params else key


def _range(code: str, _params: Mapping[str, Any]) -> str:
    return "*.range/above" if code in {"quantity.range", "amount.range"} else "*.range"


def _phone_country_code(_code: str, params: Mapping[str, Any]) -> str:
    phone = params.get("phone")
    if params.get("country") is None and not (isinstance(phone, str) and phone.startswith("+")):
        return "phone.country_code/no_country"
    return "phone.country_code"


def _phone_invalid(_code: str, params: Mapping[str, Any]) -> str:
    return "phone.invalid" if params.get("country") else "phone.invalid/anywhere"


def _suggesting(base: str, *, none_when_empty: bool = False) -> _Chooser:
    def choose(_code: str, params: Mapping[str, Any]) -> str:
        if params.get("suggestions"):
            return f"{base}/suggest"
        if none_when_empty and not params.get("count"):
            return f"{base}/none"
        return base

    return choose


def _custom_type(_code: str, params: Mapping[str, Any]) -> str:
    kind = params.get("field_type")
    if kind in {"text", "multiline_text", None}:
        return (
            "custom_field.type/none"
            if params.get("type") == "NoneType"
            else "custom_field.type/text"
        )
    return f"custom_field.type/{kind}"


def _custom_range(_code: str, params: Mapping[str, Any]) -> str:
    if "min" in params and "max" in params:
        return "custom_field.range/beyond"
    dates = params.get("field_type") == "date"
    if "min" in params:
        return "custom_field.range/before" if dates else "custom_field.range/below"
    return "custom_field.range/after" if dates else "custom_field.range/above"


def _custom_choice(_code: str, params: Mapping[str, Any]) -> str:
    if "choices" in params:
        return "custom_field.choice/listed"
    return "custom_field.choice/suggest" if params.get("suggestions") else "custom_field.choice"


def _custom_too_long(_code: str, params: Mapping[str, Any]) -> str:
    return "custom_field.too_long" if "length" in params else "custom_field.too_long/number"


def _definition(base: str) -> _Chooser:
    """A definition problem: a text rule's (with a subject), by its rule, or the base."""

    def choose(_code: str, params: Mapping[str, Any]) -> str:
        if "subject" in params:  # an empty label, help text or choice, renamed
            return "*.empty"
        rule = params.get("rule")
        return f"{base}/{rule}" if rule else base

    return choose


def code_kind(code: str) -> str:
    """The last part of a code: ``too_long`` of ``name.too_long``."""
    return code.rpartition(".")[2]


def _definition_pattern(_code: str, params: Mapping[str, Any]) -> str:
    rule = params.get("rule")
    return f"custom_field_definition.pattern/{rule}" if rule else "custom_field_definition.pattern"


def _pattern_refused(_code: str, params: Mapping[str, Any]) -> str:
    return "pattern.refused/linear" if params.get("linear") else "pattern.refused"


def _terms_invalid(_code: str, params: Mapping[str, Any]) -> str:
    if "cause" in params:
        return "payment_terms.invalid"
    return "payment_terms.invalid/days" if "days" in params else "payment_terms.invalid/fixed"


def _lines_empty(_code: str, params: Mapping[str, Any]) -> str:
    return "lines.empty/welcome" if params.get("welcome") else "lines.empty"


def _price_precision(_code: str, params: Mapping[str, Any]) -> str:
    return "unit_price.precision/none" if params.get("places") == 0 else "unit_price.precision"


def _welcome_currency(_code: str, params: Mapping[str, Any]) -> str:
    return "welcome.currency" if params.get("currencies") else "welcome.currency/none"


def _duplicate(_code: str, params: Mapping[str, Any]) -> str:
    return "duplicate.likely/archived" if params.get("archived") else "duplicate.likely"


def _duplicate_description(_code: str, params: Mapping[str, Any]) -> str:
    return "duplicate.description/archived" if params.get("archived") else "duplicate.description"


def _by_rule(code: str, params: Mapping[str, Any]) -> str:
    rule = params.get("rule")
    return f"{code}/{rule}" if isinstance(rule, str) and f"{code}/{rule}" in MESSAGES else code


def _reference(_code: str, params: Mapping[str, Any]) -> str:
    return "record.reference/customer" if "customer_id" in params else "record.reference"


def _number_text(code: str, params: Mapping[str, Any]) -> str:
    return "number.invalid/text" if "text" in params else code


def _missing_column(_code: str, params: Mapping[str, Any]) -> str:
    if "first" in params:
        return "file.columns"
    if "label" in params:
        return "file.columns/missing_field"
    if params.get("target") == "country":
        return "file.columns/missing_country"
    return "file.columns/missing"


_CHOOSERS: Final[dict[str, _Chooser]] = {
    "file.columns": _missing_column,
    "number.invalid": _number_text,
    "storage.unreadable": _by_rule,
    "storage.wrong_kind": _by_rule,
    "storage.locked": _by_rule,
    "storage.corrupt": _by_rule,
    "storage.newer": _by_rule,
    "storage.missing_snapshot": _by_rule,
    "storage.closed": _by_rule,
    "storage.folder": _by_rule,
    "storage.reseal": _by_rule,
    "storage.transaction_failed": _by_rule,
    "storage.unavailable": _by_rule,
    "storage.duplicate": _by_rule,
    "file.encoding": _by_rule,
    "file.format": _by_rule,
    "integrity.range": _by_rule,
    "integrity.field_key": _by_rule,
    "integrity.code": _by_rule,
    "record.reference": _reference,
    "*.type": _text_type,
    "*.too_long": _too_long,
    "*.invalid": _number_invalid,
    "*.range": _range,
    "phone.country_code": _phone_country_code,
    "phone.invalid": _phone_invalid,
    "form.unknown_field": _suggesting("form.unknown_field"),
    "import.unknown_key": _suggesting("import.unknown_key"),
    "categories.unknown": _suggesting("categories.unknown", none_when_empty=True),
    "custom_field.unknown": _suggesting("custom_field.unknown", none_when_empty=True),
    "custom_field.type": _custom_type,
    "custom_field.range": _custom_range,
    "custom_field.choice": _custom_choice,
    "custom_field.too_long": _custom_too_long,
    "custom_field_definition.label": _definition("custom_field_definition.label"),
    "custom_field_definition.help_text": _definition("custom_field_definition.help_text"),
    "custom_field_definition.choices": _definition("custom_field_definition.choices"),
    "custom_field_definition.range": _definition("custom_field_definition.range"),
    "custom_field_definition.pattern": _definition_pattern,
    "pattern.refused": _pattern_refused,
    "payment_terms.invalid": _terms_invalid,
    "lines.empty": _lines_empty,
    "unit_price.precision": _price_precision,
    "welcome.currency": _welcome_currency,
    "duplicate.likely": _duplicate,
    "duplicate.rejected": _duplicate,
    "duplicate.description": _duplicate_description,
}


def select(code: str, params: Mapping[str, Any]) -> str:
    """Return the key of the template that says the problem ``code`` with ``params``.

    The code's own chooser decides first (for codes worded differently by their
    parameters); then the code itself; then its family (``*.too_long``).
    """
    chooser = _CHOOSERS.get(code)
    if chooser is not None:
        return chooser(code, params)
    if code in MESSAGES:
        return code
    family = "*." + code_kind(code)
    chooser = _CHOOSERS.get(family)
    if chooser is not None:
        return chooser(code, params)
    return family if family in MESSAGES else code


# -- sentences inside sentences --------------------------------------------------------------

_Nested = Callable[[Mapping[str, Any]], tuple[str, Mapping[str, Any]]]


def _terms_cause(params: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    cause = str(params.get("cause", ""))
    inner = {k: v for k, v in params.items() if k not in {"cause", "terms", "reason"}}
    if cause.startswith("payment_terms.") or cause == "issue_date.range":
        return select(cause, inner), inner
    return f"payment_terms.cause/{cause}", inner


def _rule_problem(params: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    code = str(params.get("rule_code", ""))
    return select(code, params), params


def _pattern_problem(params: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    cause = str(params.get("cause", ""))
    return (select(cause, params) if cause else ""), params


def _default_problem(params: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    details = params.get("details")
    inner: Mapping[str, Any] = details if isinstance(details, Mapping) else {}
    return select(str(params.get("reason", "")), inner), inner


def _row_fault(params: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """What is wrong with a damaged database row: a ``storage.row/<fault>`` phrase."""
    key = f"storage.row/{params.get('fault')}"
    return (key if key in MESSAGES else ""), params


NESTED: Final[dict[str, _Nested]] = {
    "payment_terms.invalid": _terms_cause,
    "custom_field.invalid": _rule_problem,
    "custom_field.pattern_invalid": _pattern_problem,
    "custom_field_definition.pattern": _pattern_problem,
    "custom_field_definition.default": _default_problem,
    "storage.corrupt/row": _row_fault,
}
"""Keys whose ``{detail}`` is the sentence of another problem, and how to find it."""
