"""Where the command reads and writes: output, errors, prompts, tables, a progress bar."""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Sequence
from typing import TextIO

from debitor_core.cli._i18n import number

__all__ = ["Console", "ProgressBar", "display_width"]


def display_width(text: str) -> int:
    """How many terminal columns ``text`` takes (wide characters two, accents none)."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in "WF" else 1
    return width


def _clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns, ending in an ellipsis when cut."""
    if display_width(text) <= width:
        return text
    kept = ""
    for char in text:
        if display_width(kept + char) > width - 1:
            break
        kept += char
    return kept + "…"


class ProgressBar:
    """A one-line bar on standard error, drawn only when that is a terminal."""

    def __init__(self, stream: TextIO, total: int, label: str) -> None:
        """Prepare a bar for ``total`` items; nothing is drawn until `update`."""
        self.stream = stream
        self.total = total
        self.label = label
        self.shown = -1
        self.active = stream.isatty() and total > 0

    def update(self, done: int, _total: int = 0) -> None:
        """Redraw when the percentage changed."""
        if not self.active:
            return
        percent = min(100, done * 100 // self.total)
        if percent == self.shown:
            return
        self.shown = percent
        filled = percent * 30 // 100
        bar = "#" * filled + " " * (30 - filled)
        self.stream.write(
            f"\r{self.label} {percent:3d}% [{bar}] {number(done)}/{number(self.total)}"
        )
        self.stream.flush()

    def close(self) -> None:
        """Remove the bar from the line."""
        if self.active and self.shown >= 0:
            self.stream.write("\r" + " " * (len(self.label) + 50 + 2 * len(f"{self.total:,}")))
            self.stream.write("\r")
            self.stream.flush()


class Console:
    """The command's standard streams (looked up when made, so tests can replace them)."""

    def __init__(
        self,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        """Use the given streams, or the process's."""
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr

    def out(self, text: str = "") -> None:
        """Write a line of output."""
        self.stdout.write(text + "\n")

    def err(self, text: str) -> None:
        """Write a line to standard error (problems, warnings)."""
        self.stdout.flush()
        self.stderr.write(text + "\n")
        self.stderr.flush()

    def ask(self, prompt: str) -> str | None:
        """Show ``prompt`` and read one line; ``None`` at the end of input."""
        self.stdout.write(prompt)
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            self.stdout.write("\n")
            return None
        return line.rstrip("\r\n")

    @property
    def width(self) -> int | None:
        """The terminal's width, or ``None`` when output goes to a file or pipe."""
        if not self.stdout.isatty():
            return None
        columns = os.environ.get("COLUMNS", "")
        if columns.isdigit() and int(columns) > 0:
            return int(columns)
        try:
            return os.get_terminal_size(self.stdout.fileno()).columns
        except (OSError, ValueError, AttributeError):  # not a real terminal after all
            return 100

    def progress(self, total: int, label: str) -> ProgressBar:
        """A progress bar for ``total`` items (silent unless standard error is a terminal)."""
        return ProgressBar(self.stderr, total, label)

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        right: Sequence[int] = (),
        flexible: Sequence[int] = (),
    ) -> None:
        """Print rows under headers, columns aligned.

        On a narrow terminal the ``flexible`` columns are cut (with an ellipsis) until
        the table fits; output to a file or pipe is never cut.
        """
        widths = [display_width(h) for h in headers]
        for row in rows:
            for index, cell in enumerate(row):
                widths[index] = max(widths[index], display_width(cell))
        limit = self.width
        if limit is not None:
            excess = sum(widths) + 2 * (len(widths) - 1) - limit
            for index in sorted(flexible, key=lambda i: -widths[i]):
                if excess <= 0:
                    break
                cut = min(excess, widths[index] - max(8, display_width(headers[index])))
                if cut > 0:
                    widths[index] -= cut
                    excess -= cut

        def line(cells: Sequence[str]) -> str:
            parts = []
            for index, cell in enumerate(cells):
                text = _clip(cell, widths[index])
                pad = " " * (widths[index] - display_width(text))
                parts.append(pad + text if index in right else text + pad)
            return "  ".join(parts).rstrip()

        self.out(line(headers))
        self.out(line(["-" * w for w in widths]))
        for row in rows:
            self.out(line(row))
