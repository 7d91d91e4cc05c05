"""The welcome-invoice policy: safe templates, conditions, the invoice it makes."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from debitor_core import (
    Branding,
    Customer,
    CustomerKind,
    LineTemplate,
    PaymentTerms,
    ValidationError,
    WelcomeInvoicePolicy,
)
from debitor_core._welcome import render

BRAND = Branding("Koks", "logo.png", "#00aa55")


def policy(**changes):
    return WelcomeInvoicePolicy(BRAND, **changes)


def customer(**changes):
    moment = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
    values = {
        "id": uuid.uuid4(),
        "number": 7,
        "name": "SIA Koks",
        "created": moment,
        "updated": moment,
    } | changes
    return Customer(**values)


class TestTemplates:
    @pytest.mark.parametrize(
        ("template", "code"),
        [
            ("Hi {customer.__class__}", "template.placeholder"),
            ("Hi {customer.name!r}", "template.placeholder"),
            ("Hi {customer.name:>999999}", "template.placeholder"),
            ("Hi {0}", "template.placeholder"),
            ("Hi {}", "template.placeholder"),
            ("Hi {customer.password}", "template.placeholder"),
            ("Hi {customer.name.upper}", "template.placeholder"),
            ("Hi {customer[name]}", "template.placeholder"),
            ("Hi {customer.name", "template.brace"),
            ("Hi customer.name}", "template.brace"),
        ],
    )
    def test_unsafe_templates_are_refused_when_defined(self, template, code):
        """Anything but a whitelisted placeholder is refused when the policy is made."""
        with pytest.raises(ValidationError) as info:
            policy(message_template=template)
        assert [("message_template", code)] == [(p.path, p.code) for p in info.value.problems]

    def test_message_names_the_placeholders(self):
        """The refusal says which placeholders exist."""
        with pytest.raises(ValidationError) as info:
            policy(message_template="{customer.__class__}")
        assert "{customer.__class__}, which is not a placeholder we fill in" in str(info.value)
        assert "{customer.greeting_name}" in str(info.value)

    @pytest.mark.parametrize(
        ("template", "values", "expected"),
        [
            ("Hello {customer.name}!", {"customer.name": "Anna"}, "Hello Anna!"),
            ("{{literal}} {customer.name}", {"customer.name": "Anna"}, "{literal} Anna"),
            (
                "Dear {customer.contact_person} at {customer.name}",
                {"customer.name": "Koks"},
                "Dear at Koks",
            ),
            ("Line one\n  {customer.city}  \nLine three", {}, "Line one\n\nLine three"),
        ],
    )
    def test_render(self, template, values, expected):
        """Placeholders are filled; braces escape; missing values leave no double spaces."""
        assert expected == render(template, values)


class TestPolicy:
    def test_invoice_for_a_person(self):
        """The invoice greets by first name, copies the customer and follows the terms."""
        person = customer(
            kind=CustomerKind.PERSON, name="Anna Ozola", payment_terms=PaymentTerms.net(7)
        )
        made = policy(
            message_template="Welcome, {customer.greeting_name}! From {business.name}."
        ).invoice_for(person, number=3, issue_date=dt.date(2026, 11, 26))
        assert "Welcome, Anna! From Koks." == made.message
        assert (3, dt.date(2026, 12, 3), "EUR", True) == (
            made.number,
            made.due_date,
            made.currency,
            made.welcome,
        )
        assert "Anna Ozola" == made.bill_to.name
        assert made.branding == BRAND

    def test_greeting_uses_the_contact_person(self):
        """A company is greeted through its contact person, when there is one."""
        company = customer(contact_person="Jānis Bērziņš", currency="USD")
        made = policy(
            lines=(LineTemplate("Setup", "45.00", vat_rate="21", prices={"USD": "49.00"}),),
            payment_terms=PaymentTerms.end_of_month(10),
        ).invoice_for(company, number=1, issue_date=dt.date(2026, 11, 26))
        assert "Welcome, Jānis Bērziņš!" == made.message
        assert (Decimal("59.29"), "USD", dt.date(2026, 12, 10)) == (
            made.total,
            made.currency,
            made.due_date,
        )

    def test_conditions(self):
        """Categories, countries and kinds narrow who gets one; a disabled policy sends none."""
        retail = uuid.uuid4()
        narrow = policy(categories={retail}, countries={"LV"}, kinds={"company"})
        assert narrow.applies_to(
            customer(categories=(retail,), address=customer().address.__class__(country="LV"))
        )
        assert not narrow.applies_to(customer(categories=(retail,)))
        assert not narrow.applies_to(customer(kind=CustomerKind.PERSON))
        assert not policy(enabled=False).applies_to(customer())
        assert policy().applies_to(customer())

    @pytest.mark.parametrize(
        ("changes", "path"),
        [
            ({"lines": ()}, "lines"),
            ({"lines": (LineTemplate(" "),)}, "lines[0].description"),
            ({"lines": (LineTemplate("Fee", "-1"),)}, "lines[0].unit_price"),
            ({"currency": "EURO"}, "currency"),
            ({"countries": {"XX"}}, "countries"),
            ({"reminders": (1, 1)}, "reminders"),
        ],
    )
    def test_bad_policies(self, changes, path):
        """A policy that cannot work is refused when made, with the path of the problem."""
        with pytest.raises(ValidationError) as info:
            policy(**changes)
        assert path in info.value.paths

    def test_bad_branding(self):
        """Colours are #rrggbb; the business needs a name."""
        with pytest.raises(ValidationError) as info:
            WelcomeInvoicePolicy(Branding(" ", colour="green"))
        assert {"branding.colour", "branding.business_name"} == set(info.value.paths)
