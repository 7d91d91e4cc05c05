r"""The ``WHERE`` and ``ORDER BY`` of `PostgresStore`'s customer queries.

A `CustomerQuery` becomes conditions over the columns of `_derived` (computed in
Python when each row was written), so that PostgreSQL answers exactly what the
in-memory read model answers:

- each folded word of the text must be a substring of ``search_text`` (or, with
  ``include_private``, of ``search_text`` or ``private_text``): ``LIKE '%word%'`` with
  ``%``, ``_`` and ``\\`` escaped, which the trigram index (pg_trgm) narrows down and
  PostgreSQL then checks exactly. A word without three letters or digits in a row
  gives pg_trgm no trigram to look up, so it is checked with ``strpos`` over the rows
  the other conditions leave (a scan of the book when it is the only condition);
- a word some of whose trigrams nearly every row holds ("customer" in
  "customer249523") has only its rare pieces looked up in the index
  (``LIKE '%r249523%'``) and is then checked whole with ``strpos``: the index
  reads short lists instead of intersecting lists of the whole book. How common a
  trigram is comes from a `TextSample` of the book's rows; it steers speed only,
  never the answer;
- filters are tags the row must hold (``tags @> ...``), categories tags it must share
  (``tags && ...``);
- orders are ``number``, ``folded_name`` and ``created``, each then ``number``, with
  ``COLLATE "C"`` text (code point order, as Python compares strings).
"""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Final

from debitor_core._text import fold, search_words
from debitor_core.storage._postgres._derived import field_tags, storable
from debitor_core.storage._queries import CustomerQuery

__all__ = [
    "COMMON_TRIGRAM",
    "MIN_SAMPLE",
    "ORDERS",
    "RARE_WORD",
    "RESAMPLE_AFTER",
    "SAMPLE_ROWS",
    "TextSample",
    "Where",
    "escape_like",
    "lookup_pattern",
    "sample_random",
    "selective",
    "where",
]

ORDERS: Final = {
    ("number", False): "number",
    ("number", True): "number DESC",
    ("name", False): "folded_name, number",
    ("name", True): "folded_name DESC, number DESC",
    ("created", False): "created, number",
    ("created", True): "created DESC, number DESC",
}
"""``ORDER BY`` for each ``(sort, descending)``."""

_TRIGRAM: Final = 3

COMMON_TRIGRAM: Final = 0.1
"""A trigram in more than this share of the sampled rows is not looked up in the index."""

RARE_WORD: Final = 0.002
"""A word in less than this share of the sampled rows is rare (`selective`)."""

MIN_SAMPLE: Final = 200
"""Fewer sampled rows than this say nothing: every word is looked up whole."""

SAMPLE_ROWS: Final = 1000
"""How many rows (drawn by number, with repeats) a `TextSample` is taken from."""

RESAMPLE_AFTER: Final = 1000
"""A store takes a new `TextSample` after this many free-text queries on the last one."""

Where = tuple[str, list[object]]


def sample_random() -> random.Random:
    """A store's source of the draws that pick its `TextSample`'s rows.

    Unseeded: no pattern in a book's numbers makes the sample miss what is common. The
    sample steers speed only, so it needs no secrets (tests seed one to fix the rows).
    """
    return random.Random()  # noqa: S311 - picks rows to sample, nothing secret


class TextSample:
    """Some rows' search text: how common a trigram or a word is in the book (an estimate).

    It only steers how a query is run (which pieces of a word the trigram index looks
    up, whether a page is read by order or found first): every answer stays exact
    whatever the sample holds.

    Args:
        texts: The search text (with the private text) of each sampled row.
    """

    def __init__(self, texts: Sequence[str]) -> None:
        """Count in how many of ``texts`` each trigram is."""
        self.texts = tuple(texts)
        self._trigrams: Counter[str] = Counter()
        for text in self.texts:
            self._trigrams.update({text[i : i + _TRIGRAM] for i in range(len(text) - 2)})

    @property
    def usable(self) -> bool:
        """Whether the sample is big enough to tell common from rare (`MIN_SAMPLE`)."""
        return len(self.texts) >= MIN_SAMPLE

    def trigram_share(self, trigram: str) -> float:
        """The share of the sampled rows holding ``trigram`` (0 for an empty sample)."""
        return self._trigrams[trigram] / len(self.texts) if self.texts else 0.0

    def word_share(self, word: str) -> float:
        """The share of the sampled rows holding ``word`` (0 for an empty sample)."""
        if not self.texts:
            return 0.0
        return sum(word in text for text in self.texts) / len(self.texts)


def escape_like(word: str) -> str:
    r"""``word`` as a ``LIKE`` pattern that finds it anywhere: ``%``, ``_``, ``\\`` escaped."""
    return f"%{_escaped(word)}%"


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _indexable(word: str) -> bool:
    """Whether pg_trgm can look ``word`` up: it holds three letters or digits in a row."""
    run = 0
    for character in word:
        run = run + 1 if character.isalnum() else 0
        if run >= _TRIGRAM:
            return True
    return False


