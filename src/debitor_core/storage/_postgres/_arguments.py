"""The checks of `PostgresStore`'s arguments, and how it reads a connection string.

Each ``checked_*`` function returns its argument as the store keeps it, or raises
`TypeError`, `ValueError` or `ValidationError` with a sentence naming the argument.
`read_conninfo` reads a connection string as libpq will (or refuses it, so that no part
of a password reaches an error message), and `describe_server` names its server without
the password.
"""

from __future__ import annotations

import math
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any, Final

import psycopg
import psycopg_pool
from psycopg.conninfo import conninfo_to_dict

from debitor_core._errors import ValidationError

__all__ = [
    "Pool",
    "checked_book_id",
    "checked_pool",
    "checked_retention",
    "checked_scrub",
    "describe_server",
    "milliseconds",
    "read_conninfo",
]

Pool = psycopg_pool.ConnectionPool[Any]
"""The pools a store takes: a ``ConnectionPool`` or a ``NullConnectionPool``."""


_BOOK_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MIN_SECONDS: Final = 0.001
_MAX_SECONDS: Final = 86_400


def checked_pool(pool: object) -> Pool:
    """``pool``, if it is a psycopg_pool ``ConnectionPool`` (or ``NullConnectionPool``)."""
    if not isinstance(pool, psycopg_pool.ConnectionPool):
        msg = (
            "pool must be a psycopg_pool ConnectionPool or NullConnectionPool, "
            f"not {type(pool).__name__}."
        )
        raise TypeError(msg)
    return pool


def checked_book_id(book_id: object) -> str:
    """``book_id``, if it is 1 to 64 letters, digits, hyphens or underscores."""
    if not isinstance(book_id, str):
        msg = f"book_id must be a str, not {type(book_id).__name__}."
        raise TypeError(msg)
    if not _BOOK_ID.fullmatch(book_id):
        raise ValidationError.single(
            "book_id.invalid",
            f"The book id {book_id!r} is not valid: use 1 to 64 letters, digits, hyphens "
            "or underscores.",
            book_id,
            "book_id",
        )
    return book_id


def milliseconds(name: str, seconds: object) -> int:
    """The argument ``name``, ``seconds`` from 0.001 to 86,400, in whole milliseconds."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        msg = f"{name} must be a number of seconds, not {type(seconds).__name__}."
        raise TypeError(msg)
    if not (math.isfinite(seconds) and _MIN_SECONDS <= seconds <= _MAX_SECONDS):
        msg = f"{name} must be between 0.001 and 86400 seconds, not {seconds}."
        raise ValueError(msg)
    return round(seconds * 1000)


def checked_scrub(scrub: object) -> bool:
    """Whether ``scrub`` (``"rewrite"`` or ``"vacuum"``) asks for rewriting the tables."""
    if scrub not in ("rewrite", "vacuum"):
        msg = f"scrub must be 'rewrite' or 'vacuum', not {scrub!r}."
        raise ValueError(msg)
    return scrub == "rewrite"


def checked_retention(retention: object) -> int | None:
    """``feed_retention``: ``None`` (keep every tombstone) or 1 or more revisions."""
    if retention is None:
        return None
    if isinstance(retention, bool) or not isinstance(retention, int):
        msg = f"feed_retention must be an int or None, not {type(retention).__name__}."
        raise TypeError(msg)
    if retention < 1:
        msg = f"feed_retention must be 1 or more revisions, not {retention}."
        raise ValueError(msg)
    return retention


def read_conninfo(conninfo: str) -> dict[str, Any] | None:
    """Return the parameters of ``conninfo``, or ``None`` if it cannot be read as meant.

    ``None`` also when a URL's password is not the one libpq reads: an unencoded ``@``
    or ``/`` in it makes libpq take a part of the password for the host, port or
    database, which would end up in its error messages (and in a DNS lookup). So is an
    unencoded ``@`` in a parameter of a URL with a port or password: it cannot be told
    from one in the password.
    """
    if not isinstance(conninfo, str) or "\x00" in conninfo:
        return None
    try:
        params = conninfo_to_dict(conninfo)
    except (psycopg.Error, ValueError):  # UnicodeEncodeError is a ValueError
        return None
    scheme, sep, rest = conninfo.partition("://")
    if sep and scheme in {"postgresql", "postgres"}:
        credentials, at, _ = rest.rpartition("@")
        _user, colon, password = credentials.partition(":")
        try:
            meant = urllib.parse.unquote(password, errors="strict")
        except UnicodeDecodeError:
            return None
        if at and colon and meant != params.get("password"):
            return None
    return params


def describe_server(params: Mapping[str, Any]) -> str:
    """Name the server of a connection string's ``params`` without its password."""
    host = params.get("host") or "localhost"
    port = params.get("port") or "5432"
    user = f"{params['user']}@" if params.get("user") else ""
    database = f"/{params['dbname']}" if params.get("dbname") else ""
    return f"{user}{host}:{port}{database}"
