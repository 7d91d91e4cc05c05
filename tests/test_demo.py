"""The demo runs, shows the tour, and its book survives between runs."""

import pytest

from debitor_core.__main__ import main


@pytest.mark.usefixtures("frozen_wall_clock")
def test_demo_runs_and_persists(capsys, tmp_path):
    """`python -m debitor_core demo PATH` tours the book; a second run finds it again."""
    book = str(tmp_path / "book.json")
    assert 0 == main(["demo", book])
    out = capsys.readouterr().out
    assert "#1 SIA Bērziņš un Partneri | info@berzins.lv | +37120000000 | LV40003521600" in out
    assert "postal_code.invalid" in out
    assert "has the same email address" in out
    assert "'berzins' -> SIA Bērziņš un Partneri" in out
    assert "the book now holds 4 customers" in out
    assert 0 == main(["demo", book])
    again = capsys.readouterr().out
    assert "already registered: SIA Bērziņš un Partneri" in again
    assert "the book now holds 5 customers" in again


def test_demo_reports_a_damaged_book(capsys, tmp_path):
    """A damaged book is reported, not a traceback."""
    book = tmp_path / "book.json"
    book.write_text("{not json", encoding="utf-8")
    assert 1 == main(["demo", str(book)])
    assert "Cannot open the book" in capsys.readouterr().out
