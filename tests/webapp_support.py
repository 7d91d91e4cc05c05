"""What the web app's tests share: a demo book on a given clock, and reading pages."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the web app's extra (webapp) is not installed")

from debitor_core import CustomerBook
from webapp.books import open_book, seed_demo
from webapp.config import Config

SECRET = "a-test-secret-of-enough-length"  # noqa: S105 - signs the tests' sessions
TODAY = dt.date(2026, 11, 26)
NOTE = "Pays by card on the 5th; agreed a 5% discount until June."
"""The private note the demo book's customer 1 has."""
BIRTHDAY = "1985-04-12"
"""A personal-data custom-field value of the demo book (customer 3)."""

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def demo_book(path: Path, clock, **options) -> tuple[Config, CustomerBook]:
    """A settings object and the demo book in the SQLite file ``path``, on ``clock``."""
    config = Config(secret=SECRET, book_path=path, clock=clock, **options)
    book = open_book(config)
    seed_demo(book, today=TODAY)
    return config, book


def token(html: str) -> str:
    """The CSRF token of a page."""
    found = _TOKEN.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found[1]


@contextlib.contextmanager
def real_server(folder: Path) -> Iterator[str]:
    """``python -m webapp`` with two workers on the demo book in ``folder``; its base URL.

    The server runs on the fixed clock meant for tests (``DEBITOR_WEBAPP_CLOCK``), so
    that what it shows never depends on the day; it writes its log beside the book.
    """
    from conftest import FakeClock
    from webapp.devserver import running
    from webapp.screenshots import START

    _, book = demo_book(folder / "book.db", FakeClock())
    book.store.close()
    env = {
        "DEBITOR_WEBAPP_SECRET": SECRET,
        "DEBITOR_WEBAPP_BOOK": str(folder / "book.db"),
        "DEBITOR_WEBAPP_CLOCK": START.isoformat(),
        "DEBITOR_WEBAPP_WORKER_HEADER": "1",
        "DEBITOR_WEBAPP_DEV": "",
        "DEBITOR_WEBAPP_DATABASE_URL": "",
    }
    with running(env, workers=2, log=folder / "server.log") as base:
        yield base
