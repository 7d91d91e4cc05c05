"""Categories: user-defined groups of customers, optionally nested."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

import attrs

from debitor_core import _rules
from debitor_core._errors import Problem, ValidationError
from debitor_core._shown import shown

__all__ = ["Category", "category_problems", "descendants"]


@attrs.frozen(repr=False)
class Category:
    """A group of customers such as "Wholesalers" or "Regular customers".

    Attributes:
        id: Stable identifier (customers refer to it).
        name: Unique in its book, compared case-insensitively.
        parent: The enclosing category, or ``None`` for a top-level one.
    """

    id: uuid.UUID
    name: str
    parent: uuid.UUID | None = None

    def __repr__(self) -> str:
        return f"<Category {self.name!r}>"


def category_problems(candidate: Category, existing: Mapping[uuid.UUID, Category]) -> list[Problem]:
    """Check that ``candidate`` may be stored beside ``existing`` (which it may replace).

    Names are text a person reads (at most 100 characters, no control or
    direction-changing characters) and unique case-insensitively; the parent must
    exist; no category may be its own ancestor.
    """
    problems: list[Problem] = []
    try:
        _rules.text(
            candidate.name,
            label="category name",
            code="category",
            max_length=_rules.LIMITS["category"],
        )
    except ValidationError as exc:
        return [p.at("name") for p in exc.problems]
    folded = candidate.name.casefold()
    problems.extend(
        Problem("name", "category.name_taken", value=candidate.name, params={"name": other.name})
        for other in existing.values()
        if other.id != candidate.id and other.name.casefold() == folded
    )
    parent = candidate.parent
    if parent is not None:
        if not isinstance(parent, uuid.UUID) or parent not in existing:
            problems.append(
                Problem(
                    "parent",
                    "category.parent_unknown",
                    value=parent,
                    params={"parent": shown(parent)},
                )
            )
        else:
            seen = {candidate.id}
            while parent is not None:
                if parent in seen:
                    params = {"name": candidate.name}
                    problems.append(
                        Problem("parent", "category.cycle", value=parent, params=params)
                    )
                    break
                seen.add(parent)
                parent = existing[parent].parent
    return problems


def descendants(
    roots: Iterable[uuid.UUID], categories: Mapping[uuid.UUID, Category]
) -> set[uuid.UUID]:
    """Return ``roots`` and every category below them."""
    children: dict[uuid.UUID, list[uuid.UUID]] = {}
    for category in categories.values():
        if category.parent is not None:
            children.setdefault(category.parent, []).append(category.id)
    found: set[uuid.UUID] = set()
    stack = list(roots)
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, ()))
    return found
