"""The exception tree and the one shape of a validation problem.

Every exception the library raises derives from `DebitorError`. Where an error means
the same as a builtin, it derives from that builtin too, so host code that catches
`ValueError` or `LookupError` keeps working.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

import attrs

__all__ = [
    "AlreadyExists",
    "ConcurrencyConflict",
    "CorruptStore",
    "CustomerInUse",
    "DebitorError",
    "DuplicateCustomer",
    "InUse",
    "NotFound",
    "Problem",
    "Severity",
    "StorageError",
    "StoreLocked",
    "UnsupportedFormatVersion",
    "ValidationError",
]


class Severity(enum.Enum):
    """How much a problem matters: an error blocks saving, a warning does not."""

    ERROR = "error"
    WARNING = "warning"


@attrs.frozen(repr=False)
class Problem:
    """One thing wrong (or worth a second look) with one field.

    Attributes:
        path: Where the problem is, dotted from the top of the form: ``email``,
            ``address.postal_code``, ``other_phones[1]``, ``custom_fields.vat_group``.
            Empty for a problem with the form as a whole.
        code: Stable, machine-readable identifier such as ``email.invalid``.
        message: A full sentence a clerk understands, naming the value and what is expected.
        severity: `Severity.ERROR` blocks saving; `Severity.WARNING` is advice.
        value: The offending raw value, for display (``None`` when there is none).
    """

    path: str
    code: str
    message: str
    severity: Severity = Severity.ERROR
    value: Any = attrs.field(default=None, eq=False)

    @property
    def is_error(self) -> bool:
        """Whether the problem blocks saving."""
        return self.severity is Severity.ERROR

    def at(self, prefix: str) -> Problem:
        """Return the same problem with its path placed under ``prefix``.

        Args:
            prefix: The path of the enclosing field, such as ``address``.

        Returns:
            A problem whose path is ``prefix.path`` (or ``prefix`` when the path is empty,
            or ``prefix[1]``-style when the path starts with an index).
        """
        if not prefix:
            return self
        if not self.path:
            path = prefix
        elif self.path.startswith("["):
            path = prefix + self.path
        else:
            path = f"{prefix}.{self.path}"
        return attrs.evolve(self, path=path)

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{where}{self.message}"

    def __repr__(self) -> str:
        return f"<Problem {self.severity.value} {self.path or '-'} {self.code}>"


class DebitorError(Exception):
    """The root of every exception raised by debitor-core."""


class ValidationError(DebitorError, ValueError):
    """Input was rejected; `problems` lists every problem found, all at once.

    Attributes:
        problems: Every problem, errors first in field order; warnings that came with
            the errors are kept too.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        """Create the error from the problems found (at least one)."""
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self._summary())

    @classmethod
    def single(
        cls, code: str, message: str, value: object = None, path: str = ""
    ) -> ValidationError:
        """Build an error that carries exactly one problem.

        Args:
            code: The stable problem code.
            message: The sentence for the clerk.
            value: The offending value.
            path: Where the problem is.

        Returns:
            The new error (not raised).
        """
        return cls([Problem(path, code, message, Severity.ERROR, value)])

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that block saving."""
        return tuple(p for p in self.problems if p.is_error)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The problems that are advice only."""
        return tuple(p for p in self.problems if not p.is_error)

    @property
    def paths(self) -> tuple[str, ...]:
        """The path of every problem, in order."""
        return tuple(p.path for p in self.problems)

    def _summary(self) -> str:
        errors = [p for p in self.problems if p.is_error] or list(self.problems)
        if len(errors) == 1:
            return str(errors[0])
        lines = "\n".join(f"- {p}" for p in errors)
        return f"{len(errors)} problems were found:\n{lines}"


class NotFound(DebitorError, LookupError):
    """No record has the id, number or name asked for."""


class AlreadyExists(DebitorError, ValueError):
    """A record with the same id or unique key (such as the customer number) is stored."""


class ConcurrencyConflict(DebitorError):
    """The record changed since it was read: its stored version is not the one expected.

    Attributes:
        expected: The version the caller based the change on.
        actual: The version stored now (``None`` when the record is gone).
    """

    def __init__(self, message: str, *, expected: int, actual: int | None) -> None:
        """Create the error with both versions."""
        super().__init__(message)
        self.expected = expected
        self.actual = actual


class DuplicateCustomer(DebitorError, ValueError):
    """Registration was refused because the customer looks like one already stored.

    Raised only when the book is set to reject duplicates.

    Attributes:
        existing: The stored customer(s) that match, with the evidence.
    """

    def __init__(self, message: str, existing: tuple[Any, ...]) -> None:
        """Create the error naming the matching customers (`DuplicateMatch` objects)."""
        super().__init__(message)
        self.existing = existing


class InUse(DebitorError):
    """A record cannot be deleted or changed because other records refer to it."""


class CustomerInUse(InUse):
    """A customer cannot be deleted because invoices or other records refer to it."""


class StorageError(DebitorError):
    """A storage backend failed; the message says what happened and what to do."""


class StoreLocked(StorageError):
    """Another process holds the store's lock and did not release it in time."""


class CorruptStore(StorageError):
    """The stored data cannot be read; the file is left untouched for recovery."""


class UnsupportedFormatVersion(StorageError):
    """The store was written by a newer version of debitor-core than this one."""


class MissingSnapshot(CorruptStore):
    """A file store's snapshot is missing while its journal holds commits.

    Opening it anew would start an empty book and lose the journal, so the store
    refuses and changes nothing; the message names both files and what to do.
    """
