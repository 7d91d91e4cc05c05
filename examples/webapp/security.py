"""CSRF tokens, signed-in users, and the headers every response carries.

- Every form that posts carries the session's CSRF token in a hidden input
  (``csrf_token``); `form_handler` refuses a post without the right one (403) before
  the handler runs. Every route that accepts POST is made with `form_handler`, so no
  handler can forget the check.
- The session is a cookie signed with the app's secret (Starlette's
  `SessionMiddleware`, itsdangerous); it holds the user's name, the CSRF token, the
  chosen language and the next page's messages, never customer data.
- No page runs a script: the Content-Security-Policy forbids them, so even markup that
  slipped past autoescaping could not run.
"""

from __future__ import annotations

import functools
import hmac
import logging
import os
import secrets
from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webapp.access import USERS, User

__all__ = [
    "CSRF_FIELD",
    "MAX_UPLOAD",
    "FormHandler",
    "QuietErrors",
    "SecurityHeaders",
    "csrf_token",
    "current_user",
    "form_handler",
]

CSRF_FIELD = "csrf_token"
MAX_UPLOAD = 5 * 1024 * 1024
"""The largest attachment accepted, in bytes."""

FormHandler = Callable[[Request, FormData], Response]
"""A handler of a posted form: runs in a worker thread, after the CSRF check."""


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made when the session first needs one."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def current_user(request: Request) -> User | None:
    """The signed-in user, or ``None``."""
    name = request.session.get("user")
    return USERS.get(name) if isinstance(name, str) else None


def form_handler(handler: FormHandler) -> Callable[[Request], Awaitable[Response]]:
    """Make a POST endpoint of ``handler``: read the form, check its CSRF token, run it.

    The form is read with bounds (fields, files, part size); the handler runs in a
    worker thread, since the book's calls wait for the store.

    Raises:
        HTTPException: 403 when the token is missing or wrong.
    """

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        async with request.form(max_files=1, max_fields=2000, max_part_size=MAX_UPLOAD) as data:
            sent = data.get(CSRF_FIELD)
            expected = request.session.get("csrf")
            if not (
                isinstance(sent, str)
                and isinstance(expected, str)
                and hmac.compare_digest(sent.encode(), expected.encode())
            ):
                raise HTTPException(403, "csrf")
            return await run_in_threadpool(handler, request, data)

    return endpoint


_HEADERS = [
    (
        b"content-security-policy",
        (
            b"default-src 'self'; script-src 'none'; object-src 'none'; "
            b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        ),
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """ASGI middleware: the security headers on every response, and optionally the worker.

    Args:
        app: The app to wrap.
        worker_header: Add ``X-Worker: <process id>`` (for the demo and the tests that
            show two workers sharing one book).
    """

    def __init__(self, app: ASGIApp, *, worker_header: bool = False) -> None:
        """Wrap ``app``."""
        self.app = app
        self.headers = list(_HEADERS)
        if worker_header:
            self.headers.append((b"x-worker", str(os.getpid()).encode()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers to the response's start message."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers]
            await send(message)

        await self.app(scope, receive, with_headers)


ErrorPage = Callable[[Request], Response]
"""Renders the page a user sees when the app failed."""

log = logging.getLogger("webapp")


class QuietErrors:
    """ASGI middleware: an unexpected exception becomes an error page and one log line.

    The line names the exception's type, never its text, which may quote what was typed
    into a form; and the exception goes no further, so that the server does not log it
    with its text either.

    Args:
        app: The app to wrap.
        page: Renders the error page.
    """

    def __init__(self, app: ASGIApp, *, page: ErrorPage) -> None:
        """Wrap ``app``."""
        self.app = app
        self.page = page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; answer 500 when it fails before answering."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:  # noqa: BLE001 - every failure gets the same quiet answer
            request = Request(scope)
            log.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__)  # noqa: TRY400 - no traceback: it holds values
            if not started:
                await self.page(request)(scope, receive, send)
