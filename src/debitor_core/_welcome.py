"""The welcome-invoice policy: who gets one, what it says, and when reminders go out."""

from __future__ import annotations

import datetime as dt
import decimal
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import attrs

from debitor_core import _i18n, _rules
from debitor_core._errors import Problem, ValidationError
from debitor_core._frozen import EMPTY, FrozenDict
from debitor_core._invoice import (
    Branding,
    Invoice,
    InvoiceLine,
    InvoiceState,
    line_problems,
    round_money,
    to_decimal,
)
from debitor_core._limits import (
    MAX_AMOUNT,
    MAX_MESSAGE_LENGTH,
    MAX_PROBLEMS_PER_FIELD,
    MAX_REMINDER_OFFSET,
    MAX_TEMPLATE_LENGTH,
    MAX_TEMPLATE_PLACEHOLDERS,
)
from debitor_core._model import Customer, CustomerKind
from debitor_core._reference import CURRENCY_MINOR_UNITS
from debitor_core._shown import shown
from debitor_core._terms import PaymentTerms

__all__ = ["PLACEHOLDERS", "LineTemplate", "WelcomeInvoicePolicy", "render"]

PLACEHOLDERS: Final = (
    "customer.name",
    "customer.first_name",
    "customer.contact_person",
    "customer.greeting_name",
    "customer.number",
    "customer.email",
    "customer.city",
    "customer.country",
    "business.name",
    "invoice.number",
    "invoice.total",
    "invoice.currency",
    "invoice.due_date",
)
"""The placeholders a welcome message may use, written ``{customer.name}``.

``customer.greeting_name`` is the contact person, or for a person their first name, or
else the customer's name; ``customer.first_name`` is the first word of a person's name
(the whole name of a company). Missing optional values render as nothing.
"""

_PLACEHOLDER: Final = re.compile(r"\{([^{}]*)\}")
_COLOUR: Final = re.compile(r"#[0-9a-fA-F]{6}")
_MAX_REMINDERS: Final = 10


def _braces_problems(template: str) -> list[Problem]:
    problems = []
    stripped = template.replace("{{", "").replace("}}", "")
    found = _PLACEHOLDER.findall(stripped)
    unknown = [name for name in found if name not in PLACEHOLDERS]
    for name in unknown[:MAX_PROBLEMS_PER_FIELD]:
        params = {"placeholder": name[:100], "placeholders": PLACEHOLDERS}
        problems.append(
            Problem("message_template", "template.placeholder", value=name, params=params)
        )
    if len(found) > MAX_TEMPLATE_PLACEHOLDERS:
        params = {"count": len(found), "max_count": MAX_TEMPLATE_PLACEHOLDERS}
        problems.append(
            Problem("message_template", "template.placeholders", value=len(found), params=params)
        )
    leftover = _PLACEHOLDER.sub("", stripped)
    if "{" in leftover or "}" in leftover:
        problems.append(Problem("message_template", "template.brace", value=template))
    return problems


