"""Reading raw forms: every field, every problem at once."""

import json
import uuid
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings

from debitor_core import (
    ConsentChannel,
    Customer,
    CustomerKind,
    CustomFieldDefinition,
    FieldType,
    Phone,
    PhoneType,
    RequiredFields,
    customer_to_form,
)
from debitor_core import strategies as ds
from debitor_core._form import FORM_KEYS, FormContext, parse_form


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

    def test_an_empty_key_is_named_by_its_quotes(self):
        """An empty key's path is '' (quoted), not the whole form's empty path."""
        _, problems = parse_form(
            {"name": "X", "address": {"country": "LV", "": 1}, "": 1}, FormContext()
        )
        assert sorted([("''", "form.unknown_field"), ("address.''", "form.unknown_field")]) == (
            sorted(codes(problems))
        )

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


def nested(depth=100_000, kind=list):
    value = []
    for _ in range(depth):
        value = [value] if kind is list else {"a": value}
    return value


BASE = {"name": "X", "address": {"country": "LV"}}


class TestHostileForms:
    @pytest.mark.parametrize("key", [k for k in FORM_KEYS if k != "address"])
    @pytest.mark.parametrize("kind", [list, dict])
    def test_deep_nesting_in_any_field(self, key, kind):
        """A value nested 100,000 deep in any field gives problems, never a RecursionError."""
        ctx = FormContext(
            categories={"retail": uuid.uuid4()},
            fields={"f": CustomFieldDefinition("f", "F")},
        )
        _, problems = parse_form({**BASE, key: nested(kind=kind)}, ctx)
        assert problems
        assert all(len(p.message) < 600 for p in problems)

    def test_deep_nesting_in_keys_and_containers(self):
        """Nested values under custom fields, consent and the address are problems too."""
        ctx = FormContext(fields={"f": CustomFieldDefinition("f", "F")})
        deep = nested()
        for form in (
            {**BASE, "custom_fields": {"f": deep}},
            {**BASE, "consent": {"email": deep}},
            {"name": "X", "address": {"country": deep}},
            {"name": "X", "address": deep},
            deep,
        ):
            _, problems = parse_form(form, ctx)
            assert problems

    @pytest.mark.parametrize(
        "key", ["name", "phone", "tax_id", "company_id", "payment_terms", "email"]
    )
    def test_huge_integers(self, key):
        """10**5000 in a field is a problem, never a ValueError from int-to-text limits."""
        _, problems = parse_form({**BASE, key: 10**5000}, FormContext())
        (problem,) = problems
        assert problem.path == key

    def test_a_form_that_is_not_a_mapping(self):
        """A form of another type is one bounded problem."""
        _, problems = parse_form(nested(), FormContext())
        assert [("", "form.type")] == codes(problems)
        assert "The form must be a mapping of fields, not [[[...]]]." == problems[0].message


