"""The structural invariants every store checks on load (and import_data on every record)."""

import datetime as dt
import uuid
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from debitor_core import (
    Address,
    AttachmentRef,
    Category,
    Consent,
    ConsentChannel,
    CustomFieldDefinition,
    FieldType,
    Note,
    PaymentTerms,
    Phone,
    PhoneType,
    TaxId,
    ValidationError,
    _integrity,
    strategies,
)
from debitor_core._integrity import check_structure, describe, structural_problems
from debitor_core._invoice import BillTo, Invoice, InvoiceLine
from debitor_core._limits import MAX_INVOICE_LINES
from debitor_core._model import Customer
from debitor_core.testing import sample_customer, sample_records

MOMENT = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)
NAIVE = dt.datetime(2026, 11, 26, 9, 30)  # noqa: DTZ001 - the damage under test
SHA = "ab" * 32


def unchecked(value, **changes):
    """``value`` with ``changes`` set without running its checks: damage as a store may hold it."""
    copy = object.__new__(type(value))
    for field in attrs.fields(type(value)):
        object.__setattr__(copy, field.name, changes.get(field.name, getattr(value, field.name)))
    return copy


def problems(value):
    return [(p.path, p.code) for p in structural_problems(value)]


def attachment(**changes):
    return attrs.evolve(
        AttachmentRef("contract.pdf", "application/pdf", 10, SHA, MOMENT), **changes
    )


class TestSoundRecords:
    def test_the_sample_book_is_sound(self):
        """A customer with every field filled, and every kind of record, has no problems."""
        customer = sample_customer()
        assert [] == problems(customer)
        assert [[], [], [], []] == [problems(r) for r in sample_records(customer)]

    @given(strategies.customers())
    def test_every_valid_customer_is_sound(self, customer):
        """Whatever the rules accept passes the structural checks."""
        assert [] == problems(customer)

    @given(strategies.field_definitions())
    def test_every_sound_definition_passes(self, definition):
        """Custom-field definitions the rules accept pass the structural checks."""
        assert [] == problems(definition)

    @given(strategies.categories())
    def test_every_category_passes(self, category):
        """Categories pass the structural checks."""
        assert [] == problems(category)


