"""`JsonFileStore`: a book in a human-readable JSON file, with a journal for cheap commits.

On disk, beside each other:

- ``book.json``, the *snapshot* (see `debitor_core.storage._snapshot`): a header line
  with the format, a generation number, the revision and a checksum over the whole
  file, then the categories, custom fields, customers and records, one per line. It is
  only ever replaced whole: written to a temporary file in the same folder, flushed,
  fsynced, moved over the old one with `os.replace`, and the folder fsynced.
- ``book.json.journal``, the *journal* (see `debitor_core.storage._journal`): one
  checksummed line per committed transaction since the snapshot, written and fsynced
  before the commit returns.
- ``book.json.lock``, the lock file. A transaction locks it and then the journal
  (``flock``), each time checking that the file it locked is still the one at its path;
  so removing the lock file while processes write cannot let two writers in at once.

When the journal grows to twice the snapshot, the next commit folds it in (*compaction*):
a new snapshot, then an empty journal. Commits therefore cost the same in a big book as
in a small one. A compaction that fails (a full disk, a read-only folder) leaves every
commit in the journal; the store retries after exponentially more commits, logs to the
``debitor_core.storage`` logger and reports the state through `JsonFileStore.status`.

A symbolic link to the snapshot is followed: the journal, lock and temporary files sit
beside the file it points to, and compaction replaces that file, keeping the link.

The modules, one job each:

- ``_store.py``: the store, its reads, change feed and transactions; opening the files,
  locking them, catching up with other processes, committing and compacting.
- ``_transaction.py``: its transaction, which refuses a record the store would refuse
  to load.
- ``_codec.py``: the JSON of the records in the snapshot's sections and the journal's
  lines, written and read back (and checked when read).
- ``_compaction.py``: when the journal is folded into a new snapshot, the back-off after
  failures, and the status report (`JsonStoreStatus`).
- ``_journal_file.py``: the journal file under the lock: its size, the lines applied,
  appending a commit's line durably, emptying it after a snapshot.
- ``_disk.py``: positional reads and writes, the atomic replacement of the snapshot,
  and the removal of temporaries a crash left.
- ``_errors.py``: the errors the store raises about its files, each with its sentence.
"""

from debitor_core.storage._json._compaction import JsonStoreStatus
from debitor_core.storage._json._store import JsonFileStore

__all__ = ["JsonFileStore", "JsonStoreStatus"]
