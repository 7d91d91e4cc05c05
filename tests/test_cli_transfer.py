"""import, export, dump, load and migrate, run as a user types them."""

import io
import json
import sys
from decimal import Decimal

import pytest

from debitor_core import CustomerBook, InvoiceLine
from debitor_core.cli import main
from debitor_core.storage import JsonFileStore, SqliteStore

pytestmark = pytest.mark.usefixtures("frozen_wall_clock")

XERO = (
    "*ContactName,EmailAddress,POAddressLine1,POCity,POPostalCode,POCountry,TaxNumber,SkypeName\n"
    "Koks GmbH,rechnung@koks.de,Unter den Linden 5,Berlin,10117,Germany,DE 113866163,koks\n"
    "SIA Koks,bad@@x,,Rīga,1050,LV,,\n"
    'OÜ Mets,arved@mets.ee,"Tallinna mnt 5\nkorpus 2",Tallinn,10115,EE,EE100931558,\n'
)


@pytest.fixture
def run(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DEBITOR_BOOK", raising=False)

    def go(*argv, stdin=""):
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return go


@pytest.fixture
def xero(tmp_path):
    path = tmp_path / "xero.csv"
    path.write_text(XERO, encoding="utf-8")
    return path


def book_at(path):
    return CustomerBook(SqliteStore(path) if str(path).endswith(".db") else JsonFileStore(path))


class TestImport:
    def test_good_rows_commit_bad_rows_go_to_a_rejects_file(self, run, xero, tmp_path):
        """The import creates the book, reports each bad row and ends with the counts."""
        code, out, err = run("import", xero)
        assert (1, "2 created, 0 updated, 0 skipped, 1 rejected.\n") == (code, out)
        assert [
            "Columns not read: 'SkypeName' (read one with --map 'COLUMN=FIELD').",
            (
                "row 3: rejected: EmailAddress: The email address 'bad@@x' is not valid. The "
                "part after the @-sign contains invalid characters: '@'."
            ),
            f"The rejected rows, each with its reason, are in {tmp_path / 'xero.rejects.csv'}.",
        ] == err.splitlines()
        rejects = (tmp_path / "xero.rejects.csv").read_text(encoding="utf-8").splitlines()
        assert rejects[0].endswith(",SkypeName,Rejected row,Why it was rejected")
        assert rejects[1].startswith("SIA Koks,bad@@x,,Rīga,1050,LV,,,3,EmailAddress: ")
        book = book_at("customers.json")
        assert "Tallinna mnt 5\nkorpus 2" == book.get_by_number(2).address.street

    def test_importing_again_creates_nothing(self, run, xero):
        """A second import of the same file skips the rows it stored."""
        run("import", xero)
        code, out, _ = run("import", xero)
        assert (1, "0 created, 0 updated, 2 skipped, 1 rejected.\n") == (code, out)
        assert 2 == len(book_at("customers.json"))

    def test_a_dry_run_lists_every_row_and_makes_no_book(self, run, xero, tmp_path):
        """--dry-run prints each row's fate and changes nothing, not even a new book."""
        code, out, _ = run("import", xero, "--dry-run")
        assert 1 == code
        lines = out.splitlines()
        assert ["row 2: would create Koks GmbH", "row 4: would create OÜ Mets"] == [
            lines[0],
            lines[2],
        ]
        assert lines[1].startswith("row 3: would reject: EmailAddress:")
        assert (
            "Dry run, nothing was changed: 2 created, 0 updated, 0 skipped, 1 rejected."
            == lines[-1]
        )
        assert sorted(p.name for p in tmp_path.iterdir()) == ["xero.csv"]

    def test_atomic_stores_nothing(self, run, xero):
        """--atomic: a bad row keeps every row out; the rejects file still lists it."""
        code, out, _ = run("import", xero, "--atomic", "--rejects", "bad.csv")
        assert (
            1,
            "Nothing was imported (all or nothing): 2 created, 0 updated, 0 skipped, 1 rejected.\n",
        ) == (code, out)
        assert 0 == len(book_at("customers.json"))
        assert "bad@@x" in (xero.parent / "bad.csv").read_text(encoding="utf-8")

    def test_mapping_encoding_country_and_update(self, run, tmp_path):
        """--map, --encoding, --country and --on-duplicate update work together."""
        path = tmp_path / "lv.csv"
        path.write_bytes("Firma;Pilsēta\nSIA Koks;Rīga\n".encode("cp1257"))
        argv = ["import", path, "--encoding", "cp1257", "--map", "Firma=name", "--map",
                "Pilsēta=city", "--country", "LV"]  # fmt: skip
        assert (0, "1 created, 0 updated, 0 skipped, 0 rejected.\n") == run(*argv)[:2]
        path.write_bytes("Nr;Pilsēta\n1;Jelgava\n".encode("cp1257"))
        code, out, _ = run("import", path, "--encoding", "cp1257", "--map", "Nr=number",
                           "--map", "Pilsēta=city", "--on-duplicate", "update")  # fmt: skip
        assert (0, "0 created, 1 updated, 0 skipped, 0 rejected.\n") == (code, out)
        assert "Jelgava" == book_at("customers.json").get_by_number(1).address.city

    def test_many_rejects_are_summarised(self, run, tmp_path):
        """Beyond twenty rejected rows the screen points to the rejects file."""
        path = tmp_path / "bad.csv"
        path.write_text("Name,Country\n" + ",LV\n" * 25, encoding="utf-8")
        code, out, err = run("import", path)
        assert (1, "0 created, 0 updated, 0 skipped, 25 rejected.\n") == (code, out)
        assert "... and 5 more rejected rows." in err

    def test_a_json_array_imports(self, run, tmp_path):
        """A .json file of objects imports like a CSV file."""
        path = tmp_path / "c.json"
        path.write_text(
            json.dumps([{"name": "SIA Koks", "country": "LV", "categories": []}]), encoding="utf-8"
        )
        assert (0, "1 created, 0 updated, 0 skipped, 0 rejected.\n") == run("import", path)[:2]

    @pytest.mark.parametrize(
        ("content", "code", "start"),
        (
            (b"", 1, "The file "),
            (b"Name\nSIA Koks\n", 1, "header: The file has no column for the country"),
            ("Name,Country\nĀ,LV\n".encode("cp1257"), 1, "The file "),
        ),
        ids=["empty", "missing column", "wrong encoding"],
    )
    def test_unusable_files_are_refused_before_a_book_is_made(
        self, run, tmp_path, content, code, start
    ):
        """Empty files, missing columns and wrong encodings store nothing, make no book."""
        path = tmp_path / "in.csv"
        path.write_bytes(content)
        got, out, err = run("import", path)
        assert (code, "", True) == (got, out, start in err)
        assert not (tmp_path / "customers.json").exists()

    def test_import_mistakes_are_wrong_usage(self, run, tmp_path):
        """A missing file or a rejects file that is the input is exit 2."""
        assert (2, "There is no file nope.csv to import.\n") == run("import", "nope.csv")[::2]
        (tmp_path / "a.csv").write_text("Name,Country\n", encoding="utf-8")
        assert (2, "--rejects names the file being imported; name another file.\n") == run(
            "import", "a.csv", "--rejects", "a.csv"
        )[::2]
        assert 2 == run("import", "a.csv", "--map", "Name")[0]

    def test_an_unwritable_rejects_file_is_reported(self, run, xero):
        """If the rejects file cannot be written, the import still ends with its counts."""
        code, out, err = run("import", xero, "--rejects", "no/such/folder/r.csv")
        assert (1, "2 created, 0 updated, 0 skipped, 1 rejected.\n") == (code, out)
        assert "The rejected rows could not be written to no/such/folder/r.csv" in err


class TestExport:
    @pytest.fixture
    def book(self, run):
        run("fields", "add", "note2", "Secret", "--personal-data", "--book", "seed.json")
        run("add", "--name", "=HYPERLINK(x)", "--country", "LV", "--phone", "+371 2000 0000")
        run("fields", "add", "secret", "Secret", "--personal-data")
        run("fields", "add", "limit", "Limit", "--type", "decimal")
        run("add", "--name", "SIA Koks", "--country", "LV", "--field", "secret=x",
            "--field", "limit=-12.50", "--note", "@home", "--consent", "email")  # fmt: skip
        run("archive", "1")
        return run

    def test_csv_has_the_import_columns_and_neutralised_formulas(self, book, tmp_path):
        """Export writes UTF-8 with a BOM, the columns import reads, formulas neutralised."""
        code, out, _ = book("export", "out.csv")
        assert (0, "Exported 2 customers to out.csv.\n") == (code, out)
        data = (tmp_path / "out.csv").read_bytes()
        assert data.startswith(b"\xef\xbb\xbfnumber,kind,name,")
        lines = data.decode("utf-8-sig").splitlines()
        assert lines[0].endswith("archived,custom_fields.limit")
        assert lines[1].startswith("1,company,'=HYPERLINK(x),,,,+37120000000,")
        assert lines[2].endswith(",no,-12.50")

    def test_private_data_only_when_asked(self, book, tmp_path):
        """--include-private adds notes, consent and personal-data fields."""
        book("export", "all.csv", "--include-private")
        header, _, koks = (tmp_path / "all.csv").read_text(encoding="utf-8-sig").splitlines()
        assert header.endswith("custom_fields.secret,custom_fields.limit,notes,consent")
        assert koks.endswith(",x,-12.50,'@home,email")

    def test_export_then_import_gives_the_same_customers(self, book, tmp_path):
        """Exported rows import unchanged into a book with the same fields."""
        book("export", "all.csv", "--include-private")
        book("--book", "copy.db", "fields", "add", "secret", "Secret")
        assert 3 == book("--book", "copy.db", "list")[0]
        book("dump", "defs.json")
        definitions = json.loads((tmp_path / "defs.json").read_text(encoding="utf-8"))
        definitions["customers"] = []
        (tmp_path / "defs.json").write_text(json.dumps(definitions), encoding="utf-8")
        book("--book", "copy.db", "load", "defs.json")
        code, out, _ = book("--book", "copy.db", "import", "all.csv")
        assert (0, "2 created, 0 updated, 0 skipped, 0 rejected.\n") == (code, out)
        original, copy = book_at("customers.json"), book_at("copy.db")
        for a, b in zip(
            original.customers(archived=None), copy.customers(archived=None), strict=True
        ):
            assert (a.number, a.name, a.archived, dict(a.custom_fields), a.notes[0].text if a.notes else None) == (
                b.number, b.name, b.archived, dict(b.custom_fields), b.notes[0].text if b.notes else None,
            )  # fmt: skip

    def test_json_semicolons_tabs_and_filters(self, book, tmp_path):
        """.json by extension; --delimiter; --without-archived and other filters."""
        book("export", "out.json", "--without-archived")
        (row,) = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
        assert ("SIA Koks", "-12.50") == (row["name"], row["custom_fields.limit"])
        book("export", "semi.csv", "--delimiter", ";")
        assert (tmp_path / "semi.csv").read_text(encoding="utf-8-sig").startswith("number;kind;")
        book("export", "tab.csv", "--delimiter", "tab", "--country", "LV")
        assert "number\tkind" in (tmp_path / "tab.csv").read_text(encoding="utf-8-sig")

    @pytest.mark.parametrize(
        ("argv", "message"),
        (
            (["export", "out.xlsx"], "export writes .csv or .json files; out.xlsx is neither.\n"),
            (
                ["export", "customers.json"],
                "customers.json is the book itself; write the export to another file.\n",
            ),
            (["export", "nowhere/out.csv"], "There is no folder nowhere to write out.csv into.\n"),
        ),
    )
    def test_export_mistakes_are_wrong_usage(self, book, argv, message):
        """A bad extension, the book itself, or a missing folder: exit 2."""
        assert (2, message) == book(*argv)[::2]

    def test_an_existing_file_is_kept_without_force(self, book, tmp_path):
        """Export never replaces a file unless told to."""
        (tmp_path / "out.csv").write_text("mine", encoding="utf-8")
        assert (2, "The file out.csv exists; add --force to replace it.\n") == book(
            "export", "out.csv"
        )[::2]
        assert "mine" == (tmp_path / "out.csv").read_text(encoding="utf-8")
        assert 0 == book("export", "out.csv", "--force")[0]

    @pytest.mark.parametrize(("command", "name"), [("export", "out.csv"), ("dump", "out.json")])
    def test_a_replaced_file_keeps_its_permissions(self, book, tmp_path, command, name):
        """--force replaces the file whole, as readable as it was (not a temporary's 0600)."""
        target = tmp_path / name
        target.write_text("mine", encoding="utf-8")
        target.chmod(0o644)
        assert 0 == book(command, name, "--force")[0]
        assert (0o644, False) == (target.stat().st_mode & 0o777, "mine" in target.read_text())
        assert [] == [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


class TestBackups:
    @pytest.fixture
    def filled(self, run):
        run("add", "--name", "Ozols", "--country", "LV")
        run("categories", "add", "Retail")
        run("fields", "add", "tier", "Tier")
        run("add", "--name", "SIA Koks", "--country", "LV", "--category", "Retail",
            "--field", "tier=gold", "--note", "Pays late", "--consent", "email")  # fmt: skip
        return run

    def test_dump_then_load_gives_the_same_book(self, filled):
        """A dump loaded into a new book exports exactly as the original does."""
        assert (
            0,
            # 2 registrations' history entries, Retail created, tier defined
            "Wrote 2 customers, 1 category, 1 custom field and 4 records to backup.json.\n",
        ) == filled("dump", "backup.json")[:2]
        assert (
            0,
            "Loaded 2 customers, 1 category, 1 custom field and 4 records into new.db (2 new).\n",
        ) == filled("--book", "new.db", "load", "backup.json")[:2]
        assert book_at("customers.json").export(include_private=True) == book_at("new.db").export(
            include_private=True
        )

    def test_loading_twice_is_refused_and_changes_nothing(self, filled):
        """Loading a dump into the book it came from refuses every clash, all or nothing."""
        filled("dump", "backup.json")
        code, _, err = filled("load", "backup.json")
        assert 1 == code
        assert err.startswith("customers[0].id: A customer with the id ")
        assert 2 == len(book_at("customers.json"))

    @pytest.mark.parametrize(
        ("content", "code", "message"),
        (
            (None, 2, "There is no file backup.json to load.\n"),
            ("{", 1, "The file backup.json is not a dump made by 'debitor dump' (Expecting"),
            (
                "[]",
                1,
                "The file backup.json is not a dump made by 'debitor dump': it has no customers list.\n",
            ),
        ),
    )
    def test_bad_dumps_are_refused(self, run, tmp_path, content, code, message):
        """A missing, broken or foreign file is refused with a sentence."""
        if content is not None:
            (tmp_path / "backup.json").write_text(content, encoding="utf-8")
        got, _, err = run("load", "backup.json")
        assert (code, True) == (got, err.startswith(message))

    def test_migrate_copies_into_another_store_and_checks_the_copy(self, filled):
        """JSON -> SQLite -> JSON gives an identical export."""
        assert (
            0,
            "Copied 2 customers, 1 category, 1 custom field and 4 records from customers.json to copy.db.\n",
        ) == filled("migrate", "--to", "copy.db")[:2]
        filled("--book", "copy.db", "migrate", "--to", "back.json")
        exports = [
            book_at(p).export(include_private=True)
            for p in ("customers.json", "copy.db", "back.json")
        ]
        assert exports[0] == exports[1] == exports[2]

    def test_migrate_refuses_a_book_that_is_not_empty_and_leaves_it(self, filled, tmp_path):
        """The target must be new or empty; a refused migrate leaves no new files."""
        filled("--book", "other.json", "add", "--name", "X", "--country", "LV")
        code, _, err = filled("migrate", "--to", "other.json")
        assert (
            1,
            "The book at other.json is not empty; migrate copies into a new or empty book.\n",
        ) == (code, err)
        assert 1 == len(book_at("other.json"))
        assert (2, "--to names the book itself; name a new book.\n") == filled(
            "migrate", "--to", "customers.json"
        )[::2]
        before = set(tmp_path.iterdir())
        code, _, _ = filled("--require", "name,email", "migrate", "--to", "strict.json")
        assert 1 == code
        assert before == set(tmp_path.iterdir())

    def test_dump_load_and_migrate_carry_every_record_and_the_last_number(self, filled):
        """Invoices, payments and a deleted customer's number travel through every command."""
        book = book_at("customers.json")
        customer = book.get_by_number(1)
        invoice = book.issue_invoice(customer.id, [InvoiceLine("Work", Decimal(1), Decimal(10))])
        book.record_payment(invoice.id, Decimal(5), date=invoice.issue_date)
        book.delete(book.get_by_number(2).id)
        book.store.close()
        assert (
            0,
            # an invoice, a payment, and 5 history entries: two registrations, the
            # invoice issued, the payment recorded, the deletion; and 2 definition changes:
            # Retail created, tier defined
            "Wrote 1 customer, 1 category, 1 custom field and 9 records to backup.json.\n",
            "",
        ) == filled("dump", "backup.json")
        assert (
            0,
            "Loaded 1 customer, 1 category, 1 custom field and 9 records into new.db (1 new).\n",
            "",
        ) == filled("--book", "new.db", "load", "backup.json")
        assert (0, "") == filled("migrate", "--to", "copy.json")[::2]
        exports = [
            book_at(p).export(include_private=True)
            for p in ("customers.json", "new.db", "copy.json")
        ]
        assert exports[0] == exports[1] == exports[2]
        assert (2, 1, 1) == (
            exports[0]["last_number"],
            len(exports[0]["records"]["invoice"]),
            len(exports[0]["records"]["payment"]),
        )
        assert 0 == filled("--book", "new.db", "add", "--name", "C", "--country", "LV")[0]
        assert "C" == book_at("new.db").get_by_number(3).name


class TestFailures:
    def test_a_failed_export_leaves_the_old_file_and_no_temporary(self, run, tmp_path, monkeypatch):
        """An export that fails half way replaces nothing and leaves no temporary file."""
        from debitor_core import StorageError, exchange

        run("add", "--name", "A", "--country", "LV")
        (tmp_path / "out.csv").write_text("old", encoding="utf-8")

        def failing(*_, **__):
            raise StorageError("Reading failed.")

        monkeypatch.setattr(exchange, "export_csv", failing)
        assert 3 == run("export", "out.csv", "--force")[0]
        assert "old" == (tmp_path / "out.csv").read_text(encoding="utf-8")
        assert [
            "customers.json",
            "customers.json.journal",
            "customers.json.lock",
            "out.csv",
        ] == sorted(p.name for p in tmp_path.iterdir())

    def test_migrating_to_postgresql(self, run, postgres_url):
        """Migrate --to a postgresql:// URL copies the book there, numbers and all."""
        run("add", "--name", "A", "--country", "LV")
        run("add", "--name", "B", "--country", "EE")
        code, _, err = run("migrate", "--to", postgres_url, "--to-book-id", "moved")
        assert (0, "") == (code, err)
        code, out, _ = run("--book", postgres_url, "--book-id", "moved", "list", "--json")
        assert [(1, "A"), (2, "B")] == [(c["number"], c["name"]) for c in json.loads(out)]


class TestNoEmptyBooks:
    def test_an_import_that_stores_nothing_makes_no_book(self, run, tmp_path):
        """When every row is rejected, the missing book is not made after all."""
        (tmp_path / "bad.csv").write_text("Name,Country\n,LV\n", encoding="utf-8")
        code, out, _ = run("import", "bad.csv")
        assert (1, "0 created, 0 updated, 0 skipped, 1 rejected.\n") == (code, out)
        assert ["bad.csv", "bad.rejects.csv"] == sorted(p.name for p in tmp_path.iterdir())

    def test_a_refused_load_makes_no_book(self, run, tmp_path):
        """A dump that cannot be loaded leaves no new, empty book behind."""
        (tmp_path / "dump.json").write_text('{"customers": [{"name": 1}]}', encoding="utf-8")
        assert 1 == run("--book", "new.db", "load", "dump.json")[0]
        assert ["dump.json"] == sorted(p.name for p in tmp_path.iterdir())
