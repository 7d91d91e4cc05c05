"""Reading a raw customer form: every field checked, every problem collected at once.

Whatever a form holds, reading it ends in problems, never in another exception: values
of any type, deeply nested containers and huge numbers are shown in a few dozen
characters, each field reports at most `MAX_PROBLEMS_PER_FIELD` problems of one kind
(the rest are counted in one ``form.too_many_problems`` problem), and a problem
suggests at most `MAX_SUGGESTIONS` close names, never every name the book has.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, TypeVar

import attrs

from debitor_core import _rules
from debitor_core._errors import Problem, Severity, ValidationError
from debitor_core._fields import CustomFieldDefinition
from debitor_core._limits import MAX_LIST_ITEMS, MAX_PROBLEMS_PER_FIELD, MAX_SUGGESTIONS
from debitor_core._model import (
    EMPTY_ADDRESS,
    Address,
    ConsentChannel,
    Customer,
    CustomerKind,
    FieldValue,
    Phone,
    PhoneType,
    TaxId,
)
from debitor_core._shown import shown, suggestions
from debitor_core._terms import PaymentTerms

__all__ = [
    "ADDRESS_KEYS",
    "FORM_KEYS",
    "CustomerDraft",
    "FormContext",
    "RequiredFields",
    "customer_to_form",
    "is_blank",
    "key_text",
    "parse_form",
]

T = TypeVar("T")

ADDRESS_KEYS: Final = ("street", "postal_code", "city", "region", "country")
FORM_KEYS: Final = (
    "kind",
    "name",
    "contact_person",
    "email",
    "phone",
    "other_emails",
    "other_phones",
    "website",
    "tax_id",
    "company_id",
    "address",
    "payment_terms",
    "currency",
    "language",
    "categories",
    "custom_fields",
    "notes",
    "consent",
)
_FORM_KEY_SET: Final = frozenset(FORM_KEYS)
_LABELS: Final = {
    "kind": "kind of customer",
    "name": "name",
    "contact_person": "contact person",
    "email": "email address",
    "phone": "phone number",
    "website": "website",
    "tax_id": "VAT number",
    "company_id": "company registration number",
    "address.street": "street",
    "address.postal_code": "postal code",
    "address.city": "city",
    "address.region": "region",
    "address.country": "country",
    "payment_terms": "payment terms",
    "currency": "currency",
    "language": "language",
    "categories": "category",
}
_LIST_SEPARATORS: Final = str.maketrans({";": ",", "\n": ","})


def _frozen(fields: Iterable[str]) -> frozenset[str]:
    return frozenset(fields)


@attrs.frozen
class RequiredFields:
    """Which form fields must be filled in: a per-book policy.

    Debitoor's own rule (and the default here) asks only for a name and a country;
    `complete` asks for everything the registration guide marks as needed for invoices
    and reminders. Custom fields marked ``required`` are required on top of this.

    Attributes:
        fields: Paths of required fields, such as ``address.postal_code``.
    """

    fields: frozenset[str] = attrs.field(converter=_frozen)

    @fields.validator
    def _known(self, _attribute: object, value: frozenset[str]) -> None:
        unknown = sorted(value - _LABELS.keys())
        if unknown:
            choices = ", ".join(sorted(_LABELS))
            msg = f"Unknown required field(s) {', '.join(unknown)}; choose from {choices}."
            raise ValueError(msg)

    @classmethod
    def default(cls) -> RequiredFields:
        """Name and country (as Debitoor's API requires)."""
        return cls(frozenset({"name", "address.country"}))

    @classmethod
    def complete(cls) -> RequiredFields:
        """Name, street, postal code, city, country, email and phone."""
        return cls(
            frozenset(
                {
                    "name",
                    "address.street",
                    "address.postal_code",
                    "address.city",
                    "address.country",
                    "email",
                    "phone",
                }
            )
        )

    @classmethod
    def of(cls, *fields: str) -> RequiredFields:
        """A custom set, such as ``RequiredFields.of("name", "email")``."""
        return cls(frozenset(fields))


@attrs.frozen
class FormContext:
    """What a form is read against: the book's policy, categories and custom fields.

    Attributes:
        required: The required-fields policy.
        categories: Category id by case-folded name.
        fields: Custom-field definitions by key.
        previous_fields: For an update, the customer's stored custom-field values
            (a deactivated field may keep its stored value).
        category_names: Category name by id, as the book shows them, for suggestions
            ("did you mean Wholesalers?"); without it, suggestions are case-folded.
    """

    required: RequiredFields = attrs.field(factory=RequiredFields.default)
    categories: Mapping[str, uuid.UUID] = attrs.field(factory=dict)
    fields: Mapping[str, CustomFieldDefinition] = attrs.field(factory=dict)
    previous_fields: Mapping[str, FieldValue] = attrs.field(factory=dict)
    category_names: Mapping[uuid.UUID, str] = attrs.field(factory=dict)


@attrs.define
class CustomerDraft:
    """A customer read from a form: normalised values, not yet numbered or stored.

    A draft is a plain record the book fills in and reads; it is not validated on its
    own (the form reader is what checks the values).

    Attributes mirror `Customer`; ``note`` is the text of a note to add and
    ``consents`` the consent statements to record, each ``(channel, given)``.
    """

    name: str | None = None
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
    custom_fields: Mapping[str, FieldValue] = attrs.field(factory=dict)
    note: str | None = None
    consents: tuple[tuple[ConsentChannel, bool], ...] = ()
    consent_source: str | None = None


def is_blank(value: object) -> bool:
    """Whether a raw value counts as not filled in: ``None``, blank text or an empty list."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | set | frozenset | dict):
        return not value
    return False


_UNKNOWN_KEYS: Final = frozenset({"form.unknown_field", "custom_field.unknown"})


def _group(path: str, code: str) -> tuple[str, str]:
    """The field a problem counts against.

    ``categories[3]`` counts against ``categories``; an unknown key counts against the
    mapping it is in.
    """
    if code in _UNKNOWN_KEYS:
        return path.rpartition(".")[0], code
    return path.split("[", 1)[0], code


class _Reader:
    """Runs rules and collects their problems under the right paths, boundedly."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._counts: dict[tuple[str, str], int] = {}  # problems per field and code

    def has_room(self, path: str, code: str) -> bool:
        """Whether another problem of ``code`` at ``path`` would still be reported."""
        return self._counts.get(_group(path, code), 0) < MAX_PROBLEMS_PER_FIELD

    def keep(self, problem: Problem) -> None:
        """Keep ``problem``, or only count it when its field has reported enough."""
        group = _group(problem.path, problem.code)
        count = self._counts[group] = self._counts.get(group, 0) + 1
        if count <= MAX_PROBLEMS_PER_FIELD:
            self.problems.append(problem)

    def run(self, path: str, rule: Callable[[object], T], value: object) -> T | None:
        try:
            return rule(value)
        except ValidationError as exc:
            for problem in exc.problems:
                self.keep(problem.at(path))
            return None

    def add(self, path: str, code: str, value: object = None, /, **params: object) -> None:
        self.keep(Problem(path, code, None, Severity.ERROR, value, params=params))

    def warn(self, path: str, code: str, value: object = None, /, **params: object) -> None:
        self.keep(Problem(path, code, None, Severity.WARNING, value, params=params))

    def finish(self) -> list[Problem]:
        """The problems, with one closing problem per field that reported too many."""
        for (path, code), count in self._counts.items():
            left_out = count - MAX_PROBLEMS_PER_FIELD
            if left_out > 0:
                params = {"code": code, "left_out": left_out, "shown": MAX_PROBLEMS_PER_FIELD}
                self.problems.append(
                    Problem(
                        path, "form.too_many_problems", None, Severity.ERROR, count, params=params
                    )
                )
        return self.problems


def key_text(key: object) -> str:
    """A key as it goes into a path: itself when short and printable, else shown.

    An empty key is shown as ``''``, so that the path does not end in a bare dot.
    """
    if isinstance(key, str) and 0 < len(key) <= 60 and key.isprintable():  # noqa: PLR2004
        return key
    return shown(key)


def _items(value: object) -> list[object]:
    """Split a list field: a list, or text separated by commas, semicolons or lines."""
    if isinstance(value, str):
        return [v for v in value.translate(_LIST_SEPARATORS).split(",") if v.strip()]
    if isinstance(value, list | tuple):
        return [v for v in value if not is_blank(v)]
    return [value]


def parse_form(form: object, ctx: FormContext) -> tuple[CustomerDraft, list[Problem]]:
    """Read a raw form into a draft, collecting every problem.

    Args:
        form: A mapping of the form's keys (see `FORM_KEYS`) to raw values. Address
            parts may be nested under ``address`` or given flat as ``address.city``.
        ctx: The book's policy, categories and custom fields.

    Returns:
        The draft (with ``None`` for fields that had problems) and the problems, errors
        and warnings, in field order.
    """
    reader = _Reader()
    if not isinstance(form, Mapping):
        reader.add("", "form.type", form, type=type(form).__name__, value=shown(form))
        return CustomerDraft(), reader.finish()
    values = _split_form(form, reader)
    run = reader.run

    def read(path: str, rule: Callable[[object], T]) -> T | None:
        value = values.get(path)
        return None if value is None else run(path, rule, value)

    country = read("address.country", _rules.validate_country)
    kind = read("kind", _rules.validate_kind) or CustomerKind.COMPANY
    email = read("email", _rules.validate_email)
    phone = read("phone", lambda v: _read_phone(v, country))
    tax_id = read("tax_id", lambda v: _rules.validate_vat(v, country=country))
    other_emails = _read_list(reader, values, "other_emails", _rules.validate_email)
    other_phones = _read_list(reader, values, "other_phones", lambda v: _read_phone(v, country))
    consents, source = _read_consent(reader, values.get("consent"))
    draft = CustomerDraft(
        kind=kind,
        name=read("name", lambda v: _rules.normalise_name(v, kind=kind)),
        contact_person=read("contact_person", _TEXT_RULES["contact_person"]),
        address=Address(
            street=read("address.street", _TEXT_RULES["street"]),
            postal_code=read(
                "address.postal_code", lambda v: _rules.validate_postal_code(v, country=country)
            ),
            city=read("address.city", _TEXT_RULES["city"]),
            region=read("address.region", _TEXT_RULES["region"]),
            country=country,
        ),
        email=email,
        other_emails=_unique_emails(email, other_emails) if other_emails else (),
        phone=phone,
        other_phones=_unique_phones(phone, other_phones) if other_phones else (),
        website=read("website", _rules.validate_website),
        tax_id=tax_id,
        company_id=read("company_id", lambda v: _rules.validate_company_id(v, country=country)),
        payment_terms=read("payment_terms", _rules.validate_payment_terms),
        currency=read("currency", _rules.validate_currency),
        language=read("language", _rules.validate_language),
        categories=_read_categories(reader, values.get("categories"), ctx),
        custom_fields=_read_custom_fields(reader, values, ctx, country),
        note=read("notes", _TEXT_RULES["note"]),
        consents=consents,
        consent_source=source,
    )
    if tax_id is not None and not tax_id.checked:
        reader.warn(
            "tax_id",
            "tax_id.unchecked",
            tax_id.value,
            tax_id=tax_id.value,
            country=tax_id.country,
        )
    _check_required(reader, draft, values, ctx.required)
    problems = reader.finish()
    return draft, sorted(problems, key=_field_order) if len(problems) > 1 else problems


_ORDER: Final = {
    key: position
    for position, key in enumerate(
        [k for k in FORM_KEYS if k != "address"][:8]
        + [f"address.{k}" for k in ADDRESS_KEYS]
        + [k for k in FORM_KEYS if k != "address"][8:]
    )
}


def _field_order(problem: Problem) -> int:
    """Sort key: problems in the order the fields appear on the form."""
    path = problem.path.split("[", 1)[0]
    top = path if path.startswith("address.") else path.split(".", 1)[0]
    return _ORDER.get(top, len(_ORDER))


def _split_form(form: Mapping[Any, object], reader: _Reader) -> dict[str, object]:
    """Flatten the form to ``{path: value}`` for filled-in fields; report unknown keys."""
    values: dict[str, object] = {}
    for key, value in form.items():
        if key == "address":
            if isinstance(value, Mapping):
                for sub, sub_value in value.items():
                    _put_address(reader, values, sub, sub_value)
            elif not is_blank(value):
                reader.add(
                    "address",
                    "address.type",
                    value,
                    type=type(value).__name__,
                    keys=ADDRESS_KEYS,
                )
        elif isinstance(key, str) and key.startswith("address."):
            _put_address(reader, values, key.removeprefix("address."), value)
        elif isinstance(key, str) and key in _FORM_KEY_SET:
            if not is_blank(value):
                values[key] = value
        else:
            _unknown(reader, "", key, FORM_KEYS)
    return values


def _put_address(reader: _Reader, values: dict[str, object], key: object, value: object) -> None:
    if isinstance(key, str) and key in ADDRESS_KEYS:
        if not is_blank(value):
            values[f"address.{key}"] = value
    else:
        _unknown(reader, "address", key, ADDRESS_KEYS)


def _unknown(reader: _Reader, parent: str, key: object, known: tuple[str, ...]) -> None:
    path = f"{parent}.{key_text(key)}" if parent else key_text(key)
    if not reader.has_room(path, "form.unknown_field"):
        reader.add(path, "form.unknown_field", key)  # only counted
        return
    close = suggestions(key, known, limit=MAX_SUGGESTIONS) if isinstance(key, str) else ()
    reader.add(path, "form.unknown_field", key, field=path, known=known, suggestions=close)


def _text_rule(limit: str, label: str, *, multiline: bool = False) -> Callable[[object], str]:
    max_length = _rules.LIMITS[limit]
    code = limit

    def rule(value: object) -> str:
        return _rules.text(
            value, label=label, code=code, max_length=max_length, multiline=multiline
        )

    return rule


_TEXT_RULES: Final = {
    "contact_person": _text_rule("contact_person", "contact person"),
    "street": _text_rule("street", "street", multiline=True),
    "city": _text_rule("city", "city"),
    "region": _text_rule("region", "region"),
    "note": _text_rule("note", "note", multiline=True),
}


def _read_phone(value: object, country: str | None) -> Phone:
    if isinstance(value, Phone):
        value = {"number": value.number, "type": value.type}
    if isinstance(value, Mapping):
        reader = _Reader()
        number = reader.run(
            "number", lambda v: _rules.validate_phone(v, region=country), value.get("number")
        )
        kind = PhoneType.OTHER
        if not is_blank(value.get("type")):
            kind = reader.run("type", _rules.validate_phone_type, value["type"]) or kind
        if reader.problems or number is None:
            raise ValidationError(reader.problems)
        return Phone(number, kind)
    return Phone(_rules.validate_phone(value, region=country))


def _read_list(
    reader: _Reader, values: Mapping[str, object], key: str, rule: Callable[[object], T]
) -> tuple[T, ...]:
    raw = values.get(key)
    if raw is None:
        return ()
    items = _items(raw)
    if len(items) > MAX_LIST_ITEMS:
        reader.add(key, f"{key}.too_many", len(items), count=len(items), max_count=MAX_LIST_ITEMS)
        return ()
    found = []
    for index, item in enumerate(items):
        value = reader.run(f"{key}[{index}]", rule, item)
        if value is not None:
            found.append(value)
    return tuple(found)


def _unique_emails(primary: str | None, others: tuple[str, ...]) -> tuple[str, ...]:
    seen = {primary.casefold()} if primary else set()
    unique = []
    for email in others:
        if email.casefold() not in seen:
            seen.add(email.casefold())
            unique.append(email)
    return tuple(unique)


def _unique_phones(primary: Phone | None, others: tuple[Phone, ...]) -> tuple[Phone, ...]:
    seen = {primary.number} if primary else set()
    unique = []
    for phone in others:
        if phone.number not in seen:
            seen.add(phone.number)
            unique.append(phone)
    return tuple(unique)


def _read_categories(reader: _Reader, raw: object, ctx: FormContext) -> tuple[uuid.UUID, ...]:
    if is_blank(raw):
        return ()
    found: set[uuid.UUID] = set()
    by_id = {str(c): c for c in ctx.categories.values()}
    for index, item in enumerate(_items(raw)):
        if isinstance(item, uuid.UUID) and str(item) in by_id:
            found.add(item)
            continue
        if isinstance(item, str):
            wanted = " ".join(item.split())
            category = ctx.categories.get(wanted.casefold()) or by_id.get(wanted.lower())
            if category is not None:
                found.add(category)
                continue
        _unknown_category(reader, f"categories[{index}]", item, ctx)
    return tuple(sorted(found))


def _unknown_category(reader: _Reader, path: str, item: object, ctx: FormContext) -> None:
    code = "categories.unknown"
    if not reader.has_room(path, code):
        reader.add(path, code, item)  # only counted
        return
    close: tuple[str, ...] = ()
    if isinstance(item, str):
        names = {name: ctx.category_names.get(i, name) for name, i in ctx.categories.items()}
        close = tuple(names[n] for n in suggestions(item, names, limit=MAX_SUGGESTIONS))
    count = len(ctx.categories)
    reader.add(path, code, item, category=shown(item), suggestions=close, count=count)


def _read_custom_fields(
    reader: _Reader, values: Mapping[str, object], ctx: FormContext, country: str | None
) -> dict[str, FieldValue]:
    raw = values.get("custom_fields")
    if raw is None and not ctx.fields:
        return {}
    given: Mapping[Any, object] = {}
    if isinstance(raw, Mapping):
        given = raw
    elif raw is not None:
        reader.add("custom_fields", "custom_fields.type", raw, type=type(raw).__name__)
    result: dict[str, FieldValue] = {}
    for key, value in given.items():
        checked = _read_custom_value(reader, ctx, key, value, country)
        if checked is not None:
            result[key] = checked
    for key, defn in ctx.fields.items():
        if defn.active and defn.required and key not in result and not _has_error(reader, key):
            path = f"custom_fields.{key}"
            reader.add(path, "custom_field.required", None, field=key, label=defn.label)
    return result


def _read_custom_value(
    reader: _Reader, ctx: FormContext, key: object, value: object, country: str | None
) -> FieldValue | None:
    path = f"custom_fields.{key_text(key)}"
    defn = ctx.fields.get(key) if isinstance(key, str) else None
    if defn is None:
        code = "custom_field.unknown"
        if not reader.has_room(path, code):
            reader.add(path, code, key)  # only counted
            return None
        close = suggestions(key, ctx.fields, limit=MAX_SUGGESTIONS) if isinstance(key, str) else ()
        count = len(ctx.fields)
        reader.add(path, code, key, field=key_text(key), suggestions=close, count=count)
        return None
    if is_blank(value):
        return None
    if not defn.active:
        previous = ctx.previous_fields.get(defn.key)
        if previous is not None and _same_value(defn, previous, value, country):
            return previous
        reader.add(path, "custom_field.inactive", value, field=defn.key, label=defn.label)
        return None
    return reader.run(path, lambda v: defn.validate(v, region=country), value)


def _same_value(
    defn: CustomFieldDefinition, previous: FieldValue, value: object, country: str | None
) -> bool:
    """Whether ``value`` (raw, as an edit form gives it back) is the stored ``previous``."""
    if previous == value and type(previous) is type(value):
        return True
    try:
        return defn.validate(value, region=country) == previous
    except ValidationError:
        return False


def _has_error(reader: _Reader, key: str) -> bool:
    path = f"custom_fields.{key}"
    return any(p.path == path for p in reader.problems)


_CONSENT_YES: Final = frozenset({"on", "yes", "true", "1"})
_CONSENT_NO: Final = frozenset({"no", "false", "0", ""})
_CONSENT_PARAMS: Final = {
    "yes": ("on", "yes", "true", "1"),
    "no": ("no", "false", "0", ""),
    "channels": ("email", "phone", "sms", "post"),
}


def _answer(value: object) -> bool | None:
    """Read a yes or no as a web form sends it; ``None`` when it is neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().casefold()
        if word in _CONSENT_YES:
            return True
        if word in _CONSENT_NO:
            return False
    return None


def _read_consent(
    reader: _Reader, raw: object
) -> tuple[tuple[tuple[ConsentChannel, bool], ...], str | None]:
    if is_blank(raw):
        return (), None
    channels = {c.value: c for c in ConsentChannel}
    answer = _answer(raw)
    if answer is not None:
        return tuple((c, answer) for c in (ConsentChannel.EMAIL, ConsentChannel.PHONE)), None
    statements: list[tuple[ConsentChannel, bool]] = []
    source: str | None = None
    if isinstance(raw, Mapping):
        for key, given in raw.items():
            answer = _answer(given)
            if key == "source":
                source = reader.run("consent.source", _text_rule("source", "consent source"), given)
            elif isinstance(key, str) and key in channels and answer is not None:
                statements.append((channels[key], answer))
            else:
                path = f"consent.{key_text(key)}"
                reader.add(path, "consent.invalid", given, **_CONSENT_PARAMS)
        return tuple(statements), source
    for index, item in enumerate(_items(raw)):
        word = item.strip().casefold() if isinstance(item, str) else None
        if word in channels:
            statements.append((channels[word], True))
        else:
            reader.add(f"consent[{index}]", "consent.invalid", item, **_CONSENT_PARAMS)
    return tuple(statements), source


def _check_required(
    reader: _Reader, draft: CustomerDraft, filled: Mapping[str, object], required: RequiredFields
) -> None:
    problem_paths = {p.path.split("[", 1)[0] for p in reader.problems}
    for path in sorted(required.fields):
        if path in problem_paths:
            continue
        present = path in filled
        if path == "categories":
            present = bool(draft.categories)
        if not present:
            reader.add(path, f"{path.rpartition('.')[2]}.required", None, field=path)


def customer_to_form(customer: Customer, category_names: Mapping[uuid.UUID, str]) -> dict[str, Any]:
    """Turn a customer back into a form, for an edit screen or an API response.

    The form holds plain, JSON-ready values in the shape `CustomerBook.register` and
    `CustomerBook.update` read: text, numbers, booleans, lists and mappings (a phone is
    ``{"number": "+37120000000", "type": "mobile"}``, payment terms are their text such
    as ``"net 14 days"``, a decimal custom-field value is its text, a date
    ``YYYY-MM-DD``, a multi-choice value a list). Given back unchanged, it changes
    nothing. Notes, attachments and consents are not part of the form: they have their
    own calls.

    Args:
        customer: The customer.
        category_names: The name of each category id (`Category.name`); a category
            missing from it is given by its id, as text.

    Returns:
        The form: every key of the registration form but ``notes`` and ``consent``.
    """
    address = customer.address
    terms = customer.payment_terms
    return {
        "kind": customer.kind.value,
        "name": customer.name,
        "contact_person": customer.contact_person,
        "email": customer.email,
        "other_emails": list(customer.other_emails),
        "phone": _phone_form(customer.phone),
        "other_phones": [_phone_form(p) for p in customer.other_phones],
        "website": customer.website,
        "tax_id": customer.tax_id.value if customer.tax_id else None,
        "company_id": customer.company_id,
        "address": {k: getattr(address, k) for k in ADDRESS_KEYS},
        "payment_terms": str(terms) if terms is not None else None,
        "currency": customer.currency,
        "language": customer.language,
        "categories": [category_names.get(c, str(c)) for c in customer.categories],
        "custom_fields": {k: _field_form(v) for k, v in customer.custom_fields.items()},
    }


def _phone_form(phone: Phone | None) -> dict[str, str] | None:
    return None if phone is None else {"number": phone.number, "type": phone.type.value}


def _field_form(value: FieldValue) -> Any:  # noqa: ANN401 - JSON-ready data
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value
