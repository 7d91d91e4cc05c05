"""The tables of `PostgresStore`, their versions, and the migrations between them.

Every table is keyed by ``book_id`` first: every primary key, B-tree index and ``WHERE``
of the store leads with it (the GIN indexes of search text, keys and tags, which have
no order to lead, hold no book_id; every query still names its book), and no statement
joins or locks across books. A book's rows
can therefore live on any node of a cluster distributed by ``book_id`` (Citus) or in
any partition of a table hash-partitioned by it.

``debitor_schema_version`` holds one row per migration applied. Each migration runs in
a transaction of its own under a transaction-scoped advisory lock, so processes that
start at once take turns and each migration is applied exactly once.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any, Final, NamedTuple

import psycopg
from psycopg.rows import tuple_row

from debitor_core._errors import CorruptStore, StorageError, UnsupportedFormatVersion
from debitor_core._i18n import render_message
from debitor_core._limits import MAX_NUMBER
from debitor_core._text import FOLD_VERSION, UNICODE_VERSION
from debitor_core.storage._postgres._rows import (
    BookRow,
    book_checksum,
    changed_checksum,
    order_checksum,
    tombstone_checksum,
)

__all__ = [
    "GIN_INDEXES",
    "MIGRATIONS",
    "PENDING_LIST_KB",
    "SCHEMA_VERSION",
    "SEALED",
    "TABLES",
    "WRITER",
    "WRITER_SETTING",
    "Migration",
    "Names",
    "prepare",
]

SCHEMA_VERSION: Final = 4
"""The schema version this release writes (the highest row of ``debitor_schema_version``)."""

TABLES: Final = (
    "debitor_book",
    "debitor_customer",
    "debitor_customer_deleted",
    "debitor_category",
    "debitor_custom_field",
    "debitor_record",
)
"""The tables of every version, ``debitor_schema_version`` aside."""

_BOOK_ID: Final = 'book_id text COLLATE "C" NOT NULL'

_V1: Final = (
    # One lockable row per book: its revision, its last number, what the feed needs.
    f"""CREATE TABLE {{s}}debitor_book (
        {_BOOK_ID},
        store_id uuid NOT NULL,
        revision bigint NOT NULL DEFAULT 0 CHECK (revision >= 0),
        last_number bigint NOT NULL DEFAULT 0 CHECK (last_number BETWEEN 0 AND {MAX_NUMBER}),
        categories_revision bigint NOT NULL DEFAULT 0,
        custom_fields_revision bigint NOT NULL DEFAULT 0,
        feed_horizon bigint NOT NULL DEFAULT 0,
        CONSTRAINT debitor_book_pkey PRIMARY KEY (book_id),
        CONSTRAINT debitor_book_id_check CHECK (book_id ~ '^[A-Za-z0-9_-]{{1,64}}$')
    )""",
    f"""CREATE TABLE {{s}}debitor_customer (
        {_BOOK_ID},
        id uuid NOT NULL,
        number bigint NOT NULL CHECK (number BETWEEN 1 AND {MAX_NUMBER}),
        version bigint NOT NULL,
        changed_revision bigint NOT NULL,
        data text NOT NULL,
        checksum bigint NOT NULL,
        CONSTRAINT debitor_customer_pkey PRIMARY KEY (book_id, id),
        CONSTRAINT debitor_customer_number_key UNIQUE (book_id, number)
    )""",
    "CREATE INDEX debitor_customer_changed ON {s}debitor_customer (book_id, changed_revision)",
    # Tombstones of deleted customers, for the change feed; pruned after a while.
    f"""CREATE TABLE {{s}}debitor_customer_deleted (
        {_BOOK_ID},
        id uuid NOT NULL,
        deleted_revision bigint NOT NULL,
        CONSTRAINT debitor_customer_deleted_pkey PRIMARY KEY (book_id, id)
    )""",
    (
        "CREATE INDEX debitor_customer_deleted_revision "
        "ON {s}debitor_customer_deleted (book_id, deleted_revision)"
    ),
    f"""CREATE TABLE {{s}}debitor_category (
        {_BOOK_ID},
        id uuid NOT NULL,
        added_revision bigint NOT NULL,
        added_seq integer NOT NULL,
        data text NOT NULL,
        checksum bigint NOT NULL,
        CONSTRAINT debitor_category_pkey PRIMARY KEY (book_id, id)
    )""",
    f"""CREATE TABLE {{s}}debitor_custom_field (
        {_BOOK_ID},
        key text COLLATE "C" NOT NULL,
        added_revision bigint NOT NULL,
        added_seq integer NOT NULL,
        data text NOT NULL,
        checksum bigint NOT NULL,
        CONSTRAINT debitor_custom_field_pkey PRIMARY KEY (book_id, key)
    )""",
    f"""CREATE TABLE {{s}}debitor_record (
        {_BOOK_ID},
        kind text COLLATE "C" NOT NULL,
        key text COLLATE "C" NOT NULL,
        version bigint NOT NULL,
        added_revision bigint NOT NULL,
        added_seq integer NOT NULL,
        changed_revision bigint NOT NULL,
        data text NOT NULL,
        checksum bigint NOT NULL,
        CONSTRAINT debitor_record_pkey PRIMARY KEY (book_id, kind, key)
    )""",
    (
        "CREATE INDEX debitor_record_order "
        "ON {s}debitor_record (book_id, kind, added_revision, added_seq)"
    ),
    "CREATE INDEX debitor_record_changed ON {s}debitor_record (book_id, changed_revision)",
)

_V2: Final = (
    # Trigram indexes over folded text (pg_trgm ships with PostgreSQL, a trusted
    # extension). The GIN indexes are the one exception to "book_id leads": a GIN index
    # has no order to lead, and with book_id in it (btree_gin) every search intersects
    # the posting list of all the book's rows, five times slower at 100,000 customers.
    # Every query still says book_id = ..., checked on the rows the index finds.
    # A GIN index keeps new entries in a pending list that every search reads through,
    # and the planner turns to reading the whole book when the list is long: 256 kB
    # (rather than 4 MB) keeps searches right after a commit cheap.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # Which fold (debitor_core._text) wrote a book's computed columns; NULL: none yet.
    (
        "ALTER TABLE {s}debitor_book ADD COLUMN fold_version integer, "
        'ADD COLUMN unicode_version text COLLATE "C"'
    ),
    # Computed in Python at write time (see _derived.py); NULL until the book is folded.
    (
        'ALTER TABLE {s}debitor_customer ADD COLUMN search_text text COLLATE "C", '
        'ADD COLUMN private_text text COLLATE "C", ADD COLUMN folded_name text COLLATE "C", '
        'ADD COLUMN created timestamptz, ADD COLUMN match_keys text[] COLLATE "C", '
        'ADD COLUMN tags text[] COLLATE "C"'
    ),
    (
        "CREATE INDEX debitor_customer_text ON {s}debitor_customer "
        "USING gin (search_text {trgm}gin_trgm_ops) WITH (gin_pending_list_limit = 256)"
    ),
    (
        "CREATE INDEX debitor_customer_private ON {s}debitor_customer "
        "USING gin (private_text {trgm}gin_trgm_ops) WITH (gin_pending_list_limit = 256)"
    ),
    (
        "CREATE INDEX debitor_customer_keys ON {s}debitor_customer USING gin (match_keys) "
        "WITH (gin_pending_list_limit = 256)"
    ),
    (
        "CREATE INDEX debitor_customer_tags ON {s}debitor_customer USING gin (tags) "
        "WITH (gin_pending_list_limit = 256)"
    ),
    "CREATE INDEX debitor_customer_name ON {s}debitor_customer (book_id, folded_name, number)",
    "CREATE INDEX debitor_customer_created ON {s}debitor_customer (book_id, created, number)",
    (
        "ALTER TABLE {s}debitor_record ADD COLUMN customer_id uuid, ADD COLUMN invoice_id uuid, "
        "ADD COLUMN invoice_number bigint, ADD COLUMN welcome boolean, "
        'ADD COLUMN state text COLLATE "C", ADD COLUMN due_date date, '
        "ADD COLUMN next_attempt timestamptz"
    ),
    "CREATE INDEX debitor_record_customer ON {s}debitor_record (book_id, kind, customer_id)",
    "CREATE INDEX debitor_record_invoice ON {s}debitor_record (book_id, kind, invoice_id)",
    "CREATE INDEX debitor_record_number ON {s}debitor_record (book_id, kind, invoice_number)",
)

GIN_INDEXES: Final = (
    "debitor_customer_text",
    "debitor_customer_private",
    "debitor_customer_keys",
    "debitor_customer_tags",
)
"""The GIN indexes of the customer table (their pending lists are capped per transaction)."""

PENDING_LIST_KB: Final = 256
"""The pending list cap of every write transaction (``SET LOCAL gin_pending_list_limit``)."""

# An index's own gin_pending_list_limit wins over the setting, so that a bulk import
# could not raise it for its own transaction only: the cap moves from the indexes into
# every write transaction of the store (`PENDING_LIST_KB`), and `PostgresTransaction.add_many`
# raises it for its one insert and then moves the list into the index.
_V3: Final = tuple(
    f"ALTER INDEX {{s}}{index} RESET (gin_pending_list_limit)" for index in GIN_INDEXES
)

_Cursor = psycopg.Cursor[tuple[Any, ...]]
Migration = Callable[[_Cursor, "Names"], None]
"""A step of a migration done in Python, on the migration's cursor."""

