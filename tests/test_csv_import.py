"""Importing customer lists: matching, duplicates, dry runs, all-or-nothing, rejects."""

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from debitor_core import (
    ConsentChannel,
    CustomerBook,
    RequiredFields,
    ValidationError,
    rules,
    strategies,
)
from debitor_core.exchange import import_csv, import_records, read_json_records
from debitor_core.exchange._importer import email_key, vat_key

HEADER = "Number;Name;Email;VAT number;Country;City;Categories;Notes"


def csv(*rows, header=HEADER):
    return ("\n".join([header, *rows]) + "\n").encode()


@pytest.fixture
def stocked(book):
    book.create_category("Retail")
    book.create_category("Wholesale")
    book.define_field("tier", "Tier", "choice", choices=["Gold", "Silver"])
    book.register(
        {"name": "SIA Koks", "email": "info@koks.lv", "tax_id": "LV40003521600",
         "address": {"country": "LV", "city": "Rīga"}, "categories": ["Retail"],
         "notes": "Pays late"},
    )  # fmt: skip
    book.register(
        {"name": "Koks GmbH", "email": "rechnung@koks.de", "tax_id": "DE113866163",
         "address": {"country": "DE"}},
    )  # fmt: skip
    book.register({"name": "Anna Ozola", "email": "anna@ozola.lv", "address": {"country": "LV"}})
    return book


def actions(report):
    return [(o.row, o.action) for o in report.outcomes]


class TestCreating:
    def test_rows_become_customers_and_the_summary_counts_them(self, book):
        """Each good row is registered; the summary line counts each action."""
        report = import_csv(book, csv(";SIA Koks;info@koks.lv;;LV;Rīga;;", ";Ozols;;;LV;;;"))
        assert "2 created, 0 updated, 0 skipped, 0 rejected." == report.summary()
        assert ["SIA Koks", "Ozols"] == [c.name for c in book.customers()]
        assert "info@koks.lv" == book.get_by_number(1).email

    def test_a_number_column_sets_the_customer_number(self, book):
        """A row that asks for a customer number gets it."""
        import_csv(book, csv("41;SIA Koks;;;LV;;;"))
        assert "SIA Koks" == book.get_by_number(41).name

    def test_importing_the_same_file_again_creates_nothing(self, book):
        """Re-importing matches every row to the customer it made."""
        data = csv(";SIA Koks;info@koks.lv;;LV;;;", ";Ozols;ozols@x.lv;;LV;;;")
        import_csv(book, data)
        again = import_csv(book, data)
        assert ([(2, "skipped"), (3, "skipped")], 2) == (actions(again), len(book))
        assert ["email", "email"] == [o.matched_by for o in again.outcomes]

    def test_lists_categories_and_notes_are_read(self, stocked):
        """Categories split at ';' (or ',' when no category has that name); notes kept."""
        import_csv(stocked, csv(";Nord;;;LV;;Retail, Wholesale;Call first"))
        customer = stocked.get_by_number(4)
        assert {"Retail", "Wholesale"} == {stocked.category(c).name for c in customer.categories}
        assert ["Call first"] == [n.text for n in customer.notes]

    def test_a_default_country_fills_rows_without_one(self, book):
        """--country gives rows without a country one; rows with a country keep theirs."""
        data = csv(";A;;;;;;", ";B;;;DE;;;")
        import_csv(book, data, country="lv")
        assert ["LV", "DE"] == [c.address.country for c in book.customers()]

    def test_an_invalid_default_country_is_refused_before_anything(self, book):
        """A default country that does not exist is refused; nothing is stored."""
        with pytest.raises(ValidationError):
            import_csv(book, csv(";A;;;;;;"), country="Atlantis")
        assert 0 == len(book)

    def test_records_import_like_rows(self, book):
        """JSON-like records: lists, numbers, booleans and None are read as cells are."""
        book.create_category("Retail")
        book.define_field("vip", "VIP", "boolean")
        records = [
            {"number": 7, "name": "SIA Koks", "country": "LV", "categories": ["Retail"],
             "custom_fields.vip": True, "archived": False, "email": None},
            {"name": "Ozols", "country": "LV", "other_phones": ["+37120000000", "+37120000001"]},
            {},
        ]  # fmt: skip
        report = import_records(book, records)
        assert [(2, "created"), (3, "created")] == actions(report)
        koks = book.get_by_number(7)
        assert (True, 1) == (koks.custom_fields["vip"], len(koks.categories))
        assert 2 == len(book.get_by_number(1).other_phones)  # the next free number

    def test_records_must_be_mappings(self, book):
        """A record that is not a mapping is refused with a sentence."""
        with pytest.raises(ValidationError, match="must be a mapping"):
            import_records(book, [["SIA Koks"]])


