"""Folding, duplicate keys and search text: what a customer is matched by."""

import datetime as dt
import re
import sys
import unicodedata
import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from debitor_core import (
    Address,
    Customer,
    CustomFieldDefinition,
    FieldType,
    Note,
    Phone,
    TaxId,
    _confusables,
    _text,
)
from debitor_core._text import (
    _FOLD,
    _FOLDED,
    _WRITTEN,
    CONFUSABLES_VERSION,
    FOLD_VERSION,
    UNICODE_VERSION,
    MatchEntries,
    duplicate_keys,
    entries_and_name,
    fold,
    fold_city,
    is_default_ignorable,
    keys_and_text,
    name_keys,
    private_field_keys,
    search_words,
    spellings,
    text_field_keys,
)

WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parent.parent

# Text that exercises the fold: Latin with accents, Greek, Cyrillic, combining marks,
# invisible characters, compatibility forms, and anything else now and then.
LOOK_ALIKE = st.text(
    st.one_of(
        st.sampled_from(
            [
                *"KkOoSs0Il1m ",
                *map(chr, range(0x00C0, 0x0180)),  # Latin-1 and Latin Extended-A letters
                *map(chr, range(0x0391, 0x03CA)),  # Greek
                *map(chr, range(0x0400, 0x0460)),  # Cyrillic
                *"\uff2b\uff4f\uff4b\uff53\ufb01\ufb03\u017f\u01c4\u01c5\u01c6\u2460\u00b2\u210c",
                *"\u0300\u0301\u0308\u030a\u0327\u0345\u0338\u093c\u3099\u0e38\u0e48",
                *"\u200b\u200c\u200d\u00ad\ufeff\u2060\ufe0f\u034f\u00a0\u00b4",
            ]
        ),
        st.characters(codec="utf-8"),
    ),
    max_size=12,
)