class TestCustomer:
    @pytest.mark.parametrize(
        ("changes", "expected"),
        [
            ({"name": ""}, [("name", "integrity.empty")]),
            ({"name": " \u3000 "}, [("name", "integrity.empty")]),
            ({"name": 12345}, [("name", "integrity.type")]),
            ({"name": None}, [("name", "integrity.missing")]),
            ({"name": "Anna\x00"}, [("name", "integrity.control_character")]),
            ({"name": "Anna\ud800"}, [("name", "integrity.control_character")]),
            ({"name": "An\nna"}, [("name", "integrity.control_character")]),
            ({"name": "x" * 201}, [("name", "integrity.too_long")]),
            ({"name": "Anna\u00a0Ozola"}, []),
            ({"number": 0}, [("number", "integrity.range")]),
            ({"number": 2**53 + 1}, [("number", "integrity.range")]),
            ({"number": True}, [("number", "integrity.type")]),
            ({"number": "7"}, [("number", "integrity.type")]),
            ({"version": 0}, [("version", "integrity.version")]),
            ({"version": -7}, [("version", "integrity.version")]),
            ({"version": "1"}, [("version", "integrity.type")]),
            ({"archived": "false"}, [("archived", "integrity.type")]),
            ({"kind": "company"}, [("kind", "integrity.type")]),
            ({"id": str(uuid.uuid4())}, [("id", "integrity.type")]),
            ({"email": 5}, [("email", "integrity.type")]),
            ({"other_emails": ["a@b.lv"]}, [("other_emails", "integrity.type")]),
            ({"other_emails": ("",)}, [("other_emails[0]", "integrity.empty")]),
            ({"other_emails": (" ",)}, [("other_emails[0]", "integrity.empty")]),
            ({"other_phones": (Phone(" "),)}, [("other_phones[0].number", "integrity.empty")]),
            (
                {"address": Address(postal_code="1" * 21)},
                [("address.postal_code", "integrity.too_long")],
            ),
            (
                {"address": Address(region="Vid\x1ezeme")},
                [("address.region", "integrity.control_character")],
            ),
            ({"address": None}, [("address", "integrity.type")]),
            ({"address": Address(country="lv")}, [("address.country", "integrity.code")]),
            ({"address": Address(street="Iela 1\n2. stāvs")}, []),
            (
                {"address": Address(street="Iela\t1")},
                [("address.street", "integrity.control_character")],
            ),
            ({"address": Address(city="R" * 101)}, [("address.city", "integrity.too_long")]),
            ({"phone": Phone("", PhoneType.MOBILE)}, [("phone.number", "integrity.empty")]),
            ({"phone": "+37120000000"}, [("phone", "integrity.type")]),
            (
                {"other_phones": (Phone("+371", "mobile"),)},
                [("other_phones[0].type", "integrity.type")],
            ),
            ({"tax_id": TaxId("", "LV")}, [("tax_id.value", "integrity.empty")]),
            ({"tax_id": TaxId("LV1", "Latvia")}, [("tax_id.country", "integrity.code")]),
            ({"tax_id": "LV1"}, [("tax_id", "integrity.type")]),
            ({"website": "https://x.lv/" + "a" * 2000}, [("website", "integrity.too_long")]),
            ({"company_id": "4000\x7f"}, [("company_id", "integrity.control_character")]),
            (
                {
                    "payment_terms": unchecked(
                        PaymentTerms.on(dt.date(2999, 12, 31)), fixed_date=dt.date(9999, 12, 31)
                    )
                },
                [("payment_terms.fixed_date", "integrity.range")],
            ),
            ({"payment_terms": "net 14"}, [("payment_terms", "integrity.type")]),
            ({"currency": "eur"}, [("currency", "integrity.code")]),
            ({"language": "LV"}, [("language", "integrity.code")]),
            ({"categories": ("x",)}, [("categories[0]", "integrity.type")]),
            ({"categories": [uuid.uuid4()]}, [("categories", "integrity.type")]),
            ({"custom_fields": {"Bad": 1}}, [("custom_fields", "integrity.field_key")]),
            ({"custom_fields": {"x": 1.5}}, [("custom_fields.x", "integrity.type")]),
            ({"custom_fields": {"x": Decimal("NaN")}}, [("custom_fields.x", "integrity.range")]),
            ({"custom_fields": {"x": Decimal("1E+500")}}, [("custom_fields.x", "integrity.range")]),
            ({"custom_fields": {"x": 10**200}}, [("custom_fields.x", "integrity.range")]),
            ({"custom_fields": {"x": ("",)}}, [("custom_fields.x[0]", "integrity.empty")]),
            (
                {"custom_fields": {"x": "a\x00"}},
                [("custom_fields.x", "integrity.control_character")],
            ),
            ({"custom_fields": {"x": dt.date(1, 1, 1), "y": True, "z": -(10**99)}}, []),
            ({"notes": (Note("", MOMENT),)}, [("notes[0].text", "integrity.empty")]),
            ({"notes": (Note("ok", NAIVE),)}, [("notes[0].at", "integrity.time_zone")]),
            (
                {"notes": (Note("ok", MOMENT, "a" * 201),)},
                [("notes[0].author", "integrity.too_long")],
            ),
            ({"notes": ("a note",)}, [("notes[0]", "integrity.type")]),
            (
                {"attachments": (attachment(file_name="../x.pdf"),)},
                [("attachments[0].file_name", "integrity.file_name")],
            ),
            (
                {"attachments": (attachment(file_name="a\\b.pdf"),)},
                [("attachments[0].file_name", "integrity.file_name")],
            ),
            (
                {"attachments": (attachment(file_name=".."),)},
                [("attachments[0].file_name", "integrity.file_name")],
            ),
            (
                {"attachments": (attachment(file_name="a\x00.pdf"),)},
                [("attachments[0].file_name", "integrity.control_character")],
            ),
            ({"attachments": (attachment(file_name="..pdf"),)}, []),
            ({"attachments": (attachment(size=-5),)}, [("attachments[0].size", "integrity.range")]),
            ({"attachments": (attachment(size="5"),)}, [("attachments[0].size", "integrity.type")]),
            (
                {"attachments": (attachment(sha256="AB" * 32),)},
                [("attachments[0].sha256", "integrity.sha256")],
            ),
            (
                {"attachments": (attachment(sha256=None),)},
                [("attachments[0].sha256", "integrity.sha256")],
            ),
            (
                {"attachments": (attachment(media_type=""),)},
                [("attachments[0].media_type", "integrity.empty")],
            ),
            (
                {"attachments": (attachment(added=NAIVE),)},
                [("attachments[0].added", "integrity.time_zone")],
            ),
            (
                {"consents": (Consent(ConsentChannel.EMAIL, "yes", MOMENT),)},
                [("consents[0].given", "integrity.type")],
            ),
            (
                {"consents": (Consent("email", True, MOMENT),)},
                [("consents[0].channel", "integrity.type")],
            ),
            ({"created": NAIVE}, [("created", "integrity.time_zone")]),
            ({"updated": dt.date(2026, 1, 1)}, [("updated", "integrity.type")]),
            ({"created": MOMENT.astimezone(dt.timezone(dt.timedelta(hours=2)))}, []),
        ],
    )
    def test_damage(self, changes, expected):
        """Each kind of damage is found, at its path, with its code."""
        assert expected == problems(attrs.evolve(sample_customer(1), **changes))

    def test_every_problem_is_reported(self):
        """All the problems of a record come at once."""
        damaged = attrs.evolve(sample_customer(), number=0, name="", version=0, currency="euro")
        assert [
            ("number", "integrity.range"),
            ("name", "integrity.empty"),
            ("currency", "integrity.code"),
            ("version", "integrity.version"),
        ] == problems(damaged)

    @pytest.mark.parametrize(
        "junk",
        [None, "", object(), "😀" * 300, b"bytes", "x" * 100_000, "\u200b", -1, 2**80, 1.5, [], {}],
    )
    @pytest.mark.parametrize("field", [f.name for f in attrs.fields(Customer)])
    def test_junk_in_any_field_is_a_problem_not_a_crash(self, field, junk):
        """Hostile values in any attribute give problems (or none), never an exception."""
        customer = sample_customer()
        object.__setattr__(customer, field, junk)  # past the converters, as damage would be
        for problem in structural_problems(customer):
            assert problem.path.startswith(field)
            assert problem.message.endswith(".")

    @given(st.text(max_size=260) | st.just(" ") | st.just(""))
    @pytest.mark.parametrize(
        ("field", "limit", "required"),
        [
            ("name", 200, True),
            ("contact_person", 200, False),
            ("email", 254, False),
            ("company_id", 40, False),
            ("city", 100, False),
            ("postal_code", 20, False),
            ("phone", 40, True),
        ],
    )
    def test_the_quick_path_agrees_with_the_full_check(self, field, limit, required, text):
        """A text the inline check lets through is one the full text check finds sound."""
        if field in ("city", "postal_code"):
            customer = sample_customer(address=Address(**{field: text}))
            path = f"address.{field}"
        elif field == "phone":
            customer = sample_customer(phone=Phone(text, PhoneType.MOBILE))
            path = "phone.number"
        else:
            customer = attrs.evolve(sample_customer(), **{field: text})
            path = field
        expected: list = []
        _integrity._text(text, path, limit, expected, required=required)
        assert expected == structural_problems(customer)

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"name": ""}, "name: The text is empty."),
            ({"name": 12345}, "name: The value should be text, not int 12345."),
            ({"number": 0}, "number: 0 is outside the range 1 to 9,007,199,254,740,992."),
            ({"version": -3}, "version: The version is -3; versions start at 1."),
            ({"name": "A\x07"}, "name: The text contains the control character U+0007."),
            (
                {"name": "x" * 300},
                "name: The text is 300 characters long; at most 200 are allowed.",
            ),
            ({"created": NAIVE}, "created: The time 2026-11-26T09:30:00 has no time zone."),
            ({"currency": "eur"}, "currency: 'eur' is not a code of three capital letters."),
            (
                {"attachments": (attachment(file_name="../../etc/passwd"),)},
                (
                    "attachments[0].file_name: '../../etc/passwd' is not a plain file name "
                    "(one without a folder, not . or ..)."
                ),
            ),
            (
                {"attachments": (attachment(sha256="xyz"),)},
                (
                    "attachments[0].sha256: 'xyz' is not a SHA-256 digest (64 lowercase "
                    "hexadecimal digits)."
                ),
            ),
        ],
    )
    def test_messages(self, changes, message):
        """Each problem reads as a sentence naming the value and what is expected."""
        customer = attrs.evolve(sample_customer(1), **changes)
        assert [message] == [str(p) for p in structural_problems(customer)]