class TestMatching:
    @pytest.mark.parametrize(
        ("row", "customer", "by"),
        (
            ("2;X;anna@ozola.lv;LV40003521600;LV;;;", 2, "number"),
            ("99;X;anna@ozola.lv;LV 4000 3521 600;LV;;;", 1, "tax_id"),
            (";X;anna@ozola.lv;4000 3521 600;LV;;;", 1, "tax_id"),
            (";X;ANNA@Ozola.LV;;LV;;;", 3, "email"),
            (";X;anna@ozola.lv;LV40103000037;LV;;;", 3, "email"),
        ),
        ids=["number first", "then VAT", "VAT without prefix", "then email", "bad VAT, email"],
    )
    def test_number_then_vat_then_email(self, stocked, row, customer, by):
        """A row matches by customer number, else VAT number, else email, in normal form."""
        (outcome,) = import_csv(stocked, csv(row)).outcomes
        assert ("skipped", customer, by) == (
            outcome.action,
            outcome.customer.number,
            outcome.matched_by,
        )
        assert 3 == len(stocked)

    def test_other_emails_match_too(self, book):
        """A row's email matches a customer's other email addresses."""
        book.register({"name": "A", "address": {"country": "LV"}, "other_emails": "b@x.lv"})
        (outcome,) = import_csv(book, csv(";Z;B@X.LV;;LV;;;")).outcomes
        assert ("skipped", "email") == (outcome.action, outcome.matched_by)

    def test_archived_customers_match(self, stocked):
        """An archived customer is still the same customer: nothing new is made."""
        stocked.archive(stocked.get_by_number(3).id)
        assert [(2, "skipped")] == actions(import_csv(stocked, csv(";X;anna@ozola.lv;;LV;;;")))

    def test_a_later_row_like_an_earlier_one_is_skipped(self, book, clock):
        """Within a file, the first of two rows for one customer wins, even across batches."""
        data = csv(";A;a@x.lv;;LV;;;", ";B;b@x.lv;;LV;;;", ";A again;A@X.LV;;LV;;;")
        for batch in (1, 100):
            fresh = CustomerBook(clock=clock)
            report = import_csv(fresh, data, batch_size=batch, on_duplicate="update")
            last = report.outcomes[-1]
            assert ("skipped", "row", 2) == (last.action, last.matched_by, last.same_as_row)
            assert ["A", "B"] == [c.name for c in fresh.customers()]
        assert 0 == len(book)

    @given(strategies.emails())
    def test_email_keys_survive_normalisation(self, email):
        """The coarse email key of what was typed equals that of its normal form."""
        assert email_key(email) == email_key(rules.validate_email(email))

    @given(st.data())
    def test_vat_keys_survive_normalisation(self, data):
        """The coarse VAT key of what was typed equals that of its normal form."""
        number = data.draw(strategies.vat_numbers())
        assert vat_key(number) == vat_key(rules.validate_vat(number).value)