class TestBoundedProblems:
    def test_ten_thousand_unknown_categories(self):
        """10,000 unknown categories give 21 short problems, not every name 10,000 times."""
        names = {f"category {n}": uuid.uuid4() for n in range(1000)}
        ctx = FormContext(categories={k.casefold(): v for k, v in names.items()})
        _, problems = parse_form({**BASE, "categories": [f"nope {n}" for n in range(10_000)]}, ctx)
        assert 21 == len(problems)
        assert sum(len(p.message) for p in problems) < 5_000
        assert ("categories", "form.too_many_problems") == (problems[-1].path, problems[-1].code)
        assert {"code": "categories.unknown", "left_out": 9980, "shown": 20} == dict(
            problems[-1].params
        )
        assert (
            "9,980 more problems like those above (categories.unknown) were left out; "
            "correct those and try again." == problems[-1].message
        )

    def test_close_names_are_suggested(self):
        """An unknown category suggests at most three close names."""
        ctx = FormContext(
            categories={
                n.casefold(): uuid.uuid4()
                for n in [
                    "Wholesalers",
                    "Wholesale food",
                    "Retailers",
                    "Export",
                    "Wholesale A",
                    "Wholesale B",
                ]
            }
        )
        _, problems = parse_form({**BASE, "categories": ["Wholesalrs"]}, ctx)
        (problem,) = problems
        assert problem.message.startswith("There is no category 'Wholesalrs'; did you mean ")
        assert 1 <= len(problem.params["suggestions"]) <= 3
        assert "wholesalers" == problem.params["suggestions"][0]

    def test_suggestions_use_the_names_as_shown(self):
        """With the names as the book shows them, suggestions use them."""
        retail = uuid.uuid4()
        ctx = FormContext(categories={"retailers": retail}, category_names={retail: "Retailers"})
        _, (problem,) = parse_form({**BASE, "categories": ["retailer"]}, ctx)
        assert (
            "There is no category 'retailer'; did you mean Retailers? Otherwise create it first."
            == problem.message
        )

    def test_no_category_yet(self):
        """With no categories at all, the message says so."""
        _, problems = parse_form({**BASE, "categories": ["Moon"]}, FormContext())
        assert (
            "There is no category 'Moon'; the book has no categories yet; create it first."
            == problems[0].message
        )

    def test_unknown_custom_field_keys(self):
        """Unknown custom-field keys are bounded and suggest close keys."""
        fields = {f"field_{n}": CustomFieldDefinition(f"field_{n}", f"F{n}") for n in range(500)}
        ctx = FormContext(fields=fields)
        _, problems = parse_form(
            {**BASE, "custom_fields": {f"x{n}": 1 for n in range(5000)} | {"field_1x": 1}}, ctx
        )
        assert 21 == len(problems)
        assert all(len(p.message) < 300 for p in problems)
        _, (problem,) = parse_form({**BASE, "custom_fields": {"field_1x": 1}}, ctx)
        assert problem.message.startswith("There is no custom field 'field_1x'; did you mean ")

    def test_unknown_form_keys(self):
        """Unknown form keys are bounded, and a near miss is named."""
        _, problems = parse_form({**BASE} | {f"k{n}": 1 for n in range(1000)}, FormContext())
        assert 21 == len(problems)
        _, (problem,) = parse_form({**BASE, "emial": "a@b.lv"}, FormContext())
        assert (
            "The form has a field 'emial' that we do not know; did you mean email?"
            == problem.message
        )
        assert ("email",) == problem.params["suggestions"]

    def test_long_keys_are_shown_short(self):
        """A 10 MB key makes a short path and message."""
        _, (problem,) = parse_form({**BASE, "k" * 10_000_000: 1}, FormContext())
        assert len(problem.path) < 100
        assert len(problem.message) < 600

    def test_other_contacts_are_bounded(self):
        """A customer has at most 100 other emails or phones."""
        _, problems = parse_form(
            {**BASE, "other_emails": [f"a{n}@koks.lv" for n in range(101)]}, FormContext()
        )
        assert [("other_emails", "other_emails.too_many")] == codes(problems)
        assert {"count": 101, "max_count": 100} == dict(problems[0].params)


