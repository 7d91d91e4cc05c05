"""`BookPart`: what a part of `PostgresStore` works on one book with.

The change feed (`_feed.FeedReader`) and the whole-book check (`_verify.BookVerifier`)
each get the store's statements, its row codec, the book's id and the read of the book's
row, and keep them as this class does.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from debitor_core.storage._postgres._rows import BookRow, RowCodec
from debitor_core.storage._postgres._statements import SchemaStatements
from debitor_core.storage._postgres._transaction import Cursor

__all__ = ["BookPart"]


@attrs.frozen
class BookPart:
    """The store's statements, codec and book-row read, for one book.

    Args:
        sql: The store's statements.
        codec: The store's row codec (it raises `CorruptStore` for a damaged row).
        book_id: The book.
        book_row: Reads the book's row on a cursor, its checksum checked.
    """

    sql: SchemaStatements
    codec: RowCodec
    book_id: str
    book_row: Callable[[Cursor], BookRow]
