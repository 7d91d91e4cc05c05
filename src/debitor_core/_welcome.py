"""The welcome-invoice policy: who gets one, what it says, and when reminders go out."""

from __future__ import annotations

import datetime as dt
import decimal
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Final

import attrs

from debitor_core import _rules
from debitor_core._errors import Problem, ValidationError
from debitor_core._invoice import Branding, Invoice, InvoiceLine, InvoiceState
from debitor_core._model import Customer, CustomerKind
from debitor_core._postal import country_codes
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
    for match in _PLACEHOLDER.finditer(stripped):
        name = match.group(1)
        if name not in PLACEHOLDERS:
            allowed = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            msg = (
                f"The message uses {{{name}}}, which is not a placeholder we fill in; "
                f"use {allowed}, and write {{{{ or }}}} for a brace."
            )
            problems.append(Problem("message_template", "template.placeholder", msg, value=name))
    leftover = _PLACEHOLDER.sub("", stripped)
    if "{" in leftover or "}" in leftover:
        msg = "The message has a brace without its partner; write {{ or }} for a brace."
        problems.append(Problem("message_template", "template.brace", msg, value=template))
    return problems


def _template_line_problems(lines: tuple[LineTemplate, ...]) -> list[Problem]:
    if not lines:
        return [Problem("lines", "lines.empty", "A welcome invoice needs at least one line.")]
    problems = []
    for index, line in enumerate(lines):
        if not line.description.strip():
            msg = "Every line needs a description."
            problems.append(Problem(f"lines[{index}]", "line.description", msg))
        if line.unit_price < 0 or line.quantity <= 0 or not 0 <= line.vat_rate <= 100:  # noqa: PLR2004
            msg = (
                "A line needs a positive quantity, a price of zero or more and a VAT rate "
                "between 0 and 100."
            )
            problems.append(Problem(f"lines[{index}]", "line.amount", msg, value=line))
    return problems


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill the placeholders of a checked template; ``{{`` and ``}}`` are braces.

    Only whole placeholder names are looked up: nothing in a template can reach
    attributes, indexes or format specifications.
    """
    out = []
    position = 0
    while position < len(template):
        if template.startswith(("{{", "}}"), position):
            out.append(template[position])
            position += 2
            continue
        match = _PLACEHOLDER.match(template, position)
        if match:
            out.append(values.get(match.group(1), ""))
            position = match.end()
            continue
        out.append(template[position])
        position += 1
    lines = (" ".join(line.split()) for line in "".join(out).split("\n"))
    return "\n".join(lines).strip()


def _frozen_strings(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


def _frozen_kinds(values: Iterable[CustomerKind | str]) -> frozenset[CustomerKind]:
    return frozenset(CustomerKind(v) for v in values)


def _frozen_ids(values: Iterable[uuid.UUID]) -> frozenset[uuid.UUID]:
    return frozenset(values)


def _decimal(value: object) -> decimal.Decimal:
    return value if isinstance(value, decimal.Decimal) else decimal.Decimal(str(value))


@attrs.frozen
class LineTemplate:
    """A line every welcome invoice carries (a zero-amount welcome or a setup fee)."""

    description: str
    unit_price: decimal.Decimal = attrs.field(default=decimal.Decimal(0), converter=_decimal)
    quantity: decimal.Decimal = attrs.field(default=decimal.Decimal(1), converter=_decimal)
    vat_rate: decimal.Decimal = attrs.field(default=decimal.Decimal(0), converter=_decimal)


@attrs.frozen
class WelcomeInvoicePolicy:
    """Whether, to whom and how a book sends a personalised welcome invoice.

    The policy is checked when it is made: a bad template, line, colour or condition
    raises `ValidationError` then, never at registration.

    Attributes:
        branding: The business's name, logo reference and colour.
        message_template: The personal message, with placeholders from `PLACEHOLDERS`.
        lines: The invoice lines (default: one zero-amount "Welcome" line).
        payment_terms: Terms of the invoice; ``None`` uses the customer's, then net 14.
        currency: Currency when the customer has none.
        reminders: Days relative to the due date on which reminders are due
            (``(-3, 0, 7)``: three days before, on the day, a week after).
        categories: Only customers in any of these categories (ids); empty: all.
        countries: Only customers in these countries; empty: all.
        kinds: Only these kinds of customer; empty: all.
        enabled: Switch the policy off without losing it.
    """

    branding: Branding
    message_template: str = "Welcome, {customer.greeting_name}!"
    lines: tuple[LineTemplate, ...] = (LineTemplate("Welcome"),)
    payment_terms: PaymentTerms | None = None
    currency: str = "EUR"
    reminders: tuple[int, ...] = ()
    categories: frozenset[uuid.UUID] = attrs.field(factory=frozenset, converter=_frozen_ids)
    countries: frozenset[str] = attrs.field(factory=frozenset, converter=_frozen_strings)
    kinds: frozenset[CustomerKind] = attrs.field(factory=frozenset, converter=_frozen_kinds)
    enabled: bool = True

    def __attrs_post_init__(self) -> None:
        """Check the whole policy; raise `ValidationError` with every problem."""
        problems = _braces_problems(self.message_template) + _template_line_problems(self.lines)
        try:
            _rules.validate_currency(self.currency)
        except ValidationError as exc:
            problems += [p.at("currency") for p in exc.problems]
        if self.branding.colour is not None and not _COLOUR.fullmatch(self.branding.colour):
            msg = f"The colour {self.branding.colour!r} must be written like #00aa55."
            problems.append(Problem("branding.colour", "branding.colour", msg))
        if not self.branding.business_name.strip():
            msg = "The business name is empty."
            problems.append(Problem("branding.business_name", "branding.name", msg))
        unknown = sorted(self.countries - country_codes())
        if unknown:
            msg = f"Unknown country codes in the conditions: {', '.join(unknown)}."
            problems.append(Problem("countries", "country.unknown", msg, value=unknown))
        if len(self.reminders) > _MAX_REMINDERS or len(set(self.reminders)) != len(self.reminders):
            msg = f"Reminders are distinct day offsets, at most {_MAX_REMINDERS} of them."
            problems.append(Problem("reminders", "reminders.invalid", msg, value=self.reminders))
        if problems:
            raise ValidationError(problems)

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
        """The welcome invoice ``customer`` would get, numbered ``number``."""
        terms = self.payment_terms or customer.payment_terms or PaymentTerms.net(14)
        currency = customer.currency or self.currency
        lines = tuple(
            InvoiceLine(line.description, line.quantity, line.unit_price, line.vat_rate)
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
            "invoice.total": f"{invoice.total} {invoice.currency}",
            "invoice.currency": invoice.currency,
            "invoice.due_date": invoice.due_date.isoformat(),
        }
