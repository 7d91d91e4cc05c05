"""When a `JsonFileStore` folds its journal into a new snapshot, and how that has gone.

- `Compaction`: the rule (the journal has outgrown twice the snapshot, and at least
  `_MIN_JOURNAL_BYTES`) and the back-off after failures: after n failed automatic
  compactions in a row, the store lets 2**n commits pass (at most
  `_MAX_COMPACTION_WAIT`) before it tries again, and logs each failure to the
  ``debitor_core.storage`` logger.
- `JsonStoreStatus`: the files' sizes and the compaction failures, for a host app's
  health checks (`JsonFileStore.status`).

The store writes the snapshot; this module only decides when and keeps the record.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

import attrs

from debitor_core.storage._files import os_sentence

__all__ = ["Compaction", "JsonStoreStatus"]

_log = logging.getLogger("debitor_core.storage")

_MIN_JOURNAL_BYTES = 64 * 1024
"""The journal is folded into the snapshot once larger than this and twice the snapshot."""
_MAX_COMPACTION_WAIT = 2**16
"""After failed compactions, the most commits the store lets pass before it tries again."""


@attrs.frozen
class JsonStoreStatus:
    """The state of a `JsonFileStore`'s files, for a host app's health checks.

    Attributes:
        path: The snapshot file.
        snapshot_bytes: The snapshot's size.
        journal_bytes: The journal's size: the commits not yet folded into the snapshot.
        revision: Commits ever made to the book.
        generation: Snapshots ever written for the book.
        compaction_failures: Automatic compactions that failed in a row (0 when the
            last one succeeded); while above 0 the journal keeps growing.
        last_compaction_error: Why the last compaction failed, if one ever did.
        last_compaction_failed_at: When (by the store's clock), if one ever did.
    """

    path: Path
    snapshot_bytes: int
    journal_bytes: int
    revision: int
    generation: int
    compaction_failures: int = 0
    last_compaction_error: str | None = None
    last_compaction_failed_at: dt.datetime | None = None


class Compaction:
    """When a store's commit compacts, and the failures of its automatic compactions.

    Args:
        book: The snapshot file (for the messages).
        journal: The journal file (for the messages).
        clock: Gives the time a compaction failed.
    """

    def __init__(self, book: Path, journal: Path, clock: Callable[[], dt.datetime]) -> None:
        """Start with no failures; see the class docstring."""
        self._book = book
        self._journal = journal
        self._clock = clock
        self.failures = 0
        """Automatic compactions that failed in a row."""
        self.wait = 0
        """Commits still to pass before the next attempt."""
        self.error: str | None = None
        """Why the last compaction failed, if one ever did."""
        self.failed_at: dt.datetime | None = None
        """When, if one ever did."""

    def due(self, journal_bytes: int, snapshot_bytes: int) -> bool:
        """Whether a commit that left the journal at ``journal_bytes`` should compact now."""
        if journal_bytes <= max(2 * snapshot_bytes, _MIN_JOURNAL_BYTES):
            return False
        if self.wait > 0:
            self.wait -= 1  # backing off after failures
            return False
        return True

    def failed(self, exc: OSError, journal_bytes: int) -> None:
        """Note a failed compaction (the journal still holds every commit) and log it."""
        self.failures += 1
        self.wait = min(2**self.failures, _MAX_COMPACTION_WAIT)
        self.error = f"The book {self._book} could not be compacted: {os_sentence(exc)}"
        self.failed_at = self._clock()
        _log.warning(
            "%s The journal %s keeps every commit (%s bytes); the next attempt comes after "
            "%s more commits.",
            self.error,
            self._journal,
            f"{journal_bytes:,}",
            f"{self.wait:,}",
        )

    def succeeded(self) -> None:
        """Note a compaction that succeeded, logging it if earlier ones failed."""
        if self.failures:
            _log.info(
                "The book %s was compacted again after %d failed attempts.",
                self._book,
                self.failures,
            )
        self.failures = 0
        self.wait = 0
