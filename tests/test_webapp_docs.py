"""docs/webapp.md quotes the web example's code as it is: every quoted block is in a source file."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "webapp.md"
SOURCES = sorted((ROOT / "examples" / "webapp").glob("*.py"))
QUOTE = re.compile(r"```py\n(.*?)```", re.DOTALL)
SHOT = re.compile(r"!\[[^\]]*\]\((screenshots/[^)]+)\)")


def _tokens(text):
    """The code without its layout (the formatter dedents and rejoins quoted blocks)."""
    return "".join(text.split()).replace(",)", ")")


@pytest.mark.parametrize("number", range(len(QUOTE.findall(PAGE.read_text(encoding="utf-8")))))
def test_quoted_code_is_the_code(number):
    """A code block the page quotes is in one of the example's files, as it is there."""
    quoted = QUOTE.findall(PAGE.read_text(encoding="utf-8"))[number]
    assert len(quoted.splitlines()) >= 3
    assert any(_tokens(quoted) in _tokens(p.read_text(encoding="utf-8")) for p in SOURCES), quoted


def test_screenshots_exist():
    """Every picture the page shows is in docs/screenshots/ (made by make screenshots)."""
    shots = SHOT.findall(PAGE.read_text(encoding="utf-8"))
    assert len(shots) >= 9
    for shot in shots:
        assert (ROOT / "docs" / shot).is_file(), shot
