"""The exception tree and the one shape of a validation problem.

Every exception the library raises derives from `DebitorError`. Where an error means
the same as a builtin, it derives from that builtin too, so host code that catches
`ValueError` or `LookupError` keeps working.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Self

import attrs

from debitor_core import _i18n
from debitor_core._frozen import EMPTY, frozen_dict

__all__ = [
    "AlreadyExists",
    "CommitOutcomeUnknown",
    "ConcurrencyConflict",
    "CorruptStore",
    "CustomerInUse",
    "DebitorError",
    "DuplicateCustomer",
    "InUse",
    "MissingSnapshot",
    "NotFound",
    "Problem",
    "Severity",
    "StorageError",
    "StoreLocked",
    "UnsupportedFormatVersion",
    "ValidationError",
    "problem",
]


class Severity(enum.Enum):
    """How much a problem matters: an error blocks saving, a warning does not."""

    ERROR = "error"
    WARNING = "warning"


def _params(values: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return frozen_dict(values)


@attrs.frozen(repr=False, eq=False)
class Problem:
    """One thing wrong (or worth a second look) with one field.

    A problem is its code and its parameters; its sentence comes from the message
    catalogs, in English unless asked otherwise (`message_in`, `in_locale`), and is
    worked out only when it is read.

    Attributes:
        path: Where the problem is, dotted from the top of the form: ``email``,
            ``address.postal_code``, ``other_phones[1]``, ``custom_fields.vat_group``.
            Empty for a problem with the form as a whole.
        code: Stable, machine-readable identifier such as ``email.invalid``; the same
            in every language.
        message: A full sentence a clerk understands, naming the value and what is
            expected, in the problem's `locale` (English unless `in_locale` chose
            another). A problem made with a sentence of its own keeps it in every
            language.
        severity: `Severity.ERROR` blocks saving; `Severity.WARNING` is advice.
        value: The offending raw value, for display (``None`` when there is none).
        params: What the sentence is made of, by stable name (the value as shown, the
            limit, the country, the allowed choices...), so that a host app can say the
            same in its own words; a read-only mapping of plain data (text, numbers,
            tuples of text). The names of each code are listed in the validation docs.
        locale: The language `message` is in (``en`` unless `in_locale` chose another).
    """

    path: str
    code: str
    _text: str | None = attrs.field(default=None, alias="message", repr=False)
    severity: Severity = Severity.ERROR
    value: Any = attrs.field(default=None)
    params: Mapping[str, Any] = attrs.field(default=EMPTY, converter=_params, kw_only=True)
    locale: str = attrs.field(default="en", kw_only=True)
    _english: str | None = attrs.field(default=None, init=False, repr=False)

    @property
    def message(self) -> str:
        """The sentence, in the problem's `locale`."""
        if self._text is not None:
            return self._text
        if self.locale == "en":
            return self._english_message()
        return self.message_in(self.locale)

    def _english_message(self) -> str:
        english = self._english
        if english is None:
            english = self._text if self._text is not None else _say(self, "en")
            object.__setattr__(self, "_english", english)
        return english

    def message_in(self, locale: str) -> str:
        """Return the sentence in the language of ``locale`` (``lv``, ``lv_LV``, ``de``).

        A language with no catalog gets English; a problem made with a sentence of its
        own keeps it.

        Raises:
            TypeError: ``locale`` is not text.
        """
        language = _i18n.language_of(locale)
        if self._text is not None:
            return self._text
        if language == "en":
            return self._english_message()
        return _say(self, language)

    def in_locale(self, locale: str) -> Problem:
        """Return the same problem, saying its `message` in the language of ``locale``.

        Raises:
            TypeError: ``locale`` is not text.
        """
        return attrs.evolve(self, locale=_i18n.language_of(locale))

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
        moved = attrs.evolve(self, path=path)
        object.__setattr__(moved, "_english", self._english)
        return moved

    def _key(self) -> tuple[str, str, str, Severity]:
        return (self.path, self.code, self._english_message(), self.severity)

    def __eq__(self, other: object) -> bool:
        """Equal when path, code, English sentence and severity are (not params)."""
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Problem)  # noqa: S101 - checked just above
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{where}{self.message}"

    def __repr__(self) -> str:
        return f"<Problem {self.severity.value} {self.path or '-'} {self.code}>"


