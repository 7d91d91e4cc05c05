"""add and edit by prompts: required marks, problems beside fields, the review, save and new."""

import io
import os
import pty
import select
import subprocess
import sys

import pytest

from debitor_core import CustomerBook
from debitor_core.cli import main
from debitor_core.storage import JsonFileStore

pytestmark = pytest.mark.usefixtures("frozen_wall_clock")

BOOT = (
    "import datetime as dt, sys\n"
    "from debitor_core import _model\n"
    "_model._wall_clock = lambda: dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)\n"
    "from debitor_core.cli import main\n"
    "raise SystemExit(main(sys.argv[1:]))\n"
)

#: Answers to the prompts of a new customer, in order, for a book with no categories
#: or custom fields: kind, name, country, street, postal code, city, region, contact,
#: email, phone, other emails, other phones, VAT, company number, website, terms,
#: currency, language, note, consent.
KOKS = [
    "", "SIA Koks", "lv", "Brīvības iela 1", "1050", "Rīga", "", "Jānis Bērziņš",
    "info@@koks", "info@koks.lv", "2000 0000", "", "", "LV 4000 3521 600", "", "", "net 14",
    "", "", "Pays late", "email",
]  # fmt: skip


@pytest.fixture
def run(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)

    def go(*argv, answers=()):
        monkeypatch.setattr(sys, "stdin", io.StringIO("".join(a + "\n" for a in answers)))
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return go


def saved():
    return CustomerBook(JsonFileStore("customers.json"))


class TestAddByPrompts:
    def test_each_problem_is_shown_beside_its_field_and_asked_again(self, run):
        """A wrong email is explained under its prompt and asked again; then saved."""
        code, out, _ = run("add", answers=[*KOKS, "s"])
        assert 0 == code
        assert out.startswith(
            "New customer (fields marked * are required). Enter leaves a field as shown; "
            "- empties it.\n  Kind (company or person): "
        )
        assert "  Name *: " in out
        assert "  Country * (code or name): " in out
        assert (
            "  Email:     ! The email address 'info@@koks' is not valid. The part after the "
            "@-sign contains invalid characters: '@'.\n  Email: "
        ) in out
        customer = saved().get_by_number(1)
        assert ("info@koks.lv", "LV40003521600", "net 14 days", "Pays late") == (
            customer.email,
            customer.tax_id.value,
            str(customer.payment_terms),
            customer.notes[0].text,
        )
        assert out.endswith("Saved customer 1 (SIA Koks).\n")

    def test_the_review_comes_before_saving(self, run, tmp_path):
        """The review shows the normalised customer, number, duplicates and welcome invoice."""
        out = run("add", answers=[*KOKS, "c"])[1]
        review = out[out.index("Review") :].splitlines()
        assert [
            "Review",
            "  Customer number   1",
            "  Name              SIA Koks (company)",
            "  Contact person    Jānis Bērziņš",
            "  Email             info@koks.lv",
            "  Phone             +37120000000",
            "  VAT number        LV40003521600",
            "  Address           Brīvības iela 1, LV-1050 Rīga, LV",
            "  Payment terms     net 14 days",
            "  Private note      Pays late",
            "  Consent           email",
            "  Likely duplicates: none found",
            "  Welcome invoice   none (this book sends no welcome invoice to this customer)",
            "[s]ave, save and [n]ew, [e]dit a field or [c]ancel? Nothing was saved.",
        ] == review
        assert not (tmp_path / "customers.json").exists()

    def test_a_required_field_left_blank_is_asked_again(self, run):
        """Enter on a required field shows that it is required and asks again."""
        answers = ["", "", "SIA Koks", "", "LV", *[""] * 17, "s"]
        out = run("add", answers=answers)[1]
        assert "  Name *:     ! The name is required.\n  Name *: " in out
        assert "  Country * (code or name):     ! The country is required.\n" in out
        assert "LV" == saved().get_by_number(1).address.country

    def test_save_and_new_starts_the_next_customer(self, run):
        """'n' saves and opens a blank form; duplicates show in the second review."""
        answers = [*KOKS, "n", *KOKS[:8], "info@koks.lv", *[""] * 11, "s"]
        code, out, _ = run("add", answers=answers)
        assert 0 == code
        assert out.count("New customer") == 2
        assert "  Likely duplicates:\n    Customer 1 (SIA Koks) has the same email address" in out
        assert ["SIA Koks", "SIA Koks"] == [c.name for c in saved().customers()]

    def test_edit_a_field_from_the_review(self, run):
        """'e' asks which field, asks it, and shows the review again."""
        answers = [*KOKS, "e", "city", "Jelgava", "s"]
        out = run("add", answers=answers)[1]
        assert "Which field? (kind, name, country, street, postal code, city" in out
        assert "  City [Rīga]: " in out
        assert "Jelgava" == saved().get_by_number(1).address.city

    def test_categories_and_custom_fields_are_asked_with_their_choices(self, run):
        """With categories and fields, their prompts list the choices and mark required."""
        run("add", "--name", "Seed", "--country", "LV")
        run("categories", "add", "Retail")
        run("fields", "add", "tier", "Tier", "--type", "choice", "--choice", "Gold",
            "--choice", "Silver", "--required")  # fmt: skip
        answers = [*KOKS[:19], "retail", "platinum", "gold", "", "", "s"]
        code, out, _ = run("add", answers=answers)
        assert 0 == code
        assert "  Categories (comma-separated: Retail): " in out
        assert (
            "  Tier * (Gold, Silver):     ! Tier: 'platinum' is not one of the choices (Gold, Silver).\n"
            in out
        )
        assert {"tier": "Gold"} == dict(saved().get_by_number(2).custom_fields)

    def test_the_end_of_input_saves_nothing(self, run, tmp_path):
        """If the input ends mid-form, nothing is saved and the exit status is 1."""
        code, _, err = run("add", answers=["", "SIA Koks"])
        assert (1, "The input ended; nothing more was saved.\n") == (code, err)
        assert not (tmp_path / "customers.json").exists()

    def test_options_and_prompts_together_with_interactive(self, run):
        """-i asks for every field, starting from the options given."""
        answers = ["", "", "", *[""] * 17, "s"]
        out = run("add", "-i", "--name", "Ozols", "--country", "LV", answers=answers)[1]
        assert "  Name * [Ozols]: " in out
        assert "Ozols" == saved().get_by_number(1).name


