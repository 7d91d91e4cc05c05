"""The welcome-invoice policy: safe templates, conditions, the invoice it makes."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from debitor_core import (
    PLACEHOLDERS,
    Branding,
    Customer,
    CustomerKind,
    LineTemplate,
    PaymentTerms,
    ValidationError,
    WelcomeInvoicePolicy,
)
from debitor_core._limits import MAX_MESSAGE_LENGTH
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


class TestBounds:
    def test_a_huge_template_is_refused(self):
        """A 750 KB template is refused when the policy is made."""
        with pytest.raises(ValidationError) as info:
            policy(message_template="Welcome! " * 85_000)
        (problem,) = info.value.problems
        assert ("message_template", "template.too_long") == (problem.path, problem.code)
        assert {"subject": "message template", "length": 764_999, "max_length": 5000} == dict(
            problem.params
        )

    def test_placeholders_are_counted(self):
        """At most 50 placeholders, so that a rendered message stays bounded."""
        with pytest.raises(ValidationError) as info:
            policy(message_template="{customer.email}" * 51)
        assert ["template.placeholders"] == [p.code for p in info.value.problems]

    def test_unknown_placeholders_are_bounded(self):
        """Thousands of unknown placeholders give a bounded number of problems."""
        with pytest.raises(ValidationError) as info:
            policy(message_template="{x}" * 1000)
        assert len(info.value.problems) <= 21

    def test_the_longest_message_stays_within_the_bound(self):
        """The longest template filled with the longest values stays within 20,000 characters."""
        template = ("x" * 84 + "{customer.email}") * 50
        made = policy(message_template=template)
        longest = dict.fromkeys(PLACEHOLDERS, "y" * 254)
        assert len(render(made.message_template, longest)) <= MAX_MESSAGE_LENGTH

    def test_render_is_bounded_for_any_template(self):
        """render() never returns more than the bound, whatever it is given."""
        assert MAX_MESSAGE_LENGTH == len(render("{a}" * 1000, {"a": "z" * 1000}))

    @pytest.mark.parametrize(
        ("changes", "path", "code"),
        [
            (
                {"message_template": "Hi \u202e{customer.name}"},
                "message_template",
                "template.direction_control",
            ),
            ({"message_template": b"Hi"}, "message_template", "template.type"),
            (
                {"branding": Branding("Ko\u2067ks")},
                "branding.business_name",
                "branding.direction_control",
            ),
            ({"branding": "Koks"}, "branding", "branding.type"),
            (
                {"lines": (LineTemplate("Wel\u202acome"),)},
                "lines[0].description",
                "description.direction_control",
            ),
            ({"lines": (LineTemplate("Fee", "1e30"),)}, "lines[0].unit_price", "unit_price.range"),
            ({"lines": ("Fee",)}, "lines[0]", "line.type"),
            ({"lines": "Fee"}, "lines", "lines.type"),
            ({"reminders": (10**9,)}, "reminders", "reminders.invalid"),
            ({"reminders": ("7",)}, "reminders", "reminders.invalid"),
            ({"kinds": {"robot"}}, "kinds", "kind.invalid"),
            ({"countries": {"Atlantis"}}, "countries", "country.unknown"),
            ({"categories": {"retail"}}, "categories", "categories.type"),
            ({"payment_terms": "soon"}, "payment_terms", "payment_terms.invalid"),
            ({"enabled": "yes"}, "enabled", "enabled.type"),
        ],
    )
    def test_hostile_policies(self, changes, path, code):
        """Every part of a policy is checked when it is made, with a path and a code."""
        with pytest.raises(ValidationError) as info:
            WelcomeInvoicePolicy(**({"branding": BRAND} | changes))
        assert (path, code) in [(p.path, p.code) for p in info.value.problems]

    def test_conditions_are_normalised(self):
        """Countries, kinds, currency and text terms are read like form values."""
        made = policy(countries="latvia", kinds=["Person"], currency="eur", payment_terms="net 7")
        assert (
            frozenset({"LV"}),
            frozenset({CustomerKind.PERSON}),
            "EUR",
            PaymentTerms.net(7),
        ) == (
            made.countries,
            made.kinds,
            made.currency,
            made.payment_terms,
        )


class TestCurrencies:
    def test_a_price_in_one_currency_is_not_another(self):
        """A line priced in EUR gives a JPY customer no 10.50 JPY invoice: it is refused."""
        priced = policy(lines=(LineTemplate("Setup", "10.50"),))
        with pytest.raises(ValidationError) as info:
            priced.invoice_for(customer(currency="JPY"), number=1, issue_date=dt.date(2026, 1, 1))
        (problem,) = info.value.problems
        assert ("currency", "welcome.currency") == (problem.path, problem.code)
        assert (
            "The welcome invoice has no price in JPY; its lines are priced in EUR. "
            "Add prices in JPY to the policy's lines." == problem.message
        )
        assert {"currency": "JPY", "currencies": ("EUR",)} == dict(problem.params)
        assert [problem] == priced.currency_problems("JPY")
        assert [] == priced.currency_problems("EUR")

    def test_prices_per_currency(self):
        """Each customer's currency takes that currency's price."""
        priced = policy(lines=(LineTemplate("Setup", "10.50", prices={"JPY": "1500", "usd": 12}),))
        day = dt.date(2026, 1, 1)
        totals = {
            currency: priced.invoice_for(
                customer(currency=currency), number=1, issue_date=day
            ).total
            for currency in ("EUR", "JPY", "USD")
        }
        assert {"EUR": Decimal("10.50"), "JPY": Decimal(1500), "USD": Decimal(12)} == totals
        assert frozenset({"EUR", "JPY", "USD"}) == priced.currencies

    def test_free_lines_cover_every_currency(self):
        """A policy of free lines prices every currency (at nothing)."""
        free = policy()
        assert free.currencies is None
        made = free.invoice_for(customer(currency="KWD"), number=1, issue_date=dt.date(2026, 1, 1))
        assert Decimal(0) == made.total

    @pytest.mark.parametrize(
        ("line", "currency", "path", "code"),
        [
            (LineTemplate("Setup", "10.50"), "JPY", "lines[0].unit_price", "unit_price.precision"),
            (
                LineTemplate("Setup", "1", prices={"JPY": "10.5"}),
                "EUR",
                "lines[0].prices.JPY",
                "unit_price.precision",
            ),
            (
                LineTemplate("Setup", "1", prices={"XXX": "1"}),
                "EUR",
                "lines[0].prices.XXX",
                "currency.unknown",
            ),
            (
                LineTemplate("Setup", "1", prices={"EUR": "2"}),
                "EUR",
                "lines[0].prices",
                "unit_price.conflict",
            ),
            (
                LineTemplate("Setup", "1", prices={"KWD": "1.2345"}),
                "EUR",
                "lines[0].prices.KWD",
                "unit_price.precision",
            ),
        ],
    )
    def test_prices_fit_their_currency(self, line, currency, path, code):
        """A price has no more decimals than its currency's minor unit."""
        with pytest.raises(ValidationError) as info:
            policy(lines=(line,), currency=currency)
        assert [(path, code)] == [(p.path, p.code) for p in info.value.problems]

    def test_prices_must_be_a_mapping(self):
        """prices= of another type is a TypeError with a sentence."""
        with pytest.raises(TypeError, match="The prices must be a mapping of currency codes"):
            LineTemplate("Setup", prices=["EUR"])


class TestMoreBounds:
    def test_many_unknown_countries_are_bounded(self):
        """A thousand unknown countries in the conditions give at most 20 problems."""
        with pytest.raises(ValidationError) as info:
            policy(countries={f"Nowhere {n}" for n in range(1000)})
        assert len(info.value.problems) == 20

    def test_an_empty_message_is_allowed(self):
        """A policy may send no personal message at all."""
        made = policy(message_template="").invoice_for(
            customer(), number=1, issue_date=dt.date(2026, 1, 1)
        )
        assert "" == made.message

    def test_a_price_above_the_bound(self):
        """A price per currency stays within the amount bound too."""
        with pytest.raises(ValidationError) as info:
            policy(lines=(LineTemplate("Setup", prices={"USD": "1e13"}),))
        assert [("lines[0].prices.USD", "unit_price.range")] == [
            (p.path, p.code) for p in info.value.problems
        ]