class TestFold:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            # case and accents
            ("SIA", "sia"),
            ("Bērziņš", "berzins"),
            ("e\u0301", "e"),  # a combining accent typed apart
            ("Łódź", "lodz"),
            ("İstanbul", "istanbul"),  # the Turkish capital I with a dot
            ("\u1fb3", "a"),  # alpha with the iota below: a mark, not an iota
            # letters spelled plainly
            ("Straße", "strasse"),
            ("ẞ", "ss"),
            ("Ærø", "aero"),
            ("Œuvre", "oeuvre"),
            ("Þór Ðís", "thor dis"),
            ("Đorđe Ħal ŧŋ", "dorde hal tn"),
            # compatibility forms (NFKD)
            ("ﬁrma", "firma"),
            ("Oﬃce", "office"),
            ("\uff2b\uff4f\uff4b\uff53", "koks"),
            ("\U0001d40a\U0001d428\U0001d424\U0001d42c", "koks"),
            ("\u210camburg", "hamburg"),  # black-letter H: NFKD gives "H", folded again
            ("Ǆ", "dz"),
            ("m²", "m2"),
            ("Kok\u017f", "koks"),  # long s
            ("Ko\u00b4ks", "koks"),  # a spacing accent goes with its space
            # invisible characters (default-ignorable)
            ("Ko\u200bks", "koks"),  # zero width space
            ("Ko\u00adks", "koks"),  # soft hyphen
            ("\ufeffKoks", "koks"),  # byte order mark
            ("Koks\u200d", "koks"),  # zero width joiner
            ("Ko\u200cks", "koks"),  # zero width non-joiner
            ("Ko\u2060ks", "koks"),  # word joiner
            ("Ko\ufe0fks", "koks"),  # variation selector
            ("Ko\u034fks", "koks"),  # combining grapheme joiner
            ("Ko\u200eks", "koks"),  # left-to-right mark
            ("Ko\U000e0041ks", "koks"),  # a tag character
            ("Ko\u180bks", "koks"),  # Mongolian free variation selector
            # spaces
            ("Koks\u00a0SIA", "koks sia"),  # no-break space
            ("Koks\u3000SIA", "koks sia"),  # ideographic space
            # other scripts' marks and digits
            ("שָׁלוֹם", "שלום"),  # Hebrew points
            ("مُحَمَّد", "محمد"),  # Arabic harakat
            ("أحمد", "احمد"),  # hamza above
            ("क़लम", "कलम"),  # Devanagari nukta
            ("ไก่", "ไก่"),  # Thai marks are kept
            ("١٢٣", "123"),  # Arabic-Indic digits
            ("۴۵", "45"),  # Persian digits
            # look-alikes
            ("K\u043eks", "koks"),  # Cyrillic o
            ("\u041a\u043eks", "koks"),  # Cyrillic K
            ("\u041a\u041e\u041a\u0405", "koks"),  # all Cyrillic capitals
            ("\u043a\u043e\u043a\u0455", "koks"),  # ... and small letters
            ("\u039aoks", "koks"),  # Greek kappa
            ("K\u03bfks", "koks"),  # Greek omicron
            ("\u0251\u0261", "ag"),  # Latin alpha and script g
            ("\u041c\u043e\u0441\u043a\u0432\u0430", "mockba"),  # Moscow in Cyrillic
            ("\u041c\u041e\u0421\u041a\u0412\u0410", "mockba"),
            ("θ", "θ"),  # a prototype with a mark (O with a bar) does not count
            ("\ua4d7oks", "\ua4d7oks"),  # Lisu is not searched as Latin
            # ASCII is only lower-cased
            ("K0ks 1", "k0ks 1"),
            ("rn m I l", "rn m i l"),
        ],
    )
    def test_rules(self, text, expected):
        """Each rule of the fold, by example."""
        assert expected == fold(text)

    @given(LOOK_ALIKE, st.data())
    def test_the_fold_of_a_part_is_part_of_the_fold(self, text, data):
        """Search relies on this: a folded query found in a folded name."""
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, len(text)))
        assert fold(text[start:end]) in fold(text)

    @given(LOOK_ALIKE)
    def test_folding_twice_changes_nothing(self, text):
        """The fold is idempotent."""
        assert fold(text) == fold(fold(text))

    @given(LOOK_ALIKE)
    def test_nfc_and_nfd_fold_alike(self, text):
        """The same text composed or decomposed folds the same."""
        assert fold(unicodedata.normalize("NFC", text)) == fold(unicodedata.normalize("NFD", text))

    def test_every_character_folds_to_a_fixed_point(self):
        """For every assigned character, the fold's output folds to itself, character by character."""
        moving = []
        for code in range(sys.maxunicode + 1):
            character = chr(code)
            if unicodedata.category(character) in ("Cn", "Co", "Cs"):
                continue
            folded = _text._fold_character(character)
            if any(_text._fold_character(c) != c for c in folded):
                moving.append(f"U+{code:04X}")
        assert [] == moving

    def test_nfc_and_nfd_alike_for_every_composition(self):
        """Only the two documented compositions fold differently composed, and only after a stray mark.

        NFC composes a base with a mark across a mark of a lower class: the Sinhala vowel
        sign U+0DD9, a kana voicing mark, then al-lakuna U+0DCA give the composed U+0DDA
        followed by the voicing mark. The fold keeps the marks of the composed vowel in
        place, so the order differs. No other composition with a mark the fold keeps is
        affected.
        """
        kept = [
            chr(code)
            for code in range(sys.maxunicode + 1)
            if unicodedata.combining(chr(code)) and fold(chr(code)) == chr(code)
        ]
        differ = {}
        for code in range(sys.maxunicode + 1):
            character = chr(code)
            decomposed = unicodedata.normalize("NFD", character)
            if len(decomposed) < 2 or unicodedata.normalize("NFC", decomposed) != character:
                continue
            marks = [m for m in decomposed[1:] if fold(m)]
            if not marks:
                continue  # every mark it absorbs is dropped: order cannot matter
            highest = max(unicodedata.combining(m) for m in marks)
            strays = [k for k in kept if 0 < unicodedata.combining(k) < highest]
            for stray in strays:
                for at in range(1, len(decomposed)):
                    text = decomposed[:at] + stray + decomposed[at:]
                    if fold(unicodedata.normalize("NFC", text)) != fold(
                        unicodedata.normalize("NFD", text)
                    ):
                        differ.setdefault(f"U+{code:04X}", set()).add(unicodedata.combining(stray))
        assert {
            "U+0C48": {8, 9, 36, 84},  # Telugu AI: E + AI length mark (class 91)
            "U+0DDA": {8},  # Sinhala: kombuva + al-lakuna (class 9)
            "U+0DDD": {8},
        } == differ

    def test_a_full_table_still_folds(self, monkeypatch):
        """Past its limit the table stops growing but keeps folding correctly."""
        monkeypatch.setattr(type(_FOLD), "LIMIT", 0)
        size = len(_FOLD)
        assert "dzss" == fold("Ǆ\u1e9e")
        assert size == len(_FOLD)