class TestEditByPrompts:
    def test_prompts_start_from_the_stored_values_and_save_changes(self, run):
        """Edit without options asks each field with its stored value in brackets."""
        run("add", "--name", "SIA Koks", "--country", "LV", "--email", "info@koks.lv")
        answers = ["", "", "", "", "", "Jelgava", *[""] * 13, "", "s"]
        code, out, _ = run("edit", "1", answers=answers)
        assert (0, True) == (code, "  Email [info@koks.lv]: " in out)
        assert out.endswith("Saved customer 1 (SIA Koks), now at version 2.\n")
        assert "Jelgava" == saved().get_by_number(1).address.city
        assert "Likely duplicates" not in out

    def test_no_change_and_cancel(self, run):
        """Nothing changed is said so; cancel saves nothing; the end of input exits 1."""
        run("add", "--name", "SIA Koks", "--country", "LV")
        assert run("edit", "1", answers=[*[""] * 20, "s"])[1].endswith("Nothing changed.\n")
        assert run("edit", "1", answers=[*[""] * 20, "c"])[1].endswith("Nothing was saved.\n")
        assert 1 == run("edit", "1", answers=[""])[0]
        assert 1 == saved().get_by_number(1).version


def test_prompts_work_on_a_real_terminal(tmp_path):
    """In a pseudo-terminal, the prompts show, problems appear and the customer is saved."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", BOOT, "add"],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        cwd=tmp_path,
        close_fds=True,
    )
    os.close(secondary)
    os.write(primary, "".join(a + "\n" for a in [*KOKS, "s"]).encode())
    output = b""
    while True:
        ready, _, _ = select.select([primary], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(primary, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(primary)
    assert 0 == process.wait(timeout=30)
    text = output.decode().replace("\r\n", "\n")
    assert "  Name *: " in text
    assert "! The email address 'info@@koks' is not valid." in text
    assert "Saved customer 1 (SIA Koks)." in text


class TestPromptDetails:
    def test_hints_for_each_kind_of_custom_field(self, run):
        """Yes/no, dates, numbers and multiple choices each say what they take."""
        run("add", "--name", "Seed", "--country", "LV")
        for argv in (
            ("vip", "VIP", "--type", "boolean"),
            ("since", "Since", "--type", "date"),
            ("staff", "Staff", "--type", "integer"),
            ("limit", "Limit", "--type", "decimal"),
            ("tags", "Tags", "--type", "multi_choice", "--choice", "A", "--choice", "B"),
            ("code", "Code", "--help-text", "Our code"),
        ):
            run("fields", "add", *argv)
        out = run(
            "add", answers=[*KOKS[:19], "yes", "2026-01-31", "3", "1.5", "A, B", "X", "", "", "s"]
        )[1]
        for hint in ("VIP (yes or no)", "Since (YYYY-MM-DD)", "Staff (a whole number)",
                     "Limit (a number)", "Tags (A, B; several, comma-separated)", "Code (Our code)"):  # fmt: skip
            assert f"  {hint}: " in out
        fields = dict(saved().get_by_number(2).custom_fields)
        assert (True, 3, ("A", "B"), "X") == (
            fields["vip"],
            fields["staff"],
            fields["tags"],
            fields["code"],
        )

    def test_warnings_show_in_the_review(self, run):
        """A warning (a VAT number of a country without rules) is shown before saving."""
        answers = ["", "Acme Inc", "US", *[""] * 9, "EIN 12-3456789", *[""] * 7, "s"]
        out = run("add", answers=answers)[1]
        assert "  Warning: The VAT number 'EIN 12-3456789' was kept as written" in out

    def test_unknown_fields_and_the_end_of_input_when_choosing(self, run, tmp_path):
        """Asking to edit a field that does not exist says so; input ending saves nothing."""
        code, out, err = run("add", answers=[*KOKS, "e", "shoe size"])
        assert "    ! There is no field 'shoe size'." in out
        assert (1, "The input ended; nothing more was saved.\n") == (code, err)
        assert 1 == run("add", answers=KOKS)[0]
        assert not (tmp_path / "customers.json").exists()

    def test_a_dash_empties_a_field_and_enter_after_a_problem_too(self, run):
        """'-' empties a stored value; after a problem, Enter leaves the field empty."""
        run("add", "--name", "SIA Koks", "--country", "LV", "--email", "info@koks.lv",
            "--phone", "2000 0000", "--kind", "person")  # fmt: skip
        answers = ["", "", "", "", "", "", "", "", "-", "nope", "", *[""] * 10, "s"]
        code, out, _ = run("edit", "1", answers=answers)
        assert 0 == code
        assert "  Kind (company or person) [person]: " in out
        assert "  Phone [+37120000000]: " in out
        customer = saved().get_by_number(1)
        assert (None, None) == (customer.email, customer.phone)

    def test_editing_custom_fields_by_prompt(self, run):
        """Custom fields show their stored values; a change keeps the rest, '-' removes one."""
        run("add", "--name", "SIA Koks", "--country", "LV")
        run("fields", "add", "a", "A")
        run("fields", "add", "b", "B", "--type", "boolean")
        run("fields", "add", "c", "C")
        run("edit", "1", "--field", "a=1", "--field", "b=yes", "--field", "c=3")
        answers = [*[""] * 18, "2", "", "-", "", "s"]
        code, out, _ = run("edit", "1", answers=answers)
        assert (0, True) == (code, "  B (yes or no) [yes]: " in out)
        assert {"a": "2", "b": True} == dict(saved().get_by_number(1).custom_fields)

    def test_edit_from_the_review_rechecks_the_rest(self, run):
        """Changing the country from the review asks again the fields it broke."""
        run("add", "--name", "SIA Koks", "--country", "LV", "--postal-code", "1050")
        answers = [*[""] * 20, "e", "country", "DE", "10117", "s"]
        code, out, _ = run("edit", "1", answers=answers)
        assert 0 == code
        assert (
            "Some answers need another look:\n    ! The postal code LV-1050 is not valid in "
            "Germany; it should look like 26133 or 53225.\n  Postal code: "
        ) in out
        assert ("DE", "10117") == (
            saved().get_by_number(1).address.country,
            saved().get_by_number(1).address.postal_code,
        )
