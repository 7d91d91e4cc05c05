"""``categories`` and ``fields``: the book's categories and custom fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from debitor_core.cli._app import App, Exit
from debitor_core.cli._i18n import N_, _, ngettext

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
            out(_("No categories yet; create one with 'debitor categories add NAME'."))
            return Exit.DONE
        for line, depth in _tree(report):
            count = ngettext("{count} customer", "{count} customers", line.customers).format(
                count=line.customers
            )
            if line.direct != line.customers:
                count = _("{count}, {direct} directly").format(count=count, direct=line.direct)
            out(f"{'  ' * depth}{line.category.name} ({count})")
        return Exit.DONE
    if action == "add":
        made = book.create_category(args.name, parent=args.parent, author=args.author)
        if args.parent:
            out(
                _("Created the category {name} under {parent}.").format(
                    name=made.name, parent=args.parent
                )
            )
        else:
            out(_("Created the category {name}.").format(name=made.name))
    elif action == "rename":
        renamed = book.rename_category(args.name, args.new_name, author=args.author)
        out(_("Renamed the category {old} to {new}.").format(old=args.name, new=renamed.name))
    elif action == "move":
        moved = book.move_category(args.name, None if args.top else args.parent, author=args.author)
        if args.top:
            out(_("Moved the category {name} to the top.").format(name=moved.name))
        else:
            out(
                _("Moved the category {name} under {parent}.").format(
                    name=moved.name, parent=args.parent
                )
            )
    else:
        book.delete_category(args.name, detach=args.detach, author=args.author)
        out(_("Deleted the category {name}.").format(name=args.name))
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
_RULE_WORDS = {
    "required": N_("required"),
    "choices": N_("choices"),
    "min_value": N_("min value"),
    "max_value": N_("max value"),
    "max_length": N_("max length"),
    "pattern": N_("pattern"),
    "default": N_("default"),
    "help_text": N_("help text"),
    "personal_data": N_("personal data"),
}


def fields(app: App) -> int:
    """``fields [list|add|change|deactivate|activate]``."""
    args = app.args
    action = args.action or "list"
    book = app.book()
    out = app.console.out
    if action == "list":
        defined = book.fields()
        if not defined:
            out(_("No custom fields yet; define one with 'debitor fields add KEY LABEL'."))
            return Exit.DONE
        for field in defined:
            rules = [
                f"{_(_RULE_WORDS[name])}: {_text(value)}"
                for name in _RULES
                if (value := getattr(field, name)) is not None and value is not False
                if value != ()
            ]
            state = "" if field.active else ", " + _("deactivated")
            extra = f"; {'; '.join(rules)}" if rules else ""
            out(f"{field.key}: {field.label} ({field.type.value}{state}){extra}")
        return Exit.DONE
    if action in ("deactivate", "activate"):
        change = book.deactivate_field if action == "deactivate" else book.activate_field
        changed = change(args.key, author=args.author)
        done = _("The field {key} is active.") if changed.active else None
        out((done or _("The field {key} is deactivated.")).format(key=changed.key))
        return Exit.DONE
    options: dict[str, Any] = {
        name: getattr(args, name) for name in _OPTIONS if getattr(args, name) is not None
    }
    if args.choice:
        options["choices"] = args.choice
    if action == "add":
        made = book.define_field(
            args.key, args.label, args.type or "text", author=args.author, **options
        )
        out(
            _("Defined the field {key} ({label}, {type}).").format(
                key=made.key, label=made.label, type=made.type.value
            )
        )
        return Exit.DONE
    if args.type is not None:
        options["type"] = args.type
    if args.label is not None:
        options["label"] = args.label
    changed = book.change_field(args.key, author=args.author, **options)
    out(
        _("Changed the field {key} ({label}, {type}).").format(
            key=changed.key, label=changed.label, type=changed.type.value
        )
    )
    return Exit.DONE


def _text(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    if value is True:
        return _("yes")
    return str(value)
