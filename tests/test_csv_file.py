"""Reading and writing CSV files: encodings, delimiters, damage, formula neutralisation."""

import codecs
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from debitor_core import ValidationError
from debitor_core.exchange import CsvTable, neutralise_formula, restore_formula
from debitor_core.exchange._csvfile import write_csv

LATVIAN = "Nosaukums,Pilsēta\nSIA Bērziņš,Rīga\n"


def rows(table):
    return list(table.rows())


class TestEncodings:
    @pytest.mark.parametrize(
        ("data", "encoding"),
        (
            (LATVIAN.encode("utf-8"), None),
            (b"\xef\xbb\xbf" + LATVIAN.encode("utf-8"), None),
            (LATVIAN.encode("cp1257"), "cp1257"),
            (LATVIAN.encode("utf-16"), None),
            (LATVIAN.encode("utf-16"), "latin-1"),
            (LATVIAN.encode("utf-32"), None),
            (LATVIAN.encode("utf-32"), "utf-32"),
            (codecs.BOM_UTF32_BE + LATVIAN.encode("utf-32-be"), None),
        ),
        ids=[
            "utf-8",
            "utf-8 with BOM",
            "cp1257",
            "utf-16 with BOM",
            "BOM beats the flag",
            "utf-32 with BOM",
            "utf-32 flag and BOM",
            "utf-32-be with BOM",
        ],
    )
    def test_each_encoding_reads_the_same(self, data, encoding):
        """UTF-8 with or without a BOM, cp1257 with the flag, UTF-16 and UTF-32 by their BOM.

        UTF-32-LE's mark begins with UTF-16-LE's: it is not read as UTF-16.
        """
        table = CsvTable(data, encoding=encoding)
        assert ("Nosaukums", "Pilsēta") == table.header
        assert [(2, ["SIA Bērziņš", "Rīga"])] == rows(table)

    def test_latin_1_reads_western_accents(self):
        """latin-1 with the flag reads German and French letters."""
        table = CsvTable("Name;Stadt\nMüller;Köln\n".encode("latin-1"), encoding="latin-1")
        assert [(2, ["Müller", "Köln"])] == rows(table)

    def test_wrong_encoding_is_reported_with_the_line_and_a_hint(self):
        """A cp1257 file read as UTF-8 is refused before anything is read, with advice."""
        data = ("Name\n" + "SIA A\n" * 5 + "SIA Ā\n").encode("cp1257")
        with pytest.raises(ValidationError) as info:
            CsvTable(data, name="customers.csv")
        assert "file.encoding" == info.value.problems[0].code
        assert (
            "The file customers.csv is not UTF-8 text: near line 7 it has the byte 0xC2, "
            "which UTF-8 does not allow there. If a spreadsheet saved it, read it with the "
            "encoding cp1257 (Baltic) or latin-1 (Western European)."
        ) == info.value.problems[0].message

    def test_an_unknown_encoding_is_refused(self):
        """An encoding Python does not know is a clear error, not a LookupError."""
        with pytest.raises(ValidationError, match="no text encoding called 'klingon'"):
            CsvTable(b"Name\n", encoding="klingon")


class TestDelimitersAndQuoting:
    @pytest.mark.parametrize("delimiter", [",", ";", "\t"])
    def test_the_delimiter_is_detected(self, delimiter):
        """Comma, semicolon or tab: the one the header uses most wins."""
        text = delimiter.join(["Name", "City", "Note"]) + "\n"
        text += delimiter.join(['"Koks, SIA"', "Rīga", '"a;b"']) + "\n"
        table = CsvTable(text.encode())
        assert delimiter == table.format.delimiter
        assert [(2, ["Koks, SIA", "Rīga", "a;b"])] == rows(table)

    def test_delimiters_inside_quoted_headers_do_not_count(self):
        """A quoted header with commas does not make the file comma-separated."""
        table = CsvTable(b'"Name, full";"City, town"\nA;B\n')
        assert ";" == table.format.delimiter

    def test_a_single_column_file_is_read(self):
        """A file with one column has no delimiter to find; comma is assumed."""
        assert [(2, ["SIA Koks"])] == rows(CsvTable(b"Name\nSIA Koks\n"))

    def test_quoted_newlines_stay_in_the_value_and_rows_keep_spreadsheet_numbers(self):
        """A value over two lines is one cell; the next row is still row 3."""
        data = b'Name,Street\nA,"Line 1\nLine 2"\r\nB,Other\n'
        table = CsvTable(data)
        assert [(2, ["A", "Line 1\nLine 2"]), (3, ["B", "Other"])] == rows(table)
        assert 2 == table.row_count

    def test_blank_rows_are_skipped_but_counted_in_row_numbers(self):
        """Blank rows (and rows of empty cells) are not rows to import."""
        table = CsvTable(b"Name,City\n\n,\nA,B\n")
        assert [(4, ["A", "B"])] == rows(table)
        assert 1 == table.row_count

    def test_header_names_are_stripped(self):
        """Spaces around header names do not matter."""
        assert ("Name", "City") == CsvTable(b" Name , City \n").header


