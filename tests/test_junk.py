"""The junk sweep: hostile values get our error, or a TypeError with a sentence.

Every public rule and domain constructor, and the form path, is driven with junk; no
other exception (RecursionError, ValueError, UnicodeError, AttributeError...) escapes.
"""

import contextlib
import decimal
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FakeClock
from debitor_core import (
    Branding,
    Category,
    CustomerBook,
    CustomFieldDefinition,
    DebitorError,
    InvoiceLine,
    LineTemplate,
    Payment,
    PaymentTerms,
    TermsKind,
    WelcomeInvoicePolicy,
    customer_to_form,
    rules,
)
from debitor_core import strategies as ds
from debitor_core._category import category_problems
from debitor_core._fields import definition_problems
from debitor_core._form import FORM_KEYS, FormContext, parse_form
from debitor_core._invoice import line_problems, payment_problems


class Deep(list):
    """A list nested 100,000 deep, with a repr short enough for Hypothesis' reports.

    (Plain deep lists are tested directly in test_rules.py and test_form.py.)
    """

    def __repr__(self):
        """Say what it is, without recursing."""
        return "<a list nested 100,000 deep>"


def nested(depth=100_000):
    value = []
    for _ in range(depth):
        value = [value]
    return Deep(value)


DEEP = nested()


class Huge(str):
    """A text of a million characters, with a repr short enough for Hypothesis' reports."""

    __slots__ = ()

    def __repr__(self):
        """Say what it is, without a million characters."""
        return f"<a text of {len(self):,} characters>"


HUGE = Huge("x" * 1_000_000)
INVISIBLE = [
    "\u200b",
    "\u202e",
    "\u2066x\u2069",
    "\ufeff",
    "\u00ad",
    "\U000e0001",
    "\ud800",
    "\x00",
]
SCALARS = st.one_of(
    st.none(),
    st.just(""),
    st.just("   "),
    st.builds(object),
    st.text(max_size=30),
    st.sampled_from(["🦄🦄", HUGE, *INVISIBLE, "NaN", "-Infinity", "1e999999999"]),
    st.binary(max_size=10),
    st.integers(),
    st.sampled_from([10**4000, -(10**4000), 2**64]),  # 10**5000 cannot be printed in a report
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from([decimal.Decimal("sNaN"), decimal.Decimal("1e999999999")]),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.uuids(),
    st.just(DEEP),
    st.builds(lambda: {"a": {"b": DEEP}}),
)
JUNK = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.text(max_size=5), st.integers()), inner, max_size=3),
        st.frozensets(st.one_of(st.integers(), st.text(max_size=5)), max_size=3),
    ),
    max_leaves=6,
)


HASHABLE = st.one_of(
    st.none(),
    st.text(max_size=10),
    st.sampled_from([HUGE, *INVISIBLE, 10**4000]),
    st.integers(),
    st.floats(allow_nan=True),
    st.binary(max_size=5),
    st.builds(object),
    st.tuples(st.integers(), st.text(max_size=3)),
    st.frozensets(st.integers(), max_size=3),
    st.uuids(),
)


def answers_ours(call):
    """Run ``call``; anything raised must be ours or a TypeError with a sentence."""
    try:
        return call()
    except DebitorError:
        return None
    except TypeError as exc:
        message = str(exc)
        assert message[:1].isupper(), repr(message)
        assert message.endswith("."), repr(message)
        return None


RULES = [
    rules.text,
    rules.normalise_name,
    rules.validate_kind,
    rules.validate_email,
    rules.validate_phone,
    rules.validate_phone_type,
    rules.validate_vat,
    rules.validate_company_id,
    rules.validate_country,
    rules.validate_postal_code,
    rules.validate_currency,
    rules.validate_language,
    rules.validate_website,
    rules.validate_payment_terms,
]
CONTEXT_RULES = [
    (rules.validate_phone, "region"),
    (rules.validate_vat, "country"),
    (rules.validate_company_id, "country"),
    (rules.validate_postal_code, "country"),
]


class TestRules:
    @pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
    @given(junk=JUNK)
    def test_every_rule(self, rule, junk):
        """Every public rule answers junk with a ValidationError or a normal form."""
        with contextlib.suppress(DebitorError):
            rule(junk)

    @pytest.mark.parametrize(
        ("rule", "keyword"), CONTEXT_RULES, ids=lambda r: getattr(r, "__name__", r)
    )
    @given(
        junk=JUNK, value=st.sampled_from(["1050", "+371 2000 0000", "LV40003521600", "12345678"])
    )
    def test_junk_context(self, rule, keyword, junk, value):
        """A junk country or region is our error too."""
        answers_ours(lambda: rule(value, **{keyword: junk}))


