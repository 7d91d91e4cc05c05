"""The app's settings, read from the environment (twelve-factor style).

Every variable starts with ``DEBITOR_WEBAPP_``:

| Variable | Meaning |
| --- | --- |
| ``SECRET`` | signs the session cookie; required unless ``DEV=1`` |
| ``DEV`` | ``1``: development mode (a random secret per run when none is set) |
| ``BOOK`` | the SQLite file of the book (default ``debitor-webapp.db``) |
| ``DATABASE_URL`` | a PostgreSQL URL or DSN: keep the book there instead |
| ``BOOK_ID`` | the book's id in PostgreSQL (default ``webapp``) |
| ``REQUIRED`` | ``default``, ``complete`` or a comma-separated list of field paths |
| ``PAGE_SIZE`` | customers per page of the list (default 20) |
| ``SECURE_COOKIES`` | ``1``: the session cookie is sent over HTTPS only |
| ``WORKER_HEADER`` | ``1``: say which worker process served each page |
| ``CLOCK`` | **tests and screenshots only**: a fixed start time (ISO 8601) |
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Callable, Mapping
from pathlib import Path

import attrs

from debitor_core import RequiredFields

__all__ = ["PREFIX", "Config", "ConfigError", "fixed_clock"]

PREFIX = "DEBITOR_WEBAPP_"
_MIN_SECRET = 16


class ConfigError(Exception):
    """The environment does not describe a runnable app; the message says what to set."""


def fixed_clock(start: dt.datetime) -> Callable[[], dt.datetime]:
    """A clock for tests and screenshots: ``start``, then one millisecond later per reading.

    Each worker process counts on its own, so two workers may hand out the same
    instant; nothing in the app depends on instants being unique.
    """
    ticks = itertools.count()
    return lambda: start + dt.timedelta(milliseconds=next(ticks))


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _required(value: str | None) -> RequiredFields:
    text = (value or "complete").strip()
    if text == "default":
        return RequiredFields.default()
    if text == "complete":
        return RequiredFields.complete()
    try:
        return RequiredFields.of(*(p.strip() for p in text.split(",") if p.strip()))
    except ValueError as exc:
        msg = f"{PREFIX}REQUIRED: {exc}"
        raise ConfigError(msg) from exc


def _clock(value: str | None) -> Callable[[], dt.datetime] | None:
    if not value:
        return None
    try:
        start = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        msg = f"{PREFIX}CLOCK must be an ISO 8601 time such as 2026-11-26T09:00:00+00:00."
        raise ConfigError(msg) from exc
    if start.tzinfo is None:
        start = start.replace(tzinfo=dt.UTC)
    return fixed_clock(start.astimezone(dt.UTC))


def _page_size(value: str | None) -> int:
    try:
        size = int(value or 20)
    except ValueError:
        size = 0
    if not 1 <= size <= 500:  # noqa: PLR2004 - the documented range
        msg = f"{PREFIX}PAGE_SIZE must be a whole number from 1 to 500."
        raise ConfigError(msg)
    return size


@attrs.frozen
class Config:
    """What the app runs with.

    Attributes:
        secret: Signs the session cookie (at least 16 characters).
        book_path: The SQLite file of the book (unused with ``database_url``).
        database_url: PostgreSQL URL or DSN, or ``None`` for SQLite.
        book_id: The book's id in PostgreSQL.
        required: The required-fields policy of the book.
        page_size: Customers per page of the list.
        secure_cookies: Send the session cookie over HTTPS only.
        worker_header: Say which worker process served each page (``X-Worker``).
        clock: Returns the current UTC time for the book; ``None`` (a real
            deployment) leaves the book on the library's own clock.
        dev: Development mode.
    """

    secret: str = attrs.field(repr=False)
    book_path: Path = Path("debitor-webapp.db")
    database_url: str | None = attrs.field(default=None, repr=False)
    book_id: str = "webapp"
    required: RequiredFields = attrs.field(factory=RequiredFields.complete)
    page_size: int = 20
    secure_cookies: bool = False
    worker_header: bool = False
    clock: Callable[[], dt.datetime] | None = None
    dev: bool = False

    @secret.validator
    def _long_enough(self, _attribute: object, value: str) -> None:
        if len(value) < _MIN_SECRET:
            msg = (
                f"{PREFIX}SECRET must be at least {_MIN_SECRET} characters long; "
                "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
            raise ConfigError(msg)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Read the settings from ``environ`` (default: `os.environ`).

        Raises:
            ConfigError: no secret outside development mode, or a value is not valid.
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            return env.get(PREFIX + name) or None

        dev = _flag(get("DEV"))
        secret = get("SECRET")
        if secret is None:
            if not dev:
                msg = (
                    f"Set {PREFIX}SECRET to a long random text: it signs the session "
                    f"cookies. For development only, set {PREFIX}DEV=1 instead."
                )
                raise ConfigError(msg)
            import secrets  # noqa: PLC0415 - only development mode needs it

            secret = secrets.token_urlsafe(32)
        return cls(
            secret=secret,
            book_path=Path(get("BOOK") or "debitor-webapp.db"),
            database_url=get("DATABASE_URL"),
            book_id=get("BOOK_ID") or "webapp",
            required=_required(get("REQUIRED")),
            page_size=_page_size(get("PAGE_SIZE")),
            secure_cookies=_flag(get("SECURE_COOKIES")),
            worker_header=_flag(get("WORKER_HEADER")),
            clock=_clock(get("CLOCK")),
            dev=dev,
        )
