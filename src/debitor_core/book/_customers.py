"""Edits and merges: changing a stored customer, one version at a time, and deleting one."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Final

import attrs

from debitor_core import _rules
from debitor_core._category import Category
from debitor_core._checks import Checks, run_rule
from debitor_core._errors import (
    ConcurrencyConflict,
    CustomerInUse,
    NotFound,
    Problem,
    ValidationError,
)
from debitor_core._form import customer_to_form, parse_form
from debitor_core._history import Forward, HistoryAction
from debitor_core._model import AttachmentRef, Consent, ConsentChannel, Customer, Note
from debitor_core._shown import shown
from debitor_core.book._arguments import (
    checked_author,
    checked_text,
    checked_version,
    say,
    wrong_type,
)
from debitor_core.book._build import consents, merged, with_draft
from debitor_core.book._read_model import find, find_forwarded
from debitor_core.book._types import BookSettings, CategoryRef, ReferenceCheck
from debitor_core.book._unit_of_work import UnitOfWork

__all__ = ["CustomerEdits"]

_SHA256_HEX: Final = 64
MAX_FILE_SIZE: Final = 2**53
"""The largest size an attachment reference records, in bytes (exact in every JSON reader)."""


class CustomerEdits:
    """Update, annotate, archive, categorise, merge and delete stored customers."""

    def __init__(self, uow: UnitOfWork, settings: BookSettings) -> None:
        """Edit through ``uow`` with ``settings``."""
        self._uow = uow
        self._settings = settings
        self._reference_checks: list[ReferenceCheck] = []

    def change(
        self,
        customer_id: uuid.UUID | str,
        expected_version: int | None,
        make: Callable[[Customer], Customer],
        author: str | None = None,
        function: str = "update",
    ) -> Customer:
        """Store ``make(current)`` one version higher, if the customer is at ``expected_version``.

        The change goes into the customer's history, by ``author``.

        Raises:
            NotFound: no customer has the id.
            ConcurrencyConflict: the customer is at another version.
        """
        checked_version(function, expected_version)
        author = checked_author(function, author)
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            current = find_forwarded(uow.model, customer_id)
            version = current.version if expected_version is None else expected_version
            if current.version != version:
                raise ConcurrencyConflict.coded(
                    "customer.changed",
                    {"number": current.number, "actual": current.version, "expected": version},
                    locale=self._settings.locale,
                    expected=version,
                    actual=current.version,
                )
            made = make(current)
            if made is current:
                return current  # nothing to change: no new version
            new = attrs.evolve(made, version=version + 1, updated=self._settings.clock())
            with uow.transaction(author=author) as tx:
                tx.update(new, expected_version=version)
            return new

    def update(
        self,
        customer_id: uuid.UUID | str,
        changes: Mapping[str, Any],
        expected_version: int,
        author: str | None,
    ) -> Customer:
        """Change a customer's fields, validated as at registration (see `CustomerBook.update`)."""
        author = checked_author("update", author)
        settings = self._settings
        given: object = changes
        if not isinstance(given, Mapping):
            params = {"type": type(given).__name__, "value": shown(given)}
            raise ValidationError.single("form.type", None, given, params=params)

        def make(current: Customer) -> Customer:
            definitions = self._uow.definitions
            form = customer_to_form(current, definitions.category_names())
            for key, value in changes.items():
                if key == "address" and isinstance(value, Mapping):
                    form["address"] = {**form["address"], **value}
                else:
                    form[key] = value
            context = definitions.context(settings.required, current.custom_fields)
            draft, problems = parse_form(form, context)
            errors = [p for p in problems if p.is_error]
            if errors:
                raise ValidationError(errors)
            now = settings.clock()
            note = (Note(draft.note, now, author),) if draft.note else ()
            return attrs.evolve(
                with_draft(current, draft),
                notes=current.notes + note,
                consents=current.consents + consents(draft, now),
            )

        return self.change(customer_id, expected_version, make, author)

    def add_note(
        self,
        customer_id: uuid.UUID | str,
        text: str,
        author: str | None,
        expected_version: int | None,
    ) -> Customer:
        """Append a private, timestamped note (see `CustomerBook.add_note`)."""
        author = checked_author("add_note", author)
        note_text = run_rule("notes", _note, text)
        clock = self._settings.clock
        return self.change(
            customer_id,
            expected_version,
            lambda c: attrs.evolve(c, notes=(*c.notes, Note(note_text, clock(), author))),
            author,
            "add_note",
        )

    def attach(
        self,
        customer_id: uuid.UUID | str,
        *,
        file_name: str,
        media_type: str,
        size: int,
        sha256: str,
        expected_version: int | None,
        author: str | None = None,
    ) -> Customer:
        """Record a reference to a file the host app keeps (see `CustomerBook.attach`)."""
        checks = Checks()
        name = checks.run("file_name", _file_name, file_name)
        media = checks.run("media_type", _media_type, media_type)
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_FILE_SIZE:
            params = {"max": MAX_FILE_SIZE, "value": shown(size)}
            checks.keep(Problem("size", "size.invalid", value=size, params=params))
        digest = sha256.lower() if isinstance(sha256, str) else ""
        if len(digest) != _SHA256_HEX or any(c not in "0123456789abcdef" for c in digest):
            checks.keep(
                Problem("sha256", "sha256.invalid", value=sha256, params={"value": shown(sha256)})
            )
        checks.raise_problems()
        assert name is not None  # noqa: S101 - no problems, so a name
        assert media is not None  # noqa: S101 - no problems, so a media type
        clock = self._settings.clock
        return self.change(
            customer_id,
            expected_version,
            lambda c: attrs.evolve(
                c, attachments=(*c.attachments, AttachmentRef(name, media, size, digest, clock()))
            ),
            author,
            "attach",
        )

    def record_consent(
        self,
        customer_id: uuid.UUID | str,
        channel: ConsentChannel | str,
        *,
        given: bool,
        source: str | None,
        expected_version: int | None,
        author: str | None = None,
        wording: str | None = None,
    ) -> Customer:
        """Record that the customer gave or withdrew consent (see `CustomerBook.record_consent`)."""
        if not isinstance(given, bool):
            wrong_type("record_consent", "given", given, "True or False")
        checked_text("record_consent", "source", source)
        version = None if wording is None else run_rule("wording", _wording, wording)
        try:
            chosen = ConsentChannel(channel)
        except ValueError:
            params = {"choices": tuple(c.value for c in ConsentChannel), "value": shown(channel)}
            raise ValidationError.single(
                "consent.channel", None, channel, "channel", params=params
            ) from None
        clock = self._settings.clock
        return self.change(
            customer_id,
            expected_version,
            lambda c: attrs.evolve(
                c, consents=(*c.consents, Consent(chosen, given, clock(), source, version))
            ),
            author,
            "record_consent",
        )

    def set_archived(
        self,
        customer_id: uuid.UUID | str,
        expected_version: int | None,
        *,
        archived: bool,
        author: str | None = None,
    ) -> Customer:
        """Archive a customer or bring it back; one already so is returned unchanged."""
        return self.change(
            customer_id,
            expected_version,
            lambda c: c if c.archived == archived else attrs.evolve(c, archived=archived),
            author,
            "archive" if archived else "restore",
        )

    def categorise(
        self,
        customer_id: uuid.UUID | str,
        add: Iterable[CategoryRef],
        remove: Iterable[CategoryRef],
        expected_version: int | None,
        author: str | None = None,
    ) -> Customer:
        """Put a customer in categories and take it out of others (see `categorise`)."""
        add, remove = _refs("add", add), _refs("remove", remove)
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            definitions = uow.definitions
            joining = {definitions.category(ref).id for ref in add}
            leaving = {definitions.category(ref).id for ref in remove}
            return self.change(
                customer_id,
                expected_version,
                lambda c: attrs.evolve(
                    c, categories=tuple(sorted((set(c.categories) | joining) - leaving))
                ),
                author,
                "categorise",
            )

    def merge(
        self,
        keep_id: uuid.UUID | str,
        duplicate_id: uuid.UUID | str,
        author: str | None = None,
    ) -> Customer:
        """Fold a duplicate into the customer to keep, in one commit (see `CustomerBook.merge`)."""
        author = checked_author("merge", author)
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            keep = find_forwarded(uow.model, keep_id)
            duplicate = find_forwarded(uow.model, duplicate_id)
            if keep.id == duplicate.id:
                raise ValidationError.single("merge.same", None, str(keep.id))
            reasons = [r for check in self._reference_checks if (r := check(duplicate))]
            if reasons:
                msg = say(
                    "customer.merge_in_use",
                    self._settings.locale,
                    number=duplicate.number,
                    reasons="; ".join(reasons),
                )
                raise CustomerInUse(msg)
            combined = attrs.evolve(
                merged(keep, duplicate), version=keep.version + 1, updated=self._settings.clock()
            )
            moved = uow.model.invoices(duplicate.id)
            with uow.transaction(author=author, at=combined.updated) as tx:
                tx.update(
                    combined,
                    expected_version=keep.version,
                    action=HistoryAction.MERGED,
                    other=duplicate.id,
                )
                tx.delete(duplicate.id, action=HistoryAction.MERGED, other=keep.id)
                forward = Forward(duplicate.id, duplicate.number, keep.id, combined.updated)
                tx.put_record(forward, expected_version=None)
                for invoice in moved:
                    changed = attrs.evolve(
                        invoice, customer_id=keep.id, version=invoice.version + 1
                    )
                    tx.put_record(changed, expected_version=invoice.version)
            return combined

    def add_reference_check(self, check: ReferenceCheck) -> None:
        """Register a check that says why a customer cannot be deleted."""
        self._reference_checks.append(check)

    def delete(self, customer_id: uuid.UUID | str, author: str | None = None) -> None:
        """Delete a customer that nothing refers to (see `CustomerBook.delete`)."""
        author = checked_author("delete", author)
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            customer = self._deletable(customer_id)
            checks = (self._invoice_references, *self._reference_checks)
            reasons = [r for check in checks if (r := check(customer))]
            if reasons:
                msg = say(
                    "customer.in_use",
                    self._settings.locale,
                    number=customer.number,
                    name=customer.name,
                    reasons="; ".join(reasons),
                )
                raise CustomerInUse(msg)
            with uow.transaction(author=author) as tx:
                tx.delete(customer.id)

    def _deletable(self, customer_id: uuid.UUID | str) -> Customer:
        """The customer of this id itself: a delete never follows a merge's forward.

        A merged-away id is the kept customer's for reads and edits; deleting through
        it would delete the kept customer, which the caller may not mean.
        """
        model = self._uow.model
        try:
            return find(model, customer_id)
        except NotFound:
            kept = find_forwarded(model, customer_id)  # NotFound again: nothing forwards
        params = {"id": str(customer_id), "number": kept.number}
        raise NotFound.coded("customer.merged_away", params, locale=self._settings.locale)

    def _invoice_references(self, customer: Customer) -> str | None:
        count = len(self._uow.model.invoices(customer.id))
        return say("customer.invoices", self._settings.locale, count=count) if count else None


