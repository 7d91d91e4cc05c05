"""``categories`` and ``fields``: the book's categories and custom fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from debitor_core.cli._app import App, Exit

if TYPE_CHECKING:
    from debitor_core import Category, CategoryCount

__all__ = ["categories", "fields"]


def categories(app: App) -> int:
    """``categories [list|add|rename|move|delete]``."""
    args = app.args
    action = args.action or "list"
    book = app.book()
    out = app.console.out
    if action == "list":
        report = book.category_counts()
        if not report:
            out("No categories yet; create one with 'debitor categories add NAME'.")
            return Exit.DONE
        for line, depth in _tree(report):
            own = f", {line.direct} directly" if line.direct != line.customers else ""
            many = "customer" if line.customers == 1 else "customers"
            out(f"{'  ' * depth}{line.category.name} ({line.customers} {many}{own})")
        return Exit.DONE
    if action == "add":
        made = book.create_category(args.name, parent=args.parent)
        where = f" under {args.parent}" if args.parent else ""
        out(f"Created the category {made.name}{where}.")
    elif action == "rename":
        renamed = book.rename_category(args.name, args.new_name)
        out(f"Renamed the category {args.name} to {renamed.name}.")
    elif action == "move":
        moved = book.move_category(args.name, None if args.top else args.parent)
        where = "to the top" if args.top else f"under {args.parent}"
        out(f"Moved the category {moved.name} {where}.")
    else:
        book.delete_category(args.name, detach=args.detach)
        out(f"Deleted the category {args.name}.")
    return Exit.DONE


def _tree(report: list[CategoryCount]) -> list[tuple[CategoryCount, int]]:
    """The report's lines in tree order, each with its depth."""
    by_parent: dict[Any, list[CategoryCount]] = {}
    known = {line.category.id for line in report}
    for line in report:
        parent = line.category.parent if line.category.parent in known else None
        by_parent.setdefault(parent, []).append(line)
    ordered: list[tuple[CategoryCount, int]] = []

    def walk(parent: Category | None, depth: int) -> None:
        for line in by_parent.get(parent.id if parent else None, []):
            ordered.append((line, depth))
            walk(line.category, depth + 1)

    walk(None, 0)
    return ordered


_OPTIONS = ("required", "min_value", "max_value", "max_length", "pattern", "default",
            "help_text", "personal_data")  # fmt: skip
_RULES = ("required", "choices", "min_value", "max_value", "max_length", "pattern",
          "default", "help_text", "personal_data")  # fmt: skip


def fields(app: App) -> int:
    """``fields [list|add|change|deactivate|activate]``."""
    args = app.args
    action = args.action or "list"
    book = app.book()
    out = app.console.out
    if action == "list":
        defined = book.fields()
        if not defined:
            out("No custom fields yet; define one with 'debitor fields add KEY LABEL'.")
            return Exit.DONE
        for field in defined:
            rules = [
                f"{name.replace('_', ' ')}: {_text(value)}"
                for name in _RULES
                if (value := getattr(field, name)) is not None and value is not False
                if value != ()
            ]
            state = "" if field.active else ", deactivated"
            extra = f"; {'; '.join(rules)}" if rules else ""
            out(f"{field.key}: {field.label} ({field.type.value}{state}){extra}")
        return Exit.DONE
    if action in ("deactivate", "activate"):
        change = book.deactivate_field if action == "deactivate" else book.activate_field
        changed = change(args.key)
        out(f"The field {changed.key} is {'deactivated' if not changed.active else 'active'}.")
        return Exit.DONE
    options: dict[str, Any] = {
        name: getattr(args, name) for name in _OPTIONS if getattr(args, name) is not None
    }
    if args.choice:
        options["choices"] = args.choice
    if action == "add":
        made = book.define_field(args.key, args.label, args.type or "text", **options)
        out(f"Defined the field {made.key} ({made.label}, {made.type.value}).")
        return Exit.DONE
    if args.type is not None:
        options["type"] = args.type
    if args.label is not None:
        options["label"] = args.label
    changed = book.change_field(args.key, **options)
    out(f"Changed the field {changed.key} ({changed.label}, {changed.type.value}).")
    return Exit.DONE


def _text(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    if value is True:
        return "yes"
    return str(value)