SEALED: Final = 4
"""The schema version whose book rows, tombstones, order and changed columns have checksums."""

_SEAL_BATCH: Final = 5_000
"""How many rows the migration to version 4 reads, checksums and writes back at a time."""


class _Seal(NamedTuple):
    """Which checksum `_seal` writes into each row of a table, and from what."""

    table: str
    target: str
    """The column the checksum goes into."""
    key: tuple[tuple[str, str], ...]
    """The table's primary key: each column with its type."""
    columns: str
    """The columns the checksum covers, after the key."""
    checksum: Callable[[tuple[Any, ...]], int]
    """The checksum of a row read as the key's columns, then ``columns``."""


def _seal(cur: _Cursor, names: Names, seal: _Seal) -> None:
    """Write the checksum ``seal`` says into each row of its table.

    The rows are read in batches by a server-side cursor, and each batch is written with
    one ``UPDATE`` by the primary key; the migration's ``ALTER TABLE`` holds the table's
    lock, so no other transaction changes a row meanwhile.
    """
    table, target, key, columns, checksum = seal
    key_names = ", ".join(name for name, _ in key)
    unnest = ", ".join(f"%s::{kind}[]" for _, kind in key)
    match = " AND ".join(f"t.{name} = v.{name}" for name, _ in key)
    update = names.sql(
        f"UPDATE {{s}}{table} t SET {target} = v.checksum "  # noqa: S608 - our own columns
        f"FROM unnest({unnest}, %s::bigint[]) v({key_names}, checksum) WHERE {match}"
    )
    with cur.connection.cursor("debitor_seal", row_factory=tuple_row) as source:
        source.execute(names.sql(f"SELECT {key_names}, {columns} FROM {{s}}{table}"))  # noqa: S608 - our own columns
        while batch := source.fetchmany(_SEAL_BATCH):
            keys = [[row[i] for row in batch] for i in range(len(key))]
            cur.execute(update, (*keys, [checksum(row) for row in batch]))