class TestDefaultIgnorable:
    @pytest.mark.parametrize(
        ("code", "expected"),
        [
            (0x00AD, True),  # soft hyphen
            (0x034F, True),  # combining grapheme joiner
            (0x061C, True),  # Arabic letter mark
            (0x115F, True),  # Hangul fillers
            (0x1160, True),
            (0x17B4, True),  # Khmer inherent vowels
            (0x17B5, True),
            (0x180B, True),  # Mongolian variation selectors
            (0x180E, True),  # Mongolian vowel separator
            (0x180F, True),
            (0x200B, True),  # zero width space
            (0x200F, True),  # right-to-left mark
            (0x202A, True),  # bidi embeddings
            (0x202E, True),
            (0x2060, True),  # word joiner
            (0x2065, True),  # reserved
            (0x206F, True),
            (0x3164, True),  # Hangul filler
            (0xFE00, True),  # variation selectors
            (0xFE0F, True),
            (0xFEFF, True),  # byte order mark
            (0xFFA0, True),  # half-width Hangul filler
            (0xFFF0, True),  # reserved specials
            (0xFFF8, True),
            (0x1BCA0, True),  # shorthand format controls
            (0x1D173, True),  # musical beams
            (0xE0000, True),  # tags and the variation selectors supplement
            (0xE0001, True),
            (0xE0100, True),
            (0xE0FFF, True),
            (0x0020, False),  # a space is not invisible
            (0x00A0, False),
            (0x0041, False),
            (0x0600, False),  # Arabic number sign: a visible format character
            (0x06DD, False),
            (0x070F, False),
            (0x08E2, False),
            (0x110BD, False),
            (0xFFF9, False),  # interlinear annotation
            (0xFFFB, False),
            (0x13430, False),  # Egyptian hieroglyph format controls
            (0xFFFC, False),  # object replacement character
            (0x1160 + 1, False),
            (0xE1000, False),
        ],
    )
    def test_default_ignorable_code_points(self, code, expected):
        """Unicode's Default_Ignorable_Code_Point, derived from categories and known ranges."""
        assert expected == is_default_ignorable(chr(code))


class TestSearchWords:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("  Bērziņš\tRĪGA ", ["berzins", "riga"]),
            ("", []),
            ("\u200b", []),
            ("Ko\u200bks", ["koks"]),
            ("MÜLLER", ["muller"]),
            ("SW1A 1AA", ["sw1a", "1aa"]),
        ],
    )
    def test_a_query_is_folded_and_split(self, text, expected):
        """A query is folded and split on whitespace."""
        assert expected == search_words(text)