def _findable(word: str) -> bool:
    """Whether any search text can hold ``word`` (none holds a control character)."""
    return not any(unicodedata.category(c) in ("Cc", "Cs") for c in word)


def lookup_pattern(word: str, sample: TextSample | None) -> str | None:
    """The ``LIKE`` pattern of ``word``'s rare pieces, or ``None`` to look the word up whole.

    The pieces are the runs of ``word`` over its trigrams (three letters or digits) that
    are in at most `COMMON_TRIGRAM` of the sampled rows, in their order; two runs that
    overlap become one. They are apart from each other, so every text holding ``word``
    matches the pattern (the word is then checked whole with ``strpos``). ``None``
    when the sample is too small, or when the pieces are the whole word or none: the
    whole word is then the best lookup.
    """
    if sample is None or not sample.usable:
        return None
    starts = [i for i in range(len(word) - 2) if word[i : i + _TRIGRAM].isalnum()]
    rare = [i for i in starts if sample.trigram_share(word[i : i + _TRIGRAM]) <= COMMON_TRIGRAM]
    if not rare:
        return None
    pieces: list[list[int]] = []  # [start, end] in word, apart and in order
    for start in rare:
        if pieces and start < pieces[-1][1]:  # overlaps the piece before: it grows
            pieces[-1][1] = start + _TRIGRAM
        else:
            pieces.append([start, start + _TRIGRAM])
    if pieces == [[0, len(word)]]:
        return None
    return "%" + "%".join(_escaped(word[start:end]) for start, end in pieces) + "%"


def selective(query: CustomerQuery, sample: TextSample | None) -> bool:
    """Whether a word of ``query``'s text is rare in the sample (`RARE_WORD`).

    A page of such a query is read from the few rows the index finds, not by walking
    the book in the page's order until the page is full (which reads most of the book
    when the planner takes a rare word for a common one).
    """
    if sample is None or not sample.usable or not query.text.strip():
        return False
    return any(sample.word_share(word) < RARE_WORD for word in search_words(query.text))


def _word_condition(word: str, *, private: bool, sample: TextSample | None) -> Where:
    if not _indexable(word):
        return _contains(word, private=private)
    pieces = lookup_pattern(word, sample)
    pattern = escape_like(word) if pieces is None else pieces
    params: list[object] = [pattern, pattern] if private else [pattern]
    sql = "(search_text LIKE %s OR private_text LIKE %s)" if private else "search_text LIKE %s"
    if pieces is None:
        return sql, params
    check, more = _contains(word, private=private)
    return f"{sql} AND {check}", params + more


def _contains(word: str, *, private: bool) -> Where:
    """``word`` is a substring of the text, checked on each row (no index can serve it)."""
    if private:
        return "(strpos(search_text, %s) > 0 OR strpos(private_text, %s) > 0)", [word, word]
    return "strpos(search_text, %s) > 0", [word]


def where(book_id: str, query: CustomerQuery, sample: TextSample | None = None) -> Where | None:
    """The ``WHERE`` of the customers matching ``query``, or ``None`` when none can.

    Args:
        book_id: The book.
        query: The query.
        sample: Some of the book's rows, to look up only the rare pieces of a word
            (`lookup_pattern`); ``None`` looks every word up whole.

    Returns:
        SQL (over ``debitor_customer`` without an alias) and its parameters.
    """
    conditions = ["book_id = %s"]
    params: list[object] = [book_id]
    if query.text.strip():
        words = search_words(query.text)
        if not words or not all(_findable(w) for w in words):
            return None
        # The longest first: the rarest trigrams, the planner's best start.
        for word in sorted(dict.fromkeys(words), key=len, reverse=True):
            sql, more = _word_condition(word, private=query.include_private, sample=sample)
            conditions.append(sql)
            params += more
    required = _required_tags(query)
    if required is None:
        return None
    if required:
        conditions.append("tags @> %s::text[]")
        params.append(required)
    groups = query.categories
    if groups:
        wanted = [sorted(f"g:{c}" for c in group) for group in groups]
        if not query.match_all:
            wanted = [sorted({tag for group in wanted for tag in group})]
        for tags in wanted:
            if not tags:
                return None
            conditions.append("tags && %s::text[]")
            params.append(tags)
    return " AND ".join(conditions), params


def _required_tags(query: CustomerQuery) -> list[str] | None:
    """The tags every matching customer holds (``None``: no customer can match)."""
    tags = []
    if query.archived is not None:
        tags.append("a:1" if query.archived else "a:0")
    if query.country is not None:
        tags.append(f"c:{query.country}")
    if query.city is not None:
        tags.append(f"t:{fold(query.city)}")
    for key, value in query.custom_fields:
        wanted = field_tags(key, value, stored=False)
        if wanted is None:
            return None
        tags += wanted
    if query.with_field is not None:
        tags.append(f"f:{query.with_field}")
    if any("\x00" in tag for tag in tags):
        return None  # no stored tag holds NUL: PostgreSQL's text cannot
    return sorted({storable(tag) for tag in tags})
