"""Folding text for matching, and what a customer is matched by: duplicate keys and search text.

This is the one place that decides when two pieces of text match. The in-memory read
model uses it directly; a store that answers queries itself stores its output (folded
search text, duplicate keys) in indexed columns, computed here at write time, so that
every store finds exactly what the in-memory index finds. Such a store records
`FOLD_VERSION` and `UNICODE_VERSION` beside that output and folds every row again
when either differs.

**The fold** (`fold`) works one character at a time, so that the fold of a part of a
text is always a part of the fold of the text (a folded query is found in a folded
name by plain substring search). Each character is, until nothing changes:

1. dropped if it is *default-ignorable* (Unicode's Default_Ignorable_Code_Point: zero
   width space and joiners, soft hyphen, byte order mark, direction marks, variation
   selectors, tags, Hangul fillers; see `is_default_ignorable`);
2. decomposed by compatibility (NFKD: full-width and mathematical letters, ligatures,
   superscripts become plain letters and digits; a spacing accent such as the acute
   accent U+00B4 becomes nothing) and case-folded;
3. stripped of accents: the combining marks of Latin, Greek and Cyrillic, the points
   of Hebrew and Arabic, overlays and nuktas; letters no decomposition spells plainly
   are spelled so (``ø`` o, ``ł`` l, ``æ`` ae, ``þ`` th, ``ß`` ss by case folding);
4. written as an ASCII digit if it is a decimal digit of another script (``٣`` 3);
5. written as the Latin letter it looks like if it is a Greek or Cyrillic letter
   (or a Latin one outside ASCII) that Unicode's confusables data says looks like one,
   in either case (Cyrillic o and O give o; Cyrillic ka, small or capital, gives k):
   the character's own prototype if that is one ASCII letter, else its capital's (a
   small Cyrillic ka looks like a small capital K, the capital like K). Prototypes
   with a mark (``θ``, an O with a bar) do not count.

So ``fold("Bērziņš") == "berzins"``; "Koks" written with a full-width K and a Cyrillic
o folds to "koks", and so does "Koks" with a zero width space inside. ASCII text is
only lower-cased: ASCII letters and digits never stand for each other in search (a zero
is not an o).

The fold is idempotent, and text folds alike composed (NFC) or decomposed (NFD), with
one exception no keyboard produces: a Telugu AI (U+0C48) or a Sinhala vowel with
al-lakuna (U+0DDA, U+0DDD) followed by a stray mark of another kind, which NFC composes
across. tests/test_text.py checks all three over every character of Python's Unicode.

**Duplicate keys** compare names on confusable *skeletons* (Unicode TS #39): each
character is replaced by its prototype from ``confusables.txt`` (see
`debitor_core._confusables`), so that "K0ks" (a zero) and "Koks" share a key. A name
gives up to two keys: the skeleton of the name as written, then folded (which tells a
capital I from a lower-case l only by shape, as a reader does), and the skeleton of
the folded name (which makes case not matter).

**Search text** holds, folded, everything a clerk may type to find a customer, plus a
second spelling of words with ``ä ö ü å ø`` (``ae oe ue aa oe``, so that "mueller"
and "muller" both find "Müller") and postal codes, tax ids and company ids written
without spaces, dots, slashes and dashes ("sw1a1aa" finds "SW1A 1AA").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Final, NamedTuple

from debitor_core import _confusables
from debitor_core._fields import CustomFieldDefinition, FieldType
from debitor_core._model import Customer

__all__ = [
    "CONFUSABLES_VERSION",
    "DUPLICATE_KINDS",
    "FOLD_VERSION",
    "UNICODE_VERSION",
    "DuplicateKey",
    "MatchEntries",
    "duplicate_keys",
    "entries_and_name",
    "fold",
    "fold_city",
    "is_default_ignorable",
    "keys_and_text",
    "name_keys",
    "private_field_keys",
    "search_words",
    "spellings",
    "text_field_keys",
]

FOLD_VERSION: Final = 2
"""The version of everything this module computes; bumped whenever any output changes.

1: case folding, NFKD, Latin/Greek/Cyrillic accents dropped (up to 0.1).
2: default-ignorables dropped, Hebrew/Arabic points, overlays and nuktas dropped, other
   scripts' digits, homoglyphs, confusable skeletons in duplicate keys (one string per
   key), second spellings of ä ö ü å ø, address and compact numbers in the search text,
   private text apart.