class TestDuplicates:
    def test_update_changes_given_fields_and_keeps_blank_ones(self, stocked):
        """on_duplicate=update: filled cells change the customer, blank ones change nothing."""
        report = import_csv(
            stocked, csv("1;SIA Koks un Co;;;;Jelgava;Wholesale;"), on_duplicate="update"
        )
        assert [(2, "updated")] == actions(report)
        koks = stocked.get_by_number(1)
        assert ("SIA Koks un Co", "info@koks.lv", "Jelgava") == (
            koks.name,
            koks.email,
            koks.address.city,
        )
        assert {"Retail", "Wholesale"} == {stocked.category(c).name for c in koks.categories}
        assert 2 == koks.version

    def test_an_unchanged_row_is_skipped_and_nothing_is_written(self, stocked):
        """An update that changes nothing is reported as unchanged; the version stays."""
        row = "1;SIA Koks;INFO@koks.lv;LV 4000 3521 600;LV;Rīga;Retail;Pays late"
        (outcome,) = import_csv(stocked, csv(row), on_duplicate="update").outcomes
        assert ("skipped", "unchanged") == (outcome.action, outcome.note)
        assert 1 == stocked.get_by_number(1).version

    def test_notes_and_consent_are_added_once(self, stocked):
        """Updating twice from one file adds its note and consent once."""
        data = csv("3;Anna Ozola;;;LV;;;Prefers email;email", header=HEADER + ";Consent")
        import_csv(stocked, data, on_duplicate="update")
        again = import_csv(stocked, data, on_duplicate="update")
        anna = stocked.get_by_number(3)
        assert [(2, "skipped")] == actions(again)
        assert (["Prefers email"], True) == (
            [n.text for n in anna.notes],
            anna.consent_to(ConsentChannel.EMAIL),
        )
        assert f"import of {again.source}" == anna.consents[0].source

    def test_a_bad_update_is_rejected_and_changes_nothing(self, stocked):
        """An update with a wrong value is rejected; the customer stays as it was."""
        (outcome,) = import_csv(
            stocked, csv("1;;not-an-email;;;;;"), on_duplicate="update"
        ).outcomes
        assert ("rejected", ["email"]) == (outcome.action, [p.path for p in outcome.problems])
        assert "info@koks.lv" == stocked.get_by_number(1).email

    def test_create_registers_even_when_a_customer_matches(self, stocked):
        """on_duplicate=create registers the row anyway, with the next free number."""
        report = import_csv(stocked, csv("1;SIA Koks;info@koks.lv;;LV;;;"), on_duplicate="create")
        assert [(2, "created")] == actions(report)
        assert 4 == report.outcomes[0].customer.number

    def test_custom_fields_are_set_one_by_one(self, stocked):
        """An update sets the fields it names and keeps the others."""
        stocked.define_field("size", "Size", "integer")
        stocked.update(
            stocked.get_by_number(1).id, {"custom_fields": {"size": "3"}}, expected_version=1
        )
        import_csv(stocked, csv("1;Gold", header="Number;Tier"), on_duplicate="update")
        assert {"size": 3, "tier": "Gold"} == dict(stocked.get_by_number(1).custom_fields)

    def test_an_unchanged_value_of_a_deactivated_field_is_no_change(self, stocked):
        """Re-importing an export that holds a deactivated field's value changes nothing."""
        stocked.update(
            stocked.get_by_number(1).id, {"custom_fields": {"tier": "gold"}}, expected_version=1
        )
        stocked.deactivate_field("tier")
        data = csv("1;Gold", header="Number;custom_fields.tier")
        assert [(2, "skipped")] == actions(import_csv(stocked, data, on_duplicate="update"))
        changed = import_csv(stocked, csv("1;Silver", header="Number;tier"), on_duplicate="update")
        assert "custom_field.inactive" == changed.outcomes[0].problems[0].code

    def test_the_archived_column_archives_and_restores(self, stocked):
        """The archived column (yes/no) is applied to new and updated customers."""
        report = import_csv(
            stocked, csv("1;yes", ";no", header="Number;Archived"), on_duplicate="update"
        )
        assert "rejected" == report.outcomes[1].action  # a new row with no name
        assert stocked.get_by_number(1).archived
        import_csv(stocked, csv("1;no", header="Number;Archived"), on_duplicate="update")
        assert not stocked.get_by_number(1).archived
        import_csv(stocked, csv("Nord;LV;x", header="Name;Country;Archived"))
        assert (
            "archived.invalid"
            == import_csv(stocked, csv("Süd;LV;maybe", header="Name;Country;Archived"))
            .outcomes[0]
            .problems[0]
            .code
        )
        created = import_csv(stocked, csv("Süd;LV;yes", header="Name;Country;Archived"))
        assert created.outcomes[0].customer.archived

    def test_an_unknown_on_duplicate_is_a_value_error(self, book):
        """on_duplicate takes skip, update or create."""
        with pytest.raises(ValueError, match="skip, update or create"):
            import_csv(book, csv(), on_duplicate="merge")


