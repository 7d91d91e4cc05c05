"""Exporting customer lists with the library's functions (the CLI's export uses them)."""

import io
import json

from debitor_core.exchange import COLUMNS, export_csv, export_json, export_rows


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
