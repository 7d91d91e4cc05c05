"""Which column holds what: standard names, other tools' names, mappings, conflicts."""

import pytest

from debitor_core import CustomFieldDefinition, FieldType, RequiredFields, ValidationError
from debitor_core.exchange import COLUMNS, PRIVATE_COLUMNS, header_key, plan_columns

TIER = CustomFieldDefinition("tier", "Customer tier", FieldType.CHOICE, choices=("Gold",))
EMAIL_FIELD = CustomFieldDefinition("email", "Billing email", FieldType.EMAIL)


def targets(header, fields=(), mapping=None):
    return dict(plan_columns(header, fields, mapping).read)


class TestHeaderKey:
    @pytest.mark.parametrize(
        ("header", "key"),
        (
            ("E-mail", "email"),
            (" *EmailAddress ", "emailaddress"),
            ("Address Line1", "addressline1"),
            ("Pasta indekss", "pastaindekss"),
            ("Pilsēta", "pilseta"),
            ("Created (UTC)", "createdutc"),
        ),
    )
    def test_case_accents_spaces_and_punctuation_do_not_matter(self, header, key):
        """Headers are compared by their letters and digits only."""
        assert key == header_key(header)


class TestStandardNames:
    def test_every_export_column_is_read_back(self):
        """Each column an export writes is read into the field of the same name."""
        names = (*COLUMNS, *PRIVATE_COLUMNS)
        assert dict(zip(names, names, strict=True)) == targets(names)

    def test_english_names(self):
        """Common English names are understood."""
        header = ["Customer name", "E-mail", "Telephone", "VAT number", "Zip code", "Town"]
        assert {
            "Customer name": "name",
            "E-mail": "email",
            "Telephone": "phone",
            "VAT number": "tax_id",
            "Zip code": "postal_code",
            "Town": "city",
        } == targets(header)


class TestOtherTools:
    def test_xero_contacts_export(self):
        """Xero's contact columns (confirmed from Xero's help and importers' code)."""
        header = [
            "*ContactName", "EmailAddress", "FirstName", "LastName", "POAttentionTo",
            "POAddressLine1", "POAddressLine2", "POAddressLine3", "POAddressLine4", "POCity",
            "PORegion", "POPostalCode", "POCountry", "PhoneNumber", "FaxNumber",
            "MobileNumber", "DDINumber", "SkypeName", "AccountNumber", "TaxNumber", "Website",
            "CompanyNumber",
        ]  # fmt: skip
        plan = plan_columns(header)
        assert {
            "*ContactName": "name",
            "EmailAddress": "email",
            "FirstName": "contact_first_name",
            "LastName": "contact_last_name",
            "POAttentionTo": "contact_person",
            "POAddressLine1": "street",
            "POAddressLine2": "street",
            "POAddressLine3": "street",
            "POAddressLine4": "street",
            "POCity": "city",
            "PORegion": "region",
            "POPostalCode": "postal_code",
            "POCountry": "country",
            "PhoneNumber": "phone",
            "FaxNumber": "fax",
            "MobileNumber": "mobile",
            "DDINumber": "other_phones",
            "TaxNumber": "tax_id",
            "Website": "website",
            "CompanyNumber": "company_id",
        } == dict(plan.read)
        assert ("SkypeName", "AccountNumber") == plan.ignored
        assert {"DDIPhoneNumber": "other_phones"} == targets(["DDIPhoneNumber"])

    def test_stripe_customers_export(self):
        """Stripe's customer export columns; its ids and dates are not read."""
        header = [
            "id", "Description", "Email", "Name", "Phone", "Created (UTC)", "Business Vat ID",
            "Address Line1", "Address Line2", "Address City", "Address State",
            "Address Country", "Address Zip",
        ]  # fmt: skip
        plan = plan_columns(header)
        assert {
            "Description": "notes",
            "Email": "email",
            "Name": "name",
            "Phone": "phone",
            "Business Vat ID": "tax_id",
            "Address Line1": "street",
            "Address Line2": "street",
            "Address City": "city",
            "Address State": "region",
            "Address Country": "country",
            "Address Zip": "postal_code",
        } == dict(plan.read)
        assert ("id", "Created (UTC)") == plan.ignored

    def test_debitoor_api_field_names(self):
        """Debitoor's customer fields, as its API names them."""
        header = ["number", "name", "address", "phone", "mobile", "email", "homepage",
                  "ciNumber", "vatNumber", "countryCode", "notes", "isArchived"]  # fmt: skip
        assert {
            "number": "number",
            "name": "name",
            "address": "street",
            "phone": "phone",
            "mobile": "mobile",
            "email": "email",
            "homepage": "website",
            "ciNumber": "company_id",
            "vatNumber": "tax_id",
            "countryCode": "country",
            "notes": "notes",
            "isArchived": "archived",
        } == targets(header)


