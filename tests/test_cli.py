"""The debitor command, run in-process as a user would type it."""

import hashlib
import io
import json
import shutil
import sqlite3
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from debitor_core import CustomerBook, InvoiceLine, StorageError, StoreLocked, storage
from debitor_core.cli import main
from debitor_core.storage import JsonFileStore, SqliteStore, _snapshot

pytestmark = pytest.mark.usefixtures("frozen_wall_clock")

PDF_SHA = hashlib.sha256(b"%PDF-1.4").hexdigest()
KOKS = ["--name", "SIA Koks", "--country", "LV", "--email", "info@koks.lv", "--city", "Rīga"]


class Tty(io.StringIO):
    """Standard input that says it is a terminal."""

    def isatty(self):
        return True


@pytest.fixture
def run(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DEBITOR_BOOK", raising=False)

    def go(*argv, stdin="", tty=False):
        monkeypatch.setattr(sys, "stdin", (Tty if tty else io.StringIO)(stdin))
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return go


@pytest.fixture
def koks(run):
    assert 0 == run("add", *KOKS)[0]
    return run


def book_at(path, clock=None):
    store = SqliteStore(path) if str(path).endswith(".db") else JsonFileStore(path)
    return CustomerBook(store, clock=clock) if clock else CustomerBook(store)


class TestTheCommand:
    def test_version(self, run):
        """--version names the program and the installed version."""
        code, out, _ = run("--version")
        assert (0, True) == (code, out.startswith("debitor (debitor-core) "))

    def test_help_lists_every_command(self, run):
        """--help lists the commands and the exit statuses."""
        code, out, _ = run("--help")
        assert 0 == code
        for command in ("add", "list", "find", "show", "edit", "note", "attach", "archive",
                        "restore", "merge", "categories", "fields", "check", "verify", "import",
                        "export", "dump", "load", "migrate", "demo"):  # fmt: skip
            assert f"    {command} " in out
        assert "3 the book could not be used" in " ".join(out.split())

    @pytest.mark.parametrize(
        "argv", [[], ["frobnicate"], ["list", "--bogus"], ["show"], ["list", "--limit", "x"]]
    )
    def test_wrong_usage_exits_2_with_the_usage(self, run, argv):
        """A wrong command line prints the usage and a sentence on stderr, exit status 2."""
        code, out, err = run(*argv)
        assert (2, "", True) == (code, out, "usage: debitor" in err)

    def test_book_options_work_after_the_command_too(self, koks):
        """--book may come before or after the command."""
        assert 0 == koks("add", "--name", "B", "--country", "LV", "--book", "other.json")[0]
        assert "1 customer." in koks("list", "--book", "other.json")[1]

    def test_the_book_may_come_from_the_environment(self, run, monkeypatch):
        """DEBITOR_BOOK names the default book."""
        monkeypatch.setenv("DEBITOR_BOOK", "env.json")
        run("add", *KOKS)
        assert 1 == len(book_at("env.json"))


class TestOpeningTheBook:
    @pytest.mark.parametrize(
        "argv",
        [["list"], ["find", "x"], ["show", "1"], ["edit", "1", "--name", "x"], ["note", "1", "x"],
         ["archive", "1"], ["categories"], ["fields"], ["check"], ["export", "x.csv"],
         ["dump", "x.json"], ["migrate", "--to", "x.db"]],
    )  # fmt: skip
    def test_only_add_import_and_load_create_a_book(self, run, tmp_path, argv):
        """Other commands say the book does not exist (exit 3) and create nothing."""
        code, out, err = run(*argv)
        assert (3, "") == (code, out)
        assert (
            "There is no book at customers.json. Create one with 'debitor add' or 'debitor "
            "import FILE', or name another with --book PATH.\n"
        ) == err
        assert [] == list(tmp_path.iterdir())

    def test_a_book_of_another_kind_is_wrong_usage(self, run):
        """Only .json and SQLite files are books."""
        code, _, err = run("--book", "customers.csv", "list")
        assert (2, True) == (code, err.startswith("The book customers.csv is neither a .json"))

    def test_a_folder_is_not_a_book(self, run, tmp_path):
        """A folder named like a book is refused with exit status 3."""
        (tmp_path / "dir.json").mkdir()
        code, _, err = run("--book", "dir.json", "list")
        assert (
            3,
            "The book dir.json is a folder; name a .json or .db file with --book PATH.\n",
        ) == (
            code,
            err,
        )

    @pytest.mark.parametrize(
        ("name", "data"), [("bad.json", b"{nope"), ("bad.db", b"not sqlite" * 200)]
    )
    def test_a_damaged_book_exits_3_and_stays_as_it_was(self, run, tmp_path, name, data):
        """A damaged file is reported, never a traceback, and left untouched."""
        (tmp_path / name).write_bytes(data)
        code, _, err = run("--book", name, "list")
        assert (3, True) == (code, err.startswith(f"The book {name} cannot be used: "))
        assert data == (tmp_path / name).read_bytes()

    def test_a_locked_book_exits_3(self, koks, monkeypatch):
        """When another process holds the book, the command says so."""

        def locked(*_, **__):
            msg = "Another process held the lock of customers.json for 10 s."
            raise StoreLocked(msg)

        monkeypatch.setattr(JsonFileStore, "__init__", locked)
        code, _, err = koks("list")
        message = (
            "The book customers.json cannot be used: Another process held the lock of "
            "customers.json for 10 s.\n"
        )
        assert (3, message) == (code, err)

    def test_postgresql_without_the_driver(self, run, monkeypatch):
        """Without psycopg, a postgresql:// book says which extra to install, exit status 3."""
        monkeypatch.delitem(vars(storage), "PostgresStore", raising=False)
        for name in [m for m in sys.modules if m.startswith("debitor_core.storage._postgres")]:
            monkeypatch.delitem(sys.modules, name)
        monkeypatch.setitem(sys.modules, "psycopg", None)
        code, _, err = run("--book", "postgresql://clerk:secret@db/books", "list")
        assert (3, True) == (code, "pip install 'debitor-core[postgres]'" in err)
        assert "secret" not in err

    def test_postgresql_book_on_a_real_server(self, run, postgres_url):
        """add, list and show work on a PostgreSQL book; --book-id keeps books apart."""
        assert 0 == run("--book", postgres_url, "--book-id", "shop", "add", *KOKS)[0]
        code, out, _ = run("--book", postgres_url, "--book-id", "shop", "list", "--json")
        assert (0, ["SIA Koks"]) == (code, [c["name"] for c in json.loads(out)])
        other = ("--book", postgres_url, "--book-id", "other")
        assert 0 == run(*other, "add", "--name", "B", "--country", "LV")[0]
        code, out, _ = run(*other, "list", "--json")
        assert (0, ["B"]) == (code, [c["name"] for c in json.loads(out)])

    @pytest.mark.parametrize("command", [["list"], ["verify"], ["show", "1"], ["check"]])
    def test_a_mistyped_postgresql_book_id_is_not_created(self, run, postgres_url, command):
        """A book id that is not there is exit 3, as a missing file is; nothing is created.

        Only the commands that add customers (add, import, load) create a book.
        """
        psycopg = pytest.importorskip("psycopg")
        assert 0 == run("--book", postgres_url, "--book-id", "shop", "add", *KOKS)[0]
        code, out, err = run("--book", postgres_url, "--book-id", "shpo", *command)
        assert (3, "") == (code, out)
        assert "There is no book 'shpo' in this database (nothing was created there)" in err
        with psycopg.connect(postgres_url, autocommit=True) as conn:  # the URL's schema
            books = conn.execute("SELECT book_id FROM debitor_book ORDER BY book_id").fetchall()
        assert [("shop",)] == books

    def test_no_tables_are_made_for_a_book_that_is_not_there(self, run, postgres_url):
        """On a database without debitor-core's tables, list creates none."""
        psycopg = pytest.importorskip("psycopg")
        assert 3 == run("--book", postgres_url, "--book-id", "shop", "list")[0]
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            found = conn.execute("SELECT to_regclass('debitor_book')").fetchone()
        assert (None,) == found

    def test_postgresql_bad_book_id(self, run, postgres_url):
        """A book id PostgreSQL books cannot have is wrong usage (exit status 2)."""
        code, _, err = run("--book", postgres_url, "--book-id", "a b", "list")
        assert (
            2,
            "--book-id: The book id 'a b' is not valid: use 1 to 64 letters, digits, hyphens or underscores.\n",
        ) == (code, err)

    def test_postgresql_opens_with_a_book_id_once_the_store_exists(self, run, monkeypatch):
        """When PostgresStore exists, the URL and --book-id go to its connect()."""
        calls = []

        class FakePostgres:
            @staticmethod
            def connect(url, *, book_id, create):
                calls.append((url, book_id, create))
                if book_id == "down":
                    raise StorageError("The server is not answering.")
                return storage.InMemoryStore()

        monkeypatch.setattr(storage, "PostgresStore", FakePostgres, raising=False)
        url = "postgresql://clerk:secret@db/books"
        assert 0 == run("--book", url, "--book-id", "shop", "add", *KOKS)[0]
        assert 0 == run("--book", url, "list")[0]
        code, _, err = run("--book", url, "--book-id", "down", "list")
        assert (url, "shop", False) == calls[0]  # add's preview opens it as it is
        assert (url, "default", False) == calls[1]
        assert (
            3,
            "The PostgreSQL book postgresql://clerk@db/books cannot be used: The server is not answering.\n",
        ) == (code, err)

    def test_a_book_id_is_only_for_postgresql(self, run):
        """--book-id with a file book is wrong usage."""
        code, _, err = run("--book-id", "shop", "add", *KOKS)
        assert (2, "--book-id is for PostgreSQL books; a .json or .db file holds one book.\n") == (
            code,
            err,
        )

    def test_sqlite_books_work_like_json_books(self, run):
        """A .db book is an SQLite store."""
        assert 0 == run("--book", "c.db", "add", *KOKS)[0]
        assert 1 == len(book_at("c.db"))


class TestAdd:
    def test_options_register_a_customer_in_normal_form(self, run):
        """Add from options stores normalised values and says which number it got."""
        code, out, err = run(
            "add", "--name", "SIA  Koks", "--country", "lv", "--phone", "2000 0000",
            "--tax-id", "LV 4000 3521 600", "--email", " Info@Koks.LV ", "--other-email",
            "b@koks.lv", "--street", "Brīvības iela 1\\n2nd floor", "--note", "Pays late",
            "--consent", "email, post",
        )  # fmt: skip
        assert (0, "Saved customer 1 (SIA Koks).\n", "") == (code, out, err)
        customer = book_at("customers.json").get_by_number(1)
        assert ("+37120000000", "LV40003521600", "info@koks.lv", ("b@koks.lv",)) == (
            customer.phone.number,
            customer.tax_id.value,
            customer.email,
            customer.other_emails,
        )
        assert ("Brīvības iela 1\n2nd floor", "Pays late") == (
            customer.address.street,
            customer.notes[0].text,
        )
        assert "debitor add" == customer.consents[0].source

    def test_every_problem_is_shown_beside_its_field_and_nothing_is_saved(self, run, tmp_path):
        """A form with mistakes: each problem on stderr, exit 1, and no book is made."""
        code, out, err = run("add", "--name", " ", "--email", "a@@b", "--country", "DE",
                             "--postal-code", "1011")  # fmt: skip
        assert (1, "") == (code, out)
        assert [
            "name: The name is required.",
            "email: The email address 'a@@b' is not valid. The part after the @-sign contains invalid characters: '@'.",
            "address.postal_code: The postal code 1011 is not valid in Germany; it should look like 26133 or 53225.",
            "Nothing was saved.",
        ] == err.splitlines()
        assert not (tmp_path / "customers.json").exists()

    def test_a_likely_duplicate_is_saved_with_a_warning_or_skipped(self, koks):
        """By default a duplicate is saved with a warning; --on-duplicate skip saves nothing."""
        code, out, err = koks("add", *KOKS, "--on-duplicate", "skip")
        assert (0, "") == (code, err)
        assert (
            "Not saved: it looks like a customer you have. Customer 1 (SIA Koks) has the same "
            "email address and the same name and city.\n"
        ) == out
        code, out, err = koks("add", *KOKS)
        assert (0, "Saved customer 2 (SIA Koks).\n") == (code, out)
        assert err.startswith("warning: this may be a customer you already have: Customer 1")

    def test_a_dry_run_shows_the_review_and_saves_nothing(self, koks):
        """--dry-run prints the review with the number it would get."""
        code, out, _ = koks("add", "--name", "Ozols", "--country", "LV", "--dry-run")
        assert 0 == code
        assert "  Customer number   2\n" in out
        assert (
            "  Welcome invoice   none (this book sends no welcome invoice to this customer)" in out
        )
        assert out.endswith("Nothing was saved (dry run).\n")
        assert 1 == len(book_at("customers.json"))

    def test_a_taken_number_and_an_unknown_field_are_refused(self, koks):
        """--number and --field values are checked like the rest of the form."""
        code, _, err = koks("add", "--name", "B", "--country", "LV", "--number", "1",
                            "--field", "tier=gold")  # fmt: skip
        assert 1 == code
        assert "number: The customer number 1 is already taken" in err
        assert "custom_fields.tier: There is no custom field 'tier'" in err

    def test_a_field_option_needs_key_and_value(self, run):
        """--field without '=' is wrong usage."""
        code, _, err = run("add", *KOKS, "--field", "tier")
        assert (2, "--field takes KEY=VALUE, such as --field tier=gold; 'tier' has no '='.\n") == (
            code,
            err,
        )

    def test_the_required_fields_policy_comes_from_require(self, run):
        """--require complete asks for the full address, email and phone."""
        code, _, err = run("--require", "complete", "add", "--name", "A", "--country", "LV")
        assert 1 == code
        assert "email: The email address is required." in err
        assert 0 == run("--require", "name,email", "add", "--name", "A", "--email", "a@b.lv")[0]
        code, _, err = run("--require", "name,shoe_size", "list")
        assert (2, True) == (code, err.startswith("Unknown required field(s) shoe_size"))


class TestListAndFind:
    @pytest.fixture
    def three(self, koks):
        koks("categories", "add", "Retail")
        koks("fields", "add", "tier", "Tier", "--type", "choice", "--choice", "Gold")
        koks("add", "--name", "Koks GmbH", "--country", "DE", "--city", "Köln",
             "--phone", "030 123456", "--category", "Retail", "--field", "tier=gold")  # fmt: skip
        koks("add", "--name", "Ozols", "--country", "LV", "--city", "Jelgava")
        koks("archive", "3")
        return koks

    def test_a_readable_table_with_a_count(self, three):
        """List prints a table of the customers shown, then how many there are."""
        code, out, _ = three("list")
        assert 0 == code
        assert [
            "No.  Name       Email         Phone        City  Country  Categories",
            "---  ---------  ------------  -----------  ----  -------  ----------",
            "  1  SIA Koks   info@koks.lv               Rīga  LV",
            "  2  Koks GmbH                +4930123456  Köln  DE       Retail",
            "2 customers.",
        ] == out.splitlines()

    @pytest.mark.parametrize(
        ("argv", "numbers"),
        (
            (["find", "koks"], [1, 2]),
            (["find", "KÖLN"], [2]),
            (["list", "--category", "retail"], [2]),
            (["list", "--country", "Germany"], [2]),
            (["list", "--city", "riga"], [1]),
            (["list", "--field", "tier=gold"], [2]),
            (["list", "--archived"], [3]),
            (["list", "--with-archived"], [1, 2, 3]),
            (["list", "--sort", "name", "--desc"], [1, 2]),
            (["list", "--limit", "1", "--offset", "1"], [2]),
            (["find", "koks", "--country", "LV"], [1]),
        ),
    )
    def test_filters(self, three, argv, numbers):
        """Text, category, country, city, custom field, archived, sort and paging."""
        code, out, _ = three(*argv, "--json")
        assert (0, numbers) == (code, [row["number"] for row in json.loads(out)])

    def test_a_partial_page_says_which_part_it_is(self, three):
        """With --limit, the footer says which customers of how many are shown."""
        out = three("list", "--with-archived", "--limit", "2")[1]
        assert out.endswith("Customers 1-2 of 3 (see --limit and --offset).\n")
        out = three("list", "--category", "Retail")[1]
        assert out.endswith("1 customer.\n")

    def test_json_rows_have_the_export_columns(self, three):
        """--json gives one object per customer with the columns export writes."""
        (row,) = json.loads(three("find", "gmbh", "--json")[1])
        assert ("Koks GmbH", ["Retail"], "Gold", False) == (
            row["name"],
            row["categories"],
            row["custom_fields.tier"],
            row["archived"],
        )

    def test_nothing_to_show(self, koks):
        """An empty result says so."""
        assert "No customers match.\n" == koks("find", "zzz")[1]
        koks("archive", "1")
        assert "No customers yet.\n" == koks("list")[1]

    @pytest.mark.parametrize(
        ("argv", "code", "message"),
        (
            (["list", "--category", "Nope"], 1, "There is no category 'Nope'.\n"),
            (["list", "--field", "tier=x"], 1, "There is no custom field 'tier'.\n"),
            (["list", "--country", "Atlantis"], 1, "country: "),
            (
                ["list", "--limit", "-1"],
                2,
                "--limit and --offset take a number of customers, 0 or more.\n",
            ),
        ),
    )
    def test_bad_filters_are_sentences(self, koks, argv, code, message):
        """An unknown category or field, or a bad value, is refused with a sentence."""
        got, _, err = koks(*argv)
        assert (code, True) == (got, err.startswith(message))


class TestShow:
    def test_the_full_profile(self, koks, tmp_path):
        """Show prints contact data, categories, custom fields, consent, notes and account."""
        koks("categories", "add", "Retail")
        koks("fields", "add", "vip", "VIP", "--type", "boolean")
        koks("edit", "1", "--add-category", "Retail", "--field", "vip=yes", "--consent", "email",
             "--phone", "2000 0000", "--other-phone", "2000 0001", "--street", "Iela 1\\nDzīvoklis 2",
             "--postal-code", "1050", "--note", "Pays late", "--author", "Anna")  # fmt: skip
        (tmp_path / "contract.pdf").write_bytes(b"%PDF-1.4")
        koks("attach", "1", "contract.pdf")
        code, out, _ = koks("show", "1")
        assert 0 == code
        assert [
            "Customer 1: SIA Koks (company)",
            "  Contact person  -",
            "  Email           info@koks.lv",
            "  Other emails    -",
            "  Phone           +37120000000",
            "  Other phones    +37120000001 (other)",
            "  Website         -",
            "  VAT number      -",
            "  Company number  -",
            "  Address         Iela 1",
            "                  Dzīvoklis 2",
            "                  LV-1050 Rīga",
            "                  LV",
            "  Payment terms   -",
            "  Currency        -",
            "  Language        -",
            "  Categories      Retail",
            "Custom fields",
            "  VIP             yes",
            "Consent",
            "  email           given 2026-11-26 09:00 UTC (debitor edit)",
            "Private notes",
            "  2026-11-26 09:00 UTC, Anna: Pays late",
            "Attachments",
            f"  contract.pdf (application/pdf, 8 bytes, SHA-256 {PDF_SHA[:12]}…), added 2026-11-26 09:00 UTC",
            "Registered 2026-11-26 09:00 UTC; last changed 2026-11-26 09:00 UTC; version 3.",
            "Account (as of 2026-11-26)",
            "  No invoices yet.",
        ] == [line.replace("09:00:0", "09:00") for line in out.splitlines()]

    def test_the_account_lists_invoices_and_totals(self, koks, clock):
        """Invoices and payments of the customer appear in the profile's account."""
        book = book_at("customers.json", clock)
        customer = book.get_by_number(1)
        invoice = book.issue_invoice(
            customer.id,
            lines=[InvoiceLine("Work", Decimal(1), Decimal(100))],
            currency="EUR",
        )
        book.record_payment(invoice.id, amount="40", date=invoice.issue_date)
        book.store.close()
        out = koks("show", "1")[1]
        assert (
            f"  Invoice {invoice.number:<6} {invoice.issue_date}  due {invoice.due_date}  100.00 EUR"
            in out
        )
        assert "  EUR: invoiced 100.00, paid 40.00, outstanding 60.00, overdue 0.00" in out

    def test_customers_are_named_by_number_hash_or_id(self, koks):
        """12, #12 and the id all name a customer; an unknown one is exit 1."""
        customer = book_at("customers.json").get_by_number(1)
        for ref in ("1", "#1", str(customer.id)):
            assert 0 == koks("show", ref)[0]
        assert (1, "No customer has the number 9.\n") == koks("show", "9")[::2]
        assert (1, f"No customer has the id {uuid.UUID(int=1)}.\n") == koks(
            "show", str(uuid.UUID(int=1))
        )[::2]

    def test_json_for_scripts(self, koks):
        """Show --json has every attribute, category names and the account."""
        data = json.loads(koks("show", "1", "--json")[1])
        assert ("SIA Koks", [], []) == (
            data["name"],
            data["category_names"],
            data["account"]["lines"],
        )


class TestEdit:
    def test_options_change_fields_and_blank_nothing_else(self, koks):
        """Edit changes what is given; --clear empties a field; categories add and go."""
        koks("categories", "add", "Retail")
        koks("categories", "add", "Wholesale")
        code, out, _ = koks("edit", "1", "--city", "Jelgava", "--add-category", "Retail",
                            "--add-category", "Wholesale")  # fmt: skip
        assert (0, "Saved customer 1 (SIA Koks), now at version 2.\n") == (code, out)
        koks("edit", "1", "--clear", "email", "--remove-category", "retail")
        customer = book_at("customers.json").get_by_number(1)
        assert ("Jelgava", None, 1) == (
            customer.address.city,
            customer.email,
            len(customer.categories),
        )

    def test_custom_fields_merge_and_clear(self, koks):
        """--field sets one field and keeps the others; --clear custom_fields.x removes one."""
        koks("fields", "add", "a", "A")
        koks("fields", "add", "b", "B")
        koks("edit", "1", "--field", "a=1")
        koks("edit", "1", "--field", "b=2")
        assert {"a": "1", "b": "2"} == dict(
            book_at("customers.json").get_by_number(1).custom_fields
        )
        koks("edit", "1", "--clear", "custom_fields.a")
        assert {"b": "2"} == dict(book_at("customers.json").get_by_number(1).custom_fields)

    def test_a_bad_value_changes_nothing(self, koks):
        """A wrong value is refused with exit 1; the customer stays as it was."""
        code, _, err = koks("edit", "1", "--email", "nope")
        assert (1, True) == (code, err.startswith("email: The email address 'nope' is not valid."))
        assert 1 == book_at("customers.json").get_by_number(1).version


class TestNotesFilesAndState:
    def test_notes_from_the_line_or_standard_input(self, koks):
        """Note adds a dated note; '-' reads the text from standard input."""
        assert "Added a note to customer 1 (SIA Koks).\n" == koks("note", "1", "Call on Monday")[1]
        koks("note", "1", "-", "--author", "Anna", stdin="Line 1\nLine 2\n")
        notes = book_at("customers.json").get_by_number(1).notes
        assert [("Call on Monday", None), ("Line 1\nLine 2", "Anna")] == [
            (n.text, n.author) for n in notes
        ]

    def test_attach_records_name_type_size_and_checksum(self, koks, tmp_path):
        """Attach reads the file once for its size and SHA-256."""
        (tmp_path / "scan.bin").write_bytes(b"x" * 3)
        code, out, _ = koks(
            "attach", "1", "scan.bin", "--media-type", "image/png", "--name", "Contract"
        )
        assert (0, "Recorded Contract on customer 1.\n") == (code, out)
        (ref,) = book_at("customers.json").get_by_number(1).attachments
        assert ("Contract", "image/png", 3) == (ref.file_name, ref.media_type, ref.size)
        assert hashlib.sha256(b"xxx").hexdigest() == ref.sha256

    @pytest.mark.parametrize(
        ("argv", "message"),
        (
            (
                ["attach", "1", "missing.pdf"],
                "The file missing.pdf cannot be read: No such file or directory.\n",
            ),
            (
                ["attach", "1", "blob"],
                "The type of blob is not known from its name; give it with --media-type.\n",
            ),
        ),
    )
    def test_attach_mistakes_are_wrong_usage(self, koks, tmp_path, argv, message):
        """A missing file or an unknown type is exit 2 with a sentence."""
        (tmp_path / "blob").write_bytes(b"")
        assert (2, message) == koks(*argv)[::2]

    def test_archive_and_restore(self, koks):
        """Archive hides a customer from lists; restore brings it back."""
        assert "Archived customer 1 (SIA Koks).\n" == koks("archive", "1")[1]
        assert "No customers yet.\n" == koks("list")[1]
        assert "Restored customer 1 (SIA Koks).\n" == koks("restore", "1")[1]
        assert "1 customer." in koks("list")[1]


class TestMerge:
    @pytest.fixture
    def twins(self, koks):
        koks("add", "--name", "Koks", "--country", "LV", "--phone", "2000 0000")
        return koks

    def test_merge_with_yes(self, twins):
        """Merge --yes folds the duplicate into the customer kept."""
        code, out, _ = twins("merge", "1", "2", "--yes")
        assert (0, "Merged customer 2 into customer 1 (SIA Koks).\n") == (code, out)
        book = book_at("customers.json")
        assert (1, "+37120000000") == (len(book), book.get_by_number(1).phone.number)

    def test_merge_asks_at_a_terminal_and_refuses_in_a_script(self, twins):
        """At a terminal merge asks; without one it wants --yes (exit 2)."""
        code, _, err = twins("merge", "1", "2")
        assert (2, True) == (
            code,
            err.endswith("Customer 2 is then deleted. Add --yes to do it.\n"),
        )
        code, out, _ = twins("merge", "1", "2", stdin="n\n", tty=True)
        assert (0, True) == (code, out.endswith("[y/N] Nothing was merged.\n"))
        code, out, _ = twins("merge", "1", "2", stdin="yes\n", tty=True)
        assert (0, True) == (code, out.endswith("Merged customer 2 into customer 1 (SIA Koks).\n"))

    def test_a_customer_cannot_be_merged_into_itself(self, twins):
        """Merging a customer with itself is refused."""
        assert (1, "A customer cannot be merged into itself.\n") == twins(
            "merge", "1", "#1", "--yes"
        )[::2]


class TestCategoriesAndFields:
    def test_categories_as_a_tree_with_counts(self, koks):
        """Categories add, move, rename, delete, and the tree with counts."""
        koks("categories", "add", "Wholesale")
        assert (
            "Created the category Food under Wholesale.\n"
            == koks("categories", "add", "Food", "--parent", "Wholesale")[1]
        )
        koks("edit", "1", "--add-category", "Food")
        assert ["Wholesale (1 customer, 0 directly)", "  Food (1 customer)"] == koks("categories")[
            1
        ].splitlines()
        assert (
            "Moved the category Food to the top.\n"
            == koks("categories", "move", "Food", "--top")[1]
        )
        assert (
            "Moved the category Food under Wholesale.\n"
            == koks("categories", "move", "Food", "--parent", "Wholesale")[1]
        )
        assert (
            "Renamed the category Food to Groceries.\n"
            == koks("categories", "rename", "Food", "Groceries")[1]
        )
        code, _, err = koks("categories", "delete", "Groceries")
        assert (1, True) == (code, err.startswith("1 customer is in the category 'Groceries'."))
        assert (
            "Deleted the category Groceries.\n"
            == koks("categories", "delete", "Groceries", "--detach")[1]
        )

    def test_fields_defined_listed_changed_and_deactivated(self, koks):
        """Fields add, list, change, deactivate, activate."""
        out = koks("fields", "add", "limit", "Credit limit", "--type", "decimal", "--min", "0",
                   "--required", "--personal-data", "--help-text", "EUR")[1]  # fmt: skip
        assert "Defined the field limit (Credit limit, decimal).\n" == out
        assert (
            "limit: Credit limit (decimal); required: yes; min value: 0; help text: EUR; "
            "personal data: yes\n"
        ) == koks("fields", "list")[1]
        assert (
            "Changed the field limit (Limit, decimal).\n"
            == koks("fields", "change", "limit", "--label", "Limit", "--no-required")[1]
        )
        assert "The field limit is deactivated.\n" == koks("fields", "deactivate", "limit")[1]
        assert "deactivated" in koks("fields")[1]
        assert "The field limit is active.\n" == koks("fields", "activate", "limit")[1]
        assert "No custom fields yet" not in koks("fields")[1]

    def test_field_mistakes_are_sentences(self, koks):
        """A bad type or a taken key is exit 1 with the library's sentence."""
        code, _, err = koks("fields", "add", "x", "X", "--type", "colour")
        assert (1, True) == (code, err.startswith("type: The field type must be one of text,"))
        koks("fields", "add", "x", "X", "--type", "choice", "--choice", "A")
        assert 1 == koks("fields", "add", "x", "X")[0]
        assert (
            0
            == koks(
                "fields", "change", "x", "--type", "multi_choice", "--choice", "A", "--choice", "B"
            )[0]
        )

    def test_empty_lists_say_how_to_start(self, koks):
        """With no categories or fields, the lists say how to make one."""
        assert "create one with 'debitor categories add NAME'" in koks("categories", "list")[1]
        assert "define one with 'debitor fields add KEY LABEL'" in koks("fields", "list")[1]


class TestCheck:
    def test_a_book_that_passes(self, koks):
        """Check reads every customer with today's rules and changes nothing."""
        assert (
            0,
            "Checked 1 customer: 0 no longer pass today's rules; nothing was changed.\n",
        ) == koks("check")[:2]

    def test_customers_that_no_longer_pass_are_listed(self, koks):
        """A rule added since (a required field) shows which customers miss it; exit 1."""
        koks("add", "--name", "Ozols", "--country", "LV")
        koks("fields", "add", "tier", "Tier", "--required")
        koks("fields", "add", "old", "Old")
        koks("edit", "1", "--field", "old=x", "--field", "tier=gold")
        koks("fields", "deactivate", "old")
        code, out, _ = koks("check")
        assert 1 == code
        assert [
            "Customer 2 (Ozols):",
            "  custom_fields.tier: Tier is required.",
            "Checked 2 customers: 1 no longer pass today's rules; nothing was changed.",
        ] == out.splitlines()
        code, out, err = koks("check", "--json")
        assert [
            {
                "number": 2,
                "name": "Ozols",
                "problems": [
                    {
                        "path": "custom_fields.tier",
                        "code": "custom_field.required",
                        "message": "Tier is required.",
                    }
                ],
            }
        ] == json.loads(out)
        assert err.startswith("Checked 2 customers")
        assert 1 == book_at("customers.json").get_by_number(2).version


class TestVerify:
    @pytest.mark.parametrize("book", ["customers.json", "customers.db"])
    def test_a_sound_book_passes_and_nothing_changes(self, run, tmp_path, book):
        """`verify` reads every row and says so; the files are byte for byte as they were."""
        assert 0 == run("--book", book, "add", *KOKS)[0]
        before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
        code, out, err = run("--book", book, "verify")
        message = (
            f"Checked every stored row of {book} (1 customer): no damage found; "
            "nothing was changed.\n"
        )
        assert (0, message, "") == (code, out, err)
        assert before == {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}

    @pytest.mark.parametrize(("book", "kind"), [("b.json", JsonFileStore), ("b.db", SqliteStore)])
    def test_the_stores_own_verify_is_what_runs(self, run, monkeypatch, book, kind):
        """Each kind of file book is checked by its store's verify(), once."""
        assert 0 == run("--book", book, "add", *KOKS)[0]
        calls = []

        def verify(store):
            calls.append(store)

        monkeypatch.setattr(kind, "verify", verify)
        assert 0 == run("--book", book, "verify")[0]
        assert [kind] == [type(store) for store in calls]

    def test_a_damaged_sqlite_row_no_command_reads(self, run, tmp_path):
        """A row damaged by hand is found by verify (exit 3, naming it), not left to a read."""
        assert 0 == run("--book", "customers.db", "add", *KOKS)[0]
        with sqlite3.connect(tmp_path / "customers.db") as db:
            db.execute("UPDATE customer SET data = replace(data, 'Koks', 'Kaks')")
        db.close()
        code, out, err = run("--book", "customers.db", "verify")
        assert (3, "") == (code, out)
        assert err.startswith("The book customers.db cannot be used: ")
        assert "checksum" in err

    def test_a_damaged_json_book(self, run, tmp_path):
        """A JSON book checks its files whole when opened: damage is exit 3 too."""
        assert 0 == run("add", *KOKS)[0]
        for path in (tmp_path / "customers.json", tmp_path / "customers.json.journal"):
            path.write_bytes(path.read_bytes().replace(b"SIA Koks", b"SIA Kaks"))
        code, out, err = run("verify")
        assert (3, "") == (code, out)
        assert err.startswith("The book customers.json cannot be used: ")

    def test_an_unsound_customer_in_a_resealed_json_book(self, run, tmp_path):
        """A JSON book builds each customer when first read; verify reads them all.

        So a customer edited by hand, its file's checksum made to match, is exit 3.
        """
        assert 0 == run("add", *KOKS)[0]
        path = tmp_path / "customers.json"
        with JsonFileStore(path) as store:
            store.compact()  # the customer moves from the journal into the snapshot
        data, _ = _snapshot.decode(path.read_bytes())
        data["customers"][0]["name"] = "   "
        header, body = _snapshot.encode(  # sealed as a faulty writer would
            **{k: data[k] for k in ("store_id", "generation", "revision", "last_number")},
            sections=[
                (key, json.dumps(data[key]))
                for key in ("categories", "custom_fields", "customers", "records")
            ],
        )
        path.write_bytes(header + body)
        code, out, err = run("verify")
        assert (3, "") == (code, out)
        assert "name" in err

    @pytest.mark.parametrize("golden", ["book-v6.db", "book-v3.json", "book-v1.db"])
    def test_a_book_of_an_earlier_release_is_not_upgraded(self, run, tmp_path, golden):
        """Verify changes nothing, so it does not upgrade an older book: exit 3, saying so.

        Any other command upgrades it; verify then checks it.
        """
        source = Path(__file__).parent / "golden" / golden
        book = tmp_path / golden
        for part in source.parent.glob(f"{golden}*"):  # the .journal too
            shutil.copy(part, tmp_path / part.name)
        before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
        code, out, err = run("--book", book, "verify")
        assert (3, "") == (code, out)
        assert f"The book {book} was written by an earlier release of debitor-core" in err
        assert before == {p.name: p.read_bytes() for p in tmp_path.iterdir()}
        assert 0 == run("--book", book, "list")[0]
        assert 0 == run("--book", book, "verify")[0]

    def test_a_missing_book_is_not_created(self, run, tmp_path):
        """`verify` never makes the book it is asked about."""
        assert 3 == run("--book", "missing.db", "verify")[0]
        assert not (tmp_path / "missing.db").exists()

    def test_a_tombstone_only_verify_finds_on_postgresql(self, run, postgres_url):
        """A deletion hidden from the feed by hand is found by verify alone (exit 3)."""
        psycopg = pytest.importorskip("psycopg")
        book_id = f"v{uuid.uuid4().hex[:16]}"
        argv = ("--book", postgres_url, "--book-id", book_id)
        assert 0 == run(*argv, "add", *KOKS)[0]
        assert 0 == run(*argv, "add", "--name", "Ozols", "--country", "LV")[0]
        code, out, _ = run(*argv, "verify")
        assert (0, True) == (code, "(2 customers): no damage found" in out)
        book = CustomerBook(storage.PostgresStore.connect(postgres_url, book_id=book_id))
        book.delete(book.get_by_number(2).id)
        book.close()
        with psycopg.connect(postgres_url, autocommit=True) as conn, conn.transaction():
            conn.execute("SET LOCAL debitor.writer = '4'")  # past the guard of schema 4
            conn.execute(  # the URL's schema
                "UPDATE debitor_customer_deleted SET deleted_revision = 1 WHERE book_id = %s",
                (book_id,),
            )
        assert 0 == run(*argv, "list")[0]
        code, out, err = run(*argv, "verify")
        assert (3, "") == (code, out)
        assert "checksum" in err


class TestErrors:
    def test_unexpected_errors_are_not_hidden(self, koks, monkeypatch):
        """A bug (not a user mistake) still raises, so it is seen and reported."""
        monkeypatch.setattr(CustomerBook, "search", lambda *_, **__: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            koks("list")

    def test_interrupting_exits_130(self, koks, monkeypatch):
        """Ctrl-C ends the command with a sentence and exit status 130."""

        def interrupted(*_, **__):
            raise KeyboardInterrupt

        monkeypatch.setattr(CustomerBook, "search", interrupted)
        assert (130, "Interrupted; nothing more was changed.\n") == koks("list")[::2]

    def test_a_closed_pipe_is_quiet(self, koks, monkeypatch):
        """When the reader of the output goes away (| head), there is no traceback."""

        def broken(*_, **__):
            raise BrokenPipeError

        monkeypatch.setattr(CustomerBook, "search", broken)
        assert (1, "") == koks("list")[::2]

    def test_a_concurrent_change_is_a_sentence(self, koks, monkeypatch):
        """Another process's change in between is reported, exit 1."""
        from debitor_core import ConcurrencyConflict

        def conflict(*_, **__):
            raise ConcurrencyConflict(
                "Customer 1 was changed by someone else.", expected=1, actual=2
            )

        monkeypatch.setattr(CustomerBook, "update", conflict)
        assert (1, "Customer 1 was changed by someone else.\n") == koks("edit", "1", "--city", "X")[
            ::2
        ]


class TestMore:
    @pytest.mark.usefixtures("run")
    def test_python_dash_m_runs_main(self, monkeypatch):
        """Python -m debitor_core runs the command and exits with its status."""
        import runpy

        monkeypatch.setattr(sys, "argv", ["debitor", "list"])
        with pytest.raises(SystemExit) as info:
            runpy.run_module("debitor_core", run_name="__main__")
        assert 3 == info.value.code

    def test_a_storage_failure_during_a_command_exits_3(self, koks, monkeypatch):
        """A store that fails in the middle of a command is reported, exit 3."""

        def failing(*_, **__):
            raise StorageError("The disk is full; nothing was written.")

        monkeypatch.setattr(CustomerBook, "add_note", failing)
        assert (
            3,
            "The book customers.json cannot be used: The disk is full; nothing was written.\n",
        ) == koks("note", "1", "x")[::2]

    def test_an_unreadable_book_exits_3(self, koks, monkeypatch):
        """An operating-system refusal to open the book is a sentence, exit 3."""

        def denied(*_, **__):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(JsonFileStore, "__init__", denied)
        assert (3, "The book customers.json cannot be opened: Permission denied.\n") == koks(
            "list"
        )[::2]

    def test_text_fields_and_choices_in_profile_and_list(self, koks):
        """Text and choice custom fields show as written; field rules list their choices."""
        koks("fields", "add", "code", "Code")
        koks(
            "fields",
            "add",
            "tier",
            "Tier",
            "--type",
            "choice",
            "--choice",
            "Gold",
            "--choice",
            "Silver",
        )
        koks("edit", "1", "--field", "code=A-1")
        assert "  Code            A-1\n" in koks("show", "1")[1]
        assert "tier: Tier (choice); choices: Gold, Silver\n" in koks("fields")[1]

    def test_check_reports_progress_on_a_terminal(self, koks, tmp_path, monkeypatch):
        """Check draws its progress bar when stderr is a terminal."""
        (tmp_path / "in.csv").write_text(
            "Name;Country\n" + "".join(f"C{i};LV\n" for i in range(250)), encoding="utf-8"
        )
        koks("import", "in.csv")
        terminal = Tty()
        monkeypatch.setattr(sys, "stderr", terminal)
        assert 0 == koks("check")[0]
        assert "\rChecking  79% [" in terminal.getvalue()


class TestAuthor:
    """--author goes into the customer's history wherever a command writes."""

    def test_definition_commands(self, koks):
        """The category and field commands record --author in the definition history."""
        for argv in (
            ("categories", "add", "Wholesale"),
            ("categories", "add", "Food"),
            ("categories", "rename", "Food", "Groceries"),
            ("categories", "move", "Groceries", "--parent", "Wholesale"),
            ("fields", "add", "size", "Size"),
            ("fields", "change", "size", "--label", "Shoe size"),
            ("fields", "deactivate", "size"),
            ("fields", "activate", "size"),
        ):
            assert 0 == koks(*argv, "--author", "anna")[0], argv
        changes = book_at("customers.json").definition_history()
        assert (8, {"anna"}) == (len(changes), {c.author for c in changes})

    def test_every_writing_command(self, koks, tmp_path):
        """attach, archive, restore, merge, categories delete and fields change record it."""
        (tmp_path / "c.pdf").write_bytes(b"%PDF")
        koks("fields", "add", "size", "Size")
        koks("add", "--name", "Koks", "--country", "LV")
        assert 0 == koks("add", "--name", "Ozols", "--country", "LV", "--field", "size=42")[0]
        koks("categories", "add", "Retail")
        book = book_at("customers.json")
        book.categorise(book.get_by_number(1).id, add="Retail")
        for argv in (
            ("attach", "1", "c.pdf"),
            ("archive", "1"),
            ("restore", "1"),
            ("merge", "1", "2", "--yes"),
            ("categories", "delete", "Retail", "--detach"),
            ("fields", "change", "size", "--type", "integer"),
        ):
            assert 0 == koks(*argv, "--author", "anna")[0], argv
        book = book_at("customers.json")
        one, three = book.get_by_number(1), book.get_by_number(3)
        assert (["anna"] * 5, "anna") == (
            [e.author for e in book.history(one.id)[-5:]],
            book.history(three.id)[-1].author,
        )
        assert {"custom_fields.size": ("42", 42)} == book.history(three.id)[-1].changes