def _template_problems(template: object) -> list[Problem]:
    if not isinstance(template, str):
        params = {"type": type(template).__name__}
        return [Problem("message_template", "template.type", value=template, params=params)]
    if template.strip():
        try:
            _rules.text(
                template,
                label="message template",
                code="template",
                max_length=MAX_TEMPLATE_LENGTH,
                multiline=True,
            )
        except ValidationError as exc:
            return [p.at("message_template") for p in exc.problems]
    return _braces_problems(template)


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill the placeholders of a checked template; ``{{`` and ``}}`` are braces.

    Only whole placeholder names are looked up: nothing in a template can reach
    attributes, indexes or format specifications. The result is at most
    `MAX_MESSAGE_LENGTH` characters (a checked template never comes near it).
    """
    out = []
    size = 0
    position = 0
    while position < len(template) and size <= MAX_MESSAGE_LENGTH:
        if template.startswith(("{{", "}}"), position):
            piece = template[position]
            position += 2
        elif match := _PLACEHOLDER.match(template, position):
            piece = values.get(match.group(1), "")
            position = match.end()
        else:
            piece = template[position]
            position += 1
        out.append(piece)
        size += len(piece)
    lines = (" ".join(line.split()) for line in "".join(out).split("\n"))
    return "\n".join(lines).strip()[:MAX_MESSAGE_LENGTH]


def _prices(values: object) -> Mapping[Any, decimal.Decimal]:
    if values is None or values is EMPTY:
        return EMPTY
    if not isinstance(values, Mapping):
        msg = (
            "The prices must be a mapping of currency codes to prices, such as "
            f"{{'EUR': '10.00', 'JPY': '1500'}}; not a value of type {type(values).__name__}."
        )
        raise TypeError(msg)
    return FrozenDict(
        (
            key.strip().upper() if isinstance(key, str) else key,
            to_decimal(price, what="price", code="unit_price", currency=shown(key)),
        )
        for key, price in values.items()
    )


def _unit_price(value: object) -> decimal.Decimal:
    return to_decimal(value, what="unit price", code="unit_price")


def _quantity(value: object) -> decimal.Decimal:
    return to_decimal(value, what="quantity", code="quantity")


def _vat_rate(value: object) -> decimal.Decimal:
    return to_decimal(value, what="VAT rate", code="vat_rate")


@attrs.frozen
class LineTemplate:
    """A line every welcome invoice carries (a zero-amount welcome or a setup fee).

    A line is priced in the policy's currency by ``unit_price``, and in other currencies
    by ``prices`` (``{"USD": "12.00", "JPY": "1500"}``). A customer whose currency the
    policy cannot price gets no invoice (`WelcomeInvoicePolicy.currency_problems`). A
    free line (no price at all) is free in every currency. Numbers are read as
    `InvoiceLine` reads them.

    Attributes:
        description: What the line is for.
        unit_price: The price in the policy's currency.
        quantity: How many.
        vat_rate: VAT in percent.
        prices: The price per currency (ISO 4217 code to price), beside ``unit_price``.
    """

    description: str
    unit_price: decimal.Decimal = attrs.field(default=decimal.Decimal(0), converter=_unit_price)
    quantity: decimal.Decimal = attrs.field(default=decimal.Decimal(1), converter=_quantity)
    vat_rate: decimal.Decimal = attrs.field(default=decimal.Decimal(0), converter=_vat_rate)
    prices: Mapping[str, decimal.Decimal] = attrs.field(
        default=EMPTY, converter=_prices, kw_only=True, hash=False
    )

    def price_in(self, currency: str, home: str) -> decimal.Decimal | None:
        """The unit price in ``currency`` (``home`` is the policy's currency), if any."""
        if currency in self.prices:
            return self.prices[currency]
        if self.unit_price:
            return self.unit_price if currency == home else None
        return None if self.prices else self.unit_price  # a free line is free everywhere


def _line_template_problems(lines: object, home: str | None) -> list[Problem]:
    if not isinstance(lines, tuple | list):
        return [Problem("lines", "lines.type", value=lines, params={"type": type(lines).__name__})]
    if not lines:
        return [Problem("lines", "lines.empty", params={"welcome": True})]
    invoice_lines: list[object] = []
    for line in lines:
        if isinstance(line, LineTemplate):
            invoice_lines.append(
                InvoiceLine(line.description, line.quantity, line.unit_price, line.vat_rate)
            )
        else:
            invoice_lines.append(line)
    problems = line_problems(invoice_lines)
    if problems or home is None:
        return problems
    for index, line in enumerate(lines):
        if line.unit_price or not line.prices:
            problems += _price_problems(f"lines[{index}].unit_price", line.unit_price, home)
        for currency, price in line.prices.items():
            key = shown(currency)[1:-1] if isinstance(currency, str) else shown(currency)
            path = f"lines[{index}].prices.{key}"
            problems += _currency_key_problems(path, currency) or _price_problems(
                path, price, currency
            )
        if home in line.prices and line.unit_price and line.prices[home] != line.unit_price:
            params = {
                "currency": home,
                "unit_price": str(line.unit_price),
                "price": str(line.prices[home]),
            }
            problems.append(Problem(f"lines[{index}].prices", "unit_price.conflict", params=params))
    return problems


def _currency_key_problems(path: str, currency: object) -> list[Problem]:
    try:
        _rules.validate_currency(currency)
    except ValidationError as exc:
        return [p.at(path) for p in exc.problems]
    return []


def _price_problems(path: str, price: decimal.Decimal, currency: str) -> list[Problem]:
    if not 0 <= price <= MAX_AMOUNT:
        bounds = {"value": str(price), "min": "0", "max": str(MAX_AMOUNT), "subject": "price"}
        return [Problem(path, "unit_price.range", value=price, params=bounds)]
    if price != round_money(price, currency):
        places = CURRENCY_MINOR_UNITS.get(currency, 2)
        params: dict[str, object] = {"value": str(price), "currency": currency, "places": places}
        return [Problem(path, "unit_price.precision", value=price, params=params)]
    return []


def _frozen_items(values: object) -> frozenset[Any]:
    """A frozenset of the items given (one text is one item, not its letters)."""
    if isinstance(values, str | uuid.UUID | CustomerKind):
        return frozenset({values})
    if isinstance(values, Iterable) and not isinstance(values, bytes | Mapping):
        try:
            return frozenset(values)
        except TypeError:
            msg = "The conditions must be sets of codes or ids; one of them is a container."
            raise TypeError(msg) from None
    msg = f"Expected a set of values, not a value of type {type(values).__name__}."
    raise TypeError(msg)


def _line_tuple(values: object) -> tuple[Any, ...]:
    return tuple(values) if isinstance(values, list) else values  # type: ignore[return-value]


def _reminder_tuple(values: object) -> tuple[Any, ...]:
    if isinstance(values, tuple):
        return values
    if isinstance(values, list | range):
        return tuple(values)
    kind = type(values).__name__
    msg = f"The reminders must be a tuple of day offsets, not a value of type {kind}."
    raise TypeError(msg)


_DEFAULT_TEMPLATE: Final = "Welcome, {customer.greeting_name}!"
"""The default message in English (`WelcomeInvoicePolicy.locale` gives it in others)."""
_DEFAULT_LINES: Final = (LineTemplate("Welcome"),)


@attrs.frozen
class WelcomeInvoicePolicy:
    """Whether, to whom and how a book sends a personalised welcome invoice.

    The policy is checked when it is made: a bad template, line, price, colour or
    condition raises `ValidationError` then, never at registration. Conditions are
    normalised (``"lv"`` and ``"Latvia"`` are ``LV``, ``"person"`` is
    `CustomerKind.PERSON`, ``"eur"`` is ``EUR``, text payment terms are read).

    Attributes:
        branding: The business's name, logo reference and colour.
        message_template: The personal message, with placeholders from `PLACEHOLDERS`;
            at most `MAX_TEMPLATE_LENGTH` characters and `MAX_TEMPLATE_PLACEHOLDERS`
            placeholders, so that a rendered message stays within `MAX_MESSAGE_LENGTH`.
        lines: The invoice lines (default: one zero-amount "Welcome" line).
        payment_terms: Terms of the invoice; ``None`` uses the customer's, then net 14.
        currency: The currency of the lines' ``unit_price``, and of the invoice when
            the customer has none.
        reminders: Days relative to the due date on which reminders are due
            (``(-3, 0, 7)``: three days before, on the day, a week after).
        categories: Only customers in any of these categories (ids); empty: all.
        countries: Only customers in these countries; empty: all.
        kinds: Only these kinds of customer; empty: all.
        enabled: Switch the policy off without losing it.
        locale: The language of the welcome invoice (``en``, ``lv``, ``de``): the
            default message and line are in it, and so are the amounts and dates that
            fill the placeholders (``1 234,56 €``, ``2026. gada 31. dec.``). A template
            you write is yours and stays as written. ``None`` (the default): the
            language of the book the policy is given to (`CustomerBook` ``locale=``),
            English on its own.
    """

    branding: Branding
    message_template: str = _DEFAULT_TEMPLATE
    lines: tuple[LineTemplate, ...] = attrs.field(default=_DEFAULT_LINES, converter=_line_tuple)
    payment_terms: PaymentTerms | None = None
    currency: str = "EUR"
    reminders: tuple[int, ...] = attrs.field(default=(), converter=_reminder_tuple)
    categories: frozenset[uuid.UUID] = attrs.field(factory=frozenset, converter=_frozen_items)
    countries: frozenset[str] = attrs.field(factory=frozenset, converter=_frozen_items)
    kinds: frozenset[CustomerKind] = attrs.field(factory=frozenset, converter=_frozen_items)
    enabled: bool = True
    locale: str | None = None

    def __attrs_post_init__(self) -> None:
        """Check and normalise the whole policy; raise `ValidationError` with every problem."""
        problems = self._locale_problems()
        problems += _template_problems(self.message_template)
        home = _collect(problems, "currency", _rules.validate_currency, self.currency)
        if home is not None:
            object.__setattr__(self, "currency", home)
        problems += _line_template_problems(self.lines, home)
        problems += _branding_problems(self.branding)
        terms: object = self.payment_terms
        if terms is not None and not isinstance(terms, PaymentTerms):
            read = _collect(problems, "payment_terms", _rules.validate_payment_terms, terms)
            object.__setattr__(self, "payment_terms", read)
        countries = _normalised(problems, "countries", _rules.validate_country, self.countries)
        object.__setattr__(self, "countries", countries)
        kinds = _normalised(problems, "kinds", _rules.validate_kind, self.kinds)
        object.__setattr__(self, "kinds", kinds)
        problems += _category_problems(self.categories)
        problems += _reminder_problems(self.reminders)
        enabled: object = self.enabled
        if not isinstance(enabled, bool):
            params = {"type": type(enabled).__name__}
            problems.append(Problem("enabled", "enabled.type", value=enabled, params=params))
        if problems:
            raise ValidationError(problems)

    def _locale_problems(self) -> list[Problem]:
        """Check the locale; put the default message and line in its language."""
        locale: object = self.locale
        if locale is None:  # the book's language, once a book takes the policy
            return []
        language = _i18n.language_of(locale) if isinstance(locale, str) else None
        stem = locale.replace("-", "_").split("_")[0].lower() if isinstance(locale, str) else ""
        if language is None or language != stem:
            params = {"locale": shown(locale), "locales": _i18n.available_locales()}
            return [Problem("locale", "locale.unknown", value=locale, params=params)]
        object.__setattr__(self, "locale", language)
        if self.message_template is _DEFAULT_TEMPLATE:
            template = _i18n.render_message("welcome.default_message", None, language)
            object.__setattr__(self, "message_template", template)
        if self.lines is _DEFAULT_LINES:
            line = _i18n.render_message("welcome.default_line", None, language)
            object.__setattr__(self, "lines", (LineTemplate(line),))
        return []

    def in_language(self, locale: str) -> WelcomeInvoicePolicy:
        """This policy in ``locale`` when it has no language of its own (``locale=None``).

        A book calls it with its own language, so that a policy made without ``locale=``
        speaks the book's language; a policy with a language keeps it.
        """
        return self if self.locale is not None else attrs.evolve(self, locale=locale)

    @property
    def currencies(self) -> frozenset[str] | None:
        """The currencies every line has a price in; ``None`` when every line is free."""
        priced = [line for line in self.lines if line.unit_price or line.prices]
        if not priced:
            return None
        each = ({*line.prices, *([self.currency] if line.unit_price else [])} for line in priced)
        return frozenset(set.intersection(*each))

    def currency_problems(self, currency: str) -> list[Problem]:
        """Why the policy cannot price a welcome invoice in ``currency`` (empty: it can).

        Args:
            currency: The invoice's currency: the customer's, else the policy's.

        Returns:
            A ``welcome.currency`` problem at path ``currency`` naming the currencies
            the policy has prices in; empty when every line has a price in ``currency``.
        """
        covered = self.currencies
        if covered is None or currency in covered:
            return []
        priced = tuple(sorted(covered))
        params = {"currency": currency, "currencies": priced}
        return [Problem("currency", "welcome.currency", value=currency, params=params)]

    def applies_to(self, customer: Customer) -> bool:
        """Whether a new customer gets a welcome invoice under this policy."""
        if not self.enabled:
            return False
        if self.kinds and customer.kind not in self.kinds:
            return False
        if self.countries and customer.address.country not in self.countries:
            return False
        return not self.categories or not self.categories.isdisjoint(customer.categories)

    def invoice_for(self, customer: Customer, *, number: int, issue_date: dt.date) -> Invoice:
        """The welcome invoice ``customer`` would get, numbered ``number``.

        Raises:
            ValidationError: ``welcome.currency``: the policy has no price in the
                customer's currency (see `currency_problems`).
        """
        terms = self.payment_terms or customer.payment_terms or PaymentTerms.net(14)
        currency = customer.currency or self.currency
        problems = self.currency_problems(currency)
        if problems:
            raise ValidationError(problems)
        lines = tuple(
            InvoiceLine(
                line.description,
                line.quantity,
                line.price_in(currency, self.currency) or decimal.Decimal(0),
                line.vat_rate,
            )
            for line in self.lines
        )
        invoice = Invoice.issue(
            customer,
            number=number,
            lines=lines,
            currency=currency,
            issue_date=issue_date,
            terms=terms,
            state=InvoiceState.DRAFT,
        )
        message = render(self.message_template, self._values(customer, invoice))
        return attrs.evolve(invoice, message=message, branding=self.branding, welcome=True)

    def _values(self, customer: Customer, invoice: Invoice) -> dict[str, str]:
        first = customer.name.split()[0] if customer.kind is CustomerKind.PERSON else customer.name
        greeting = customer.contact_person or first
        return {
            "customer.name": customer.name,
            "customer.first_name": first,
            "customer.contact_person": customer.contact_person or "",
            "customer.greeting_name": greeting,
            "customer.number": str(customer.number),
            "customer.email": customer.email or "",
            "customer.city": customer.address.city or "",
            "customer.country": customer.address.country or "",
            "business.name": self.branding.business_name,
            "invoice.number": str(invoice.number),
            "invoice.total": _i18n.format_amount(
                invoice.total, invoice.currency, self.locale or "en"
            ),
            "invoice.currency": invoice.currency,
            "invoice.due_date": _i18n.format_date(invoice.due_date, self.locale or "en"),
        }


def _collect(problems: list[Problem], path: str, rule: Any, value: object) -> Any:  # noqa: ANN401
    try:
        return rule(value)
    except ValidationError as exc:
        problems += [p.at(path) for p in exc.problems]
        return None


def _normalised(
    problems: list[Problem], path: str, rule: Callable[[object], object], values: frozenset[Any]
) -> frozenset[Any]:
    found = set()
    refused = 0
    for value in values:
        normal = _collect(problems, path, rule, value)
        if normal is not None:
            found.add(normal)
        else:
            refused += 1
            if refused >= MAX_PROBLEMS_PER_FIELD:
                break
    return frozenset(found)


def _category_problems(categories: frozenset[Any]) -> list[Problem]:
    wrong = [c for c in categories if not isinstance(c, uuid.UUID)]
    if not wrong:
        return []
    params = {"value": shown(wrong[0])}
    return [Problem("categories", "categories.type", value=wrong[0], params=params)]


def _reminder_problems(reminders: tuple[Any, ...]) -> list[Problem]:
    sound = all(
        isinstance(r, int) and not isinstance(r, bool) and abs(r) <= MAX_REMINDER_OFFSET
        for r in reminders
    )
    if sound and len(reminders) <= _MAX_REMINDERS and len(set(reminders)) == len(reminders):
        return []
    params = {"max_count": _MAX_REMINDERS, "max_offset": MAX_REMINDER_OFFSET}
    return [Problem("reminders", "reminders.invalid", value=reminders, params=params)]


def _branding_problems(branding: object) -> list[Problem]:
    if not isinstance(branding, Branding):
        params = {"type": type(branding).__name__}
        return [Problem("branding", "branding.type", value=branding, params=params)]
    problems: list[Problem] = []
    name = branding.business_name
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem("branding.business_name", "branding.name"))
    else:
        limit = _rules.LIMITS["business_name"]
        _collect(
            problems,
            "branding.business_name",
            lambda v: _rules.text(v, label="business name", code="branding", max_length=limit),
            name,
        )
    if branding.logo is not None:
        limit = _rules.LIMITS["logo"]
        _collect(
            problems,
            "branding.logo",
            lambda v: _rules.text(v, label="logo", code="branding", max_length=limit),
            branding.logo,
        )
    colour = branding.colour
    if colour is not None and not (isinstance(colour, str) and _COLOUR.fullmatch(colour)):
        params = {"colour": shown(colour)}
        problems.append(Problem("branding.colour", "branding.colour", value=colour, params=params))
    return problems
