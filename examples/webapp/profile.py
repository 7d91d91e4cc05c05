"""A customer's profile, its edit form with the conflict screen, notes, files and consent.

An edit carries the version it was read at (a hidden input). `CustomerBook.update`
refuses a stale version with `ConcurrencyConflict`; the app then shows what is saved
now next to what the user typed, and the form again over the new version, so that
nothing typed is lost and nothing saved is overwritten unseen.

Attachments are files the app keeps (here: in a folder beside the SQLite book, named
by their SHA-256); the book keeps a reference to each (`CustomerBook.attach`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from debitor_core import (
    ConcurrencyConflict,
    ConsentChannel,
    Customer,
    CustomFieldDefinition,
    NotFound,
    ValidationError,
    customer_to_form,
)
from webapp import forms, i18n
from webapp.customers import _inputs, _required, category_tree, customer_or_404
from webapp.pages import Pages
from webapp.security import MAX_UPLOAD, form_handler

__all__ = ["ProfileScreens"]

log = logging.getLogger("webapp")

_SHA256 = re.compile(r"[0-9a-f]{64}")


class ProfileScreens:
    """The profile and what changes a customer."""

    def __init__(self, pages: Pages, files: Path) -> None:
        """Serve through ``pages``; keep attached files in ``files``."""
        self.pages = pages
        self.files = files

    def routes(self) -> list[Route]:
        """The routes of these screens."""
        post = ["POST"]
        return [
            Route("/customers/{number}", self.profile, methods=["GET"]),
            Route("/customers/{number}/edit", self.edit, methods=["GET"]),
            Route("/customers/{number}/edit", form_handler(self.post_edit), methods=post),
            Route("/customers/{number}/archive", form_handler(self.archive), methods=post),
            Route("/customers/{number}/notes", form_handler(self.add_note), methods=post),
            Route("/customers/{number}/consent", form_handler(self.consent), methods=post),
            Route("/customers/{number}/attachments", form_handler(self.attach), methods=post),
            Route("/customers/{number}/attachments/{index:int}", self.download, methods=["GET"]),
        ]

    def profile(self, request: Request) -> Response:
        """The profile: everything about the customer the user may see."""
        pages = self.pages
        user = pages.user(request)
        reader = pages.reader(request)
        customer = customer_or_404(reader, request.path_params["number"])
        consents = {channel: customer.consent_to(channel) for channel in ConsentChannel}
        return pages.render(
            request,
            "profile.html",
            {
                "customer": customer,
                "names": {c.id: c.name for c in reader.categories()},
                "fields": reader.fields(),
                "consents": consents,
                "account": reader.account(customer.id),
                "private": user.sees_private,
            },
        )

    # -- editing -----------------------------------------------------------------------

    def edit(self, request: Request) -> Response:
        """The edit form, filled from the customer as it is now."""
        pages = self.pages
        user = pages.user(request)
        customer = customer_or_404(pages.reader(request), request.path_params["number"])
        fields = self._fields(customer, user.sees_private)
        values = forms.from_library(customer_to_form(customer, self._names()), fields)
        return self._form(request, customer, values, fields, customer.version)

    def post_edit(self, request: Request, data: FormData) -> Response:
        """Save the edit, or show its problems, or the conflict screen."""
        pages = self.pages
        user = pages.user(request)
        book = pages.book
        customer = customer_or_404(pages.reader(request), request.path_params["number"])
        fields = self._fields(customer, user.sees_private)
        values = forms.posted_values(data, fields)
        version = _version(data.get("version"))
        changes, rows = forms.to_library(values, fields, new=False)
        if not user.sees_private:
            # update() replaces custom_fields as a whole; put back the personal-data
            # values this user cannot see. Should the customer have changed since the
            # form was read, update() refuses the stale version anyway.
            stored = customer_to_form(book.get(customer.id), {})["custom_fields"]
            private = {f.key for f in book.fields() if f.personal_data}
            changes["custom_fields"].update({k: v for k, v in stored.items() if k in private})
        try:
            saved = book.update(customer.id, changes, expected_version=version, author=user.name)
        except ConcurrencyConflict as conflict:
            return self._conflict(request, customer, values, fields, conflict)
        except ValidationError as error:
            locale = pages.locale(request)
            problems = forms.place_problems(error.problems, locale, _inputs(values, fields), rows)
            return self._form(request, customer, values, fields, version, problems, status=422)
        log.info("Customer %d changed by %s.", saved.number, user.name)
        pages.flash(request, pages.text(request)("updated", number=saved.number))
        return pages.redirect(f"/customers/{saved.number}")

    def _conflict(
        self,
        request: Request,
        customer: Customer,
        values: forms.Values,
        fields: list[CustomFieldDefinition],
        conflict: ConcurrencyConflict,
    ) -> Response:
        """Someone saved first: their values beside the user's, and the form again."""
        pages = self.pages
        user = pages.user(request)
        try:
            current = pages.reader(request).get(customer.id)
        except NotFound:
            pages.flash(request, pages.text(request)("conflict.gone"), "error")
            return pages.redirect("/customers")
        theirs = forms.from_library(customer_to_form(current, self._names()), fields)
        differences = [
            (name, _shown(theirs.get(name)), _shown(values.get(name)))
            for name in sorted(set(theirs) | set(values))
            if _shown(theirs.get(name)) != _shown(values.get(name))
        ]
        fields = self._fields(current, user.sees_private)
        return self._form(
            request,
            current,
            values,
            fields,
            current.version,
            conflict={
                "expected": conflict.expected,
                "actual": conflict.actual,
                "differences": differences,
                "labels": {f"custom_fields.{f.key}": f.label for f in fields},
            },
            status=409,
        )

    def _names(self) -> dict[Any, str]:
        return {c.id: c.name for c in self.pages.book.categories()}

    def _fields(self, customer: Customer, private: bool) -> list[CustomFieldDefinition]:  # noqa: FBT001
        """The custom fields of the edit form: active ones, and inactive ones it has."""
        fields = [
            f for f in self.pages.book.fields() if f.active or f.key in customer.custom_fields
        ]
        return [f for f in fields if private or not f.personal_data]

    def _form(  # noqa: PLR0917 - the state of one screen
        self,
        request: Request,
        customer: Customer,
        values: forms.Values,
        fields: list[CustomFieldDefinition],
        version: int,
        problems: forms.FieldProblems | None = None,
        conflict: dict[str, Any] | None = None,
        status: int = 200,
    ) -> Response:
        pages = self.pages
        locale = pages.locale(request)
        return pages.render(
            request,
            "customer_form.html",
            {
                "mode": "edit",
                "action": f"/customers/{customer.number}/edit",
                "customer": customer,
                "values": values,
                "fields": fields,
                "problems": problems or forms.place_problems((), locale, ()),
                "required": _required(pages.book.required.fields, fields),
                "tree": category_tree(pages.book.categories()),
                "countries": i18n.countries(locale),
                "rows": forms.phone_rows(values),
                "duplicates": [],
                "private": False,  # notes and consent have their own forms on the profile
                "version": version,
                "conflict": conflict,
            },
            status,
        )

    # -- the profile's own forms ---------------------------------------------------------

    def archive(self, request: Request, data: FormData) -> Response:
        """Archive or restore the customer."""
        pages = self.pages
        user = pages.user(request)
        customer = customer_or_404(pages.book, request.path_params["number"])
        t = pages.text(request)
        try:
            if data.get("restore"):
                pages.book.restore(customer.id, expected_version=_version(data.get("version")))
                pages.flash(request, t("profile.restored_done", number=customer.number))
            else:
                pages.book.archive(customer.id, expected_version=_version(data.get("version")))
                pages.flash(request, t("profile.archived_done", number=customer.number))
        except ConcurrencyConflict as conflict:
            pages.flash(
                request,
                t("conflict.text", expected=conflict.expected, actual=conflict.actual),
                "error",
            )
        log.info("Customer %d archived or restored by %s.", customer.number, user.name)
        return pages.redirect(f"/customers/{customer.number}")

    def add_note(self, request: Request, data: FormData) -> Response:
        """Add a private note (users with the private-data grant only)."""
        pages = self.pages
        user = pages.user(request)
        if not user.sees_private:
            raise HTTPException(403)
        customer = customer_or_404(pages.book, request.path_params["number"])
        try:
            pages.book.add_note(customer.id, str(data.get("text", "")), author=user.name)
        except ValidationError as error:
            for problem in error.problems:
                pages.flash(request, problem.message_in(pages.locale(request)), "error")
        else:
            pages.flash(request, pages.text(request)("profile.note_added"))
            log.info("Note added to customer %d by %s.", customer.number, user.name)
        return pages.redirect(f"/customers/{customer.number}")

    def consent(self, request: Request, data: FormData) -> Response:
        """Record that the customer gave or withdrew consent to a channel."""
        pages = self.pages
        user = pages.user(request)
        customer = customer_or_404(pages.book, request.path_params["number"])
        source = str(data.get("source", "")).strip() or None
        try:
            pages.book.record_consent(
                customer.id,
                str(data.get("channel", "")),
                given=data.get("given") == "yes",
                source=source,
            )
        except (ValidationError, ValueError) as error:
            problems = getattr(error, "problems", ())
            for problem in problems:
                pages.flash(request, problem.message_in(pages.locale(request)), "error")
            if not problems:
                raise HTTPException(400) from error
        else:
            pages.flash(request, pages.text(request)("profile.consent_done"))
            log.info("Consent recorded for customer %d by %s.", customer.number, user.name)
        return pages.redirect(f"/customers/{customer.number}")

    def attach(self, request: Request, data: FormData) -> Response:
        """Keep an uploaded file and attach a reference to it (private-data grant only)."""
        pages = self.pages
        user = pages.user(request)
        if not user.sees_private:
            raise HTTPException(403)
        customer = customer_or_404(pages.book, request.path_params["number"])
        t = pages.text(request)
        upload = data.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            pages.flash(request, t("profile.no_file"), "error")
            return pages.redirect(f"/customers/{customer.number}")
        content = upload.file.read(MAX_UPLOAD + 1)
        if len(content) > MAX_UPLOAD:
            pages.flash(request, t("profile.too_big"), "error")
            return pages.redirect(f"/customers/{customer.number}")
        digest = hashlib.sha256(content).hexdigest()
        try:
            pages.book.attach(
                customer.id,
                file_name=upload.filename,
                media_type=upload.content_type or "application/octet-stream",
                size=len(content),
                sha256=digest,
            )
        except ValidationError as error:
            for problem in error.problems:
                pages.flash(request, problem.message_in(pages.locale(request)), "error")
            return pages.redirect(f"/customers/{customer.number}")
        self._keep(digest, content)
        pages.flash(request, t("profile.attached", file=upload.filename))
        log.info("File attached to customer %d by %s.", customer.number, user.name)
        return pages.redirect(f"/customers/{customer.number}")

    def _keep(self, digest: str, content: bytes) -> None:
        """Write the file's bytes under its digest (atomically; the same bytes once)."""
        self.files.mkdir(parents=True, exist_ok=True)
        target = self.files / digest
        if target.exists():
            return
        handle, temporary = tempfile.mkstemp(dir=self.files)
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        Path(temporary).replace(target)

    def download(self, request: Request) -> Response:
        """An attached file, as a download (never shown inline: it may be anything)."""
        pages = self.pages
        if not pages.user(request).sees_private:
            raise HTTPException(403)
        customer = customer_or_404(pages.book, request.path_params["number"])
        index = request.path_params["index"]
        if not 0 <= index < len(customer.attachments):
            raise NotFound(str(index))
        attachment = customer.attachments[index]
        path = self.files / attachment.sha256
        if not _SHA256.fullmatch(attachment.sha256) or not path.is_file():
            raise NotFound(attachment.file_name)
        return FileResponse(
            path,
            media_type="application/octet-stream",
            filename=attachment.file_name,
            content_disposition_type="attachment",
        )


def _version(value: object) -> int:
    try:
        return int(value) if isinstance(value, str) else 0
    except ValueError:
        return 0


def _shown(value: object) -> str:
    """A form value as the conflict table shows it."""
    if isinstance(value, list):
        return ", ".join(sorted(str(v) for v in value))
    return "" if value is None else str(value)
