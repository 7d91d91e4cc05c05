"""The Customers list and the New customer form with its review step.

The form posts to itself. ``action=review`` previews the registration
(`CustomerBook.preview`: nothing is stored) and shows the review, or the form again
with every problem beside its field; ``save`` and ``save_new`` register it. The review
page carries what was typed in hidden inputs, so no half-made customer is kept on the
server between the two steps.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from debitor_core import (
    Category,
    CustomFieldDefinition,
    DuplicateCustomer,
    NotFound,
    Review,
    ValidationError,
)
from webapp import forms, i18n
from webapp.access import User
from webapp.pages import Pages
from webapp.security import form_handler

__all__ = ["CustomerScreens", "category_tree"]

log = logging.getLogger("webapp")


def category_tree(categories: Sequence[Category]) -> list[tuple[Category, int]]:
    """Categories in tree order, each with its depth (for indenting)."""
    children: dict[Any, list[Category]] = {}
    for category in categories:  # already sorted by name
        children.setdefault(category.parent, []).append(category)
    ordered: list[tuple[Category, int]] = []

    def walk(parent: Any, depth: int) -> None:  # noqa: ANN401 - an id or None
        for category in children.get(parent, []):
            ordered.append((category, depth))
            walk(category.id, depth + 1)

    walk(None, 0)
    return ordered


def _visible_fields(fields: Sequence[CustomFieldDefinition], user: User) -> list[Any]:
    """The active custom fields the user may fill in."""
    return [f for f in fields if f.active and (user.sees_private or not f.personal_data)]


class CustomerScreens:
    """The Customers list and the New customer form."""

    def __init__(self, pages: Pages) -> None:
        """Serve through ``pages``."""
        self.pages = pages

    def routes(self) -> list[Route]:
        """The routes of these screens."""
        return [
            Route("/customers", self.index, methods=["GET"]),
            Route("/customers/new", self.new, methods=["GET"]),
            Route("/customers/new", form_handler(self.post_new), methods=["POST"]),
        ]

    # -- the list ----------------------------------------------------------------------

    def index(self, request: Request) -> Response:
        """Customers: free text, category, country, archived, one page at a time."""
        pages = self.pages
        reader = pages.reader(request)
        query = request.query_params
        text = query.get("q", "")[:200]
        categories = reader.categories()
        by_id = {str(c.id): c for c in categories}
        category = by_id.get(query.get("category", ""))
        country = query.get("country", "")
        codes = dict(i18n.countries(pages.locale(request)))
        show = query.get("show", "active")
        archived = {"archived": True, "all": None}.get(show, False)
        direct = query.get("direct") == "1"
        size = pages.config.page_size
        page = _page_number(query.get("page"))
        result = reader.search(
            text,
            category=category,
            subcategories=not direct,
            country=country if country in codes else None,
            archived=archived,
            offset=(page - 1) * size,
            limit=size,
        )
        total = result.total
        filters = {
            "q": text,
            "category": str(category.id) if category else "",
            "country": country if country in codes else "",
            "show": show if show in {"archived", "all"} else "",
            "direct": "1" if direct else "",
        }
        return pages.render(
            request,
            "customers.html",
            {
                "customers": result,
                "total": total,
                "page": page,
                "page_count": max(1, math.ceil(total / size)),
                "first": (page - 1) * size + 1,
                "last": (page - 1) * size + len(result),
                "filters": filters,
                "query": {k: v for k, v in filters.items() if v},
                "tree": category_tree(categories),
                "names": {c.id: c.name for c in categories},
                "countries": codes.items(),
            },
        )

    # -- the form ----------------------------------------------------------------------

    def new(self, request: Request) -> Response:
        """A blank New customer form, with the book's defaults."""
        pages = self.pages
        user = pages.user(request)
        fields = _visible_fields(pages.book.fields(), user)
        values = forms.from_library(pages.book.blank_form(), fields)
        return self._form(request, user, values, fields, problems=None, review=None)

    def post_new(self, request: Request, data: FormData) -> Response:
        """Review, save, or save and start the next one."""
        pages = self.pages
        user = pages.user(request)
        fields = _visible_fields(pages.book.fields(), user)
        values = forms.posted_values(data, fields)
        action = data.get("action")
        form, rows = forms.to_library(values, fields, new=True)
        if not user.sees_private:
            form.pop("notes", None)
        review = pages.book.preview(form)
        if action in {"save", "save_new"} and review.ok:
            return self._save(request, user, form, data, values, fields, rows, action)
        if action == "review" and review.ok:
            return self._review(request, values, review)
        problems = forms.place_problems(
            review.problems, pages.locale(request), _inputs(values, fields), rows
        )
        status = 422 if review.errors else 200  # "Change" on the review: the form again
        return self._form(request, user, values, fields, problems, review, status)

    def _save(  # noqa: PLR0917 - the state of one posted form
        self,
        request: Request,
        user: User,
        form: dict[str, Any],
        data: FormData,
        values: forms.Values,
        fields: list[Any],
        rows: list[int],
        action: object,
    ) -> Response:
        pages = self.pages
        try:
            customer = pages.book.register(form, author=user.name)
        except (ValidationError, DuplicateCustomer):
            # The book changed between the review and the save (a category deleted, a
            # duplicate registered): show the form again with what the book says now.
            review = pages.book.preview(form)
            problems = forms.place_problems(
                review.problems, pages.locale(request), _inputs(values, fields), rows
            )
            return self._form(request, user, values, fields, problems, review, status=422)
        log.info("Customer %d registered by %s.", customer.number, user.name)
        t = pages.text(request)
        reviewed = _reviewed_number(data.get("reviewed_number"))
        if reviewed is not None and reviewed != customer.number:
            message = t(
                "saved.moved", name=customer.name, number=customer.number, reviewed=reviewed
            )
        else:
            message = t("saved", name=customer.name, number=customer.number)
        pages.flash(request, message)
        if action == "save_new":
            return pages.redirect("/customers/new")
        return pages.redirect(f"/customers/{customer.number}")

    def _review(self, request: Request, values: forms.Values, review: Review) -> Response:
        locale = self.pages.locale(request)
        categories = {c.id: c.name for c in self.pages.book.categories()}
        return self.pages.render(
            request,
            "review.html",
            {
                "review": review,
                "customer": review.customer,
                "hidden": _hidden(values),
                "warnings": forms.place_problems(review.warnings, locale, ()),
                "duplicates": [(m, forms.duplicate_sentence(m, locale)) for m in review.duplicates],
                "names": categories,
                "fields": self.pages.reader(request).fields(),
            },
        )

    def _form(  # noqa: PLR0917 - the state of one screen
        self,
        request: Request,
        user: User,
        values: forms.Values,
        fields: list[Any],
        problems: forms.FieldProblems | None,
        review: Review | None,
        status: int = 200,
    ) -> Response:
        pages = self.pages
        locale = pages.locale(request)
        duplicates = review.duplicates if review is not None else ()
        return pages.render(
            request,
            "customer_form.html",
            {
                "mode": "new",
                "action": "/customers/new",
                "values": values,
                "fields": fields,
                "problems": problems or forms.place_problems((), locale, ()),
                "required": _required(pages.book.required.fields, fields),
                "tree": category_tree(pages.book.categories()),
                "countries": i18n.countries(locale),
                "rows": forms.phone_rows(values),
                "duplicates": [(m, forms.duplicate_sentence(m, locale)) for m in duplicates],
                "private": user.sees_private,
                "version": None,
            },
            status,
        )