def _seal_rows(cur: _Cursor, names: Names) -> None:
    """Version 4: the checksums of every book row, tombstone, row place and changed revision.

    Of all books.
    """

    def book(row: tuple[Any, ...]) -> int:
        return book_checksum(row[0], BookRow(*row[1:]))

    def tombstone(row: tuple[Any, ...]) -> int:
        return tombstone_checksum(*row)

    def placed(table: str) -> Callable[[tuple[Any, ...]], int]:
        def place(row: tuple[Any, ...]) -> int:
            book_id, *key, revision, seq = row
            return order_checksum(book_id, (table, *key), revision, seq)

        return place

    def changed(table: str) -> Callable[[tuple[Any, ...]], int]:
        def seal(row: tuple[Any, ...]) -> int:
            book_id, *key, revision = row
            return changed_checksum(book_id, (table, *key), revision)

        return seal

    book_columns = (
        "store_id, revision, last_number, categories_revision, custom_fields_revision, "
        "feed_horizon, fold_version, unicode_version"
    )
    book_id = ("book_id", "text")
    by_id = (book_id, ("id", "uuid"))
    by_key = (book_id, ("key", "text"))
    order = "added_revision, added_seq"
    by_kind = (book_id, ("kind", "text"), ("key", "text"))
    for seal in (
        _Seal("debitor_book", "checksum", (book_id,), book_columns, book),
        _Seal("debitor_customer_deleted", "checksum", by_id, "deleted_revision", tombstone),
        _Seal("debitor_category", "order_checksum", by_id, order, placed("category")),
        _Seal("debitor_custom_field", "order_checksum", by_key, order, placed("custom-field")),
        _Seal("debitor_record", "order_checksum", by_kind, order, placed("record")),
        _Seal(
            "debitor_customer", "changed_checksum", by_id, "changed_revision", changed("customer")
        ),
        _Seal("debitor_record", "changed_checksum", by_kind, "changed_revision", changed("record")),
    ):
        _seal(cur, names, seal)