class TestConsentWords:
    BOTH = (ConsentChannel.EMAIL, ConsentChannel.PHONE)

    @pytest.mark.parametrize(
        ("raw", "given"),
        [
            ("on", True),
            ("yes", True),
            (" YES ", True),
            ("True", True),
            ("1", True),
            ("no", False),
            ("False", False),
            (" 0 ", False),
            (False, False),
        ],
    )
    def test_what_web_forms_send(self, raw, given):
        """Booleans and the words web forms send are read as yes or no."""
        draft, problems = parse_form({**BASE, "consent": raw}, FormContext())
        assert [] == problems
        assert tuple((c, given) for c in self.BOTH) == draft.consents

    @pytest.mark.parametrize(
        ("raw", "given"), [("yes", True), ("", False), ("off", None), (1, None)]
    )
    def test_mapping_values(self, raw, given):
        """A mapping's channels take the same words; anything else is refused."""
        draft, problems = parse_form({**BASE, "consent": {"email": raw}}, FormContext())
        if given is None:
            assert [("consent.email", "consent.invalid")] == codes(problems)
        else:
            assert ((ConsentChannel.EMAIL, given),) == draft.consents

    def test_the_sentence_lists_the_words(self):
        """Anything else is refused with a sentence that lists what is accepted."""
        _, (problem,) = parse_form({**BASE, "consent": "maybe"}, FormContext())
        assert (
            "Consent must be yes or no: True, or on, yes, true or 1 for yes; False, or no, "
            "false, 0 or an empty value for no (in any case); or a list of channels (email, "
            "phone, sms, post); or a mapping such as {'email': 'yes', 'source': 'signup form'}."
        ) == problem.message
        assert ("on", "yes", "true", "1") == problem.params["yes"]


class TestCustomerToForm:
    def test_plain_values(self, book, latvian_form):
        """The form holds plain, JSON-ready values."""
        retail = book.create_category("Retail")
        book.define_field("since", "Since", "date")
        book.define_field("share", "Share", "decimal")
        book.define_field("tags", "Tags", "multi_choice", choices=["a", "b"])
        customer = book.register(
            {
                **latvian_form,
                "kind": "company",
                "phone": {"number": "+371 2000 0000", "type": "mobile"},
                "payment_terms": "eom 15",
                "categories": ["Retail"],
                "custom_fields": {"since": "2020-01-02", "share": "12.5", "tags": "b, a"},
            }
        )
        form = customer_to_form(customer, {retail.id: retail.name})
        json.dumps(form)
        assert {
            "kind": "company",
            "phone": {"number": "+37120000000", "type": "mobile"},
            "payment_terms": "end of month + 15 days",
            "categories": ["Retail"],
            "custom_fields": {"since": "2020-01-02", "share": "12.5", "tags": ["a", "b"]},
            "address": {
                "street": "Brīvības iela 1",
                "postal_code": "LV-1050",
                "city": "Rīga",
                "region": None,
                "country": "LV",
            },
        }.items() <= form.items()

    @settings(max_examples=20)
    @given(ds.books(max_customers=3))
    def test_given_back_it_changes_nothing(self, book):
        """An update with a customer's own form changes none of its values."""
        names = {c.id: c.name for c in book.categories()}
        for customer in book.customers():
            form = customer_to_form(customer, names)
            json.dumps(form)
            updated = book.update(customer.id, form, expected_version=customer.version)
            for field in attrs.fields(Customer):
                if field.name not in {"version", "updated"}:
                    assert getattr(customer, field.name) == getattr(updated, field.name), field.name


class TestEditForms:
    @pytest.mark.parametrize(("given", "kept"), [("12.5", True), ("12.50", True), ("13", False)])
    def test_inactive_fields_compare_typed_values(self, given, kept):
        """A deactivated field keeps its value when an edit form gives it back as text."""
        ctx = FormContext(
            fields={
                "share": CustomFieldDefinition("share", "Share", FieldType.DECIMAL, active=False)
            },
            previous_fields={"share": Decimal("12.5")},
        )
        draft, problems = parse_form({**BASE, "custom_fields": {"share": given}}, ctx)
        if kept:
            assert ([], {"share": Decimal("12.5")}) == (problems, dict(draft.custom_fields))
        else:
            assert [("custom_fields.share", "custom_field.inactive")] == codes(problems)

    def test_phone_objects_are_still_read(self):
        """A Phone object in a form is read as its number and type."""
        draft, problems = parse_form(
            {**BASE, "phone": Phone("+37120000000", PhoneType.MOBILE)}, FormContext()
        )
        assert ([], Phone("+37120000000", PhoneType.MOBILE)) == (problems, draft.phone)
