"""The app factory: the book, the screens, the middleware and the error pages.

``uvicorn --factory webapp.app:create_app`` calls `create_app` with no arguments in
each worker process, and each reads its settings from the environment
(`Config.from_environ`) and opens its own book on the shared store. Tests call it with
a `Config` (and a clock) of their own.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from debitor_core import CustomerBook, NotFound, StorageError, StoreLocked
from webapp import i18n
from webapp.access import USERS
from webapp.admin import AdminScreens
from webapp.books import open_book
from webapp.config import Config
from webapp.customers import CustomerScreens
from webapp.pages import Pages, SignInRequired
from webapp.profile import ProfileScreens
from webapp.security import MAX_UPLOAD, QuietErrors, SecurityHeaders, csrf_token, form_handler

__all__ = ["create_app"]

log = logging.getLogger("webapp")


def create_app(config: Config | None = None, *, book: CustomerBook | None = None) -> Starlette:
    """Make the app.

    Args:
        config: The settings; default: read from the environment.
        book: The book to serve; default: `books.open_book` on the store the
            settings name (closed when the app shuts down).

    Returns:
        The ASGI app.

    Raises:
        ConfigError: the environment lacks a secret (outside development mode) or
            holds a value that is not valid.
    """
    config = Config.from_environ() if config is None else config
    owned = book is None
    book = open_book(config) if book is None else book
    pages = Pages(book, config)
    files = _files_folder(config)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        if owned:
            book.store.close()

    routes = [
        Route("/", lambda _request: RedirectResponse("/customers", 303)),
        Route("/signin", lambda request: _signin(pages, request), methods=["GET"]),
        Route("/signin", form_handler(lambda r, d: _post_signin(pages, r, d)), methods=["POST"]),
        Route("/signout", form_handler(lambda r, d: _signout(pages, r, d)), methods=["POST"]),
        Route("/language", form_handler(lambda r, d: _language(pages, r, d)), methods=["POST"]),
        *CustomerScreens(pages).routes(),
        *ProfileScreens(pages, files).routes(),
        *AdminScreens(pages).routes(),
        Mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders, worker_header=config.worker_header),
        Middleware(
            SessionMiddleware,
            secret_key=config.secret,
            session_cookie="debitor_session",
            max_age=8 * 3600,
            same_site="lax",
            https_only=config.secure_cookies,
        ),
        Middleware(QuietErrors, page=lambda request: _server_error(pages, request)),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            SignInRequired: lambda request, _exc: _to_signin(request),
            HTTPException: lambda request, exc: _http_error(pages, request, exc),
            NotFound: lambda request, _exc: _error(pages, request, "error.not_found", 404),
            StoreLocked: lambda request, _exc: _error(pages, request, "error.busy", 503),
            StorageError: lambda request, exc: _storage_error(pages, request, exc),
        },
        lifespan=lifespan,
        max_body_size=MAX_UPLOAD + 256 * 1024,
    )
    app.state.book = book
    app.state.worker = os.getpid() if config.worker_header else None
    return app


def _files_folder(config: Config) -> Path:
    """Where attached files are kept: beside the SQLite book, or in the working folder."""
    if config.database_url:
        return Path(f"debitor-webapp-files-{config.book_id}")
    return config.book_path.with_name(config.book_path.name + ".files")


# -- signing in and the language --------------------------------------------------------


def _signin(pages: Pages, request: Request) -> Response:
    csrf_token(request)
    return pages.render(request, "signin.html", {"users": USERS.values()})


def _post_signin(pages: Pages, request: Request, data: FormData) -> Response:
    user = USERS.get(str(data.get("user", "")))
    if user is None:
        raise HTTPException(400)
    locale = request.session.get("locale")
    request.session.clear()  # a new session for the new user: a fresh CSRF token too
    request.session.update({"user": user.name, "locale": i18n.locale_of(locale)})
    pages.flash(request, pages.text(request)("signin.done", user=user.title))
    log.info("%s signed in.", user.name)
    target = str(data.get("next", ""))
    return pages.redirect(target if _local(target) else "/customers")


def _signout(pages: Pages, request: Request, _data: FormData) -> Response:
    locale = request.session.get("locale")
    request.session.clear()
    request.session["locale"] = i18n.locale_of(locale)
    pages.flash(request, pages.text(request)("signout.done"))
    return pages.redirect("/signin")


def _language(pages: Pages, request: Request, data: FormData) -> Response:
    request.session["locale"] = i18n.locale_of(data.get("locale"))
    target = str(data.get("next", ""))
    return pages.redirect(target if _local(target) else "/customers")


def _local(path: str) -> bool:
    """Whether ``path`` stays on this site (no open redirect to another)."""
    return path.startswith("/") and not path.startswith("//") and "\\" not in path


def _to_signin(request: Request) -> Response:
    target = request.url.path if request.method == "GET" else "/customers"
    if request.url.query and request.method == "GET":
        target += "?" + request.url.query
    return Pages.redirect("/signin", next=target)


# -- error pages ------------------------------------------------------------------------


def _error(pages: Pages, request: Request, key: str, status: int) -> Response:
    return pages.render(request, "error.html", {"message_key": key}, status)


def _http_error(pages: Pages, request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for HTTPException
    key = {403: "error.forbidden", 404: "error.not_found"}.get(exc.status_code, "error.server")
    if exc.status_code == 403 and exc.detail == "csrf":  # noqa: PLR2004
        key = "error.csrf"
    return _error(pages, request, key, exc.status_code)


def _storage_error(pages: Pages, request: Request, exc: Exception) -> Response:
    log.error("The store failed: %s", type(exc).__name__)
    return _error(pages, request, "error.storage", 503)


def _server_error(pages: Pages, request: Request) -> Response:
    return _error(pages, request, "error.server", 500)
