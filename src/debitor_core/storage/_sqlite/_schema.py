"""The tables of each schema version of `SqliteStore`, and the migrations between them.

`SCHEMA_MIGRATIONS` holds the SQL from one version to the next (schemas 5 and 6 are the
query tables and lookup columns of ``_queries.py``); `migrate` creates or upgrades a
database in one transaction, refusing a newer schema or tables that are not a book's.
The version is kept in ``PRAGMA user_version`` (`user_version`).
"""

from __future__ import annotations

import sqlite3
from typing import Final

from debitor_core._errors import CorruptStore, UnsupportedFormatVersion
from debitor_core.storage._sqlite._queries import LOOKUP_SCHEMA, QUERY_SCHEMA

__all__ = ["SCHEMA_MIGRATIONS", "SCHEMA_VERSION", "migrate", "register_writer", "user_version"]

_SCHEMA_V1: Final = """
CREATE TABLE customer (
    id TEXT PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    email TEXT,
    tax_id TEXT,
    phone TEXT,
    data TEXT NOT NULL
);
CREATE INDEX customer_email ON customer (email);
CREATE INDEX customer_tax_id ON customer (tax_id);
CREATE INDEX customer_phone ON customer (phone);
CREATE TABLE category (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE custom_field (
    key TEXT PRIMARY KEY, position INTEGER NOT NULL, data TEXT NOT NULL
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO meta VALUES ('revision', 0), ('last_number', 0);
"""

_SCHEMA_V2: Final = """
CREATE TABLE record (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
"""

_SCHEMA_V3: Final = """
ALTER TABLE customer ADD COLUMN checksum INTEGER NOT NULL DEFAULT 0;
ALTER TABLE category ADD COLUMN checksum INTEGER NOT NULL DEFAULT 0;
ALTER TABLE custom_field ADD COLUMN checksum INTEGER NOT NULL DEFAULT 0;
ALTER TABLE record ADD COLUMN checksum INTEGER NOT NULL DEFAULT 0;
ALTER TABLE meta ADD COLUMN checksum INTEGER NOT NULL DEFAULT 0;
UPDATE customer SET checksum = debitor_checksum(id, number, version, email, tax_id, phone, data);
UPDATE category SET checksum = debitor_checksum(id, data);
UPDATE custom_field SET checksum = debitor_checksum(key, position, data);
UPDATE record SET checksum = debitor_checksum(kind, key, version, data);
UPDATE meta SET checksum = debitor_checksum(key, value)
"""

_SCHEMA_V4: Final = """
ALTER TABLE customer ADD COLUMN changed_revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE category ADD COLUMN changed_revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE custom_field ADD COLUMN changed_revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE record ADD COLUMN changed_revision INTEGER NOT NULL DEFAULT 0;
CREATE INDEX customer_changed ON customer (changed_revision);
CREATE INDEX category_changed ON category (changed_revision);
CREATE INDEX custom_field_changed ON custom_field (changed_revision);
CREATE INDEX record_changed ON record (changed_revision);
CREATE TABLE customer_deleted (
    id TEXT PRIMARY KEY,
    deleted_revision INTEGER NOT NULL,
    checksum INTEGER NOT NULL
);
CREATE INDEX customer_deleted_revision ON customer_deleted (deleted_revision);
INSERT INTO meta (key, value, checksum)
    SELECT 'feed_horizon', value, debitor_checksum('feed_horizon', value)
    FROM meta WHERE key = 'revision';
INSERT INTO meta (key, value, checksum)
    SELECT 'categories_revision', 0, debitor_checksum('categories_revision', 0);
INSERT INTO meta (key, value, checksum)
    SELECT 'custom_fields_revision', 0, debitor_checksum('custom_fields_revision', 0);
INSERT INTO meta (key, value, checksum)
    SELECT 'store_id', id, debitor_checksum('store_id', id) FROM (SELECT debitor_new_id() AS id)
"""

# The row checksums cover changed_revision too: a revision lowered by hand would hide the
# row's change from the feed's readers, raised past the book's it would show it to every
# reader again and again. Only a row whose checksum matched before is sealed anew: one
# damaged already keeps a checksum that matches nothing, and stays refused.
_SCHEMA_V7: Final = """
UPDATE customer
    SET checksum = debitor_checksum(id, number, version, email, tax_id, phone, data,
        changed_revision)
    WHERE checksum = debitor_checksum(id, number, version, email, tax_id, phone, data);
UPDATE category SET checksum = debitor_checksum(id, data, changed_revision)
    WHERE checksum = debitor_checksum(id, data);
UPDATE custom_field SET checksum = debitor_checksum(key, position, data, changed_revision)
    WHERE checksum = debitor_checksum(key, position, data);
UPDATE record SET checksum = debitor_checksum(kind, key, version, data, changed_revision)
    WHERE checksum = debitor_checksum(kind, key, version, data)
"""