# Checksums for what the row checksums (of the JSON) did not cover: the book's row, each
# tombstone, the place of each category, custom field and record, and the revision that
# last wrote each customer and record (which the change feed reads by). The columns are
# added empty, filled in Python (`_seal_rows`, CRC-32 as `_rows.row_checksum`), and then
# made NOT NULL; ALTER TABLE locks each table until the migration commits.
_V4: Final[tuple[str | Migration, ...]] = (
    "ALTER TABLE {s}debitor_book ADD COLUMN checksum bigint",
    "ALTER TABLE {s}debitor_customer_deleted ADD COLUMN checksum bigint",
    "ALTER TABLE {s}debitor_category ADD COLUMN order_checksum bigint",
    "ALTER TABLE {s}debitor_custom_field ADD COLUMN order_checksum bigint",
    "ALTER TABLE {s}debitor_record ADD COLUMN order_checksum bigint",
    "ALTER TABLE {s}debitor_customer ADD COLUMN changed_checksum bigint",
    "ALTER TABLE {s}debitor_record ADD COLUMN changed_checksum bigint",
    _seal_rows,
    "ALTER TABLE {s}debitor_book ALTER COLUMN checksum SET NOT NULL",
    "ALTER TABLE {s}debitor_customer_deleted ALTER COLUMN checksum SET NOT NULL",
    "ALTER TABLE {s}debitor_category ALTER COLUMN order_checksum SET NOT NULL",
    "ALTER TABLE {s}debitor_custom_field ALTER COLUMN order_checksum SET NOT NULL",
    "ALTER TABLE {s}debitor_record ALTER COLUMN order_checksum SET NOT NULL",
    "ALTER TABLE {s}debitor_customer ALTER COLUMN changed_checksum SET NOT NULL",
    "ALTER TABLE {s}debitor_record ALTER COLUMN changed_checksum SET NOT NULL",
)

WRITER: Final = SEALED
"""The lowest ``debitor.writer`` (`WRITER_SETTING`) a write to the tables needs (schema 4 on)."""

