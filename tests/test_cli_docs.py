"""The shell examples of docs/cli.md and docs/exchange.md run and print what they show.

Each page's ``console`` blocks run in order in one folder: a ``$ debitor ...`` line is
run in-process (standard output and error together, as a terminal shows them) and
must print exactly the lines under it. A block preceded by ``<!-- file: NAME -->``
is written to that file first.
"""

import contextlib
import io
import re
import shlex
import sys
from pathlib import Path

import pytest

from debitor_core.cli import main

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(
    r"(?:<!-- file: (?P<file>\S+) -->\n)?```(?P<lang>\w*)\n(?P<body>.*?)```", re.DOTALL
)


def steps(page):
    """(file to write, its text) or (command line, expected output) in page order."""
    for match in BLOCK.finditer(page.read_text(encoding="utf-8")):
        if match["file"]:
            yield "file", match["file"], match["body"]
        elif match["lang"] == "console":
            command, expected = None, []
            for line in match["body"].splitlines():
                if line.startswith("$ "):
                    if command is not None:
                        yield "run", command, expected
                    command, expected = line[2:], []
                else:
                    expected.append(line)
            if command is not None:
                yield "run", command, expected


@pytest.mark.parametrize("name", ["cli.md", "exchange.md"])
@pytest.mark.usefixtures("frozen_wall_clock")
def test_shell_examples_print_what_the_page_shows(name, tmp_path, monkeypatch):
    """Every example command prints exactly the lines the page shows under it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DEBITOR_BOOK", raising=False)
    ran = 0
    for kind, what, content in steps(ROOT / "docs" / name):
        if kind == "file":
            (tmp_path / what).write_text(content, encoding="utf-8")
            continue
        argv = shlex.split(what)
        assert "debitor" == argv[0], what
        output = io.StringIO()
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            main(argv[1:])
        assert content == output.getvalue().splitlines(), what
        ran += 1
    assert ran >= 10