def _inputs(values: forms.Values, fields: Sequence[CustomFieldDefinition]) -> list[str]:
    """Every input of the customer form, by name (problems are placed beside these)."""
    inputs = ["kind", "phone", "other_emails", "categories", "notes", "consent"]
    inputs += list(forms.TEXT_INPUTS)
    inputs += [f"address.{k}" for k in forms.ADDRESS_INPUTS]
    inputs += [f"other_phones-{row}" for row in forms.phone_rows(values)]
    inputs += [f"custom_fields.{f.key}" for f in fields]
    return inputs


def _required(paths: frozenset[str], fields: Sequence[CustomFieldDefinition]) -> frozenset[str]:
    """The inputs to mark ``*``: the book's policy and the required custom fields."""
    return paths | {f"custom_fields.{f.key}" for f in fields if f.required}


def _hidden(values: forms.Values) -> list[tuple[str, str]]:
    """``values`` as hidden inputs, one per value (a list gives several)."""
    return [
        (name, str(item))
        for name, value in values.items()
        for item in (value if isinstance(value, list) else [value])
    ]


def _page_number(value: str | None) -> int:
    try:
        page = int(value or 1)
    except ValueError:
        return 1
    return min(max(page, 1), 10**6)


def _reviewed_number(value: object) -> int | None:
    try:
        return int(value) if isinstance(value, str) else None
    except ValueError:
        return None


def customer_or_404(reader: Any, number: str) -> Any:  # noqa: ANN401 - a reader, a customer
    """The customer with the number in a URL.

    Raises:
        NotFound: no customer has it (the app answers 404).
    """
    try:
        wanted = int(number)
    except ValueError:
        raise NotFound(number) from None
    return reader.get_by_number(wanted)
