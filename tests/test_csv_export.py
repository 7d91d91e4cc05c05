"""Exporting customer lists with the library's functions (the CLI's export uses them)."""

import errno
import io
import json
import os
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from debitor_core import CustomerBook
from debitor_core.exchange import (
    COLUMNS,
    _csvfile,
    _files,
    export_csv,
    export_json,
    export_rows,
    import_csv,
)
from debitor_core.exchange._csvfile import write_csv


class TestExportFunctions:
    def test_json_to_a_path_or_a_stream(self, book, tmp_path):
        """export_json writes a UTF-8 array to a path or a stream and counts the rows."""
        book.register({"name": "SIA Bērziņš", "address": {"country": "LV"}})
        assert 1 == export_json(book, tmp_path / "c.json")
        stream = io.StringIO()
        export_json(book, stream)
        assert json.loads((tmp_path / "c.json").read_text(encoding="utf-8")) == json.loads(
            stream.getvalue()
        )
        assert "SIA Bērziņš" in (tmp_path / "c.json").read_text(encoding="utf-8")

    def test_csv_to_a_path_has_a_bom(self, book, tmp_path):
        """export_csv to a path writes UTF-8 with a byte-order mark, for spreadsheets."""
        book.register({"name": "SIA Bērziņš", "address": {"country": "LV"}})
        assert 1 == export_csv(book, tmp_path / "c.csv")
        assert (tmp_path / "c.csv").read_bytes().startswith(b"\xef\xbb\xbfnumber,")

    def test_rows_hold_every_column_in_order(self, book):
        """export_rows gives the columns and a dict per customer."""
        book.define_field("secret", "Secret", personal_data=True)
        book.register({"name": "A", "address": {"country": "LV"}, "custom_fields": {"secret": "x"}})
        columns, (row,) = export_rows(book)
        assert COLUMNS == columns
        private, (full,) = export_rows(book, include_private=True)
        assert ("custom_fields.secret", "notes", "consent") == private[len(COLUMNS) :]
        assert ("x", None, []) == (full["custom_fields.secret"], full["notes"], full["consent"])
        assert list(columns) == list(row)

    def test_dates_and_choices_are_written_as_import_reads_them(self, book):
        """A date is YYYY-MM-DD, several choices are joined by '; ', and both read back."""
        book.define_field("since", "Since", "date")
        book.define_field("tags", "Tags", "multi_choice", choices=["A", "B"])
        book.register(
            {"name": "A", "address": {"country": "LV"},
             "custom_fields": {"since": "2026-01-31", "tags": ["B", "A"]}}
        )  # fmt: skip
        _, (row,) = export_rows(book)
        assert ("2026-01-31", ["A", "B"]) == (row["custom_fields.since"], row["custom_fields.tags"])
        stream = io.StringIO()
        export_csv(book, stream)
        assert stream.getvalue().splitlines()[1].endswith(",2026-01-31,A; B")


OLD = b"the old export\r\n"


def _customers(book, count):
    for n in range(count):
        book.register({"name": f"SIA Koks {n}", "address": {"country": "LV"}})


def _full_disk_at(monkeypatch, name):
    """Make writing the row of the customer ``name`` fail as a full disk does."""
    real = _csvfile.neutralise_formula

    def failing(text):
        if text == name:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(text)

    monkeypatch.setattr(_csvfile, "neutralise_formula", failing)


class TestWideEncodings:
    @pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
    def test_an_export_in_a_wide_encoding_imports_back(self, tmp_path, clock, encoding):
        """UTF-16 and UTF-32 exports carry their byte-order mark and read back as written."""
        book = CustomerBook(clock=clock)
        book.register({"name": "SIA Bērziņš", "address": {"country": "LV", "city": "Rīga"}})
        export_csv(book, tmp_path / "c.csv", encoding=encoding)
        other = CustomerBook(clock=clock)
        report = import_csv(other, tmp_path / "c.csv", encoding=encoding)
        assert (1, 0) == (report.created, report.rejected)
        assert ["SIA Bērziņš"] == [c.name for c in other.customers()]


