"""Categories: create, rename, move and delete them, and the category report."""

from __future__ import annotations

import uuid

import attrs

from debitor_core import _rules
from debitor_core._category import Category, category_problems
from debitor_core._checks import run_rule
from debitor_core._errors import InUse, ValidationError
from debitor_core._history import DefinitionAction
from debitor_core.book._arguments import checked_author, say
from debitor_core.book._read_model import in_categories
from debitor_core.book._types import BookSettings, CategoryCount, CategoryRef
from debitor_core.book._unit_of_work import UnitOfWork

__all__ = ["Categories"]


class Categories:
    """The book's categories and the changes to them."""

    def __init__(self, uow: UnitOfWork, settings: BookSettings) -> None:
        """Keep categories through ``uow``; ``settings`` give the clock."""
        self._uow = uow
        self._settings = settings

    def all(self) -> list[Category]:
        """Every category, by name."""
        self._uow.catch_up()
        return self._uow.definitions.sorted_categories()

    def get(self, ref: CategoryRef) -> Category:
        """A category by object, id or name (`NotFound` when there is none)."""
        self._uow.catch_up()
        return self._uow.definitions.category(ref)

    def create(self, name: str, parent: CategoryRef | None, author: str | None = None) -> Category:
        """Create a category, optionally under a parent (see `CustomerBook.create_category`)."""
        author = checked_author("create_category", author)
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            clean = run_rule("name", _category_name, name)
            parent_id = uow.definitions.category(parent).id if parent is not None else None
            created = Category(uuid.uuid4(), clean, parent_id)
            return self._put(created, DefinitionAction.CREATED, author)

    def rename(self, ref: CategoryRef, name: str, author: str | None = None) -> Category:
        """Give a category a new name (customers keep it)."""
        author = checked_author("rename_category", author)
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            current = uow.definitions.category(ref)
            clean = run_rule("name", _category_name, name)
            return self._put(attrs.evolve(current, name=clean), DefinitionAction.RENAMED, author)

    def move(
        self, ref: CategoryRef, parent: CategoryRef | None, author: str | None = None
    ) -> Category:
        """Place a category under ``parent`` (``None``: at the top level)."""
        author = checked_author("move_category", author)
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            definitions = uow.definitions
            current = definitions.category(ref)
            parent_id = definitions.category(parent).id if parent is not None else None
            moved = attrs.evolve(current, parent=parent_id)
            return self._put(moved, DefinitionAction.MOVED, author)

    def delete(self, ref: CategoryRef, *, detach: bool, author: str | None = None) -> None:
        """Delete a category; its sub-categories move up (see `CustomerBook.delete_category`)."""
        author = checked_author("delete_category", author)
        uow = self._uow
        with uow.lock:
            uow.catch_up()
            definitions = uow.definitions
            doomed = definitions.category(ref)
            query = in_categories(definitions, doomed, subcategories=False)
            members = list(uow.model.search(query))
            if members and not detach:
                params = {"count": len(members), "name": doomed.name}
                raise InUse(say("category.in_use", self._settings.locale, **params))
            now = self._settings.clock()
            with uow.transaction(author=author, at=now) as tx:
                for child in uow.definitions.categories.values():
                    if child.parent == doomed.id:
                        moved = attrs.evolve(child, parent=doomed.parent)
                        tx.put_category(moved, action=DefinitionAction.MOVED)
                tx.delete_category(doomed.id)
                for customer in members:
                    kept = tuple(c for c in customer.categories if c != doomed.id)
                    new = attrs.evolve(
                        customer, categories=kept, version=customer.version + 1, updated=now
                    )
                    tx.update(new, expected_version=customer.version)

    def counts(self, *, archived: bool | None) -> list[CategoryCount]:
        """The category report: customers per category, with and without sub-categories."""
        uow = self._uow
        uow.catch_up()
        definitions, model = uow.definitions, uow.model
        return [
            CategoryCount(
                category,
                model.count(in_categories(definitions, category, archived=archived)),
                model.count(
                    in_categories(definitions, category, subcategories=False, archived=archived)
                ),
            )
            for category in definitions.sorted_categories()
        ]

    def _put(self, candidate: Category, action: DefinitionAction, author: str | None) -> Category:
        problems = category_problems(candidate, self._uow.definitions.categories)
        if problems:
            raise ValidationError(problems)
        with self._uow.transaction(author=author) as tx:
            tx.put_category(candidate, action=action)
        return candidate


def _category_name(value: object) -> str:
    return _rules.text(value, label="category name", code="category", max_length=100)