class TestRejects:
    def test_each_problem_names_the_files_column(self, book):
        """A rejected row says what is wrong, field by field, in the file's own words."""
        data = csv("x;;bad;LV123;LV;;;", header="Nr;Name;E-mail;PVN;Country;City;Groups;Notes")
        report = import_csv(book, data, mapping={"Nr": "number", "PVN": "tax_id"})
        (outcome,) = report.outcomes
        assert ["number", "name", "email", "tax_id"] == [p.path for p in outcome.problems]
        reason = outcome.reason(report.plan)
        assert reason.startswith(
            "Nr: The customer number must be a positive whole number, not 'x'."
        )
        assert "E-mail: The email address 'bad' is not valid." in reason
        assert "PVN: " in reason

    def test_good_rows_commit_and_bad_rows_are_reported(self, book):
        """In one batch, the bad rows are rejected and the good rows are stored."""
        data = csv(";A;;;LV;;;", ";;;;LV;;;", ";C;;;LV;;;", ";D;x@@y;;LV;;;")
        report = import_csv(book, data)
        assert [(2, "created"), (3, "rejected"), (4, "created"), (5, "rejected")] == actions(report)
        assert ["A", "C"] == [c.name for c in book.customers()]

    def test_the_rejects_file_holds_the_rows_and_the_reasons_and_imports_again(self, book):
        """Rejected rows are written with their reason; fixed, the file imports cleanly."""
        report = import_csv(book, csv(";A;;;LV;;;", ";=B;bad;;LV;;;"))
        stream = io.StringIO()
        assert 1 == report.write_rejects(stream)
        text = stream.getvalue()
        header, row = text.splitlines()
        assert header == HEADER + ";Rejected row;Why it was rejected"
        assert row.startswith(";'=B;bad;;LV;;;;3;Email: The email address 'bad' is not valid.")
        fixed = text.replace("bad", "b@x.lv").encode()
        again = import_csv(book, fixed)
        assert ((), "=B") == (again.plan.ignored, book.get_by_number(2).name)

    def test_a_row_with_too_many_cells_is_rejected(self, book):
        """An unquoted delimiter inside a value shifts the row; it is refused, not misread."""
        (outcome,) = import_csv(book, b"Name,Country\nKoks, SIA,LV\n").outcomes
        assert ("rejected", "row.cells") == (outcome.action, outcome.problems[0].code)

    def test_a_nul_character_is_refused_by_the_rules(self, book):
        """Control characters in a value are rejected row by row."""
        (outcome,) = import_csv(book, b"Name,Country\nA\x00B,LV\n").outcomes
        assert "rejected" == outcome.action

    def test_missing_required_columns_stop_the_import(self, book):
        """Without a column for a required field, nothing is read."""
        with pytest.raises(ValidationError) as info:
            import_csv(book, b"Name\nSIA Koks\n")
        assert (
            "The file has no column for the country, which this book requires; add the "
            "column, or map the column that holds it to country or give a country for "
            "every row."
        ) == info.value.problems[0].message
        book.define_field("tier", "Tier", required=True)
        with pytest.raises(ValidationError, match="custom field 'Tier'"):
            import_csv(book, b"Name,Country\nA,LV\n")
        assert 0 == len(book)


