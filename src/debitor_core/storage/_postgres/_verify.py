"""`BookVerifier`: every row of a book read and checked (`PostgresStore.verify`).

It reads the book's row, every customer, category, custom field, record and tombstone
(through a cursor on the server, a batch at a time), checks each with the store's
`RowCodec`, and then that no row is ahead of the book's row.
"""

from __future__ import annotations

from typing import Final

import attrs
from psycopg.rows import tuple_row

from debitor_core.storage._postgres._part import BookPart
from debitor_core.storage._postgres._transaction import Cursor, PostgresTransaction

__all__ = ["BookVerifier"]

_VERIFY_BATCH: Final = 2_000
"""How many rows `PostgresStore.verify` fetches from the server at a time."""


@attrs.frozen
class BookVerifier(BookPart):
    """Checks every row of one book (`PostgresStore.verify`)."""

    def verify(self, cur: Cursor, tx: PostgresTransaction | None) -> None:
        """Check the book on ``cur``: in one ``REPEATABLE READ`` snapshot, or through ``tx``.

        Args:
            cur: A cursor on the store's connection (this thread's transaction's, if any).
            tx: This thread's open transaction of the store, or ``None``.

        Raises:
            CorruptStore: a row was changed outside debitor-core or damaged.
        """
        if tx is not None:
            # In this thread's transaction: what it sees, its own writes too.
            self._verify_rows(cur, tx)
            return
        with cur.connection.transaction():
            cur.execute(b"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            self._verify_rows(cur, None)

    def _verify_rows(self, cur: Cursor, tx: PostgresTransaction | None) -> None:
        sql, codec, book_id = self.sql, self.codec, self.book_id
        verifying = sql.verifying()
        book = self.book_row(cur)
        for statement, check in (
            (sql.all_customers, codec.customer),
            (verifying.categories, codec.category),
            (verifying.custom_fields, codec.custom_field),
            (sql.all_records, codec.any_record),
            (verifying.tombstones, codec.tombstone),
        ):
            # A cursor on the server: a book of millions of rows is read a batch at a
            # time, never held whole in this process's memory.
            with cur.connection.cursor("debitor_verify", row_factory=tuple_row) as rows:
                rows.itersize = _VERIFY_BATCH
                for row in rows.execute(statement, (book_id,)):
                    check(row)
        highest = cur.execute(verifying.highest, {"b": book_id}).fetchone()
        number, revision = highest if highest is not None else (None, None)
        last_number, newest = book.last_number, book.revision
        if tx is not None:
            # This thread's transaction wrote rows that its commit moves the book's row to.
            last_number, newest = max(last_number, tx.last_number), tx.revision
        if number is not None and number > last_number:
            raise codec.ahead("last_number", book.last_number, number)
        if revision is not None and revision > newest:
            raise codec.ahead("revision", book.revision, revision)