"""

UNICODE_VERSION: Final = unicodedata.unidata_version
"""The Unicode version of Python's character database, which the fold depends on too."""

CONFUSABLES_VERSION: Final = _confusables.UNICODE_VERSION
"""The Unicode version of the confusables data (changing it means a new `FOLD_VERSION`)."""

# -- which characters -------------------------------------------------------------------

# Unicode's DerivedCoreProperties.txt derives Default_Ignorable_Code_Point from the
# characters of Other_Default_Ignorable_Code_Point, of category Cf (format) and of
# Variation_Selector, leaving out White_Space, the interlinear annotation characters
# (U+FFF9 to U+FFFB), the Egyptian hieroglyph format controls (U+13430 to U+1343F) and
# Prepended_Concatenation_Mark. unicodedata knows the category, not these properties,
# so their (small, stable) lists are here.
_OTHER_IGNORABLE: Final = (
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x115F, 0x1160),  # Hangul choseong and jungseong fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180D),  # Mongolian free variation selectors (Variation_Selector)
    (0x180F, 0x180F),
    (0x2065, 0x2065),  # reserved among the invisible operators
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFFA0, 0xFFA0),  # half-width Hangul filler
    (0xFFF0, 0xFFF8),  # reserved specials
    (0xE0000, 0xE0FFF),  # tags, variation selectors supplement, reserved
)
_VISIBLE_FORMAT: Final = frozenset(
    [
        *range(0x0600, 0x0606),  # Prepended_Concatenation_Mark: Arabic number signs...
        0x06DD,
        0x070F,
        0x0890,
        0x0891,
        0x08E2,
        0x110BD,
        0x110CD,
        *range(0xFFF9, 0xFFFC),  # interlinear annotation
        *range(0x13430, 0x13440),  # Egyptian hieroglyph format controls
    ]
)


def is_default_ignorable(character: str) -> bool:
    """Whether a character is Default_Ignorable_Code_Point: invisible unless shown on purpose.

    Zero width space, joiners and non-joiners, soft hyphen, byte order mark, word
    joiner, direction marks and embeddings, variation selectors, tags, Hangul fillers.
    They are dropped when text is compared, never from what is stored.

    Args:
        character: One character.

    Returns:
        Whether the character is default-ignorable in this Python's Unicode version.
    """
    code = ord(character)
    if unicodedata.category(character) == "Cf":
        return code not in _VISIBLE_FORMAT
    return any(low <= code <= high for low, high in _OTHER_IGNORABLE)


_ACCENT_BLOCKS: Final = (
    (0x0300, 0x036F),  # combining diacritical marks
    (0x1AB0, 0x1AFF),  # ... extended
    (0x1DC0, 0x1DFF),  # ... supplement
    (0x20D0, 0x20FF),  # ... for symbols
    (0xFE20, 0xFE2F),  # combining half marks
)
_POINTED_BLOCKS: Final = (
    (0x0590, 0x05FF),  # Hebrew: points and cantillation
    (0x0600, 0x06FF),  # Arabic: harakat, hamza and madda above and below, Quranic marks
    (0x0750, 0x077F),
    (0x0870, 0x08FF),
    (0xFB1D, 0xFB4F),  # Hebrew presentation forms
)
# Canonical combining classes of marks dropped in every script: overlays (1), Han
# reading marks (6) and nuktas (7). Besides being what people leave out, dropping them
# keeps the fold of a text in NFC equal to the fold of the same text in NFD: NFC may
# compose a kana with its voicing mark (class 8) across such a mark.
_DROPPED_CLASSES: Final = frozenset({1, 6, 7})


def _is_accent(character: str) -> bool:
    """Whether a character is a combining mark the fold drops (see the module's docstring)."""
    if not unicodedata.category(character).startswith("M"):
        return False
    code = ord(character)
    if any(low <= code <= high for low, high in _ACCENT_BLOCKS):
        return True
    if unicodedata.combining(character) in _DROPPED_CLASSES:
        return True
    return unicodedata.category(character) == "Mn" and any(
        low <= code <= high for low, high in _POINTED_BLOCKS
    )


_PLAIN: Final = {
    "ø": "o",
    "đ": "d",
    "ł": "l",
    "ħ": "h",
    "\u0131": "i",  # dotless i
    "æ": "ae",
    "œ": "oe",
    "þ": "th",
    "ð": "d",
    "ŧ": "t",
    "ŋ": "n",
}
"""Letters no decomposition spells plainly, folded as people type them."""