def _say(problem: Problem, language: str) -> str:
    """The problem's sentence from the catalogs; its code when no catalog has one."""
    try:
        return _i18n.render_message(problem.code, problem.params, language)
    except LookupError:
        return problem.code


def problem(
    path: str,
    code: str,
    value: object = None,
    /,
    severity: Severity = Severity.ERROR,
    **params: object,
) -> Problem:
    """Make a problem whose sentence comes from the catalogs (the domain's way)."""
    return Problem(path, code, None, severity, value, params=params)


class DebitorError(Exception):
    """The root of every exception raised by debitor-core."""

    def message_in(self, locale: str) -> str:
        """Return the sentence in the language of ``locale``, where the error can.

        This root gives ``str(error)``, the sentence it was made with (an error the
        book raises is made in the book's language); errors with a code say themselves
        in any shipped language.

        Raises:
            TypeError: ``locale`` is not text.
        """
        _i18n.language_of(locale)
        return str(self)


class ValidationError(DebitorError, ValueError):
    """Input was rejected; `problems` lists every problem found, all at once.

    ``str(error)`` says the problems in their `Problem.locale`; `in_locale` gives the
    same error in another language.

    Attributes:
        problems: Every problem, errors first in field order; warnings that came with
            the errors are kept too.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        """Create the error from the problems found (at least one).

        The summary (``str(error)``) is worked out when it is first read, so that a
        rule refusing a value says nothing until someone asks.
        """
        self.problems: tuple[Problem, ...] = tuple(problems)
        self._said: str | None = None
        super().__init__()

    def __str__(self) -> str:
        said = self._said
        if said is None:
            said = self._said = self._summary()
        return said

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    @classmethod
    def single(
        cls,
        code: str,
        message: str | None = None,
        value: object = None,
        path: str = "",
        *,
        params: Mapping[str, Any] | None = None,
    ) -> ValidationError:
        """Build an error that carries exactly one problem.

        Args:
            code: The stable problem code.
            message: The sentence for the clerk; ``None`` (the domain's way) takes it
                from the message catalogs, by the code and the parameters.
            value: The offending value.
            path: Where the problem is.
            params: The problem's parameters (see `Problem.params`).

        Returns:
            The new error (not raised).
        """
        return cls([Problem(path, code, message, Severity.ERROR, value, params=params or EMPTY)])

    def in_locale(self, locale: str) -> ValidationError:
        """Return the same error with every problem said in the language of ``locale``.

        Raises:
            TypeError: ``locale`` is not text.
        """
        return type(self)(p.in_locale(locale) for p in self.problems)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle (and copy) with the problems, not the summary text."""
        return (type(self), (self.problems,))

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
        head = _i18n.render_message("errors.summary", {"count": len(errors)}, errors[0].locale)
        return f"{head}\n{lines}"


class _Said(DebitorError):
    """An error a person reads: its English sentence, a stable code and parameters.

    Like a `Problem`, the error is its `code` and its `params`: `message_in` says it in
    another language and a host app can say it in its own words. An error made with a
    sentence alone (a host app's own backend raising ``NotFound("...")``) has the
    class's uncoded code and says that sentence in every language.
    """

    UNCODED: ClassVar[str] = "error"
    """The code of an error made without one: it has no sentence in the catalogs."""

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        """Create the error with its English sentence, and its code and parameters."""
        super().__init__(message)
        self.code: str = self.UNCODED if code is None else code
        self.params: Mapping[str, Any] = frozen_dict(params)

    @classmethod
    def coded(
        cls,
        code: str,
        params: Mapping[str, Any] | None = None,
        *,
        locale: str = _i18n.SOURCE_LANGUAGE,
        **extra: int | None,
    ) -> Self:
        """Make the error whose sentence is the catalogs' message for ``code``.

        Args:
            code: The stable code, such as ``customer.not_found``.
            params: What the sentence is made of (plain data: text, numbers).
            locale: The language of ``str(error)``; English by default.
            **extra: Further arguments of the error (a conflict's versions).

        Returns:
            The new error (not raised).

        Raises:
            LookupError: No catalog has a message for ``code``.
        """
        sentence = _i18n.render_message(code, params, locale)
        return cls(sentence, code=code, params=params, **extra)

    def message_in(self, locale: str) -> str:
        """Return the sentence in the language of ``locale`` (``lv``, ``de``, ``en``).

        A language with no catalog gets English; an error with no catalog entry (made
        without a code) gives ``str(error)``.

        Raises:
            TypeError: ``locale`` is not text.
        """
        language = _i18n.language_of(locale)
        if self.code == self.UNCODED:
            return str(self)
        try:
            return _i18n.render_message(self.code, self.params, language)
        except LookupError:
            return str(self)

    def _arguments(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle (and copy) with the code and the parameters."""
        return (functools.partial(type(self), **self._arguments()), (str(self),))


class NotFound(_Said, LookupError):
    """No record has the id, number or name asked for.

    Attributes:
        code: Stable identifier such as ``customer.not_found``; ``not_found`` for an
            error made with a sentence alone.
        params: What the sentence is made of (the id, the number, the key...).
    """

    UNCODED: ClassVar[str] = "not_found"


class AlreadyExists(_Said, ValueError):
    """A record with the same id or unique key (such as the customer number) is stored.

    Attributes:
        code: Stable identifier such as ``customer.number_taken``; ``already_exists``
            for an error made with a sentence alone.
        params: What the sentence is made of (the id, the number, the key...).
    """

    UNCODED: ClassVar[str] = "already_exists"


class ConcurrencyConflict(_Said):
    """The record changed since it was read: its stored version is not the one expected.

    Attributes:
        expected: The version the caller based the change on.
        actual: The version stored now (``None`` when the record is gone).
        code: Stable identifier such as ``customer.changed``; ``conflict`` for an
            error made with a sentence alone.
        params: What the sentence is made of (the number or key, both versions).
    """

    UNCODED: ClassVar[str] = "conflict"

    def __init__(
        self,
        message: str = "",
        *,
        expected: int,
        actual: int | None,
        code: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        """Create the error with both versions (and its code and parameters)."""
        super().__init__(message, code=code, params=params)
        self.expected = expected
        self.actual = actual

    def _arguments(self) -> dict[str, Any]:
        return {**super()._arguments(), "expected": self.expected, "actual": self.actual}


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

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle (and copy) with the matching customers."""
        return (type(self), (str(self), self.existing))


class InUse(DebitorError):
    """A record cannot be deleted or changed because other records refer to it."""


class CustomerInUse(InUse):
    """A customer cannot be deleted because invoices or other records refer to it."""


class StorageError(_Said):
    """A storage backend failed; the message says what happened and what to do.

    ``str(error)`` is the English sentence (for logs). An error a person is meant to
    read (a locked, damaged, missing or newer book) also has a stable `code` and
    `params`, like a `Problem`, so that `message_in` says it in another language and a
    host app can say it in its own words.

    Attributes:
        code: Stable identifier such as ``storage.locked``; ``storage.error`` for an
            error that has no sentence in the catalogs (its text is the backend's).
        params: What the sentence is made of (the book's path, the versions...), a
            read-only mapping of plain data.
    """

    UNCODED: ClassVar[str] = "storage.error"

    def message_in(self, locale: str) -> str:
        """Return the sentence in the language of ``locale`` (``lv``, ``de``).

        English, a language with no catalog and an error with no catalog entry give
        ``str(error)``.

        Raises:
            TypeError: ``locale`` is not text.
        """
        if _i18n.language_of(locale) == _i18n.SOURCE_LANGUAGE:
            return str(self)
        return super().message_in(locale)


class StoreLocked(StorageError):
    """Another process holds the store's lock and did not release it in time."""


class CorruptStore(StorageError):
    """The stored data cannot be read; the file is left untouched for recovery."""


class UnsupportedFormatVersion(StorageError):
    """The store was written by a newer version of debitor-core than this one."""


class CommitOutcomeUnknown(StorageError):
    """The connection was lost while committing: the commit may or may not have been stored.

    Nothing was retried. Read the store again (the revision, the records you wrote) to
    learn whether the commit is there before doing it again.
    """


class MissingSnapshot(CorruptStore):
    """A file store's snapshot is missing while its journal holds commits.

    Opening it anew would start an empty book and lose the journal, so the store
    refuses and changes nothing; the message names both files and what to do.
    """
