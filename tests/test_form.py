"""Reading raw forms: every field, every problem at once."""

import uuid

import pytest

from debitor_core import (
    ConsentChannel,
    CustomerKind,
    CustomFieldDefinition,
    FieldType,
    Phone,
    PhoneType,
    RequiredFields,
)
from debitor_core._form import FormContext, parse_form


def codes(problems):
    return [(p.path, p.code) for p in problems]


class TestParse:
    def test_normalises_every_field(self, latvian_form):
        """A good form comes out normalised, with no problems."""
        draft, problems = parse_form(latvian_form, FormContext())
        assert [] == problems
        assert "SIA Koks" == draft.name
        assert "LV-1050" == draft.address.postal_code
        assert Phone("+37120000000") == draft.phone
        assert "LV40003521600" == str(draft.tax_id)

    def test_flat_address_keys(self):
        """CSV-style keys such as address.city work like the nested form."""
        draft, problems = parse_form(
            {"name": "X", "address.country": "lv", "address.city": "Rīga"}, FormContext()
        )
        assert [] == problems
        assert ("LV", "Rīga") == (draft.address.country, draft.address.city)

    def test_every_problem_at_once(self):
        """Five mistakes give five problems, each at its path."""
        form = {
            "name": "X",
            "email": "a@@b",
            "phone": "12",
            "other_phones": ["+371 2000 0000", "nope"],
            "address": {"country": "DE", "postal_code": "1011", "planet": "Mars"},
            "colour": "blue",
        }
        _, problems = parse_form(form, FormContext())
        assert sorted(
            [
                ("address.planet", "form.unknown_field"),
                ("colour", "form.unknown_field"),
                ("address.postal_code", "postal_code.invalid"),
                ("email", "email.invalid"),
                ("phone", "phone.invalid"),
                ("other_phones[1]", "phone.not_a_number"),
            ]
        ) == sorted(codes(problems))

    def test_not_a_mapping(self):
        """A form that is not a mapping is one problem."""
        _, problems = parse_form(["name"], FormContext())
        assert [("", "form.type")] == codes(problems)

    def test_address_not_a_mapping(self):
        """An address given as text is refused."""
        _, problems = parse_form({"name": "X", "address": "Rīga"}, FormContext())
        assert ("address", "address.type") in codes(problems)

    def test_flat_unknown_address_key(self):
        """Unknown flat address keys are reported too."""
        _, problems = parse_form({"name": "X", "address.planet": "Mars"}, FormContext())
        assert ("address.planet", "form.unknown_field") in codes(problems)

    def test_lists_from_text(self):
        """List fields accept text separated by commas, semicolons or lines."""
        draft, problems = parse_form(
            {
                "name": "X",
                "email": "a@koks.lv",
                "other_emails": "b@koks.lv; A@koks.lv\nc@koks.lv",
                "address": {"country": "LV"},
            },
            FormContext(),
        )
        assert [] == problems
        assert ("b@koks.lv", "c@koks.lv") == draft.other_emails

    def test_typed_phones(self):
        """Phones may come with a type; duplicates of the primary are dropped."""
        draft, problems = parse_form(
            {
                "name": "X",
                "phone": {"number": "2000 0000", "type": "mobile"},
                "other_phones": [
                    {"number": "+371 2000 0000"},
                    {"number": "6700 0000", "type": "fax"},
                ],
                "address": {"country": "LV"},
            },
            FormContext(),
        )
        assert [] == problems
        assert Phone("+37120000000", PhoneType.MOBILE) == draft.phone
        assert (Phone("+37167000000", PhoneType.FAX),) == draft.other_phones

    def test_phone_mapping_problems(self):
        """A typed phone reports its number and type problems under its path."""
        _, problems = parse_form(
            {
                "name": "X",
                "phone": {"number": "2000", "type": "pager"},
                "address": {"country": "LV"},
            },
            FormContext(),
        )
        assert [("phone.number", "phone.invalid"), ("phone.type", "phone_type.invalid")] == codes(
            problems
        )

    def test_person_name_order(self):
        """A person's "Surname, First" becomes "First Surname"."""
        draft, _ = parse_form(
            {"kind": "person", "name": "Bērziņš, Jānis", "address": {"country": "LV"}},
            FormContext(),
        )
        assert (CustomerKind.PERSON, "Jānis Bērziņš") == (draft.kind, draft.name)

    def test_unchecked_vat_is_a_warning(self):
        """A VAT number we cannot check is kept with a warning."""
        draft, problems = parse_form(
            {"name": "X", "tax_id": "12-3456789", "address": {"country": "US"}}, FormContext()
        )
        assert [("tax_id", "tax_id.unchecked")] == codes(problems)
        assert not problems[0].is_error
        assert not draft.tax_id.checked


