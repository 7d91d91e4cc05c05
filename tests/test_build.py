"""Pure functions that build, change and merge customers, and welcome records."""

import datetime as dt
import uuid

import pytest

from debitor_core import (
    Address,
    Branding,
    Customer,
    CustomerDraft,
    DeliveryState,
    Phone,
    WelcomeInvoicePolicy,
)
from debitor_core._limits import MAX_NUMBER
from debitor_core.book._build import (
    build,
    gets_welcome,
    merged,
    merged_address,
    number_problems,
    probe,
    welcome_records,
)
from debitor_core.book._types import DuplicateMatch

WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)


def customer(number=1, name="Koks", **values):
    values.setdefault("created", WHEN)
    return Customer(id=uuid.uuid4(), number=number, name=name, updated=WHEN, **values)


class TestBuild:
    def test_a_new_customer(self):
        """Numbered, stamped with the time, the note and consents recorded."""
        draft = CustomerDraft(name="Anna", note="Pays in cash")
        made = build(draft, 7, now=LATER, author="ben")
        assert (7, LATER, LATER, "ben", 1) == (
            made.number,
            made.created,
            made.updated,
            made.notes[0].author,
            made.version,
        )
        assert made.id != build(draft, 7, now=LATER, author=None).id

    def test_probe(self):
        """A draft without a name has nothing to compare; with one, a stand-in customer."""
        assert probe(CustomerDraft()) is None
        stand_in = probe(CustomerDraft(name="Anna", email="anna@koks.lv"))
        assert ("Anna", "anna@koks.lv", 0) == (stand_in.name, stand_in.email, stand_in.number)


class TestNumbers:
    @pytest.mark.parametrize(
        ("number", "code"),
        [
            (1, None),
            (MAX_NUMBER, None),
            (5, "number.taken"),
            (0, "number.invalid"),
            (MAX_NUMBER + 1, "number.invalid"),
            (False, "number.invalid"),
            ("1", "number.invalid"),
        ],
    )
    def test_problems(self, number, code):
        """A number is a whole number in range that nobody has."""
        found = number_problems(number, lambda n: n == 5)
        assert ([code] if code else []) == [p.code for p in found]


class TestMerged:
    def test_takes_what_it_lacks(self):
        """Blank fields are filled; the other's contact points join without repeats."""
        keep = customer(email="info@koks.lv", other_emails=("a@koks.lv",))
        other = customer(
            2,
            email="A@koks.lv",
            other_emails=("b@koks.lv",),
            phone=Phone("+37120000000"),
            other_phones=(Phone("+37120000000"), Phone("+37126000000")),
            created=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        )
        result = merged(keep, other)
        assert (
            "info@koks.lv",
            ("a@koks.lv", "b@koks.lv"),
            "+37120000000",
            ["+37126000000"],
        ) == (
            result.email,
            result.other_emails,
            str(result.phone),
            [p.number for p in result.other_phones],
        )
        assert (keep.id, other.created) == (result.id, result.created)

    @pytest.mark.parametrize(
        ("keep", "other", "expected"),
        [
            (
                Address(city="Rīga", country="LV"),
                Address(street="Iela 1", city="Jūrmala", country="LV"),
                Address(street="Iela 1", city="Rīga", country="LV"),
            ),
            (
                Address(city="Rīga", country="LV"),
                Address(street="Straße 1", country="DE"),
                Address(city="Rīga", country="LV"),
            ),
            (
                Address(),
                Address(street="Straße 1", country="DE"),
                Address("Straße 1", country="DE"),
            ),
        ],
    )
    def test_address(self, keep, other, expected):
        """Blank parts are filled only from an address in the same country (or none)."""
        assert expected == merged_address(keep, other)


class TestWelcome:
    def test_only_once(self):
        """No policy, a policy that does not apply, or one given before: no welcome invoice."""
        policy = WelcomeInvoicePolicy(Branding("Koks"))
        anna = customer()
        twin = DuplicateMatch(customer(2), ("email",))
        nobody_has = lambda _id: False  # noqa: E731
        assert (False, True) == (
            gets_welcome(None, anna, (), nobody_has),
            gets_welcome(policy, anna, (), nobody_has),
        )
        assert not gets_welcome(policy, anna, (twin,), lambda i: i == twin.customer.id)
        assert not gets_welcome(policy, anna, (), lambda i: i == anna.id)

    def test_records(self):
        """The invoice, numbered, and its delivery, due when the customer was created."""
        anna = customer()
        invoice, delivery = welcome_records(WelcomeInvoicePolicy(Branding("Koks")), anna, 4)
        assert (4, True, anna.id, invoice.id, DeliveryState.PENDING, WHEN) == (
            invoice.number,
            invoice.welcome,
            delivery.customer_id,
            delivery.invoice_id,
            delivery.state,
            delivery.next_attempt,
        )
