"""debitor demo: a tour on a book of its own, that runs twice and never touches other books."""

import io
import sys

import pytest

from debitor_core import CustomerBook
from debitor_core.cli import main
from debitor_core.storage import JsonFileStore, SqliteStore

pytestmark = pytest.mark.usefixtures("frozen_wall_clock")


@pytest.fixture
def run(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))

    def go(*argv):
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return go


def test_the_tour_shows_the_main_flows(run, tmp_path):
    """Three countries, a form with mistakes fixed, list, search, profile, import, export."""
    code, out, err = run("demo")
    assert (0, "") == (code, err)
    for line in (
        "A tour of the debitor command on the demo book debitor-demo.json.",
        "Saved customer 1 (SIA Bērziņš un Partneri).",
        "tax_id: The VAT number 'DE113866164' is not a valid number from Germany: its check digit is wrong.",
        "(exit status 1: something was refused, as the demo meant)",
        "Saved customer 2 (Koks GmbH).",
        "Saved customer 3 (Aino Virtanen).",
        "  1  SIA Bērziņš un Partneri  info@berzins.lv           +37120000000   Rīga      LV       Retailers",
        "Customer 1: SIA Bērziņš un Partneri (company)",
        "row 2: would skip customer 1 (SIA Bērziņš un Partneri), matched by VAT number",
        "2 created, 0 updated, 1 skipped, 1 rejected.",
        "Exported 5 customers to debitor-demo-export.csv.",
        "Checked 5 customers: 0 no longer pass today's rules; nothing was changed.",
    ):
        assert line in out.splitlines(), line
    assert "$ debitor --book debitor-demo.json find berzins" in out
    names = {p.name for p in tmp_path.iterdir()}
    assert {"debitor-demo.json", "debitor-demo-customers.csv", "debitor-demo-export.csv",
            "debitor-demo-customers.rejects.csv"} <= names  # fmt: skip


def test_a_second_run_adds_nothing_twice(run):
    """Run again, the demo finds its customers and imports nothing new."""
    run("demo")
    code, out, _ = run("demo")
    assert 0 == code
    assert (
        "Not saved: it looks like a customer you have. Customer 1 (SIA Bērziņš un Partneri)" in out
    )
    assert "0 created, 0 updated, 3 skipped, 1 rejected." in out
    assert 5 == len(CustomerBook(JsonFileStore("debitor-demo.json")))


def test_the_demo_never_writes_into_a_book_it_did_not_make(run, tmp_path):
    """A book with customers, categories or fields of its own is refused and left alone."""
    run("--book", "mine.json", "add", "--name", "SIA Koks", "--country", "LV")
    before = (tmp_path / "mine.json").read_bytes()
    code, out, err = run("demo", "mine.json")
    assert (1, "") == (code, out)
    assert err.startswith("The book mine.json was not made by the demo, and the demo never writes")
    assert before == (tmp_path / "mine.json").read_bytes()
    run("--book", "setup.json", "add", "--name", "X", "--country", "LV")
    run("--book", "setup.json", "archive", "1")
    assert 1 == run("demo", "setup.json")[0]


def test_the_demo_ignores_the_default_book(run, monkeypatch):
    """--book and DEBITOR_BOOK do not lead the demo to a real book."""
    monkeypatch.setenv("DEBITOR_BOOK", "real.json")
    run("add", "--name", "Real", "--country", "LV")
    assert 0 == run("--book", "real.json", "demo")[0]
    assert 1 == len(CustomerBook(JsonFileStore("real.json")))


def test_a_new_path_and_an_sqlite_book_work(run, tmp_path):
    """Given a new .db path, the demo makes its book there."""
    (tmp_path / "demo").mkdir()
    assert 0 == run("demo", "demo/tour.db")[0]
    assert 5 == len(CustomerBook(SqliteStore(tmp_path / "demo" / "tour.db")))
    assert (tmp_path / "demo" / "debitor-demo-export.csv").exists()


def test_an_empty_file_book_is_taken_and_marked(run, tmp_path):
    """An existing but empty book may become the demo's; it is marked as such."""
    JsonFileStore(tmp_path / "empty.json").close()
    assert 0 == run("demo", "empty.json")[0]
    fields = CustomerBook(JsonFileStore("empty.json")).fields()
    assert [("debitor_demo", False)] == [(f.key, f.active) for f in fields]


def test_the_demo_book_must_be_a_book_file(run):
    """A path that is not .json or .db is wrong usage."""
    assert (2, "The demo book tour.txt must be a .json or .db file.\n") == run("demo", "tour.txt")[
        ::2
    ]


def test_a_failing_step_stops_the_tour(run, monkeypatch):
    """If a step ends otherwise than the demo expects, it stops and says which status."""
    from debitor_core.cli import _demo

    monkeypatch.setattr(_demo, "_steps", lambda *_: [("Broken", ("show", "99"), 0)])
    code, _, err = run("demo")
    assert (1, "The demo stopped: that command ended with exit status 1.\n") == (
        code,
        err[-60:] if False else err.splitlines()[-1] + "\n",
    )
