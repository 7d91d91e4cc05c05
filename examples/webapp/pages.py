"""What every screen shares: the book, templates, the signed-in user, messages, language.

Templates are Jinja2 with autoescaping on for every template (a customer named
``<script>alert(1)</script>`` is shown as that text), undefined names are errors, and
each page gets the user, the language, the CSRF token and the messages left for it.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from debitor_core import BookView, CustomerBook
from webapp import i18n
from webapp.access import User, reader_for
from webapp.config import Config
from webapp.security import csrf_token, current_user

__all__ = ["TEMPLATES", "Pages", "SignInRequired"]

TEMPLATES = Path(__file__).with_name("templates")


class SignInRequired(Exception):
    """The page needs a signed-in user; the app answers with the sign-in page."""


def _context(request: Request) -> dict[str, Any]:
    locale = i18n.locale_of(request.session.get("locale"))
    flashes = request.session.pop("flash", [])
    return {
        "user": current_user(request),
        "locale": locale,
        "locales": i18n.LOCALES,
        "t": i18n.translator(locale),
        "csrf_token": csrf_token(request),
        "flashes": flashes if isinstance(flashes, list) else [],
        "worker": request.app.state.worker,
        "here": request.url.path,
    }


def make_templates() -> Jinja2Templates:
    """The app's templates: autoescaped, strict about undefined names."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["amount"] = i18n.amount
    env.filters["day"] = i18n.day
    env.filters["moment"] = i18n.moment
    env.filters["country"] = i18n.country_name
    env.filters["pairs"] = lambda items: [(item, item) for item in items]
    return Jinja2Templates(env=env, context_processors=[_context])


class Pages:
    """The book and the helpers every screen uses.

    Args:
        book: The app's book.
        config: The app's settings.
    """

    def __init__(self, book: CustomerBook, config: Config) -> None:
        """Serve ``book`` with ``config``."""
        self.book = book
        self.config = config
        self.templates = make_templates()

    def user(self, request: Request) -> User:
        """The signed-in user.

        Raises:
            SignInRequired: nobody is signed in.
        """
        user = current_user(request)
        if user is None:
            raise SignInRequired
        return user

    def reader(self, request: Request) -> BookView:
        """The book as the signed-in user may read it (see `access.reader_for`)."""
        return reader_for(self.book, self.user(request))

    @staticmethod
    def locale(request: Request) -> str:
        """The language the user chose."""
        return i18n.locale_of(request.session.get("locale"))

    def text(self, request: Request) -> Callable[..., str]:
        """The translator of the user's language, for messages made in handlers."""
        return i18n.translator(self.locale(request))

    def render(
        self, request: Request, name: str, context: Mapping[str, Any], status: int = 200
    ) -> Response:
        """Render the template ``name`` with ``context``."""
        return self.templates.TemplateResponse(request, name, dict(context), status_code=status)

    @staticmethod
    def flash(request: Request, message: str, kind: str = "ok") -> None:
        """Leave ``message`` for the next page the user sees."""
        flashes = request.session.get("flash")
        request.session["flash"] = [
            *(flashes if isinstance(flashes, list) else []),
            [kind, message],
        ]

    @staticmethod
    def redirect(path: str, **query: str | int) -> RedirectResponse:
        """See other: the Post/Redirect/Get answer to a form that worked."""
        filled = {k: v for k, v in query.items() if v not in ("", None)}
        suffix = f"?{urllib.parse.urlencode(filled)}" if filled else ""
        return RedirectResponse(path + suffix, status_code=303)
