"""Hostile files and paths given to import, export, dump and load: a sentence, never harm.

Each test gives the library or the command what a careless user or an attacker would:
a JSON file nested past Python's recursion limit, a CSV file whose quote never closes,
UTF-16 without its byte-order mark, a rejects file named like the book, a folder, a
FIFO or a device where a file should be, a disk that fills up. The answer is an error
from our tree (or a one-line sentence and a documented exit status at the shell), and
what the book held before is what it holds after.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from debitor_core import CustomerBook, ValidationError
from debitor_core.cli import main
from debitor_core.exchange import CsvTable, export_csv, import_csv, read_json_records
from debitor_core.storage import JsonFileStore

pytestmark = pytest.mark.usefixtures("frozen_wall_clock")

DEEP = "[" * 100_000 + "]" * 100_000
"""JSON nested far deeper than Python's recursion limit."""


@pytest.fixture
def run(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DEBITOR_BOOK", raising=False)

    def go(*argv):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return go


@pytest.fixture
def stored(tmp_path, frozen_wall_clock):
    """A JSON book with one customer; returns a function giving what it holds now."""
    path = tmp_path / "customers.json"
    book = CustomerBook(JsonFileStore(path), clock=frozen_wall_clock)
    book.register({"name": "SIA Koks", "address": {"country": "LV"}})
    book.close()

    def holds():
        again = CustomerBook(JsonFileStore(path))
        try:
            return again.export(include_private=True), again.revision
        finally:
            again.close()

    return holds


def one_line(err):
    """The command said one sentence on standard error, and no traceback."""
    assert "Traceback" not in err
    assert 1 == len(err.strip().splitlines()), err
    return err.strip()


class TestJson:
    def test_deep_nesting_is_a_format_error_not_a_recursion_error(self, tmp_path):
        """read_json_records refuses JSON nested past the recursion limit with our error."""
        path = tmp_path / "deep.json"
        path.write_text(DEEP, encoding="utf-8")
        with pytest.raises(ValidationError) as caught:
            read_json_records(path)
        (problem,) = caught.value.errors
        assert ("file.format", "json_depth") == (problem.code, problem.params["rule"])
        assert str(path) in problem.message

    def test_import_of_deep_json_says_so_and_stores_nothing(self, run, stored, tmp_path):
        """The command's import of such a file: exit 1, one sentence, the book as it was."""
        before = stored()
        (tmp_path / "deep.json").write_text(DEEP, encoding="utf-8")
        code, out, err = run("import", "deep.json")
        assert (1, "") == (code, out)
        assert "nests arrays or objects too deeply" in one_line(err)
        assert before == stored()

    def test_load_of_deep_json_says_so_and_makes_no_book(self, run, tmp_path):
        """The command's load of such a file: exit 1, one sentence, no book left behind."""
        (tmp_path / "deep.json").write_text('{"customers": ' + DEEP + "}", encoding="utf-8")
        code, out, err = run("--book", "new.json", "load", "deep.json")
        assert (1, "") == (code, out)
        assert "nests arrays or objects too deeply" in one_line(err)
        assert not (tmp_path / "new.json").exists()

    def test_a_key_given_twice_is_refused_not_read_as_the_last(self, tmp_path):
        """JSON keeps the last of two values for one key; the file means one of them."""
        path = tmp_path / "two.json"
        path.write_text(
            '[{"name": "SIA Koks", "country": "LV", "email": "a@koks.lv", "email": "b@x.lv"}]',
            encoding="utf-8",
        )
        with pytest.raises(ValidationError) as caught:
            read_json_records(path)
        (problem,) = caught.value.errors
        assert ("json_duplicate", "email") == (problem.params["rule"], problem.params["key"])
        assert "'email' twice" in problem.message

    def test_a_dump_with_a_key_given_twice_is_not_loaded(self, run, tmp_path):
        """A customer object saying two names is refused; no book is made."""
        source = CustomerBook()
        source.register({"name": "SIA Koks", "address": {"country": "LV"}})
        text = json.dumps(source.export(include_private=True))
        text = text.replace('"name": "SIA Koks"', '"name": "SIA Koks", "name": "Ozols"', 1)
        (tmp_path / "dump.json").write_text(text, encoding="utf-8")
        code, out, err = run("--book", "new.json", "load", "dump.json")
        assert (1, "") == (code, out)
        assert "names the key 'name' twice" in one_line(err)
        assert not (tmp_path / "new.json").exists()

    @pytest.mark.parametrize("kind", ["folder", "device"])
    def test_load_reads_only_a_regular_file(self, run, tmp_path, kind):
        """A folder or a device is no dump: exit 2 at once (/dev/zero would never end)."""
        if kind == "folder":
            (tmp_path / "dump.json").mkdir()
            name = "dump.json"
        else:
            name = os.devnull
        code, out, err = run("--book", "new.json", "load", name)
        assert (2, "") == (code, out)
        assert one_line(err) == f"There is no file {name} to load."
        assert not (tmp_path / "new.json").exists()


class TestCsv:
    def test_a_quote_open_at_the_end_is_refused_with_its_line(self):
        """A quote that never closes would swallow every later row into one cell."""
        rows = "".join(f"Customer {n},LV\n" for n in range(3, 1000))
        data = f'name,country\nSIA Koks,LV\n"Ozols,LV\n{rows}'.encode()
        with pytest.raises(ValidationError) as caught:
            CsvTable(data)
        (problem,) = caught.value.errors
        assert ("file.format", "open_quote", 3) == (
            problem.code,
            problem.params["rule"],
            problem.params["line"],
        )
        assert "line 3" in problem.message

    def test_an_import_with_an_open_quote_stores_nothing(self):
        """import_csv refuses the whole file before storing a row; the book is unchanged."""
        book = CustomerBook()
        book.register({"name": "SIA Koks", "address": {"country": "LV"}})
        before = (book.export(include_private=True), book.revision)
        data = b'name,country\nOzols,LV\n"Berzs,LV\nLiepa,LV'
        with pytest.raises(ValidationError):
            import_csv(book, data)
        assert before == (book.export(include_private=True), book.revision)

    @pytest.mark.parametrize(
        ("text", "cells"),
        [
            ('name,country\n"a ""quoted"" name",LV\n', [['a "quoted" name', "LV"]]),
            ('name,country\n"x",LV', [["x", "LV"]]),
            ('name,country\n"x","LV"', [["x", "LV"]]),
            ("name,country\nx\\udc80,LV\n", [["x\\udc80", "LV"]]),
            ('name,country\r"two\rlines",LV\r', [["two\rlines", "LV"]]),
            ("name,country\r\n", []),
        ],
    )
    def test_closed_quotes_and_files_without_a_last_newline_still_read(self, text, cells):
        """The end-of-file check takes nothing from what was read before."""
        table = CsvTable(text.encode())
        assert (("name", "country"), len(cells)) == (table.header, table.row_count)
        assert cells == [row for _, row in table.rows()]

    def test_a_row_holding_the_end_marker_is_still_a_row(self):
        """unicode_escape can decode a lone surrogate: the row is read, not taken as the end."""
        table = CsvTable(b"name,country\nx,LV\n\\udc80\n", encoding="unicode_escape")
        assert [(2, ["x", "LV"]), (3, ["\udc80"])] == list(table.rows())
        assert 2 == table.row_count

    @pytest.mark.parametrize(
        ("codec", "hint"),
        [("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be"), ("utf-32-le", "utf-32-le")],
    )
    def test_utf16_without_a_byte_order_mark_is_named(self, codec, hint):
        """Read as UTF-8 it would 'decode' with a NUL after each letter; say what it is."""
        data = "name,country\nBērziņš,LV\n".encode(codec)
        for encoding in (None, "latin-1"):
            with pytest.raises(ValidationError) as caught:
                CsvTable(data, encoding=encoding)
            (problem,) = caught.value.errors
            assert ("file.encoding", "no_bom", hint) == (
                problem.code,
                problem.params["rule"],
                problem.params["encoding"],
            )
        table = CsvTable(data, encoding=hint)  # the hint works
        assert [(2, ["Bērziņš", "LV"])] == list(table.rows())

    def test_a_nul_byte_later_in_the_file_is_left_to_the_row_checks(self):
        """Only a NUL among the first bytes says UTF-16; a NUL in a cell is a row's problem."""
        table = CsvTable(b"name,country\nA\x00B,LV\n")
        assert 1 == table.row_count


class TestEncodings:
    @pytest.mark.parametrize("encoding", ["rot13", "hex", "base64", "zlib"])
    def test_a_codec_that_is_not_a_text_encoding_is_unknown(self, encoding):
        """Codecs from bytes to bytes (or str to str) read no text: refused by name."""
        with pytest.raises(ValidationError) as caught:
            CsvTable(b"name,country\nA,LV\n", encoding=encoding)
        (problem,) = caught.value.errors
        assert ("file.encoding", "unknown") == (problem.code, problem.params["rule"])

    @pytest.mark.parametrize(
        ("encoding", "data"),
        [
            ("utf-16", b"name,country\nA,LV\n"),  # a UTF-16 stream must start with its mark
            ("punycode", b"name,country\nA,LV\n"),  # its decoder raises UnicodeError
        ],
    )
    def test_a_codec_that_fails_without_a_byte_position_is_our_error(self, encoding, data):
        """Some decoders raise a bare UnicodeError, with no byte to point at."""
        with pytest.raises(ValidationError) as caught:
            CsvTable(data, encoding=encoding)
        (problem,) = caught.value.errors
        assert ("file.encoding", "codec") == (problem.code, problem.params["rule"])
        assert problem.params["reason"] in problem.message

    @pytest.mark.parametrize("encoding", ["rot13", "punycode"])
    def test_at_the_shell_it_is_one_sentence(self, run, stored, tmp_path, encoding):
        """At the shell --encoding with such a codec: exit 1, one line, the book unchanged."""
        (tmp_path / "rows.csv").write_text("name,country\nOzols,LV\n", encoding="utf-8")
        before = stored()
        code, out, err = run("import", "rows.csv", "--encoding", encoding)
        assert (1, "") == (code, out)
        assert "rows.csv" in one_line(err) or repr(encoding) in one_line(err)
        assert before == stored()


class TestExportEncoding:
    def test_a_value_the_encoding_cannot_write_is_refused_and_the_file_kept(
        self, tmp_path, frozen_wall_clock
    ):
        """Latin-1 has no ē: the export is refused, not written with ? in its place."""
        book = CustomerBook(clock=frozen_wall_clock)
        book.register({"name": "SIA Koks", "address": {"country": "LV"}})
        book.register({"name": "SIA Bērziņš", "address": {"country": "LV"}})
        target = tmp_path / "out.csv"
        target.write_text("the old export\n", encoding="utf-8")
        with pytest.raises(ValidationError) as caught:
            export_csv(book, target, encoding="latin-1")
        (problem,) = caught.value.errors
        assert ("file.encoding", "unwritable", 3, "name") == (
            problem.code,
            problem.params["rule"],
            problem.params["row"],
            problem.params["column"],
        )
        assert "'ē' (U+0113)" in problem.message
        assert "the old export\n" == target.read_text(encoding="utf-8")

    def test_what_the_encoding_can_write_is_written_and_read_back(
        self, tmp_path, frozen_wall_clock
    ):
        """cp1257 writes Latvian: the same book exports and imports unchanged."""
        book = CustomerBook(clock=frozen_wall_clock)
        book.register({"name": "SIA Bērziņš", "address": {"country": "LV"}})
        export_csv(book, tmp_path / "out.csv", encoding="cp1257")
        copy = CustomerBook(clock=frozen_wall_clock)
        import_csv(copy, tmp_path / "out.csv", encoding="cp1257")
        assert ["SIA Bērziņš"] == [c.name for c in copy.customers()]

    def test_an_export_encoding_that_reads_no_text_is_refused(self, tmp_path, frozen_wall_clock):
        """encoding="hex" at export: our error, and no file."""
        with pytest.raises(ValidationError):
            export_csv(CustomerBook(clock=frozen_wall_clock), tmp_path / "x.csv", encoding="hex")
        assert not (tmp_path / "x.csv").exists()


class TestColumnNamesInReasons:
    @pytest.mark.parametrize(
        ("header", "mapping", "shown"),
        [
            ("E-mail\u202e", None, "'E-mail\\u202e'"),  # read as E-mail by the loose match
            ("E\x1b[2Jmail", {"E\x1b[2Jmail": "email"}, "'E\\x1b[2Jmail'"),
        ],
    )
    def test_a_header_with_controls_is_shown_escaped(self, header, mapping, shown):
        """A reason names the file's column; its controls must not act on a terminal."""
        data = f"name,country,{header}\nSIA Koks,LV,x@@koks\n".encode()
        report = import_csv(CustomerBook(), data, mapping=mapping, dry_run=True)
        (outcome,) = report.rejected_rows
        reason = outcome.reason(report.plan)
        assert reason.startswith(f"{shown}: The email address ")
        assert not any(c in reason for c in "\x1b\u202e")

    def test_at_the_shell_no_control_reaches_the_terminal(self, run, tmp_path):
        """The command prints the reason with the name escaped, on one line."""
        (tmp_path / "rows.csv").write_text(
            "name,country,E-mail\u202e\nSIA Koks,LV,x@@koks\n", encoding="utf-8"
        )
        code, out, err = run("import", "rows.csv", "--dry-run")
        assert 1 == code
        assert "\u202e" not in out + err
        assert "row 2: would reject: 'E-mail\\u202e': The email address" in out

    def test_a_plain_header_is_shown_as_it_is(self):
        """Accents and spaces (a no-break space too) are no controls: no quotes."""
        data = "name,country,E-pasta\u00a0adrese ē\nSIA Koks,LV,x@@koks\n".encode()
        report = import_csv(
            CustomerBook(), data, mapping={"E-pasta\u00a0adrese ē": "email"}, dry_run=True
        )
        (outcome,) = report.rejected_rows
        assert outcome.reason(report.plan).startswith("E-pasta\u00a0adrese ē: The email")


class TestRejectsFile:
    @pytest.mark.parametrize("suffix", ["", ".journal"])
    def test_rejects_naming_the_book_is_refused(self, run, stored, tmp_path, suffix):
        """--rejects customers.json would replace the book with a CSV file of rejects."""
        (tmp_path / "rows.csv").write_text("name,country\nOzols,LV\nBerzs,\n", encoding="utf-8")
        before = stored()
        code, out, err = run("import", "rows.csv", "--rejects", f"customers.json{suffix}")
        assert (2, "") == (code, out)
        assert "is the book itself" in one_line(err)
        assert before == stored()

    @pytest.mark.usefixtures("stored")
    def test_rejects_into_a_fifo_is_refused(self, run, tmp_path):
        """A rejects file that is a FIFO would block the import at its end."""
        (tmp_path / "rows.csv").write_text("name,country\nBerzs,\n", encoding="utf-8")
        os.mkfifo(tmp_path / "rejects.csv")
        keep = os.open(tmp_path / "rejects.csv", os.O_RDWR | os.O_NONBLOCK)  # old code ends
        try:
            code, out, err = run("import", "rows.csv", "--rejects", "rejects.csv")
        finally:
            os.close(keep)
        assert (2, "") == (code, out)
        assert "is not a regular file" in one_line(err)


class TestOutput:
    @pytest.mark.parametrize("command", ["export", "dump"])
    def test_force_never_replaces_a_folder(self, run, stored, tmp_path, command):
        """--force replaces a file, not a folder: exit 2, the folder and the book kept."""
        (tmp_path / "out.json").mkdir()
        (tmp_path / "out.json" / "keep.txt").write_text("mine", encoding="utf-8")
        before = stored()
        code, out, err = run(command, "out.json", "--force")
        assert (2, "") == (code, out)
        assert "is not a regular file" in one_line(err)
        assert "mine" == (tmp_path / "out.json" / "keep.txt").read_text(encoding="utf-8")
        assert before == stored()
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.json.")]

    @pytest.mark.parametrize("command", ["export", "dump"])
    @pytest.mark.usefixtures("stored")
    def test_force_never_replaces_a_fifo(self, run, tmp_path, command):
        """A FIFO (or a device such as /dev/full) stays what it is; nothing replaces it."""
        os.mkfifo(tmp_path / "out.json")
        code, out, err = run(command, "out.json", "--force")
        assert (2, "") == (code, out)
        assert "is not a regular file" in one_line(err)
        assert (tmp_path / "out.json").is_fifo()

    @pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE")
    @pytest.mark.parametrize("command", ["export", "dump"])
    def test_a_full_disk_is_a_sentence_and_the_old_file_stays(self, stored, tmp_path, command):
        """A write that fails part way (a file-size limit, as a full disk) is a sentence.

        Exit status 1; the file --force would replace is left exactly as it was, and no
        temporary file is left beside it.
        """
        stored()
        old = tmp_path / "out.json"
        old.write_text("the old export\n", encoding="utf-8")
        boot = textwrap.dedent(
            """
            import datetime as dt, resource, signal, sys
            from debitor_core import _model
            _model._wall_clock = lambda: dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
            from debitor_core.cli import main
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))
            raise SystemExit(main(sys.argv[1:]))
            """
        )
        done = subprocess.run(
            [sys.executable, "-c", boot, command, "out.json", "--force"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "PYTHONIOENCODING": "utf-8", "LANGUAGE": "en"},
        )
        assert (1, "") == (done.returncode, done.stdout)
        line = one_line(done.stderr)
        assert line.startswith("The file out.json could not be written: ")
        assert "the old export\n" == old.read_text(encoding="utf-8")
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.json.")]


class TestDumpFromANewerVersion:
    """A dump holding what this version does not know is refused, never read without it.

    The export carries no format version, so keys this version does not write are the
    only sign of a newer writer: `import_data` refuses each with its path.
    """

    @pytest.fixture
    def data(self, frozen_wall_clock):
        book = CustomerBook(clock=frozen_wall_clock)
        book.register({"name": "SIA Koks", "address": {"country": "LV"}})
        return book.export(include_private=True)

    def test_an_unknown_top_level_key_is_refused(self, data, frozen_wall_clock):
        """``"price_lists": [...]`` written by a newer version would be lost on load."""
        data["price_lists"] = [{"name": "2027"}]
        target = CustomerBook(clock=frozen_wall_clock)
        with pytest.raises(ValidationError):
            target.import_data(data)
        assert 0 == len(target)

    def test_an_unknown_customer_key_is_refused(self, data, frozen_wall_clock):
        """A customer's ``"loyalty_points"`` from a newer version would be lost on load."""
        data["customers"][0]["loyalty_points"] = 120
        target = CustomerBook(clock=frozen_wall_clock)
        with pytest.raises(ValidationError):
            target.import_data(data)
        assert 0 == len(target)
