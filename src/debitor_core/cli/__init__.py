"""The ``debitor`` command: a customer book from the shell.

``debitor --help`` lists the commands; ``docs/cli.md`` shows each with an example. The
entry point is `main`; ``python -m debitor_core`` runs it too. This module imports only
the standard library until a command needs the book, so that ``--help`` starts fast.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``debitor`` command with ``argv`` (default: the process's arguments).

    Returns:
        The exit status: 0 done, 1 some rows or values were refused, 2 wrong usage,
        3 the book could not be used.
    """
    from debitor_core.cli._app import run  # noqa: PLC0415 - stdlib only until needed

    return run(argv)
