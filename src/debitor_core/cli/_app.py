"""Running a command: parse, open the book, call the command, turn errors into sentences.

Exit statuses: 0 done; 1 some rows or values were refused; 2 wrong usage; 3 the book
could not be used. User mistakes are reported as sentences on standard error, never
as tracebacks.
"""

from __future__ import annotations

import argparse
import enum
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final

from debitor_core.cli._console import Console
from debitor_core.cli._i18n import _, argparse_in_language, choose, lang_option, language
from debitor_core.cli._parser import build_parser
from debitor_core.cli._store import BookUnavailable, UsageError, describe, open_store

if TYPE_CHECKING:
    from debitor_core import Customer, CustomerBook, Problem, RequiredFields
    from debitor_core.storage import Store

__all__ = ["App", "Exit", "Refused", "run", "said"]


class Exit(enum.IntEnum):
    """The exit statuses."""

    DONE = 0
    REFUSED = 1
    USAGE = 2
    UNAVAILABLE = 3
    INTERRUPTED = 130


class Refused(Exception):
    """A command refused what it was asked (exit status 1 unless said otherwise)."""

    def __init__(self, message: str, status: Exit = Exit.REFUSED) -> None:
        """Refuse with ``message`` (a sentence for the clerk)."""
        super().__init__(message)
        self.status = status


_COMMANDS: Final = {
    "add": "debitor_core.cli._add:add",
    "list": "debitor_core.cli._customers:list_customers",
    "find": "debitor_core.cli._customers:list_customers",
    "show": "debitor_core.cli._customers:show",
    "edit": "debitor_core.cli._add:edit",
    "note": "debitor_core.cli._customers:note",
    "attach": "debitor_core.cli._customers:attach",
    "archive": "debitor_core.cli._customers:archive",
    "restore": "debitor_core.cli._customers:archive",
    "merge": "debitor_core.cli._customers:merge",
    "categories": "debitor_core.cli._definitions:categories",
    "fields": "debitor_core.cli._definitions:fields",
    "check": "debitor_core.cli._customers:check",
    "verify": "debitor_core.cli._customers:verify",
    "import": "debitor_core.cli._transfer:import_file",
    "export": "debitor_core.cli._transfer:export_file",
    "dump": "debitor_core.cli._transfer:dump",
    "load": "debitor_core.cli._transfer:load",
    "migrate": "debitor_core.cli._transfer:migrate",
    "demo": "debitor_core.cli._demo:demo",
}


class App:
    """What a command works with: its arguments, the console, and the book (opened once)."""

    def __init__(self, args: argparse.Namespace, console: Console) -> None:
        """Hold ``args`` and ``console``; the book opens on first use."""
        self.args = args
        self.console = console
        self._store: Store | None = None
        self._book: CustomerBook | None = None

    @property
    def location(self) -> str:
        """The ``--book`` as given."""
        return str(self.args.book)

    def book(self, *, create: bool = False, location: str | None = None) -> CustomerBook:
        """The book at ``--book`` (or ``location``), opened on first call.

        Args:
            create: Create the book when it is missing (``add``, ``import``, ``load``).
            location: Another book to open instead of ``--book`` (the demo's own).
        """
        if self._book is None:
            from debitor_core import CustomerBook  # noqa: PLC0415 - loads the library

            if self._store is None:
                where = location or self.location
                self._store = open_store(where, book_id=self.args.book_id, create=create)
            self._book = CustomerBook(self._store, required=self.required())
        return self._book

    def store(self) -> Store:
        """The store at ``--book``, opened on first call, with no book over it (``verify``)."""
        if self._store is None:
            self._store = open_store(self.location, book_id=self.args.book_id)
        return self._store

    def required(self) -> RequiredFields:
        """The required-fields policy of ``--require``."""
        from debitor_core import RequiredFields  # noqa: PLC0415

        wanted = str(self.args.require).strip()
        if wanted == "default":
            return RequiredFields.default()
        if wanted == "complete":
            return RequiredFields.complete()
        try:
            return RequiredFields.of(*(p.strip() for p in wanted.split(",") if p.strip()))
        except ValueError as exc:
            raise UsageError(str(exc)) from None

    def customer(self, ref: str) -> Customer:
        """The customer a command line names: by number (``12`` or ``#12``) or id."""
        book = self.book()
        text = ref.strip().removeprefix("#")
        if text.isascii() and text.isdigit():
            return book.get_by_number(int(text))
        return book.get(text)

    def close(self) -> None:
        """Close the store, if one was opened."""
        if self._store is not None:
            self._store.close()
            self._store = None
            self._book = None

    def problems(self, problems: Sequence[Problem], prefix: str = "") -> None:
        """Report problems on standard error, one per line, each beside its field."""
        for problem in problems:
            where = f"{problem.path}: " if problem.path else ""
            kind = "" if problem.is_error else _("warning: ")
            self.console.err(f"{prefix}{kind}{where}{said(problem)}")


def said(problem: Problem) -> str:
    """A problem's sentence in the command's language."""
    return problem.message_in(language())


def _handler(command: str) -> Callable[[App], int]:
    module, _, name = _COMMANDS[command].partition(":")
    handler: Callable[[App], int] = getattr(importlib.import_module(module), name)
    return handler


def run(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    """Parse ``argv``, run the command, and return the exit status (see the module)."""
    console = console or Console()
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        choose(lang_option(arguments))
    except ValueError as exc:
        console.err(f"debitor: {exc}")
        return Exit.USAGE
    try:
        with argparse_in_language():
            args = build_parser().parse_args(arguments)
    except SystemExit as exc:  # argparse printed the usage, or --help / --version
        return exc.code if isinstance(exc.code, int) else Exit.USAGE
    app = App(args, console)
    try:
        return int(_handler(args.command)(app))
    except BrokenPipeError:
        return Exit.REFUSED
    except KeyboardInterrupt:
        console.err(_("Interrupted; nothing more was changed."))
        return Exit.INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - translated below, or raised again
        return _report(app, exc)
    finally:
        app.close()


def _report(app: App, exc: Exception) -> int:
    """Say what went wrong as sentences on standard error; return the exit status."""
    from debitor_core import DebitorError, StorageError, ValidationError  # noqa: PLC0415

    console = app.console
    if isinstance(exc, Refused):
        console.err(str(exc))
        return exc.status
    if isinstance(exc, UsageError):
        console.err(str(exc))
        return Exit.USAGE
    if isinstance(exc, BookUnavailable):
        console.err(str(exc))
        return Exit.UNAVAILABLE
    if isinstance(exc, ValidationError):
        app.problems(exc.errors or exc.problems)
        return Exit.REFUSED
    if isinstance(exc, StorageError):
        console.err(
            _("The book {book} cannot be used: {reason}").format(
                book=describe(app.location), reason=exc.message_in(language())
            )
        )
        return Exit.UNAVAILABLE
    if isinstance(exc, DebitorError):
        console.err(exc.message_in(language()))  # a store's own refusal is English
        return Exit.REFUSED
    raise exc