class TestSpellings:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("Müller", ["mueller"]),
            ("MÜLLER", ["mueller"]),
            ("Mu\u0308ller", ["mueller"]),  # typed apart
            ("Müller Straße", ["mueller"]),
            ("Jürgen Müller-Lüdenscheid", ["juergen", "mueller-luedenscheid"]),
            ("Ærø", ["aeroe"]),
            ("Ålborg", ["aalborg"]),
            ("Göteborg Køge", ["goeteborg", "koege"]),
            ("Hämeenlinna", ["haemeenlinna"]),
            ("Bērziņš", []),
            ("Koks", []),
            ("", []),
        ],
    )
    def test_second_spellings(self, text, expected):
        """ä ö ü å ø are also spelled ae oe ue aa oe."""
        assert expected == spellings(text)

    @given(LOOK_ALIKE)
    def test_any_text(self, text):
        """Second spellings are words of the same text spelled otherwise, never the usual fold."""
        plain = set(fold(unicodedata.normalize("NFC", text)).split())
        assert plain.isdisjoint(spellings(text))


def customer(**values):
    values.setdefault("number", 12)
    return Customer(id=uuid.uuid4(), created=WHEN, updated=WHEN, **values)


def keys_of(name, city="Rīga"):
    return set(name_keys(name, city))


class TestNameKeys:
    KOKS = "Koks Office"

    @pytest.mark.parametrize(
        ("name", "city"),
        [
            ("Ko\u200bks Office", "Rīga"),  # zero width space inside
            ("Ko\u00adks Office", "Rīga"),  # soft hyphen
            ("\ufeffKoks Office", "Rīga"),  # byte order mark in front
            ("Koks Office\u200d", "Rīga"),  # a zero width joiner behind
            ("Ko\u2060ks Office", "Rīga"),  # word joiner
            ("Ko\ufe0fks Office", "Rīga"),  # variation selector
            ("Koks\u00a0Office", "Rīga"),  # no-break space
            ("Koks \u200b Office", "Rīga"),  # an invisible word between the spaces
            ("K\u043eks Office", "Rīga"),  # Cyrillic o
            ("\u041a\u043eks Office", "Rīga"),  # Cyrillic K
            ("\u041a\u041e\u041a\u0405 OFFICE", "Rīga"),  # Cyrillic capitals
            ("\u039aoks Office", "Rīga"),  # Greek kappa
            ("K\u03bfks \u039fffice", "Rīga"),  # Greek omicrons
            ("\uff2b\uff4f\uff4b\uff53 Office", "Rīga"),  # full-width
            ("\U0001d40a\U0001d428\U0001d424\U0001d42c Office", "Rīga"),  # mathematical bold
            ("Kóks Office", "Rīga"),  # an accent
            ("Ko\u0301ks Office", "Rīga"),  # a combining accent
            ("Koks Oﬃce", "Rīga"),  # a ligature
            ("KOKS OFFICE", "Rīga"),  # another case
            ("Kok\u017f Office", "Rīga"),  # long s
            ("K0ks Office", "Rīga"),  # a zero for the o
            ("Koks OffIce", "Rīga"),  # a capital I for the i
            ("\ua4d7oks Office", "Rīga"),  # Lisu KA
            ("Koks Office", "Riga"),  # the city without its accent
            ("Koks Office", "RĪGA"),
            ("Koks Office", "R\u0456ga"),  # Cyrillic i in the city
        ],
    )
    def test_look_alikes_share_a_key(self, name, city):
        """Invisible characters, homoglyphs, compatibility forms, case and accents do not hide a duplicate."""
        assert keys_of(self.KOKS) & keys_of(name, city)

    @pytest.mark.parametrize(
        ("first", "second"),
        [
            ("PayPaI", "PayPal"),  # a capital I for a small l
            ("\u039doks", "Noks"),  # Greek capital nu: the skeleton as written
            ("\u03a5oks", "Yoks"),  # Greek capital upsilon
            ("Firm", "Firrn"),  # m and rn
            ("SIA l", "SIA 1"),
        ],
    )
    def test_confusable_skeletons(self, first, second):
        """Names that only look alike share a key."""
        assert keys_of(first) & keys_of(second)

    @pytest.mark.parametrize(
        ("first", "second"),
        [
            ("Koks", "Kaks"),
            ("Koks", "Koks Office"),
            ("Koks", "Ko ks"),
            ("Ив\u0430н", "Ivan"),
        ],
    )
    def test_different_names_do_not(self, first, second):
        """Names that look different share no key."""
        assert set() == keys_of(first) & keys_of(second)

    def test_the_two_keys(self):
        """The skeleton as written, then the skeleton of the fold; one when they agree."""
        assert ["sla koks\x1friga", "sia koks\x1friga"] == name_keys("SIA Koks", "Rīga")
        assert ["koks\x1friga"] == name_keys("Koks", "RIGA")
        assert ["firrn\x1friga"] == name_keys("firm", "Riga")

    def test_nothing_left(self):
        """A name or city that folds to nothing gives no key."""
        assert [] == name_keys("\u200b", "Rīga")
        assert [] == name_keys("Koks", "\u200b")

    @given(st.text(st.characters(max_codepoint=127, exclude_categories=["Cc"]), max_size=20))
    def test_the_ascii_short_cut(self, text):
        """ASCII names take a faster path to the same skeletons."""
        slow = (
            " ".join(text.translate(_WRITTEN).split()),
            " ".join(fold(text).translate(_FOLDED).split()),
        )
        assert slow == _text._keys_of(text, fold(text))

    @given(LOOK_ALIKE)
    def test_any_text(self, text):
        """Keys are found for any text: one or two, or none when nothing is left."""
        keys = name_keys(text, "Rīga")
        assert len(keys) == len(set(keys)) <= 2
        assert all(key.endswith("\x1friga") for key in keys)