WRITER_SETTING: Final = f"SET LOCAL debitor.writer = '{WRITER}'"
"""How a write transaction says it writes the checksums (sent with the store's settings)."""

# The guard of schema 4: a process of the release before (schema 3) checks the version
# only when it opens a book, and would go on writing rows without the checksums after an
# upgrade, which the next read refuses as damage. Every write transaction of this release
# says `WRITER_SETTING`; a statement on the tables without it fails, and its transaction
# is rolled back. One check per statement (FOR EACH STATEMENT), not per row: a COPY or a
# statement of many rows costs one call, and every write of the release before runs at
# least one statement on debitor_book (its commit bumps the revision).
_GUARD: Final = """CREATE FUNCTION {s}debitor_writer_check() RETURNS trigger
LANGUAGE plpgsql AS $guard$
DECLARE
    writer text := pg_catalog.current_setting('debitor.writer', true);
BEGIN
    IF writer IS NULL OR writer !~ '^[0-9]{1,9}$' OR writer::integer < {writer} THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = 'debitor-core: this book is at schema version {writer}, written by a '
                || 'newer debitor-core release; this process runs an older one, whose writes '
                || 'would lack the checksums. Nothing was written: restart the process with '
                || 'the new release.',
            HINT = 'A write by hand must SET LOCAL debitor.writer = ''{writer}'' and write '
                || 'the checksums of the rows it changes (see docs/postgres.md, Upgrading).';
    END IF;
    RETURN NULL;
END
$guard$""".replace("{writer}", str(WRITER))

_V4_GUARD: Final = (
    _GUARD,
    *(
        f"CREATE TRIGGER debitor_writer BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE "
        f"ON {{s}}{table} FOR EACH STATEMENT EXECUTE FUNCTION {{s}}debitor_writer_check()"
        for table in TABLES
    ),
)

MIGRATIONS: dict[int, tuple[str | Migration, ...]] = {0: _V1, 1: _V2, 2: _V3, 3: (*_V4, *_V4_GUARD)}
"""The steps that take the schema from version ``n`` to ``n + 1``; 0 is no tables.

A step is a statement or a function of Python (a `Migration`), run in the migration's
transaction. ``{s}`` in a statement stands for the schema prefix (``"name".`` or
nothing), ``{trgm}`` for the schema of the pg_trgm extension (wherever it was installed,
on the search path or not). Version 2 adds the columns the store's queries read, computed
in Python when a row is written; a book whose rows were written before (or by another
fold) is folded again when a store opens it (`PostgresStore`). Version 3 takes the
pending list cap off the GIN indexes: each write transaction of the store sets it
(`PENDING_LIST_KB`). Version 4 adds checksums (CRC-32, `_rows.row_checksum`) of the book's
row, of each tombstone, of the order columns of categories, custom fields and records,
and of the ``changed_revision`` of customers and records, computed for the rows there
are (`_seal_rows`): what they held before the upgrade is taken as it is. It also adds
a trigger to every table (`debitor_writer_check`, FOR EACH STATEMENT) that refuses a
write unless its transaction set ``debitor.writer`` to `WRITER` or more (`WRITER_SETTING`):
a process of the release before, still running after the upgrade, fails at its next
write instead of writing rows without their checksums. Each migration's transaction sets
it too, for the rows it writes.
"""

