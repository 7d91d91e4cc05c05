"""The demo runs and shows the tour."""

from debitor_core.__main__ import main


def test_demo_runs(capsys):
    """`python -m debitor_core demo` registers, rejects, previews, searches and reports."""
    assert 0 == main(["demo"])
    out = capsys.readouterr().out
    assert "#1 SIA Bērziņš un Partneri | info@berzins.lv | +37120000000 | LV40003521600" in out
    assert "postal_code.invalid" in out
    assert "has the same email address" in out
    assert "'berzins' -> SIA Bērziņš un Partneri" in out