class TestKeysAndText:
    def test_everything_a_customer_is_found_by(self):
        """Duplicate keys in order of evidence; search text folded, with codes compact and second spellings."""
        koks = customer(
            name="SIA Bērziņš",
            contact_person="Jürgen Ozols",
            email="Info@Koks.LV",
            other_emails=("rēķini@koks.lv",),
            phone=Phone("+37120000000"),
            other_phones=(Phone("+37126000000"),),
            tax_id=TaxId("LV40003521600", "LV"),
            company_id="4000-3521600",
            website="https://koks.lv/",
            address=Address(
                street="Brīvības iela 1",
                postal_code="LV-1050",
                city="Rīga",
                region="Rīgas novads",
                country="LV",
            ),
            custom_fields={"segment": "Mēbeles", "limit": 5, "allergy": "Rieksti"},
            notes=(Note("Zvanīt pēc 16:00", WHEN),),
        )
        entries = keys_and_text(koks, ("segment", "limit"), ("allergy",))
        assert [
            ("tax_id", "lv40003521600"),
            ("email", "info@koks.lv"),
            ("email", "rekini@koks.lv"),
            ("phone", "+37120000000"),
            ("phone", "+37126000000"),
            ("name_city", "sla berzins\x1friga"),
            ("name_city", "sia berzins\x1friga"),
        ] == entries.keys
        assert (
            "sia berzins 12 jurgen ozols juergen lv40003521600 4000-3521600 40003521600 "
            "info@koks.lv rekini@koks.lv +37120000000 +37126000000 koks.lv/ "
            "brivibas iela 1 lv-1050 lv1050 riga rigas novads mebeles"
        ) == entries.text
        assert "zvanit pec 16:00 rieksti" == entries.private
        assert entries.keys == duplicate_keys(koks)

    def test_a_bare_customer(self):
        """A name alone gives no duplicate keys, a text of name and number, no private text."""
        assert MatchEntries([], "anna 12", "") == keys_and_text(customer(name="Anna"))

    def test_words_are_separated_by_single_spaces(self):
        """Line breaks, runs of spaces and invisible words never reach the text."""
        entries = keys_and_text(
            customer(
                name="Koks \u200b SIA",
                custom_fields={"about": "Line one\n\n  line  two "},
                notes=(Note("A\tnote\n", WHEN), Note("\u200b", WHEN)),
            ),
            ("about",),
        )
        assert ("koks sia 12 line one line two", "a note") == (entries.text, entries.private)

    @pytest.mark.parametrize(
        ("tax_id", "key", "text"),
        [
            (TaxId("LV40003521600", "LV"), "lv40003521600", "lv40003521600"),
            (
                TaxId("12 345/678.9-0", None, checked=False),
                "1234567890",
                "12 345/678.9-0 1234567890",
            ),
        ],
    )
    def test_tax_ids_are_compared_compact(self, tax_id, key, text):
        """A tax id typed with separators is keyed and found without them."""
        entries = keys_and_text(customer(name="A", number=1, tax_id=tax_id))
        assert ([("tax_id", key)], f"a 1 {text}") == (entries.keys, entries.text)

    @pytest.mark.parametrize(
        "values",
        [
            {"tax_id": TaxId("-/.", None, checked=False)},
            {"tax_id": TaxId("\u200b", None, checked=False)},
            {"email": "\u200b"},
            {"address": Address(city="\u200b")},
        ],
    )
    def test_nothing_left_is_no_key(self, values):
        """A value that folds to nothing is no evidence: customers would all share it."""
        assert [] == keys_and_text(customer(name="A", number=1, **values)).keys

    def test_a_website_without_its_scheme(self):
        """Nobody types "https": the website is searched from its host on."""
        entries = keys_and_text(customer(name="A", number=1, website="http://www.koks.lv"))
        assert "a 1 www.koks.lv" == entries.text

    def test_fields(self):
        """Text fields are searched; personal-data text fields are private text."""
        fields = [
            CustomFieldDefinition("a", "A"),
            CustomFieldDefinition("b", "B", FieldType.INTEGER),
            CustomFieldDefinition("c", "C", FieldType.MULTILINE_TEXT),
            CustomFieldDefinition("d", "D", personal_data=True),
            CustomFieldDefinition("e", "E", FieldType.INTEGER, personal_data=True),
        ]
        assert (("a", "c"), ("d",)) == (text_field_keys(fields), private_field_keys(fields))

    @given(LOOK_ALIKE, LOOK_ALIKE)
    def test_any_name_and_city(self, name, city):
        """Any text gives keys of one string each and a text of single-spaced words."""
        entries = keys_and_text(customer(name=name or "x", address=Address(city=city or None)))
        assert all(isinstance(key, str) for _, key in entries.keys)
        assert entries.text == " ".join(entries.text.split())
        assert "\x1f" not in entries.text

    @given(LOOK_ALIKE, LOOK_ALIKE, LOOK_ALIKE)
    def test_entries_and_name(self, name, city, note):
        """entries_and_name gives keys_and_text and the fold of the name as stored."""
        values = {"note": note, "secret": note}
        entry = customer(name=name or "x", address=Address(city=city), custom_fields=values)
        expected = (keys_and_text(entry, ("note",), ("secret",)), fold(entry.name))
        assert expected == entries_and_name(entry, ("note",), ("secret",))


