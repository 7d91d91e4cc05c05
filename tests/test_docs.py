"""Every code example in the docs and the README runs, and so do the docstring examples."""

import doctest
import re
from pathlib import Path

import pytest

import debitor_core
from debitor_core import rules, strategies

ROOT = Path(__file__).resolve().parent.parent
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
@pytest.mark.usefixtures("frozen_wall_clock")
def test_examples_run(page):
    """The python blocks of a page run in order, in one namespace, without error."""
    blocks = BLOCK.findall(page.read_text(encoding="utf-8"))
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for number, block in enumerate(blocks, 1):
        code = compile(block, f"{page.name}, block {number}", "exec")
        exec(code, namespace)  # noqa: S102 - running our own documentation


def test_every_page_is_in_the_nav():
    """Each docs page is listed in mkdocs.yml."""
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in (ROOT / "docs").glob("*.md"):
        assert page.name in nav


@pytest.mark.parametrize("module", [debitor_core, rules, strategies], ids=lambda m: m.__name__)
@pytest.mark.usefixtures("frozen_wall_clock")
def test_docstring_examples(module):
    """Docstring examples (>>>) run and print what they show."""
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