class TestOtherRecords:
    def test_invoice_damage(self):
        """Invoices: numbers, lines, amounts, rates, codes and dates in range."""
        invoice = sample_records(sample_customer())[0]
        line = invoice.lines[1]
        damaged = attrs.evolve(
            invoice,
            number=0,
            bill_to=attrs.evolve(invoice.bill_to, name=""),
            lines=(
                attrs.evolve(line, unit_price=Decimal("1E+30")),
                attrs.evolve(line, quantity=Decimal("-1E+10")),
                attrs.evolve(line, vat_rate=Decimal(101)),
                attrs.evolve(line, description="a\x00"),
            ),
            currency="EU",
            issue_date=dt.date(9999, 12, 31),
            message="Hello\tthere\r\n",
            version=0,
        )
        assert [
            ("number", "integrity.range"),
            ("bill_to.name", "integrity.empty"),
            ("lines[0].unit_price", "integrity.range"),
            ("lines[1].quantity", "integrity.range"),
            ("lines[2].vat_rate", "integrity.range"),
            ("lines[3].description", "integrity.control_character"),
            ("currency", "integrity.code"),
            ("issue_date", "integrity.range"),
            ("version", "integrity.version"),
        ] == problems(damaged)

    def test_too_many_invoice_lines(self):
        """An invoice has at most MAX_INVOICE_LINES lines."""
        invoice = sample_records(sample_customer())[0]
        lines = (invoice.lines[0],) * (MAX_INVOICE_LINES + 1)
        assert [("lines", "integrity.too_many")] == problems(attrs.evolve(invoice, lines=lines))

    def test_wrong_parts_of_an_invoice(self):
        """Parts of the wrong class are named, not crashed on."""
        invoice = sample_records(sample_customer())[0]
        damaged = attrs.evolve(
            invoice, bill_to={"name": "x"}, lines=("line",), payment_terms=None, branding="Koks"
        )
        assert [
            ("bill_to", "integrity.type"),
            ("lines[0]", "integrity.type"),
            ("payment_terms", "integrity.type"),
            ("branding", "integrity.type"),
        ] == problems(damaged)
        bill_to = BillTo(1, "Koks", address="Riga")
        assert [("bill_to.address", "integrity.type")] == problems(
            attrs.evolve(invoice, bill_to=bill_to)
        )

    def test_payment_delivery_and_reminder_damage(self):
        """Payments, deliveries and reminder logs are checked too."""
        _, payment, delivery, reminder = sample_records(sample_customer())
        assert [("amount", "integrity.range"), ("date", "integrity.type")] == problems(
            unchecked(payment, amount=Decimal("1E+13"), date="2026-12-01")
        )
        assert [("amount", "integrity.range")] == problems(
            unchecked(payment, amount=Decimal("NaN"))
        )
        assert [
            ("attempts", "integrity.range"),
            ("last_error", "integrity.control_character"),
            ("sent_at", "integrity.time_zone"),
        ] == problems(attrs.evolve(delivery, attempts=-1, last_error="x\x00", sent_at=NAIVE))
        assert [] == problems(attrs.evolve(delivery, last_error="Timeout:\n\tretry later"))
        assert [("offset_days", "integrity.range"), ("version", "integrity.type")] == problems(
            attrs.evolve(reminder, offset_days=10**6, version=None)
        )

    def test_category_damage(self):
        """Categories: an id, a name, and a parent that is not the category itself."""
        category_id = uuid.uuid4()
        assert [("name", "integrity.empty"), ("parent", "integrity.parent")] == problems(
            Category(category_id, "", category_id)
        )
        assert [("id", "integrity.type"), ("parent", "integrity.type")] == problems(
            Category("x", "Food", "y")
        )

    def test_definition_damage(self):
        """Custom-field definitions: key, label, choices, bounds and flags."""
        definition = CustomFieldDefinition(
            "Bad Key",
            "",
            FieldType.CHOICE,
            choices=("",),
            min_value=Decimal("NaN"),
            max_value=5,
            min_date="2020-01-01",
            max_length=0,
            default=object(),
            active="yes",
        )
        assert [
            ("key", "integrity.field_key"),
            ("label", "integrity.empty"),
            ("choices[0]", "integrity.empty"),
            ("min_value", "integrity.range"),
            ("max_value", "integrity.type"),
            ("min_date", "integrity.type"),
            ("max_length", "integrity.range"),
            ("default", "integrity.type"),
            ("active", "integrity.type"),
        ] == problems(definition)