class TestForms:
    @given(junk=JUNK)
    def test_a_junk_form(self, junk):
        """A form that is junk is one problem."""
        _, problems = parse_form(junk, FormContext())
        assert problems or junk == {}

    @settings(max_examples=200)
    @given(st.dictionaries(st.sampled_from([*FORM_KEYS, "address.city", "junk"]), JUNK, max_size=6))
    def test_junk_in_every_field(self, form):
        """Junk in any field of a form gives problems, never another exception."""
        ctx = FormContext(
            categories={"retail": uuid.uuid4()},
            fields={
                "f": CustomFieldDefinition("f", "F"),
                "n": CustomFieldDefinition("n", "N", "integer"),
            },  # type: ignore[arg-type]
        )
        _draft, problems = parse_form(form, ctx)
        for problem in problems:
            assert problem.message.endswith((".", "?"))
            assert len(problem.message) < 2000

    @settings(max_examples=50)
    @given(st.dictionaries(st.sampled_from(FORM_KEYS), JUNK, max_size=4))
    def test_through_the_book(self, form):
        """The public path (preview, then register) answers a junk form with our error."""
        book = CustomerBook(clock=FakeClock())
        for call in (book.preview, book.register):
            answers_ours(lambda call=call: call(form))

    @given(st.dictionaries(HASHABLE, JUNK, max_size=4))
    def test_junk_keys(self, form):
        """Junk keys (any hashable value) give problems too."""
        parse_form({"address": form, "custom_fields": form, "consent": form}, FormContext())


class TestDomainValues:
    @given(JUNK, JUNK, JUNK, JUNK)
    def test_invoice_lines(self, description, quantity, price, rate):
        """InvoiceLine takes numbers or refuses them; line_problems takes any line."""
        line = answers_ours(lambda: InvoiceLine(description, quantity, price, rate))
        if line is not None and not line_problems([line]):
            assert line.net("EUR") >= 0
            assert line.vat("JPY") >= 0

    @given(JUNK, JUNK, JUNK)
    def test_payments(self, amount, currency, date):
        """Payment reads its amount like a line; payment_problems judges a read amount."""
        payment = answers_ours(lambda: Payment(uuid.uuid4(), uuid.uuid4(), amount, currency, date))
        if payment is not None and isinstance(currency, str):
            payment_problems(payment.amount, currency)

    @given(JUNK, JUNK, JUNK)
    def test_payment_terms(self, kind, days, fixed):
        """Payment terms refuse junk with our error or a TypeError sentence."""
        for make in (
            lambda: PaymentTerms(kind, days, fixed),
            lambda: PaymentTerms(TermsKind.NET, days),
            lambda: PaymentTerms.on(fixed),
            lambda: PaymentTerms.end_of_month(days),
            lambda: PaymentTerms.net(14).due_date(fixed),
        ):
            answers_ours(make)

    @given(
        st.fixed_dictionaries(
            {},
            optional=dict.fromkeys(
                (
                    "key",
                    "label",
                    "type",
                    "required",
                    "choices",
                    "min_value",
                    "max_value",
                    "min_date",
                    "max_date",
                    "max_length",
                    "pattern",
                    "default",
                    "help_text",
                    "personal_data",
                    "active",
                ),
                JUNK,
            ),
        ),
        JUNK,
    )
    def test_custom_field_definitions(self, attributes, value):
        """Any definition is judged by definition_problems; a sound one validates junk."""
        definition = CustomFieldDefinition(**{"key": "k", "label": "K"} | attributes)
        if not answers_ours(lambda: definition_problems(definition)):
            answers_ours(lambda: definition.validate(value))

    @given(JUNK, JUNK)
    def test_categories(self, name, parent):
        """category_problems judges a category of any name and parent."""
        answers_ours(lambda: category_problems(Category(uuid.uuid4(), name, parent), {}))

    @given(
        st.sampled_from(
            [
                "branding",
                "message_template",
                "lines",
                "payment_terms",
                "currency",
                "reminders",
                "categories",
                "countries",
                "kinds",
                "enabled",
            ]
        ),
        JUNK,
    )
    def test_welcome_policies(self, attribute, junk):
        """A policy with junk in any attribute is refused with our error."""
        answers_ours(
            lambda: WelcomeInvoicePolicy(**({"branding": Branding("Koks")} | {attribute: junk}))
        )

    @given(JUNK, JUNK, JUNK, JUNK, JUNK)
    def test_line_templates_and_branding(self, description, price, quantity, rate, prices):
        """Line templates and branding with junk are refused with our error, at the latest by the policy."""
        line = answers_ours(lambda: LineTemplate(description, price, quantity, rate, prices=prices))
        if line is not None:
            answers_ours(lambda: WelcomeInvoicePolicy(Branding("Koks"), lines=(line,)))
        answers_ours(lambda: WelcomeInvoicePolicy(Branding(description, price, quantity)))


class TestCustomerToForm:
    @settings(max_examples=20)
    @given(ds.customers(), JUNK)
    def test_any_category_names(self, customer, names):
        """customer_to_form takes any mapping of names."""
        if isinstance(names, dict):
            answers_ours(lambda: customer_to_form(customer, names))