_SCHEMA_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class Names:
    """Where the tables are: a named schema, or the connection's ``search_path``.

    Args:
        schema: A schema name (lower-case letters, digits and underscores, 63 at most),
            or ``None`` for the first schema on the connection's ``search_path``.
    """

    def __init__(self, schema: str | None) -> None:
        """Check the schema name and build the prefix of every table name."""
        if schema is not None and (
            not isinstance(schema, str) or not _SCHEMA_NAME.fullmatch(schema)
        ):
            msg = (
                f"The schema name {schema!r} is not valid: use 1 to 63 lower-case letters, "
                "digits and underscores, not starting with a digit."
            )
            raise ValueError(msg)
        if schema is not None and (schema.startswith("pg_") or schema == "information_schema"):
            msg = (
                f"The schema name {schema!r} is PostgreSQL's own (pg_... and "
                "information_schema are reserved): use another name."
            )
            raise ValueError(msg)
        self.schema = schema
        self.prefix = "" if schema is None else f'"{schema}".'

    def sql(self, statement: str) -> str:
        """Return ``statement`` with ``{s}`` replaced by the schema prefix."""
        return statement.replace("{s}", self.prefix)

    def regclass(self, table: str) -> str:
        """Return the name of ``table`` as ``to_regclass`` takes it."""
        return f"{self.prefix}{table}"


def _cursor(conn: psycopg.Connection[Any]) -> psycopg.Cursor[tuple[Any, ...]]:
    return conn.cursor(row_factory=tuple_row)


def prepare(
    conn: psycopg.Connection[Any], names: Names, book_id: str, *, create: bool = True
) -> None:
    """Bring the schema to `SCHEMA_VERSION` and make sure the book has its row.

    ``conn`` is in autocommit mode. The common case (the schema is current and the book
    exists) costs one round trip and writes nothing, so it works on a read-only standby.
    Without ``create``, a book that is not there (or a database without the tables) is
    refused before anything is written: no table, schema upgrade or book row is made.

    Raises:
        StorageError: ``storage.missing_book``: without ``create``, there is no such book.
        UnsupportedFormatVersion: the schema is newer than this release.
        CorruptStore: the tables are there but ``debitor_schema_version`` is not, or
            it is empty.
        psycopg.Error: the database failed (the caller translates it).
    """
    cur = _cursor(conn)
    try:
        row = cur.execute(
            names.sql(
                "SELECT (SELECT max(version) FROM {s}debitor_schema_version), "
                "EXISTS (SELECT 1 FROM {s}debitor_book WHERE book_id = %s)"
            ),
            (book_id,),
        ).fetchone()
    except psycopg.errors.UndefinedTable:
        row = None
    if not create and (row is None or not row[1]):
        params = {"book": repr(book_id)}
        raise StorageError(
            render_message("storage.missing_book", params),
            code="storage.missing_book",
            params=params,
        )
    if row is None or row[0] != SCHEMA_VERSION:
        _migrate(conn, names)
        row = (SCHEMA_VERSION, False)
    if not row[1] and SCHEMA_VERSION < 2:  # noqa: PLR2004 - before the computed columns
        cur.execute(
            names.sql(
                "INSERT INTO {s}debitor_book (book_id, store_id) VALUES (%s, %s) "
                "ON CONFLICT (book_id) DO NOTHING"
            ),
            (book_id, uuid.uuid4()),
        )
    elif not row[1] and SCHEMA_VERSION < SEALED:
        cur.execute(
            names.sql(
                "INSERT INTO {s}debitor_book (book_id, store_id, fold_version, unicode_version) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (book_id) DO NOTHING"
            ),
            (book_id, uuid.uuid4(), FOLD_VERSION, UNICODE_VERSION),
        )
    elif not row[1]:
        # A new book has no rows to fold: it is folded by this release from the start.
        new = BookRow(uuid.uuid4(), 0, 0, 0, 0, 0, FOLD_VERSION, UNICODE_VERSION)
        with conn.transaction():
            cur.execute(WRITER_SETTING.encode())
            cur.execute(
                names.sql(
                    "INSERT INTO {s}debitor_book (book_id, store_id, fold_version, "
                    "unicode_version, checksum) VALUES (%s, %s, %s, %s, %s) "
                    "ON CONFLICT (book_id) DO NOTHING"
                ),
                (book_id, new.store_id, FOLD_VERSION, UNICODE_VERSION, book_checksum(book_id, new)),
            )