class TestDryRunAndAtomic:
    def test_a_dry_run_says_what_would_happen_and_changes_nothing(self, stocked):
        """Each row's fate is reported; the book is as it was."""
        data = csv(";New;;;LV;;;", "1;SIA Koks;;;;Jelgava;;", ";Bad;x@@;;LV;;;", ";New;;;LV;;;")
        report = import_csv(stocked, data, dry_run=True, on_duplicate="update")
        lines = [o.describe(report.plan, dry_run=True) for o in report.outcomes]
        assert [
            "row 2: would create New",
            "row 3: would update customer 1 (SIA Koks), matched by customer number",
            "row 5: would create New",
        ] == [lines[0], lines[1], lines[3]]
        assert lines[2].startswith("row 4: would reject: Email: The email address 'x@@'")
        assert "Dry run, nothing was changed: 2 created, 1 updated, 0 skipped, 1 rejected." == (
            report.summary()
        )
        assert (3, 1) == (len(stocked), stocked.get_by_number(1).version)

    def test_atomic_stores_nothing_when_a_row_fails(self, stocked):
        """All or nothing: one bad row keeps every row out, updates included."""
        data = csv(";New;;;LV;;;", "1;SIA Koks;;;;Jelgava;;", ";;;;LV;;;")
        report = import_csv(stocked, data, atomic=True, on_duplicate="update")
        assert not report.committed
        assert (
            "Nothing was imported (all or nothing): 1 created, 1 updated, 0 skipped, 1 rejected."
            == (report.summary())
        )
        assert ["not stored", "not stored", None] == [o.note for o in report.outcomes]
        assert (3, "Rīga") == (len(stocked), stocked.get_by_number(1).address.city)

    def test_atomic_rules_failures_found_at_commit_store_nothing(self, book):
        """A row that only the book's rules refuse still keeps the others out."""
        report = import_csv(book, csv(";A;;;LV;;;", ";B;bad;;LV;;;"), atomic=True)
        assert (False, 0) == (report.committed, len(book))
        assert [(2, "created"), (3, "rejected")] == actions(report)

    def test_atomic_stores_everything_when_every_row_is_good(self, stocked):
        """With no bad row, an atomic import stores the new and the changed."""
        data = csv(";New;;;LV;;;", "1;SIA Koks;;;;Jelgava;;")
        report = import_csv(stocked, data, atomic=True, on_duplicate="update")
        assert report.committed
        assert (4, "Jelgava") == (len(stocked), stocked.get_by_number(1).address.city)


class TestProgressAndSize:
    def test_progress_is_reported_up_to_the_total(self, book):
        """The progress callback ends with every row handled."""
        seen = []
        rows = [f";C{i};;;LV;;;" for i in range(1200)]
        import_csv(book, csv(*rows), progress=lambda done, total: seen.append((done, total)))
        assert (1200, 1200) == seen[-1]
        assert [500, 1000] == [d for d, _ in seen[:2]]

    def test_a_50_megabyte_file_imports(self, tmp_path, clock):
        """A 50 MB file (long notes) is read in passes without loading it whole."""
        path = tmp_path / "big.csv"
        note = "x" * 9_900
        with path.open("w", encoding="utf-8") as out:
            out.write("Name;Country;Notes\n")
            for i in range(5_100):
                out.write(f"Customer {i};LV;{note}\n")
        assert path.stat().st_size > 50_000_000
        book = CustomerBook(clock=clock)
        report = import_csv(book, path)
        assert (5_100, 0) == (report.created, report.rejected)

    @pytest.mark.slow
    def test_a_50_megabyte_file_of_typical_rows_imports(self, tmp_path, clock):
        """About 300,000 ordinary rows (50 MB): every one imported."""
        path = tmp_path / "big.csv"
        with path.open("w", encoding="utf-8") as out:
            out.write("Name;Email;Phone;Street;Postal code;City;Country;Notes\n")
            i = 0
            while out.tell() < 50_000_000:
                out.write(
                    f"SIA Klients {i};klients{i}@example.lv;2{i % 10_000_000:07d};"
                    f"Brīvības iela {i % 200};{1001 + i % 4000};Rīga;LV;Customer {i}\n"
                )
                i += 1
        report = import_csv(CustomerBook(clock=clock), path)
        assert (i, 0) == (report.created + report.skipped, report.rejected)


class TestJsonFiles:
    def test_a_json_export_reads_back(self, tmp_path):
        """read_json_records reads an array of objects; anything else is refused."""
        path = tmp_path / "c.json"
        path.write_text(json.dumps([{"name": "A"}]), encoding="utf-8")
        assert [{"name": "A"}] == read_json_records(path)
        for bad, code in (("{", "file.format"), ('{"a": 1}', "file.format")):
            path.write_text(bad, encoding="utf-8")
            with pytest.raises(ValidationError) as info:
                read_json_records(path)
            assert code == info.value.problems[0].code
        path.write_bytes(b"\xff\xfe\x00")
        with pytest.raises(ValidationError, match="not UTF-8"):
            read_json_records(path)
        with pytest.raises(ValidationError, match="cannot be read"):
            read_json_records(tmp_path / "missing.json")


