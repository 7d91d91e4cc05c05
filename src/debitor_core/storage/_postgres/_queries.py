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
- filters are tags the row must hold (``tags @> ...``), categories tags it must share
  (``tags && ...``);
- orders are ``number``, ``folded_name`` and ``created``, each then ``number``, with
  ``COLLATE "C"`` text (code point order, as Python compares strings).
"""

from __future__ import annotations

import unicodedata
from typing import Final

from debitor_core._text import fold, search_words
from debitor_core.storage._postgres._derived import field_tags, storable
from debitor_core.storage._queries import CustomerQuery

__all__ = ["ORDERS", "Where", "escape_like", "where"]

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

Where = tuple[str, list[object]]


def escape_like(word: str) -> str:
    r"""``word`` as a ``LIKE`` pattern that finds it anywhere: ``%``, ``_``, ``\\`` escaped."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


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


def _word_condition(word: str, *, private: bool) -> Where:
    if _indexable(word):
        pattern = escape_like(word)
        if private:
            return "(search_text LIKE %s OR private_text LIKE %s)", [pattern, pattern]
        return "search_text LIKE %s", [pattern]
    if private:
        return "(strpos(search_text, %s) > 0 OR strpos(private_text, %s) > 0)", [word, word]
    return "strpos(search_text, %s) > 0", [word]


def where(book_id: str, query: CustomerQuery) -> Where | None:
    """The ``WHERE`` of the customers matching ``query``, or ``None`` when none can.

    Args:
        book_id: The book.
        query: The query.

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
            sql, more = _word_condition(word, private=query.include_private)
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