def current_version(cur: psycopg.Cursor[tuple[Any, ...]], names: Names) -> int:
    """Return the schema version (0 when there are no tables yet).

    Raises:
        CorruptStore: debitor-core's tables exist without ``debitor_schema_version``, or
            that table is empty.
    """
    found = cur.execute(
        "SELECT to_regclass(%s) IS NOT NULL, to_regclass(%s) IS NOT NULL",
        (names.regclass("debitor_schema_version"), names.regclass("debitor_book")),
    ).fetchone()
    assert found is not None  # noqa: S101 - a SELECT without FROM returns one row
    versioned, tables = found
    if not versioned:
        if tables:
            raise _unknown_version(names, "unversioned")
        return 0
    version = cur.execute(names.sql("SELECT max(version) FROM {s}debitor_schema_version"))
    value = version.fetchone()
    if value is None or value[0] is None:
        raise _unknown_version(names, "empty_version")
    return int(value[0])


def _unknown_version(names: Names, rule: str) -> CorruptStore:
    """The tables' version cannot be known: ``rule`` is ``unversioned`` or ``empty_version``."""
    if not names.schema:
        rule += "_search_path"
    params = {"schema": names.schema or "", "rule": rule}
    return CorruptStore(
        render_message("storage.corrupt", params), code="storage.corrupt", params=params
    )


def _extension_prefix(cur: psycopg.Cursor[tuple[Any, ...]], extension: str) -> str:
    """The schema an installed extension's objects are in, as a prefix (``"public".``)."""
    row = cur.execute(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = %s",
        (extension,),
    ).fetchone()
    assert row is not None  # noqa: S101 - the migration created it just before
    return '"' + str(row[0]).replace('"', '""') + '".'


def _migrate(conn: psycopg.Connection[Any], names: Names) -> None:
    """Apply the missing migrations, one transaction each, under the advisory lock."""
    cur = _cursor(conn)
    while True:
        with conn.transaction():
            # Transaction-scoped, so it is released at COMMIT, also through pgbouncer.
            # debitor.writer: the migration writes rows past the guard of schema 4.
            cur.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s)), "
                "set_config('debitor.writer', %s, true)",
                (f"debitor-core schema {names.schema or ''}", str(WRITER)),
            )
            version = current_version(cur, names)
            if version > SCHEMA_VERSION:
                msg = (
                    f"The database has debitor-core schema version {version}, written by a "
                    f"newer debitor-core; this one knows up to {SCHEMA_VERSION}. Upgrade "
                    "debitor-core to open it. The database was not changed."
                )
                params = {"version": version, "known": SCHEMA_VERSION, "rule": "postgres"}
                raise UnsupportedFormatVersion(msg, code="storage.newer", params=params)
            if version == SCHEMA_VERSION:
                return
            if version == 0:
                if names.schema is not None:
                    cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{names.schema}"')
                cur.execute(
                    names.sql(
                        "CREATE TABLE {s}debitor_schema_version ("
                        "version integer NOT NULL PRIMARY KEY, "
                        "applied timestamptz NOT NULL DEFAULT now())"
                    )
                )
            try:
                for statement in MIGRATIONS[version]:
                    if callable(statement):
                        statement(cur, names)
                        continue
                    if "{trgm}" in statement:
                        statement = statement.replace("{trgm}", _extension_prefix(cur, "pg_trgm"))  # noqa: PLW2901
                    cur.execute(names.sql(statement))
            except psycopg.Error as exc:
                detail = " ".join(str(exc).split())
                msg = (
                    f"Migrating the debitor-core schema from version {version} to "
                    f"{version + 1} failed ({detail}); it was rolled back, and the schema is "
                    f"still at version {version}."
                )
                params = {"version": version, "next": version + 1, "reason": detail}
                raise StorageError(msg, code="storage.migration", params=params) from exc
            cur.execute(
                names.sql("INSERT INTO {s}debitor_schema_version (version) VALUES (%s)"),
                (version + 1,),
            )
