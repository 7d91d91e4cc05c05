"""The console: tables that fit the terminal, the progress bar, prompts at the end of input."""

import io

import pytest

from debitor_core.cli._console import Console, ProgressBar, display_width


class Terminal(io.StringIO):
    def isatty(self):
        return True


class TestDisplayWidth:
    @pytest.mark.parametrize(
        ("text", "width"),
        (("Rīga", 4), ("Ri\u0304ga", 4), ("東京", 4), ("", 0), ("Bērziņš", 7)),
    )
    def test_wide_and_combining_characters(self, text, width):
        """Wide characters take two columns, combining accents none."""
        assert width == display_width(text)


class TestTable:
    ROWS = (("1", "SIA Bērziņš un Partneri", "info@berzins.lv"), ("22", "東京商事", "x@y.jp"))

    def test_columns_line_up_and_numbers_are_right_aligned(self):
        """Each column is as wide as its widest cell; right columns align right."""
        out = io.StringIO()
        Console(stdout=out).table(("No.", "Name", "Email"), self.ROWS, right=(0,))
        assert [
            "No.  Name                     Email",
            "---  -----------------------  ---------------",
            "  1  SIA Bērziņš un Partneri  info@berzins.lv",
            " 22  東京商事                 x@y.jp",
        ] == out.getvalue().splitlines()

    def test_a_narrow_terminal_cuts_flexible_columns(self, monkeypatch):
        """On a terminal narrower than the table, flexible columns end in an ellipsis."""
        monkeypatch.setenv("COLUMNS", "30")
        out = Terminal()
        Console(stdout=out).table(("No.", "Name", "Email"), self.ROWS, right=(0,), flexible=(1, 2))
        lines = out.getvalue().splitlines()
        assert all(display_width(line) <= 30 for line in lines)
        assert "  1  SIA Bēr…  info@berzins.lv" == lines[2]

    def test_output_to_a_file_is_never_cut(self, monkeypatch):
        """When output is not a terminal, nothing is cut."""
        monkeypatch.setenv("COLUMNS", "10")
        out = io.StringIO()
        Console(stdout=out).table(("Name",), [("SIA Bērziņš un Partneri",)], flexible=(0,))
        assert "SIA Bērziņš un Partneri" in out.getvalue()


class TestProgressBar:
    def test_drawn_on_a_terminal_when_the_percentage_changes(self):
        """The bar redraws only when the percentage moves, and is wiped at the end."""
        err = Terminal()
        bar = ProgressBar(err, 200, "Importing")
        for done in (1, 2, 100, 101, 200):
            bar.update(done)
        bar.close()
        drawn = err.getvalue().split("\r")
        assert "Importing   0% [                              ] 1/200" == drawn[1]
        assert "Importing  50% [###############               ] 100/200" == drawn[3]
        assert "Importing 100% [##############################] 200/200" == drawn[-3]
        assert "" == drawn[-1]
        assert 5 == err.getvalue().count("\r") - 2 + 1

    def test_silent_when_not_a_terminal(self):
        """Piped or redirected stderr gets no bar."""
        err = io.StringIO()
        bar = ProgressBar(err, 10, "Importing")
        bar.update(5)
        bar.close()
        assert "" == err.getvalue()


class TestPrompts:
    def test_the_end_of_input_is_none(self):
        """ask() returns the line without its newline, then None at the end."""
        out = io.StringIO()
        console = Console(stdin=io.StringIO("yes\r\n"), stdout=out)
        assert ("yes", None) == (console.ask("Sure? "), console.ask("Again? "))
        assert "Sure? Again? \n" == out.getvalue()


class TestTerminalWidth:
    def test_columns_then_the_terminal_then_a_default(self, monkeypatch):
        """COLUMNS wins; else the terminal's size; a stream without one gives 100."""
        console = Console(stdout=Terminal())
        monkeypatch.setenv("COLUMNS", "42")
        assert 42 == console.width
        monkeypatch.setenv("COLUMNS", "wide")
        assert 100 == console.width
        monkeypatch.delenv("COLUMNS")
        monkeypatch.setattr(console.stdout, "fileno", lambda: 1, raising=False)
        monkeypatch.setattr("os.get_terminal_size", lambda _: type("Size", (), {"columns": 77})())
        assert 77 == console.width
        assert None is Console(stdout=io.StringIO()).width