@pytest.mark.usefixtures("frozen_wall_clock")
@settings(max_examples=25)
@given(strategies.books(max_customers=4))
def test_an_export_imports_back_to_the_same_customers(exported):
    """Export then import into a book with the same definitions gives the same customers."""
    from debitor_core.exchange import export_csv

    stream = io.StringIO()
    export_csv(exported, stream, include_private=True)
    definitions = exported.export()
    target = CustomerBook()
    target.import_data({**definitions, "customers": []})
    report = import_csv(target, stream.getvalue().encode(), on_duplicate="create")  # twins too
    assert 0 == report.rejected, [o.reason(report.plan) for o in report.rejected_rows]
    names = {c.id: c.name for c in exported.categories()}
    target_names = {c.id: c.name for c in target.categories()}
    for before in exported.customers(archived=None):
        after = target.get_by_number(before.number)
        for field in ("name", "kind", "contact_person", "email", "other_emails", "phone",
                      "other_phones", "website", "tax_id", "company_id", "address",
                      "payment_terms", "currency", "language", "archived"):  # fmt: skip
            if field in ("phone", "other_phones"):
                assert [p.number for p in after.phones] == [p.number for p in before.phones]
            else:
                assert getattr(before, field) == getattr(after, field), field
        assert dict(before.custom_fields) == dict(after.custom_fields)
        assert sorted(names[c] for c in before.categories) == sorted(
            target_names[c] for c in after.categories
        )
        for channel in ConsentChannel:
            assert before.consent_to(channel) == after.consent_to(channel)
        assert "\n\n".join(n.text for n in before.notes) == "\n\n".join(n.text for n in after.notes)


class TestOtherToolsRows:
    XERO = (
        "*ContactName,FirstName,LastName,POAddressLine1,POAddressLine2,POCity,POCountry,"
        "PhoneNumber,MobileNumber,FaxNumber\n"
    )

    def test_xero_names_lines_and_phones_come_together(self, book):
        """First and last name make the contact person; address lines join; phones typed."""
        data = (
            self.XERO + "SIA Koks,Jānis,Bērziņš,Iela 1,Dzīvoklis 2,Rīga,LV,,2612 3456,6700 0000\n"
        )
        import_csv(book, data.encode())
        koks = book.get_by_number(1)
        assert ("Jānis Bērziņš", "Iela 1\nDzīvoklis 2") == (
            koks.contact_person,
            koks.address.street,
        )
        assert ("+37126123456", "mobile") == (koks.phone.number, koks.phone.type.value)
        assert [("+37167000000", "fax")] == [(p.number, p.type.value) for p in koks.other_phones]

    def test_a_mobile_beside_a_phone_becomes_another_phone(self, book):
        """With a phone given, the mobile number is kept as another phone."""
        data = self.XERO + "SIA Koks,,Bērziņš,,,,LV,6700 0001,2612 3456,\n"
        import_csv(book, data.encode())
        koks = book.get_by_number(1)
        assert ("+37167000001", ["+37126123456"], "Bērziņš") == (
            koks.phone.number,
            [p.number for p in koks.other_phones],
            koks.contact_person,
        )

    def test_problems_name_the_columns_that_held_the_values(self, book):
        """A bad mobile is reported under its column; a bad contact under its name columns."""
        data = self.XERO + "SIA Koks,,,,,,LV,,12,\n"
        report = import_csv(book, data.encode())
        assert (
            report.rejected_rows[0]
            .reason(report.plan)
            .startswith("MobileNumber: The phone number '12'")
        )
        book.required = RequiredFields.of("name", "contact_person")
        report = import_csv(book, (self.XERO + "SIA Koks,,,,,,LV,,,\n").encode())
        assert "FirstName / LastName: The contact person is required." == report.rejected_rows[
            0
        ].reason(report.plan)

    def test_short_rows_are_read_with_blanks(self, book):
        """A row with fewer cells than the header has blanks at its end (spreadsheets trim)."""
        import_csv(book, b"Name;Country;City\nSIA Koks;LV\n")
        assert None is book.get_by_number(1).address.city

    def test_row_level_problems_have_no_column(self, book):
        """A problem with the whole row is stated without a column name."""
        report = import_csv(book, b"Name,Country\nKoks, SIA,LV\n")
        assert report.rejected_rows[0].reason(report.plan).startswith("The row has 3 cells but")

    def test_in_file_duplicates_are_described(self, book):
        """A skipped row says which earlier row it repeats."""
        report = import_csv(book, csv(";A;a@x.lv;;LV;;;", ";A;a@x.lv;;LV;;;"))
        assert "row 3: skipped: the same customer as row 2" == report.outcomes[1].describe(
            report.plan
        )

    def test_an_invalid_row_vat_number_matches_nothing_by_vat(self, stocked):
        """A VAT number that is not valid in the row's country is not a match."""
        (outcome,) = import_csv(stocked, csv(";X;;40003521600;Atlantis;;;")).outcomes
        assert ("rejected", None) == (outcome.action, outcome.matched_by)

    def test_an_update_the_book_refuses_at_commit_is_rejected(self, stocked, monkeypatch):
        """If the book refuses the update itself, the row is rejected; others go on."""

        def refuse(*_, **__):
            raise ValidationError.single("x.y", "Refused.")

        monkeypatch.setattr(CustomerBook, "update", refuse)
        report = import_csv(stocked, csv("1;SIA Koks un Co;;;;;;"), on_duplicate="update")
        assert "Refused." == report.outcomes[0].problems[0].message

    def test_an_unchanged_multi_choice_of_a_deactivated_field_is_no_change(self, stocked):
        """A deactivated multi-choice field's stored choices, written as a list, change nothing."""
        stocked.define_field("tags", "Tags", "multi_choice", choices=["A", "B"])
        stocked.update(
            stocked.get_by_number(1).id, {"custom_fields": {"tags": ["A", "B"]}}, expected_version=1
        )
        stocked.deactivate_field("tags")
        report = import_csv(
            stocked, csv('1;"A; B"', header="Number;custom_fields.tags"), on_duplicate="update"
        )
        assert [(2, "skipped")] == actions(report)

    def test_records_may_update_without_the_required_columns(self, stocked):
        """import_records with update needs only the columns it changes."""
        report = import_records(stocked, [{"number": 1, "city": "Jelgava"}], on_duplicate="update")
        assert [(2, "updated")] == actions(report)