class TestCustomFields:
    def test_a_custom_field_is_found_by_path_key_or_label(self):
        """custom_fields.<key>, the bare key and the label all name the field."""
        for header in ("custom_fields.tier", "tier", "Customer tier", "CUSTOMER-TIER"):
            assert {header: "custom_fields.tier"} == targets([header], [TIER])

    def test_a_standard_name_wins_over_a_field_named_like_it(self):
        """A field whose key is also a standard name is reached by its path only."""
        assert {"email": "email", "custom_fields.email": "custom_fields.email"} == targets(
            ["email", "custom_fields.email"], [EMAIL_FIELD]
        )

    def test_an_unknown_field_path_is_not_read(self):
        """custom_fields.<key> for a field the book lacks is listed as not read."""
        plan = plan_columns(["custom_fields.nope"], [TIER])
        assert ((), ("custom_fields.nope",)) == (plan.read, plan.ignored)


class TestMapping:
    def test_a_mapping_names_columns_as_written_or_loosely(self):
        """--map COLUMN=FIELD reads a column into a field; '-' ignores it."""
        header = ["Firma", "Nosaukums", "E-pasts"]
        mapping = {"firma": "name", "Nosaukums": "-", "E-PASTS": "email"}
        plan = plan_columns(header, (), mapping)
        assert ({"Firma": "name", "E-pasts": "email"}, ("Nosaukums",)) == (
            dict(plan.read),
            plan.ignored,
        )

    def test_a_mapping_may_name_address_paths_keys_and_field_paths(self):
        """address.city, a bare field key and custom_fields.<key> are all targets."""
        mapping = {"A": "address.city", "B": "tier", "C": "custom_fields.tier"}
        assert {"A": "city", "B": "custom_fields.tier"} == targets(
            ["A", "B"], [TIER], {"A": "address.city", "B": "tier"}
        )
        assert {"C": "custom_fields.tier"} == targets(["C"], [TIER], {"C": mapping["C"]})

    def test_bad_mappings_are_all_reported(self):
        """A missing column and an unknown field are each reported, by code."""
        with pytest.raises(ValidationError) as info:
            plan_columns(["Name"], (), {"Nope": "name", "Name": "shoe_size"})
        assert ["mapping.column", "mapping.target"] == [p.code for p in info.value.problems]
        assert (
            "The file has no column 'Nope' to map; its columns are 'Name'."
            == info.value.problems[0].message
        )

    def test_two_columns_for_one_field_are_refused(self):
        """Two columns that would fill the same field are a clear error."""
        with pytest.raises(ValidationError) as info:
            plan_columns(["Email", "E-mail"])
        assert (
            "The columns 'Email' (column 1) and 'E-mail' (column 2) would both fill email; "
            "leave one out by mapping it to '-'."
        ) == info.value.problems[0].message
        assert {"Email": "email"} == targets(["Email", "E-mail"], (), {"E-mail": "-"})

    def test_street_may_come_from_several_columns(self):
        """Address lines are joined, so several columns may fill the street."""
        assert 2 == len(plan_columns(["Address 1", "Address 2"]).columns_for("street"))


class TestMissing:
    def test_missing_required_columns_are_named(self):
        """The columns a book's policy needs and the file lacks."""
        plan = plan_columns(["Name", "Mobile"])
        policy = RequiredFields.of("name", "address.country", "phone", "contact_person")
        assert ["country", "contact_person"] == plan.missing(policy, [])

    def test_a_default_country_makes_the_country_column_optional(self):
        """With a country for every row, the file needs no country column."""
        plan = plan_columns(["Name"])
        assert [] == plan.missing(RequiredFields.default(), [], default_country=True)

    def test_required_custom_fields_need_a_column_unless_they_have_a_default(self):
        """An active required field with no default must have a column."""
        required = CustomFieldDefinition("tier", "Tier", required=True)
        defaulted = CustomFieldDefinition("region2", "R", required=True, default="x")
        inactive = CustomFieldDefinition("old", "Old", required=True, active=False)
        plan = plan_columns(["Name", "Country"])
        assert ["custom_fields.tier"] == plan.missing(
            RequiredFields.default(), [required, defaulted, inactive]
        )

    def test_first_and_last_name_stand_for_a_contact_person(self):
        """FirstName/LastName columns satisfy a required contact person."""
        plan = plan_columns(["Name", "Country", "FirstName"])
        assert [] == plan.missing(RequiredFields.of("name", "contact_person"), [])
