"""The fold of a `PostgresStore` book: which fold made its computed columns, and what they search.

- `fold_is_current`: whether the book's computed columns come from this fold, with
  the columns the history lookups read in every record.
- `refuse_newer_fold`: `UnsupportedFormatVersion` for a book a newer debitor-core folded.
- `FieldKeyCache`: the custom fields searched as text, read again when they change.

The store folds a book that is not current when it opens it (`PostgresStore`), and a
transaction checks again under the book's lock (`PostgresTransaction.fold_book`).
"""

from __future__ import annotations

from collections.abc import Callable

from debitor_core._errors import UnsupportedFormatVersion
from debitor_core._text import FOLD_VERSION, UNICODE_VERSION, private_field_keys, text_field_keys
from debitor_core.storage._postgres._derived import FieldKeys
from debitor_core.storage._postgres._rows import BookRow, RowCodec
from debitor_core.storage._postgres._statements import SchemaStatements
from debitor_core.storage._postgres._transaction import Cursor

__all__ = ["FieldKeyCache", "fold_is_current", "refuse_newer_fold"]


def fold_is_current(book: BookRow, lookups_missing: Callable[[], bool]) -> bool:
    """Whether ``book`` was folded by this fold and Unicode version, its lookups complete.

    ``lookups_missing`` (a query) is asked only when the stamp is this fold's.
    """
    stamp = (book.fold_version, book.unicode_version)
    return stamp == (FOLD_VERSION, UNICODE_VERSION) and not lookups_missing()


def refuse_newer_fold(name: str, book_id: str, version: int | None) -> None:
    """Refuse a book whose fold ``version`` is newer than this debitor-core's.

    Raises:
        UnsupportedFormatVersion: a newer debitor-core folded the book.
    """
    if version is not None and version > FOLD_VERSION:
        msg = (
            f"{name.capitalize()} was folded for search by a newer debitor-core "
            f"(fold version {version}; this one has {FOLD_VERSION}). Upgrade "
            "debitor-core to open it. The database was not changed."
        )
        params = {"book": repr(book_id), "version": version, "known": FOLD_VERSION}
        params["rule"] = "fold"
        raise UnsupportedFormatVersion(msg, code="storage.newer", params=params)


class FieldKeyCache:
    """The custom fields of one book searched as text, kept for a revision of them.

    Args:
        sql: The store's statements.
        codec: The store's row codec (it raises `CorruptStore` for a damaged row).
        book_id: The book.
    """

    def __init__(self, sql: SchemaStatements, codec: RowCodec, book_id: str) -> None:
        """Start with no custom field (revision 0); see the class docstring."""
        self._sql = sql
        self._codec = codec
        self._book_id = book_id
        self._cache: tuple[int, FieldKeys] = (0, FieldKeys())

    def keys(self, cur: Cursor, revision: int) -> FieldKeys:
        """The custom fields searched as text as of the committed ``revision`` of them."""
        cached_revision, keys = self._cache
        if revision != cached_revision:
            keys = self.load(cur)
            self._cache = (revision, keys)
        return keys

    def load(self, cur: Cursor) -> FieldKeys:
        """The custom fields searched as text, read on ``cur`` now."""
        rows = cur.execute(self._sql.custom_fields, (self._book_id,)).fetchall()
        definitions = [self._codec.custom_field(row) for row in rows]
        return FieldKeys(text_field_keys(definitions), private_field_keys(definitions))
