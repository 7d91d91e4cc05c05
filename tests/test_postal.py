"""Postal codes keep each country's written form (Google's address metadata, and ours)."""

import re

import pytest

from debitor_core import ValidationError, rules
from debitor_core._postal import NATIONAL_SHAPES, country_codes, country_rules

# The written form of Google's examples where they leave out a country's separator.
NATIONAL_FORM = {"SE": {"11455": "114 55", "12345": "123 45", "10500": "105 00"}}


def with_separators():
    """Every country whose postal-code pattern or examples have a space or a dash."""
    found = []
    for code in sorted(country_codes()):
        data = country_rules(code)
        pattern = data.postal_pattern.pattern if data.postal_pattern else ""
        examples = data.examples
        if re.search(r"[ \-]|\\s", pattern) or any(re.search(r"[ \-]", e) for e in examples):
            found += [(code, example) for example in examples]
    return found


EXAMPLES = with_separators()


class TestWrittenForm:
    def test_the_table_covers_the_countries_with_separators(self):
        """The table holds every such country, from Sweden to Japan."""
        countries = {code for code, _ in EXAMPLES}
        assert {
            "SE",
            "CZ",
            "SK",
            "GR",
            "PL",
            "PT",
            "JP",
            "BR",
            "CA",
            "NL",
            "GB",
            "US",
            "LV",
        } <= countries

    @pytest.mark.parametrize(("country", "example"), EXAMPLES)
    def test_examples_keep_their_form(self, country, example):
        """Each of Google's examples is written the country's way, whatever spacing it came in."""
        written = NATIONAL_FORM.get(country, {}).get(example, example)
        compact = re.sub(r"[^0-9A-Za-z]", "", example)
        spaced = " ".join(compact)
        assert written == rules.validate_postal_code(example, country=country)
        assert written == rules.validate_postal_code(written, country=country)
        assert written == rules.validate_postal_code(compact.lower(), country=country)
        if not written.startswith(("LIMA", "CALLAO", "BFPO", "PC ")):
            assert written == rules.validate_postal_code(spaced, country=country)

    @pytest.mark.parametrize(
        ("raw", "country", "expected"),
        [
            ("111 52", "SE", "111 52"),
            ("11152", "SE", "111 52"),
            ("111-52", "SE", "111 52"),
            ("96799 1234", "AS", "96799-1234"),
            ("009671234", "PR", "00967-1234"),
            ("BZN113", "MT", "BZN 113"),
            ("1234567", "CR", "123-4567"),
            ("GY101AA", "GG", "GY10 1AA"),
            ("je21aa", "JE", "JE2 1AA"),
            ("bfpo61", "GB", "BFPO 61"),
            ("75 008", "FR", "75008"),
        ],
    )
    def test_national_forms(self, raw, country, expected):
        """Countries whose written form Google's examples do not show keep theirs too."""
        assert expected == rules.validate_postal_code(raw, country=country)

    @pytest.mark.parametrize("country", sorted(NATIONAL_SHAPES))
    def test_every_national_shape_is_reachable(self, country):
        """Each shape we add writes some code that the country's own pattern accepts."""
        pattern = country_rules(country).postal_pattern
        for length, shapes in NATIONAL_SHAPES[country].items():
            for shape in shapes:
                assert len(shape.replace(" ", "").replace("-", "")) == length
        assert pattern is not None

    def test_messages_show_the_written_form(self):
        """A refusal shows examples as the country writes them."""
        with pytest.raises(ValidationError) as info:
            rules.validate_postal_code("1", country="SE")
        assert "it should look like 114 55 or 123 45." in str(info.value)