class TestRequired:
    def test_default_policy(self):
        """By default a name and a country are required."""
        _, problems = parse_form({}, FormContext())
        assert [("name", "name.required"), ("address.country", "country.required")] == codes(
            problems
        )
        assert "The name is required." == problems[0].message

    def test_complete_policy(self):
        """The complete preset asks for the guide's list."""
        _, problems = parse_form({"name": "X"}, FormContext(required=RequiredFields.complete()))
        assert {
            "address.street",
            "address.postal_code",
            "address.city",
            "address.country",
            "email",
            "phone",
        } == {p.path for p in problems}

    def test_custom_policy(self):
        """A custom set may ask for categories too."""
        _, problems = parse_form(
            {"name": "X", "address": {"country": "LV"}},
            FormContext(required=RequiredFields.of("name", "categories")),
        )
        assert [("categories", "categories.required")] == codes(problems)

    def test_unknown_required_field(self):
        """A policy naming an unknown field is refused when made."""
        with pytest.raises(ValueError, match="Unknown required field"):
            RequiredFields.of("name", "shoe_size")

    def test_invalid_field_is_not_also_missing(self):
        """A required field that is invalid is reported once, as invalid."""
        _, problems = parse_form(
            {"name": "X", "email": "bad", "address": {"country": "LV"}},
            FormContext(required=RequiredFields.of("name", "email")),
        )
        assert [("email", "email.invalid")] == codes(problems)


class TestCategoriesAndFields:
    def test_categories_by_name_or_id(self):
        """Categories are given by name (any case) or id; unknown ones are problems."""
        wholesale = uuid.uuid4()
        ctx = FormContext(categories={"wholesalers": wholesale})
        draft, problems = parse_form(
            {
                "name": "X",
                "address": {"country": "LV"},
                "categories": ["WHOLESALERS", wholesale, "Moon"],
            },
            ctx,
        )
        assert (wholesale,) == draft.categories
        assert [("categories[2]", "categories.unknown")] == codes(problems)

    def test_custom_fields(self):
        """Custom fields are checked by their definitions; unknown keys are problems."""
        ctx = FormContext(
            fields={
                "discount": CustomFieldDefinition("discount", "Discount", FieldType.INTEGER),
                "segment": CustomFieldDefinition("segment", "Segment", required=True),
                "old": CustomFieldDefinition("old", "Old", active=False),
            }
        )
        _draft, problems = parse_form(
            {
                "name": "X",
                "address": {"country": "LV"},
                "custom_fields": {"discount": "x", "ghost": 1, "old": "v", "segment": " "},
            },
            ctx,
        )
        assert sorted(
            [
                ("custom_fields.discount", "custom_field.type"),
                ("custom_fields.ghost", "custom_field.unknown"),
                ("custom_fields.old", "custom_field.inactive"),
                ("custom_fields.segment", "custom_field.required"),
            ]
        ) == sorted(codes(problems))

    def test_inactive_field_keeps_its_stored_value(self):
        """A deactivated field keeps the value it already had on update."""
        ctx = FormContext(
            fields={"old": CustomFieldDefinition("old", "Old", active=False)},
            previous_fields={"old": "kept"},
        )
        draft, problems = parse_form(
            {"name": "X", "address": {"country": "LV"}, "custom_fields": {"old": "kept"}}, ctx
        )
        assert [] == problems
        assert {"old": "kept"} == dict(draft.custom_fields)

    def test_custom_fields_not_a_mapping(self):
        """Custom fields must be a mapping."""
        _, problems = parse_form(
            {"name": "X", "address": {"country": "LV"}, "custom_fields": "a=1"}, FormContext()
        )
        assert [("custom_fields", "custom_fields.type")] == codes(problems)


class TestConsent:
    @pytest.mark.parametrize(
        ("raw", "expected", "source"),
        [
            (True, ((ConsentChannel.EMAIL, True), (ConsentChannel.PHONE, True)), None),
            ("email, sms", ((ConsentChannel.EMAIL, True), (ConsentChannel.SMS, True)), None),
            (
                {"email": True, "phone": False, "source": "web shop"},
                ((ConsentChannel.EMAIL, True), (ConsentChannel.PHONE, False)),
                "web shop",
            ),
        ],
    )
    def test_forms_of_consent(self, raw, expected, source):
        """Consent is yes/no, a list of channels, or a mapping with a source."""
        draft, problems = parse_form(
            {"name": "X", "address": {"country": "LV"}, "consent": raw}, FormContext()
        )
        assert [] == problems
        assert (expected, source) == (draft.consents, draft.consent_source)

    @pytest.mark.parametrize(
        ("raw", "path"), [("pigeon", "consent[0]"), ({"email": "maybe"}, "consent.email")]
    )
    def test_bad_consent(self, raw, path):
        """Unknown channels and non-boolean answers are problems."""
        _, problems = parse_form(
            {"name": "X", "address": {"country": "LV"}, "consent": raw}, FormContext()
        )
        assert [(path, "consent.invalid")] == codes(problems)
