"""The change feed of a `PostgresStore` book: what changed since a revision, and waiting.

- `FeedReader`: reads the changes after a revision (`PostgresStore.changes_since`) and
  waits on the book's notification channel (`PostgresStore.wait_for_change`).
- `channel`: the name of a book's notification channel.
"""

from __future__ import annotations

import hashlib
from typing import Any

import attrs
import psycopg
import psycopg.sql
from psycopg.rows import tuple_row

from debitor_core.storage._feed import ChangeSet
from debitor_core.storage._postgres._part import BookPart
from debitor_core.storage._postgres._transaction import Cursor

__all__ = ["FeedReader", "channel"]


def channel(schema: str | None, book_id: str) -> str:
    """The notification channel of a book: short, and one per schema and book."""
    digest = hashlib.sha256(f"{schema or ''}\x1f{book_id}".encode()).hexdigest()[:32]
    return f"debitor_{digest}"


@attrs.frozen
class FeedReader(BookPart):
    """The change feed of one book (`PostgresStore.changes_since`, `wait_for_change`)."""

    def changes(self, cur: Cursor, since: int, *, snapshot: bool) -> ChangeSet | None:
        """What changed after ``since``, read on ``cur``; ``None`` past the book or its horizon.

        Args:
            cur: A cursor on the store's connection.
            since: The revision the caller has seen.
            snapshot: Read in a ``REPEATABLE READ`` snapshot of its own (not in this
                thread's transaction).
        """
        if not snapshot:
            return self._changes(cur, since)
        with cur.connection.transaction():
            cur.execute(b"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            return self._changes(cur, since)

    def _changes(self, cur: Cursor, since: int) -> ChangeSet | None:
        book = self.book_row(cur)
        if since > book.revision or since < book.feed_horizon:
            return None
        book_id = self.book_id
        customers = cur.execute(self.sql.changed_customers, (book_id, since)).fetchall()
        deleted = cur.execute(self.sql.deleted_customers, (book_id, since)).fetchall()
        records = cur.execute(self.sql.changed_records, (book_id, since)).fetchall()
        return ChangeSet(
            str(book.store_id),
            since,
            book.revision,
            customers=tuple(self.codec.customer(row) for row in customers),
            deleted=tuple(self.codec.tombstone(row) for row in deleted),
            records=tuple(self.codec.any_record(row) for row in records),
            categories=book.categories_revision > since,
            custom_fields=book.custom_fields_revision > since,
        )

    def wait(
        self, conn: psycopg.Connection[Any], channel: str, revision: int, seconds: float
    ) -> int:
        """Listen on ``channel`` until the book is past ``revision``, or ``seconds``.

        Args:
            conn: A connection of the store, in autocommit mode.
            channel: The book's notification channel.
            revision: The revision the caller has seen.
            seconds: How long to wait at most.

        Returns:
            The book's revision when the wait ended.
        """
        listen = psycopg.sql.SQL("LISTEN {}").format(psycopg.sql.Identifier(channel))
        conn.execute(listen)
        try:
            # Read after LISTEN: a commit between the two is seen one way or the other.
            current = self.book_row(conn.cursor(row_factory=tuple_row)).revision
            if current <= revision:
                for _ in conn.notifies(timeout=seconds, stop_after=1):
                    pass
                current = self.book_row(conn.cursor(row_factory=tuple_row)).revision
        finally:
            if not conn.closed:
                conn.execute(b"UNLISTEN *")
        return current
