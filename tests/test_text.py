"""Folding, duplicate keys and search text: what a customer is matched by."""

import datetime as dt
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from debitor_core import Address, Customer, CustomFieldDefinition, FieldType, Phone, TaxId
from debitor_core._text import (
    _FOLD,
    duplicate_keys,
    fold,
    keys_and_text,
    search_words,
    text_field_keys,
)

WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class TestFold:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("Bērziņš", "berzins"),
            ("SIA", "sia"),
            ("Straße", "strasse"),
            ("ẞ", "ss"),
            ("Ærø", "aero"),
            ("ﬁrma", "firma"),
            ("\u210camburg", "hamburg"),  # black-letter H: NFKD gives "H", folded again
            ("e\u0301", "e"),  # a combining accent typed on its own
            ("Łódź", "lodz"),
        ],
    )
    def test_examples(self, text, expected):
        assert fold(text) == expected

    @given(st.text(), st.data())
    def test_the_fold_of_a_part_is_part_of_the_fold(self, text, data):
        """Search relies on this: a folded query found in a folded name."""
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, len(text)))
        assert fold(text[start:end]) in fold(text)

    @given(st.text())
    def test_folding_twice_changes_nothing(self, text):
        assert fold(fold(text)) == fold(text)

    def test_a_full_table_still_folds(self, monkeypatch):
        """Past its limit the table stops growing but keeps folding correctly."""
        monkeypatch.setattr(type(_FOLD), "LIMIT", 0)
        size = len(_FOLD)
        assert fold("Ǆ\u1e9e") == "dzss"
        assert len(_FOLD) == size


def customer(**values):
    return Customer(id=uuid.uuid4(), number=12, created=WHEN, updated=WHEN, **values)


class TestKeysAndText:
    def test_everything_a_customer_is_found_by(self):
        """Duplicate keys in order of evidence; search text folded, with the number."""
        koks = customer(
            name="SIA Bērziņš",
            contact_person="Jānis Ozols",
            email="Info@Koks.LV",
            other_emails=("rēķini@koks.lv",),
            phone=Phone("+37120000000"),
            other_phones=(Phone("+37126000000"),),
            tax_id=TaxId("LV40003521600", "LV"),
            company_id="40003521600",
            address=Address(city="Rīga", country="LV"),
            custom_fields={"segment": "Mēbeles", "limit": 5},
        )
        keys, text = keys_and_text(koks, ("segment", "limit"))
        assert [
            ("tax_id", "LV40003521600"),
            ("email", "info@koks.lv"),
            ("email", "rēķini@koks.lv"),
            ("phone", "+37120000000"),
            ("phone", "+37126000000"),
            ("name_city", ("sia berzins", "riga")),
        ] == keys
        assert (
            "sia berzins 12 janis ozols lv40003521600 40003521600 info@koks.lv "
            "rekini@koks.lv +37120000000 +37126000000 riga mebeles"
        ) == text
        assert keys == duplicate_keys(koks)

    def test_a_bare_customer(self):
        """A name alone gives no duplicate keys and a text of name and number."""
        assert ([], "anna 12") == keys_and_text(customer(name="Anna"))

    def test_search_words(self):
        """A query is folded and split on whitespace."""
        assert ["berzins", "riga"] == search_words("  Bērziņš\tRĪGA ")

    def test_text_field_keys(self):
        """Only text and multi-line text fields are searched."""
        fields = [
            CustomFieldDefinition("a", "A"),
            CustomFieldDefinition("b", "B", FieldType.INTEGER),
            CustomFieldDefinition("c", "C", FieldType.MULTILINE_TEXT),
        ]
        assert ("a", "c") == text_field_keys(fields)