def _note(value: object) -> str:
    return _rules.text(
        value, label="note", code="note", max_length=_rules.LIMITS["note"], multiline=True
    )


def _wording(value: object) -> str:
    return _rules.text(
        value, label="consent wording", code="wording", max_length=_rules.LIMITS["source"]
    )


def _file_name(value: object) -> str:
    """The file's base name: folders (``../``, Windows' ``C:`` and backslashes) are taken off."""
    name = _rules.text(value, label="file name", code="file_name", max_length=255)
    base = PureWindowsPath(PurePosixPath(name).name).name.strip()
    if base in {"", ".", ".."}:
        params = {"value": shown(value)}
        raise ValidationError.single("file_name.invalid", None, value, params=params)
    return base


def _refs(parameter: str, refs: object) -> list[CategoryRef]:
    """The categories to add or remove, one or several (`TypeError` for anything else)."""
    if isinstance(refs, Category | uuid.UUID | str):
        return [refs]
    if isinstance(refs, bytes | Mapping) or not isinstance(refs, Iterable):
        wrong_type("categorise", parameter, refs, "categories (objects, ids or names)")
    return list(refs)


def _media_type(value: object) -> str:
    media = _rules.text(value, label="media type", code="media_type", max_length=255).lower()
    kind, slash, sub = media.partition("/")
    if not slash or not kind or not sub or " " in media:
        msg = f"The media type {media!r} is not valid; write it like application/pdf."
        raise ValidationError.single("media_type.invalid", msg, value)
    return media
