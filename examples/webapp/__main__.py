"""Run the app: ``python -m webapp`` (what ``make serve`` does).

Opens the book once in this process to fill an empty one with the demo customers, then
starts uvicorn with several worker processes on the same book. In development mode
(``DEBITOR_WEBAPP_DEV=1``) without a secret, one random secret is made here and handed
to every worker, so that a session signed by one worker is read by the others.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import sys

import uvicorn

from webapp.books import open_book, seed_demo
from webapp.config import PREFIX, Config, ConfigError


def main(argv: list[str] | None = None) -> int:
    """Start the server; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m webapp", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-demo", action="store_true", help="leave an empty book empty")
    args = parser.parse_args(argv)
    if os.environ.get(PREFIX + "DEV") == "1" and not os.environ.get(PREFIX + "SECRET"):
        os.environ[PREFIX + "SECRET"] = secrets.token_urlsafe(32)
        print("Development mode: sessions are signed with a random secret for this run.")  # noqa: T201
    try:
        config = Config.from_environ()
    except ConfigError as error:
        print(error, file=sys.stderr)  # noqa: T201
        return 2
    book = open_book(config)
    try:
        if not args.no_demo:
            now = config.clock() if config.clock is not None else dt.datetime.now(dt.UTC)
            seed_demo(book, today=now.date())
    finally:
        book.store.close()
    where = (config.database_url and f"PostgreSQL book {config.book_id!r}") or config.book_path
    print(f"Serving {where} on http://{args.host}:{args.port}/customers")  # noqa: T201
    uvicorn.run(
        "webapp.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        server_header=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
