"""sqlite3's exceptions translated into debitor-core's (`translated`)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

from debitor_core._errors import AlreadyExists, CorruptStore, StorageError, StoreLocked

__all__ = ["translated"]


@contextlib.contextmanager
def translated(path: str) -> Iterator[None]:
    """Turn sqlite3's exceptions into ours."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        params = {"book": path, "reason": str(exc), "rule": "database"}
        raise AlreadyExists.coded("storage.duplicate", params) from exc
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if text.startswith("Could not decode"):
            msg = (
                f"The database {path} cannot be read ({text}). It was left as it is: restore "
                "it from a backup."
            )
            params = {"book": str(path), "reason": text, "rule": "database_undecodable"}
            raise CorruptStore(msg, code="storage.corrupt", params=params) from exc
        if "locked" in text or "busy" in text:
            msg = f"The database {path} is locked by another connection ({text}). Try again later."
            params = {"book": str(path), "reason": text, "rule": "database"}
            raise StoreLocked(msg, code="storage.locked", params=params) from exc
        msg = f"The database {path} could not be used: {text}."
        params = {"book": str(path), "reason": text}
        raise StorageError(msg, code="storage.unusable", params=params) from exc
    except sqlite3.DatabaseError as exc:
        msg = (
            f"The database {path} cannot be read ({exc}). It was left as it is: restore it "
            "from a backup, or move it aside to start a new book."
        )
        params = {"book": str(path), "reason": str(exc), "rule": "database_damaged"}
        raise CorruptStore(msg, code="storage.corrupt", params=params) from exc