# The guard of schema 7: a process of the release before (schema 6) checks the version
# only when it opens the database, and would go on writing rows with the old checksums
# after an upgrade, which the next read refuses as damage. Every write transaction of
# every release updates meta (the revision, at its commit), and meta's rows now have to
# pass debitor_writer(), a function only this release registers on its connection
# (`register_writer`): the old process's UPDATE fails ("unknown function") and its
# transaction is rolled back. A CHECK constraint, not a trigger: a statement that can
# fire a trigger runs in a statement journal of its own, which makes the FTS5 table of
# the query rows write out its pending terms at every such statement (a bulk import of
# customers took 1.5 to 1.7 times as long, measured). The check names the columns, or
# SQLite would skip it in an UPDATE that changes none of those it names; NULL is refused
# (a CHECK lets NULL pass, coalesce makes it 0). A later schema
# raises the number to refuse this release too. SQLite rebuilds meta (a few rows) to add it.
_WRITER_GUARD: Final = """
CREATE TABLE meta_guarded (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL,
    checksum INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT debitor_writer CHECK (coalesce(debitor_writer(key, value, checksum) >= 7, 0))
);
INSERT INTO meta_guarded (key, value, checksum) SELECT key, value, checksum FROM meta;
DROP TABLE meta;
ALTER TABLE meta_guarded RENAME TO meta
"""

SCHEMA_VERSION: Final = 7
"""The schema version this release writes (kept in ``PRAGMA user_version``).

4: the change feed (changed revisions, tombstones, store id).
5: the query tables (`debitor_core.storage._sqlite._queries`), filled by a re-fold.
6: the lookup columns of ``record`` (the customer it is about, a forward's number),
   indexed, filled by a re-fold.
7: the row checksums cover ``changed_revision``; a write to ``meta`` needs
   ``debitor_writer()`` (`register_writer`).
"""

SCHEMA_MIGRATIONS: dict[int, str] = {
    0: _SCHEMA_V1,
    1: _SCHEMA_V2,
    2: _SCHEMA_V3,
    3: _SCHEMA_V4,
    4: QUERY_SCHEMA,
    5: LOOKUP_SCHEMA,
    6: _SCHEMA_V7 + ";\n" + _WRITER_GUARD,
}
"""SQL that takes the schema from version ``n`` to ``n + 1``; 0 is an empty database.

The SQL may call ``debitor_checksum(column, ...)``, the row checksum (see
`debitor_core.storage._sqlite._rows.checksum`),
and ``debitor_new_id()``, a new random UUID as text (the store id of schema 4).

Schema 4 is the change feed (see `SqliteStore.changes_since`): every customer,
category, custom-field and record row notes the revision that last wrote it
(``changed_revision``, indexed), deleted customers leave a tombstone in
``customer_deleted`` (pruned after ``feed_retention`` revisions), and ``meta`` holds the
store id, the feed's horizon (the oldest revision it can answer from; an upgraded
database starts there) and the revision that last changed categories or custom fields.

Schemas 5 and 6 add derived data only (query tables; the lookup columns of ``record``,
which the row checksums do not cover): each resets the fold stamp in ``meta``, so that
the store's re-fold fills them from the rows when it opens the database.

Schema 7 writes each customer, category, custom-field and record row's checksum again,
over its ``changed_revision`` too, so that a revision edited by hand is refused when the
row is read (and by `SqliteStore.verify`). A row that failed its checksum before keeps
it, and is refused as before: the upgrade does not seal damage in. Schema 7 also adds a
CHECK constraint to ``meta`` that calls ``debitor_writer(key, value, checksum)``, which
every write transaction updates at its commit: a connection without the function (a
process of the release before, still running after the upgrade; the ``sqlite3`` shell)
cannot commit a write.
"""


def register_writer(db: sqlite3.Connection) -> None:
    """Give ``db`` ``debitor_writer(...)``, which the guard of schema 7 calls on each write.

    It answers `SCHEMA_VERSION`, whatever its arguments: the rows this connection writes
    have that schema's checksums.
    """
    db.create_function("debitor_writer", -1, _writer, deterministic=True)


def _writer(*_columns: object) -> int:
    return SCHEMA_VERSION


def user_version(db: sqlite3.Connection) -> int:
    """The database's schema version (``PRAGMA user_version``; 0 for a new file)."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection, path: str) -> None:
    """Create or upgrade the schema, in one transaction that re-reads the version.

    Several processes may open a new database at once: each checks the version
    again once it holds the write lock, so only the first creates the tables.
    Gives ``db`` ``debitor_writer()`` first (`register_writer`): no write to ``meta`` of
    schema 7 works without it, the migration's own neither.
    """
    register_writer(db)
    if user_version(db) == SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        version = user_version(db)
        _check_schema(db, path, version)
        while version < SCHEMA_VERSION:
            for statement in SCHEMA_MIGRATIONS[version].split(";"):
                if statement.strip():
                    db.execute(statement)
            version += 1
        db.execute(f"PRAGMA user_version={version}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _check_schema(db: sqlite3.Connection, path: str, version: int) -> None:
    """Refuse a schema from a newer release, or tables that are someone else's."""
    if version > SCHEMA_VERSION:
        msg = (
            f"The database {path} has schema version {version}, written by a "
            f"newer debitor-core; this one knows up to {SCHEMA_VERSION}. Upgrade "
            "debitor-core to open it. The database was not changed."
        )
        params = {"book": str(path), "version": version, "known": SCHEMA_VERSION}
        params["rule"] = "database"
        raise UnsupportedFormatVersion(msg, code="storage.newer", params=params)
    tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if version == 0 and tables:
        msg = f"The database {path} holds tables that are not a debitor-core book."
        params = {"book": str(path), "rule": "foreign"}
        raise CorruptStore(msg, code="storage.corrupt", params=params)