_HOMOGLYPH_SCRIPTS: Final = ("LATIN ", "GREEK ", "CYRILLIC ")


@functools.cache
def _prototypes() -> dict[str, str]:
    """The confusables data as characters: source to prototype (parsed on first use)."""
    table = {}
    for line in _confusables.PROTOTYPES.split("\n"):
        if line:
            source, *prototype = line.split(" ")
            table[chr(int(source, 16))] = "".join(chr(int(p, 16)) for p in prototype)
    return table


def _homoglyph(character: str) -> str | None:
    """The ASCII letter a Latin, Greek or Cyrillic letter looks like, if it looks like one."""
    if not unicodedata.category(character).startswith("L"):
        return None
    if not unicodedata.name(character, "").startswith(_HOMOGLYPH_SCRIPTS):
        return None
    prototypes = _prototypes()
    capital = character.upper()
    for candidate in (prototypes.get(character), prototypes.get(capital)):
        if candidate and len(candidate) == 1 and candidate.isascii() and candidate.isalpha():
            return candidate.lower()
    return None


def _fold_step(text: str) -> str:
    """One round of the fold over a few characters (see the module's docstring)."""
    out = []
    for character in text:
        # Decomposed before case folding, so that a mark is dropped before case folding
        # could make a letter of it (U+0345, the Greek iota below, folds to an iota).
        decomposed = unicodedata.normalize("NFKD", character)
        if decomposed[:1] == " " and not character.isspace():
            decomposed = decomposed[1:]  # a spacing accent: its space goes with it
        for part in decomposed:
            if is_default_ignorable(part) or _is_accent(part):
                continue
            for letter in part.casefold():
                if letter.isascii():
                    out.append(letter)
                elif letter in _PLAIN:
                    out.append(_PLAIN[letter])
                elif unicodedata.category(letter) == "Nd":
                    out.append(str(unicodedata.decimal(letter)))
                else:
                    out.append(_homoglyph(letter) or letter)
    return "".join(out)


_ROUNDS: Final = 8  # far more than any character needs (tests/test_text.py checks all)


def _fold_character(character: str) -> str:
    """The fold of one character: `_fold_step` until it changes nothing."""
    folded = character
    for _ in range(_ROUNDS):
        again = _fold_step(folded)
        if again == folded:
            break
        folded = again
    return folded


class _Table(dict[int, str]):
    """A ``str.translate`` table computed one character at a time, filled on first sight.

    Translating character by character keeps folding consistent with substrings: the
    fold of a part of a text is a part of the fold of the text.
    """

    LIMIT: Final = 1 << 14  # distinct characters remembered; beyond that, computed each time

    def __init__(self, compute: Callable[[str], str]) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, code: int) -> str:
        value = self._compute(chr(code))
        if len(self) < self.LIMIT:
            self[code] = value
        return value


_FOLD: Final = _Table(_fold_character)


def fold(value: str) -> str:
    """Fold text for matching: invisible characters, case, accents and look-alikes aside.

    ``fold("Bērziņš") == "berzins"``; ``fold("SIA") == "sia"``; "Koks" with a Cyrillic o
    folds to "koks". See the module's docstring for every rule.

    Args:
        value: Any text.

    Returns:
        The folded text: as long as the text or shorter, except where one character
        spells as several (``ß`` ss, ``ﬃ`` ffi). The fold of a part of ``value`` is a
        part of ``fold(value)``, and ``fold(fold(value)) == fold(value)``.
    """
    if value.isascii():
        return value.lower()
    return value.translate(_FOLD)


def search_words(text: str) -> list[str]:
    """The folded words of a free-text query; a customer matches when it contains each.

    Args:
        text: What the clerk typed.

    Returns:
        The folded words, split on whitespace; none for blank text.
    """
    return fold(text).split()


# -- second spellings -------------------------------------------------------------------

_SPELLED_OUT: Final = {"ä": "ae", "ö": "oe", "ü": "ue", "å": "aa", "ø": "oe"}
_SPELLED_TRIGGERS: Final = re.compile("[äöüåøÄÖÜÅØ\u0308\u030a]")  # ü typed apart too
_SPELLED: Final = _Table(
    lambda character: _SPELLED_OUT.get(character.casefold()) or _FOLD[ord(character)]
)