def test_a_new_customers_other_emails_match_later_rows(book):
    """A later row with the other email of a customer made earlier in the file is skipped."""
    data = b"Name;Email;Other emails;Country\nA;a@x.lv;b@x.lv;LV\nA2;B@X.LV;;LV\n"
    report = import_csv(book, data, batch_size=1)
    assert ("skipped", "row", 2) == (
        report.outcomes[1].action,
        report.outcomes[1].matched_by,
        report.outcomes[1].same_as_row,
    )


class TestGarbageCollector:
    """A large import keeps the collector from walking stored customers over and over."""

    ROWS = tuple(f"{n};Name {n};n{n}@example.lv;;LV;;;" for n in range(1, 8))

    @pytest.fixture
    def freezes(self, monkeypatch):
        import gc

        calls = []
        monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
        monkeypatch.setattr(gc, "unfreeze", lambda: calls.append("unfreeze"))
        return calls

    def test_each_committed_batch_is_frozen_and_everything_thawed_at_the_end(self, book, freezes):
        """After every batch the heap moves to the permanent generation; the end puts it back."""
        report = import_csv(book, csv(*self.ROWS), batch_size=3)
        assert 7 == report.created
        assert ["freeze", "freeze", "freeze", "unfreeze"] == freezes

    def test_a_failing_import_thaws_too(self, book, freezes, monkeypatch):
        """An exception in the middle still gives every frozen object back to the collector."""

        def broken(*_, **__):
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(book, "register_many", broken)
        with pytest.raises(RuntimeError):
            import_csv(book, csv(*self.ROWS), batch_size=3)
        assert ["unfreeze"] == freezes

    @pytest.mark.parametrize("host", ["froze", "disabled"])
    def test_a_host_that_manages_the_collector_is_left_alone(
        self, book, freezes, monkeypatch, host
    ):
        """A pre-forking server's frozen objects, or a disabled collector, are not touched."""
        import gc

        if host == "froze":
            monkeypatch.setattr(gc, "get_freeze_count", lambda: 1234)
        else:
            monkeypatch.setattr(gc, "isenabled", lambda: False)
        assert 7 == import_csv(book, csv(*self.ROWS), batch_size=3).created
        assert [] == freezes