class TestExportToAPathIsAtomic:
    def test_a_failure_half_way_leaves_the_old_file_and_no_temporary(
        self, book, tmp_path, monkeypatch
    ):
        """A full disk at row 40 of 50: the old export is byte for byte as it was."""
        _customers(book, 50)
        target = tmp_path / "c.csv"
        target.write_bytes(OLD)
        _full_disk_at(monkeypatch, "SIA Koks 39")
        with pytest.raises(OSError, match="No space left"):
            export_csv(book, target)
        assert OLD == target.read_bytes()
        assert ["c.csv"] == [p.name for p in tmp_path.iterdir()]

    def test_a_failure_before_a_first_export_leaves_no_file(self, book, tmp_path, monkeypatch):
        """With no file before, a failed export leaves none (not half of one)."""
        _customers(book, 3)
        _full_disk_at(monkeypatch, "SIA Koks 2")
        with pytest.raises(OSError, match="No space left"):
            export_csv(book, tmp_path / "c.csv")
        assert [] == list(tmp_path.iterdir())

    @pytest.mark.parametrize("export", [export_csv, export_json])
    def test_a_failed_flush_to_the_disk_leaves_the_old_file(
        self, book, tmp_path, monkeypatch, export
    ):
        """A failed flush (the data did not reach the disk): the old file stays, CSV or JSON."""
        _customers(book, 2)
        target = tmp_path / "c.out"
        target.write_bytes(OLD)

        def failing(_fd):
            raise OSError(errno.EIO, "Input/output error")

        monkeypatch.setattr(_files.os, "fsync", failing)
        with pytest.raises(OSError, match="Input/output error"):
            export(book, target)
        assert OLD == target.read_bytes()
        assert ["c.out"] == [p.name for p in tmp_path.iterdir()]

    @pytest.mark.parametrize("export", [export_csv, export_json])
    def test_a_success_replaces_the_file_and_keeps_its_permissions(self, book, tmp_path, export):
        """The old file is replaced whole; its permission bits stay; nothing else is left."""
        _customers(book, 2)
        target = tmp_path / "c.out"
        target.write_bytes(OLD)
        target.chmod(0o640)
        assert 2 == export(book, target)
        assert "SIA Koks 1" in target.read_text(encoding="utf-8-sig")
        assert OLD not in target.read_bytes()
        assert 0o640 == stat.S_IMODE(target.stat().st_mode)
        assert ["c.out"] == [p.name for p in tmp_path.iterdir()]

    def test_a_new_file_gets_the_permissions_a_plain_open_gives(self, book, tmp_path):
        """Not the 0600 of a temporary file: the umask decides, as for any new file."""
        (tmp_path / "plain").write_text("")
        export_csv(book, tmp_path / "c.csv")
        expected = stat.S_IMODE((tmp_path / "plain").stat().st_mode)
        assert expected == stat.S_IMODE((tmp_path / "c.csv").stat().st_mode)

    def test_a_symbolic_link_is_followed(self, book, tmp_path):
        """Exporting to a link replaces the file it names; the link stays a link."""
        _customers(book, 1)
        (tmp_path / "real.csv").write_bytes(OLD)
        link = tmp_path / "link.csv"
        link.symlink_to("real.csv")
        export_csv(book, link)
        assert link.is_symlink()
        assert "SIA Koks 0" in (tmp_path / "real.csv").read_text(encoding="utf-8-sig")
        assert {"real.csv", "link.csv"} == {p.name for p in tmp_path.iterdir()}

    def test_what_is_no_regular_file_is_written_in_place(self, book):
        """/dev/null cannot be replaced: it is written as before, and stays a device."""
        _customers(book, 1)
        assert 1 == export_csv(book, os.devnull)
        assert stat.S_ISCHR(Path(os.devnull).stat().st_mode)

    def test_an_interrupt_half_way_leaves_the_old_file(self, tmp_path):
        """Ctrl-C while rows are written (a BaseException): the old file stays, no temporary."""
        target = tmp_path / "c.csv"
        target.write_bytes(OLD)

        def rows():
            yield ["a"]
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            write_csv(target, ["A"], rows())
        assert OLD == target.read_bytes()
        assert ["c.csv"] == [p.name for p in tmp_path.iterdir()]

    @pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="no SIGKILL on this system")
    def test_a_process_killed_half_way_leaves_the_old_file(self, tmp_path):
        """A real process killed at row 40 of 50: the old export is byte for byte as it was.

        A killed process cannot remove its temporary file: it stays beside the export,
        hidden (``.c.csv.<random>.tmp``), and never in its place.
        """
        target = tmp_path / "c.csv"
        target.write_bytes(OLD)
        result = subprocess.run(
            [sys.executable, "-c", KILLED_EXPORT, str(target)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert -signal.SIGKILL == result.returncode, result.stderr
        assert OLD == target.read_bytes()
        left = sorted(p.name for p in tmp_path.iterdir() if p.name != "c.csv")
        assert all(re.fullmatch(r"\.c\.csv\.[0-9a-f]{32}\.tmp", name) for name in left), left

    def test_an_encoding_no_codec_has_leaves_the_old_file(self, tmp_path):
        """write_csv with an unknown encoding: LookupError, the old file, no temporary."""
        target = tmp_path / "c.csv"
        target.write_bytes(OLD)
        with pytest.raises(LookupError):
            write_csv(target, ["A"], [["a"]], encoding="no-such-codec")
        assert OLD == target.read_bytes()
        assert ["c.csv"] == [p.name for p in tmp_path.iterdir()]


KILLED_EXPORT = """
import datetime as dt, os, signal, sys
from debitor_core import CustomerBook
from debitor_core.exchange import _csvfile, export_csv

book = CustomerBook(clock=lambda: dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
for n in range(50):
    book.register({"name": f"SIA Koks {n}", "address": {"country": "LV"}})
real = _csvfile.neutralise_formula

def dying(text):
    if text == "SIA Koks 39":
        os.kill(os.getpid(), signal.SIGKILL)
    return real(text)

_csvfile.neutralise_formula = dying
export_csv(book, sys.argv[1])
"""