def spellings(value: str) -> list[str]:
    """The folded words of ``value`` that people also spell another way, spelled that way.

    German and Scandinavian letters are also written as two: ``ä`` ae, ``ö`` oe, ``ü`` ue,
    ``å`` aa, ``ø`` oe. ``spellings("Müller Straße") == ["mueller"]``: the search text
    holds "muller strasse mueller", so that "muller", "mueller" and "müller" find it.

    Args:
        value: Text as stored (any normalisation form).

    Returns:
        The words whose second spelling differs from their fold, in order; usually none.
    """
    if not _SPELLED_TRIGGERS.search(value):
        return []
    if "\u0308" in value or "\u030a" in value:
        value = unicodedata.normalize("NFC", value)  # a typed-apart ü is ü
    plain = value.translate(_FOLD).split()
    spelled = value.translate(_SPELLED).split()
    return [word for word, usual in zip(spelled, plain, strict=True) if word != usual]


# -- duplicate keys ---------------------------------------------------------------------

DUPLICATE_KINDS: Final = ("tax_id", "email", "phone", "name_city")
"""What makes two customers look alike, in the order evidence is reported."""

DuplicateKey = tuple[str, str]
"""``(kind, key)``: kind is one of `DUPLICATE_KINDS`, the key one string."""

_KEY_SEPARATOR: Final = "\x1f"  # between name and city; never in folded text


def _skeleton_of_written(character: str) -> str:
    """TS #39 skeleton of one character as written (case kept), then folded."""
    prototypes = _prototypes()
    decomposed = unicodedata.normalize("NFKD", character)
    return fold("".join(prototypes.get(c, c) for c in decomposed))


def _skeleton_of_folded(character: str) -> str:
    """TS #39 skeleton of one character of folded text, folded again."""
    return fold(_prototypes().get(character, character))


_WRITTEN: Final = _Table(_skeleton_of_written)
_FOLDED: Final = _Table(_skeleton_of_folded)


@functools.cache
def _ascii_rules(written: bool) -> tuple[tuple[str, str], ...]:  # noqa: FBT001 - cached by position
    """How `_ascii_skeleton` does what `_WRITTEN` (or `_FOLDED`) does to ASCII text.

    ``str.translate`` with a dictionary costs about 50 ns a character, while only a few
    ASCII characters have a prototype (``I``, ``m``, ``0``, ``1``...): looking for each
    and replacing the ones found costs a tenth of that. A replacement whose result holds
    another replaced character comes after it. tests/test_text.py checks that the result
    is the table's.
    """
    table = _WRITTEN if written else _FOLDED
    rules = []
    for code in range(128):
        character = chr(code)
        if not written and character != character.lower():
            continue  # folded text has no capitals
        skeleton = table[code]
        if skeleton != character.lower():
            rules.append((character, skeleton))
    replaced = {character for character, _ in rules}
    rules.sort(key=lambda rule: not replaced.isdisjoint(rule[1]))
    return tuple(rules)


def _ascii_skeleton(value: str, *, written: bool) -> str:
    """``value.translate(_WRITTEN if written else _FOLDED)`` for ASCII ``value``, faster."""
    for character, skeleton in _ascii_rules(written):
        if character in value:
            value = value.replace(character, skeleton)
    return value.lower() if written else value


def _single_spaces(text: str) -> str:
    """``text`` with its words separated by single spaces (as fast as checking for others)."""
    return " ".join(text.split())


@functools.cache
def _ascii_case_sensitive() -> str:
    """The ASCII characters whose skeleton as written differs from that of their fold."""
    return "".join(
        character
        for character in map(chr, range(128))
        if _WRITTEN[ord(character)] != "".join(_FOLDED[ord(c)] for c in character.lower())
    )


def _keys_of(value: str, folded: str) -> tuple[str, str]:
    """The two skeletons of ``value`` (whose fold is ``folded``), spaces single."""
    of_folded = _skeleton(folded)
    if not value.isascii():
        return _single_spaces(value.translate(_WRITTEN)), of_folded
    for character in _ascii_case_sensitive():  # "I" and "M"
        if character in value:
            return _single_spaces(_ascii_skeleton(value, written=True)), of_folded
    return of_folded, of_folded


