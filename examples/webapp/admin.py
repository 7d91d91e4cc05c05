"""Managing categories (any user) and custom fields (the owner only).

Custom fields are the owner's: a user without the private-data grant who could turn a
field's personal-data flag off would then read its values.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from debitor_core import FieldType, InUse, NotFound, Problem, ValidationError
from webapp import forms
from webapp.customers import category_tree
from webapp.pages import Pages
from webapp.security import form_handler

__all__ = ["AdminScreens"]

log = logging.getLogger("webapp")

_FIELD_INPUTS = (
    "key",
    "label",
    "type",
    "choices",
    "min_value",
    "max_value",
    "max_length",
    "pattern",
    "default",
    "help_text",
)
_FLAGS = ("required", "personal_data")


class AdminScreens:
    """The Categories and Custom fields screens."""

    def __init__(self, pages: Pages) -> None:
        """Serve through ``pages``."""
        self.pages = pages

    def routes(self) -> list[Route]:
        """The routes of these screens."""
        post = ["POST"]
        return [
            Route("/categories", self.categories, methods=["GET"]),
            Route("/categories", form_handler(self.post_category), methods=post),
            Route("/fields", self.fields, methods=["GET"]),
            Route("/fields", form_handler(self.post_field), methods=post),
        ]

    # -- categories --------------------------------------------------------------------

    def categories(
        self,
        request: Request,
        problems: forms.FieldProblems | None = None,
        values: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        """The category tree with counts, and the forms that change it."""
        pages = self.pages
        pages.user(request)
        book = pages.book
        counts = {line.category.id: line for line in book.category_counts(archived=None)}
        return pages.render(
            request,
            "categories.html",
            {
                "tree": category_tree(book.categories()),
                "counts": counts,
                "problems": problems or forms.place_problems((), "en", ()),
                "values": values or {},
                "required": frozenset(),
            },
            status,
        )

    def post_category(self, request: Request, data: FormData) -> Response:
        """Create, rename, move or delete a category."""
        pages = self.pages
        user = pages.user(request)
        book = pages.book
        t = pages.text(request)
        action = data.get("action")
        text = {k: v for k, v in data.multi_items() if isinstance(v, str)}
        try:
            if action == "create":
                parent = text.get("parent") or None
                made = book.create_category(text.get("name", ""), parent=_uuid(parent))
                pages.flash(request, t("categories.created", name=made.name))
            else:
                category = book.category(_uuid(text.get("id")) or "")
                if action == "rename":
                    renamed = book.rename_category(category, text.get("name", ""))
                    pages.flash(request, t("categories.renamed", name=renamed.name))
                elif action == "move":
                    book.move_category(category, _uuid(text.get("parent") or None))
                    pages.flash(request, t("categories.moved", name=category.name))
                elif action == "delete":
                    try:
                        book.delete_category(category, detach=text.get("detach") == "yes")
                    except InUse:
                        pages.flash(request, t("categories.in_use", name=category.name), "error")
                        return pages.redirect("/categories")
                    pages.flash(request, t("categories.deleted", name=category.name))
                else:
                    raise HTTPException(400)
        except ValidationError as error:
            where = "new" if action == "create" else f"{action}-{text.get('id', '')}"
            problems = _placed(error.problems, pages.locale(request), f"category-{where}")
            return self.categories(request, problems, text, status=422)
        log.info("Categories changed by %s (%s).", user.name, action)
        return pages.redirect("/categories")

    # -- custom fields -----------------------------------------------------------------

    def fields(
        self,
        request: Request,
        problems: forms.FieldProblems | None = None,
        values: dict[str, Any] | None = None,
        status: int = 200,
    ) -> Response:
        """The custom-field definitions and the forms that change them."""
        pages = self.pages
        user = pages.user(request)
        return pages.render(
            request,
            "fields.html",
            {
                "definitions": pages.reader(request).fields(),
                "types": [t.value for t in FieldType],
                "problems": problems or forms.place_problems((), "en", ()),
                "values": values or {"type": "text"},
                "owner": user.sees_private,
                "required": frozenset(),
            },
            status,
        )

    def post_field(self, request: Request, data: FormData) -> Response:
        """Define a field, change one, or switch one off or on (the owner only)."""
        pages = self.pages
        user = pages.user(request)
        if not user.sees_private:
            raise HTTPException(403)
        book = pages.book
        t = pages.text(request)
        action = data.get("action")
        values: dict[str, Any] = {k: data.get(k, "") for k in _FIELD_INPUTS}
        values.update({k: data.get(k) == "yes" for k in _FLAGS})
        rules = _rules(values)
        try:
            if action == "define":
                made = book.define_field(
                    str(values["key"]).strip(), str(values["label"]), str(values["type"]), **rules
                )
                pages.flash(request, t("fields.defined", label=made.label))
            else:
                key = str(data.get("key", ""))
                if action == "deactivate":
                    changed = book.deactivate_field(key)
                elif action == "activate":
                    changed = book.activate_field(key)
                elif action == "change":
                    changed = book.change_field(key, label=str(values["label"]), **rules)
                else:
                    raise HTTPException(400)
                pages.flash(request, t("fields.changed", label=changed.label))
        except ValidationError as error:
            prefix = "field-new" if action == "define" else f"field-{data.get('key', '')}"
            problems = _placed(error.problems, pages.locale(request), prefix)
            return self.fields(request, problems, values if action == "define" else None, 422)
        except NotFound as error:
            raise HTTPException(404) from error
        log.info("Custom fields changed by %s (%s).", user.name, action)
        return pages.redirect("/fields")


def _rules(values: dict[str, Any]) -> dict[str, Any]:
    """The definition's rules from the form: blank inputs are left to the library's defaults."""
    rules: dict[str, Any] = {k: values[k] for k in _FLAGS}
    for key in ("min_value", "max_value", "max_length", "pattern", "default", "help_text"):
        text = str(values.get(key, "")).strip()
        if text:
            rules[key] = int(text) if key == "max_length" and text.isdigit() else text
    choices = [c.strip() for c in str(values.get("choices", "")).splitlines() if c.strip()]
    if choices:
        rules["choices"] = choices
    return rules


def _placed(problems: tuple[Problem, ...], locale: str, prefix: str) -> forms.FieldProblems:
    """Problems of a category or field form, placed beside its inputs (``prefix-name``)."""
    moved = [
        Problem(
            f"{prefix}-{p.path.split('.')[0].split('[')[0]}",
            p.code,
            p.message_in(locale),
            p.severity,
            p.value,
        )
        for p in problems
    ]
    names = [f"{prefix}-{name}" for name in (*_FIELD_INPUTS, *_FLAGS, "name", "parent")]
    return forms.place_problems(moved, locale, names)


def _uuid(value: str | None) -> uuid.UUID | None:
    """A category's id from a form (the book reads text as a category's name).

    Raises:
        NotFound: the text is no id.
    """
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(value) from None