class TestDamage:
    @pytest.mark.parametrize(
        "data",
        [b"", b"\xef\xbb\xbf", b"\n\n", b" , ,\n"],
        ids=["empty", "BOM", "blank", "no names"],
    )
    def test_an_empty_file_is_refused(self, data):
        """A file without a header row is refused with a sentence."""
        with pytest.raises(ValidationError) as info:
            CsvTable(data, name="x.csv")
        assert (
            "file.empty",
            "The file x.csv is empty: it has no header row naming the columns.",
        ) == (
            info.value.problems[0].code,
            info.value.problems[0].message,
        )

    def test_a_header_only_file_has_no_rows(self):
        """Only a header: zero rows, no error."""
        table = CsvTable(b"Name,City\n")
        assert (0, []) == (table.row_count, rows(table))

    def test_a_nul_byte_stays_in_its_cell(self):
        """A NUL is kept in the cell; the book's rules refuse it when the row is imported."""
        assert [(2, ["A\x00B"])] == rows(CsvTable(b"Name\nA\x00B\n"))

    @pytest.mark.parametrize("start", [b"PK\x03\x04", b"\xd0\xcf\x11\xe0"], ids=["xlsx", "xls"])
    def test_a_workbook_is_refused_with_advice(self, start):
        """An .xlsx or .xls file given as CSV is named for what it is."""
        with pytest.raises(ValidationError) as info:
            CsvTable(start + b"\x00" * 40, name="book.xlsx")
        assert (
            "The file book.xlsx is a spreadsheet workbook (such as .xlsx or .xls), not CSV; "
            "save it as CSV (UTF-8) first."
        ) == info.value.problems[0].message

    def test_a_huge_field_is_refused(self):
        """A value beyond the CSV field limit (a runaway quote) is refused, not read."""
        data = b'Name\n"' + b"x" * 200_000 + b"\n"
        with pytest.raises(ValidationError, match="not well-formed CSV"):
            CsvTable(data)

    def test_a_missing_file_is_our_error(self, tmp_path):
        """A path that does not exist is a ValidationError naming it."""
        missing = tmp_path / "nope.csv"
        with pytest.raises(ValidationError, match=r"nope.csv cannot be read"):
            CsvTable(missing)

    def test_a_path_is_read_like_bytes(self, tmp_path):
        """A file on disk reads as its bytes do, and messages name it by its path."""
        path = tmp_path / "c.csv"
        path.write_bytes(LATVIAN.encode())
        table = CsvTable(path)
        assert (str(path), [(2, ["SIA Bērziņš", "Rīga"])]) == (table.name, rows(table))


FORMULAS = [
    ("=1+1", "'=1+1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3+cmd|x", "'-2+3+cmd|x"),
    ("-", "'-"),
    ("'=1", "''=1"),
    ("+37120000000", "+37120000000"),
    ("+371 2000 0000", "+371 2000 0000"),
    ("-12.50", "-12.50"),
    ("-1 234,50", "-1 234,50"),
    ("'Ozols", "'Ozols"),
    ("SIA Koks", "SIA Koks"),
    ("", ""),
]


class TestFormulas:
    @pytest.mark.parametrize(("value", "written"), FORMULAS)
    def test_formulas_are_neutralised_and_numbers_left_alone(self, value, written):
        """=, @, tab, CR, and +/- before anything but a number get a leading quote."""
        assert written == neutralise_formula(value)
        assert value == restore_formula(written)

    @given(st.text())
    def test_restore_undoes_neutralise(self, value):
        """Whatever the value, neutralising then restoring gives it back exactly."""
        assert value == restore_formula(neutralise_formula(value))

    @given(st.text())
    def test_neutralised_values_never_start_a_formula(self, value):
        """What is written never starts with a character a spreadsheet runs (blanks run nothing)."""
        written = neutralise_formula(value)
        assert written[:1] not in (("=", "@", "\t", "\r") if written.strip() else ("=", "@"))
        if written[:1] in ("+", "-"):
            assert (written, True) == (value, value[1:2].isdigit())

    def test_a_blank_row_stays_blank(self):
        """A row of blanks (a lone tab) is written as blanks and read back as no row."""
        stream = io.StringIO()
        write_csv(stream, ["A", "B"], [["", "\t"], ["SIA Koks", "\t=1"]])
        got = [row for _, row in rows(CsvTable(stream.getvalue().encode()))]
        assert [["SIA Koks", "\t=1"]] == got

    @given(
        st.lists(
            st.lists(
                st.text(
                    st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
                    max_size=20,
                ),
                min_size=2,
                max_size=2,
            ),
            max_size=5,
        )
    )
    def test_written_rows_read_back_unchanged(self, cells):
        """write_csv then CsvTable gives the same cells: formulas, quotes and newlines too."""
        stream = io.StringIO()
        write_csv(stream, ["A", "B"], cells)
        got = [row for _, row in rows(CsvTable(stream.getvalue().encode()))]
        assert [row for row in cells if any(c.strip() for c in row)] == got


class TestLateDamage:
    def test_a_bad_byte_far_into_the_file_is_found_on_its_line(self):
        """The line of a bad byte is found however far into the file it is."""
        data = b"Name\n" + b"SIA Koks\n" * 20_000 + "Ā\n".encode("cp1257")
        with pytest.raises(ValidationError, match="near line 20002 it has the byte 0xC2"):
            CsvTable(data)

    def test_a_cut_off_character_at_the_end_is_found(self):
        """A file that ends in the middle of a character is refused."""
        with pytest.raises(ValidationError, match="not UTF-8 text"):
            CsvTable(b"Name\nR\xc4")