def _skeleton(folded: str) -> str:
    """The skeleton of folded text, spaces single."""
    if folded.isascii():
        return _single_spaces(_ascii_skeleton(folded, written=False))
    return _single_spaces(folded.translate(_FOLDED))


def name_keys(name: str, city: str) -> list[str]:
    """The ``name_city`` keys of a name and a city: one, or two when the skeletons differ.

    Name and city are compared on confusable skeletons (Unicode TS #39), joined by
    U+001F: first the skeleton of the name as written (so that a capital I and a small
    l match, and a Greek capital nu an N), then the skeleton of the folded name (so that
    case does not matter); the city on the skeleton of its fold in both. "Koks" in
    "Rīga", written with a Cyrillic o, and "KOKS" in "RIGA" both give the one key
    "koks", U+001F, "riga".

    Args:
        name: The customer's name, as stored.
        city: The customer's city, as stored.

    Returns:
        The keys; none when the name or the city folds to nothing.
    """
    return _name_keys(name, fold(name), _city(city)[2])


_CITIES: Final[dict[str, tuple[str, list[str], str]]] = {}  # cities repeat: computed once
_CITIES_LIMIT: Final = 1 << 12


def _city(city: str) -> tuple[str, list[str], str]:
    """A city's fold, its second spellings and its skeleton, remembered."""
    known = _CITIES.get(city)
    if known is None:
        folded = fold(city)
        known = (folded, spellings(city), _skeleton(folded))
        if len(_CITIES) < _CITIES_LIMIT:
            _CITIES[city] = known
    return known


def fold_city(city: str) -> str:
    """``fold(city)``, remembered: cities repeat from customer to customer.

    Args:
        city: A city, as stored.

    Returns:
        Its fold.
    """
    return _city(city)[0]


def _name_keys(name: str, folded_name: str, city: str) -> list[str]:
    """The ``name_city`` keys of a name and a city's skeleton (see `name_keys`)."""
    written, of_folded = _keys_of(name, folded_name)
    if not (of_folded and city):
        return []
    first = written + _KEY_SEPARATOR + city
    second = of_folded + _KEY_SEPARATOR + city
    return [first] if first == second else [first, second]


# -- what a customer is matched by ------------------------------------------------------


def text_field_keys(fields: Iterable[CustomFieldDefinition]) -> tuple[str, ...]:
    """The keys of the text custom fields that are not personal data: general search text."""
    return tuple(
        f.key
        for f in fields
        if f.type in (FieldType.TEXT, FieldType.MULTILINE_TEXT) and not f.personal_data
    )


def private_field_keys(fields: Iterable[CustomFieldDefinition]) -> tuple[str, ...]:
    """The keys of the text custom fields that are personal data: private search text."""
    return tuple(
        f.key
        for f in fields
        if f.type in (FieldType.TEXT, FieldType.MULTILINE_TEXT) and f.personal_data
    )


class MatchEntries(NamedTuple):
    """What a customer is matched by, as `keys_and_text` computes it.

    Attributes:
        keys: The duplicate keys, in the order of `DUPLICATE_KINDS`.
        text: The general search text: folded words separated by single spaces.
        private: The private search text (notes, personal-data text fields), folded
            likewise; empty when there is none.
    """

    keys: list[DuplicateKey]
    text: str
    private: str


def _compact(folded: str) -> str:
    """A folded code without spaces, dashes, dots and slashes ("lv-1050" gives "lv1050")."""
    for separator in " -./":
        if separator in folded:
            folded = folded.replace(separator, "")
    return folded


def _add(value: str, parts: list[str]) -> str:
    """Add the fold of ``value`` and its second spellings to ``parts``; return the fold."""
    if value.isascii():
        folded = value.lower()
        parts.append(folded)
        return folded
    folded = value.translate(_FOLD)
    parts.append(folded)
    if _SPELLED_TRIGGERS.search(value):
        parts += spellings(value)
    return folded


def _add_compact(value: str, parts: list[str]) -> None:
    """Add the fold of a code, and the code without spaces, dots, slashes and dashes."""
    folded = fold(value)
    parts.append(folded)
    compact = _compact(folded)
    if compact != folded:
        parts.append(compact)


def _add_tax_id(value: str, keys: list[DuplicateKey], parts: list[str]) -> None:
    tax = fold(value)
    compact = _compact(tax)
    if compact:  # an unchecked id of separators alone is no evidence
        keys.append(("tax_id", compact))
    parts.append(tax)
    if compact != tax:
        parts.append(compact)