class TestFoldCity:
    @given(st.lists(LOOK_ALIKE, max_size=4))
    def test_is_fold(self, cities):
        """fold_city is fold, the first time and again (remembered)."""
        assert [fold(city) for city in cities * 2] == [fold_city(city) for city in cities * 2]


class TestVersions:
    def test_recorded(self):
        """The fold's version, Python's Unicode version and the confusables data's."""
        assert (2, unicodedata.unidata_version, "13.0.0") == (
            FOLD_VERSION,
            UNICODE_VERSION,
            CONFUSABLES_VERSION,
        )

    def test_documented(self):
        """docs/search.md names the current fold version."""
        page = (ROOT / "docs" / "search.md").read_text(encoding="utf-8")
        assert f"`debitor_core._text.FOLD_VERSION` (now {FOLD_VERSION})" in page

    def test_the_confusables_data(self):
        """The generated table: Unicode's prototypes of characters the fold looks up."""
        table = _text._prototypes()
        assert ("a", "rn", "l", "K") == (table["\u0430"], table["m"], table["I"], table["\u039a"])
        assert all(unicodedata.normalize("NFKD", source) == source for source in table)
        header = re.search(r"version (\S+)\)", _confusables.__doc__ or "")
        assert header is not None
        assert CONFUSABLES_VERSION == header.group(1)