class TestApi:
    def test_check_structure_raises_every_problem(self):
        """check_structure raises ValidationError carrying every problem."""
        with pytest.raises(ValidationError) as info:
            check_structure(sample_customer(1, name="", version=0))
        assert ["name", "version"] == [p.path for p in info.value.problems]
        check_structure(sample_customer())

    def test_only_stored_classes_are_checked(self):
        """Anything but a stored record is a TypeError saying what is expected."""
        with pytest.raises(TypeError, match=r"takes a Customer, Category, .* not str"):
            structural_problems("customer")

    def test_describe(self):
        """Records are named as a sentence names them, damaged ones included."""
        customer = sample_customer(17)
        invoice, payment, delivery, reminder = sample_records(customer)
        assert [
            "customer 17",
            "customer '17'",
            "category 'Food'",
            "custom field 'tier'",
            "invoice 1",
            f"payment {payment.id}",
            f"delivery for customer {customer.id}",
            f"reminder {invoice.id}:-3",
            "a str",
        ] == [
            describe(customer),
            describe(attrs.evolve(customer, number="17")),
            describe(Category(uuid.uuid4(), "Food")),
            describe(CustomFieldDefinition("tier", "Tier")),
            describe(invoice),
            describe(payment),
            describe(delivery),
            describe(reminder),
            describe("x"),
        ]

    def test_unknown_classes_of_parts(self):
        """A value of a wrong class in a nested list is one problem, not a crash."""
        assert [("lines[0]", "integrity.type")] == problems(
            attrs.evolve(sample_records(sample_customer())[0], lines=(InvoiceLine,))
        )
        assert isinstance(sample_records(sample_customer())[0], Invoice)