def _add_email(email: str, keys: list[DuplicateKey], parts: list[str]) -> None:
    folded = fold(email)
    if folded:
        keys.append(("email", folded))
        parts.append(folded)


def _words(parts: list[str]) -> str:
    """``parts`` joined with single spaces (a fold or a multi-line value may hold others)."""
    return _single_spaces(" ".join(parts))


def keys_and_text(
    customer: Customer,
    text_fields: Iterable[str] = (),
    private_fields: Iterable[str] = (),
) -> MatchEntries:
    """Return what a customer is matched by: duplicate keys, search text, private text.

    The duplicate keys are those by which another customer would look like a duplicate
    of this one: the tax id (without spaces and separators), each email (folded), each
    phone (E.164), and the name with the city (`name_keys`). The search text is the
    folded name, number, contact person, tax id, company id, emails, phones, website,
    street, postal code, city, region and the ``text_fields`` custom-field values, with
    second spellings (`spellings`) and codes also without separators. The private text
    holds the notes and the ``private_fields`` values. All come from one pass, since
    the book computes them for every customer it indexes.

    Args:
        customer: The customer.
        text_fields: Keys of the custom fields searched as general text
            (`text_field_keys`).
        private_fields: Keys of the custom fields searched as private text
            (`private_field_keys`).

    Returns:
        The keys, the search text and the private text.
    """
    return entries_and_name(customer, text_fields, private_fields)[0]


def entries_and_name(
    customer: Customer,
    text_fields: Iterable[str] = (),
    private_fields: Iterable[str] = (),
) -> tuple[MatchEntries, str]:
    """Return `keys_and_text` of a customer and the fold of its name, folded once for both.

    Args:
        customer: The customer.
        text_fields: As for `keys_and_text`.
        private_fields: As for `keys_and_text`.

    Returns:
        ``(keys_and_text(customer, ...), fold(customer.name))``.
    """
    parts: list[str] = []
    name = _add(customer.name, parts)
    parts.append(str(customer.number))
    keys: list[DuplicateKey] = []
    _add_contacts(customer, keys, parts)
    address = customer.address
    if address.street:
        _add(address.street, parts)
    if address.postal_code:
        _add_compact(address.postal_code, parts)
    if address.city:
        folded_city, spelled, city_key = _city(address.city)
        parts.append(folded_city)
        if spelled:
            parts += spelled
        keys += [("name_city", key) for key in _name_keys(customer.name, name, city_key)]
    if address.region:
        _add(address.region, parts)
    values = customer.custom_fields
    if text_fields and values:
        _add_values(values, text_fields, parts)
    private: list[str] = []
    for note in customer.notes:
        _add(note.text, private)
    if private_fields and values:
        _add_values(values, private_fields, private)
    return MatchEntries(keys, _words(parts), _words(private) if private else ""), name


def _add_contacts(customer: Customer, keys: list[DuplicateKey], parts: list[str]) -> None:
    """Add the contact person, tax id, company id, emails, phones and website."""
    if customer.contact_person:
        _add(customer.contact_person, parts)
    if customer.tax_id:
        _add_tax_id(customer.tax_id.value, keys, parts)
    if customer.company_id:
        _add_compact(customer.company_id, parts)
    # One by one rather than through customer.emails and .phones: this runs for
    # every customer, and building those tuples shows.
    if customer.email:
        _add_email(customer.email, keys, parts)
    for email in customer.other_emails:
        _add_email(email, keys, parts)
    if customer.phone:
        keys.append(("phone", customer.phone.number))
        parts.append(customer.phone.number)
    for phone in customer.other_phones:
        keys.append(("phone", phone.number))
        parts.append(phone.number)
    if customer.website:  # without the scheme: nobody types "https"
        site = fold(customer.website)
        parts.append(site.partition("://")[2] or site)


def _add_values(values: Mapping[str, object], fields: Iterable[str], parts: list[str]) -> None:
    """Add the text values of custom ``fields`` (others are not searched)."""
    for key in fields:
        value = values.get(key)
        if isinstance(value, str):
            _add(value, parts)


def duplicate_keys(customer: Customer) -> list[DuplicateKey]:
    """The keys by which another customer would look like a duplicate of this one.

    Args:
        customer: The customer.

    Returns:
        ``keys_and_text(customer).keys``.
    """
    return keys_and_text(customer).keys
