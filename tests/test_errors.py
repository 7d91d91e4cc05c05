"""The exception tree and the problem shape."""

import pytest

import debitor_core
from debitor_core import (
    AlreadyExists,
    CommitOutcomeUnknown,
    ConcurrencyConflict,
    CorruptStore,
    CustomerInUse,
    DebitorError,
    DuplicateCustomer,
    InUse,
    NotFound,
    Problem,
    Severity,
    StorageError,
    StoreLocked,
    UnsupportedFormatVersion,
    ValidationError,
)


class TestTree:
    @pytest.mark.parametrize(
        ("error", "builtin"),
        [
            (ValidationError, ValueError),
            (NotFound, LookupError),
            (AlreadyExists, ValueError),
            (DuplicateCustomer, ValueError),
        ],
    )
    def test_paired_with_builtins(self, error, builtin):
        """Errors that mean a builtin derive from it too."""
        assert issubclass(error, DebitorError)
        assert issubclass(error, builtin)

    @pytest.mark.parametrize(
        "error", [StoreLocked, CorruptStore, UnsupportedFormatVersion, CommitOutcomeUnknown]
    )
    def test_storage_errors(self, error):
        """Storage failures share StorageError."""
        assert issubclass(error, StorageError)

    def test_every_error_is_importable_from_the_package(self):
        """Every exception class of the library is exported at the top."""
        errors = {
            name
            for name in debitor_core.__all__
            if isinstance(getattr(debitor_core, name), type)
            and issubclass(getattr(debitor_core, name), Exception)
        }
        assert {
            "AlreadyExists",
            "CommitOutcomeUnknown",
            "ConcurrencyConflict",
            "CorruptStore",
            "CustomerInUse",
            "DebitorError",
            "DuplicateCustomer",
            "InUse",
            "NotFound",
            "StorageError",
            "StoreLocked",
            "UnsupportedFormatVersion",
            "ValidationError",
        } == errors
        assert issubclass(CustomerInUse, InUse)


class TestProblem:
    @pytest.mark.parametrize(
        ("path", "prefix", "expected"),
        [
            ("", "email", "email"),
            ("postal_code", "address", "address.postal_code"),
            ("[1]", "other_phones", "other_phones[1]"),
            ("email", "", "email"),
        ],
    )
    def test_at(self, path, prefix, expected):
        """Paths nest with dots, and indexes attach directly."""
        assert expected == Problem(path, "x.y", "Message.").at(prefix).path

    def test_text_and_repr(self):
        """str() shows path and message; repr() is short."""
        problem = Problem("email", "email.invalid", "Bad.", Severity.WARNING)
        assert "email: Bad." == str(problem)
        assert "<Problem warning email email.invalid>" == repr(problem)
        assert "Bad." == str(Problem("", "form.type", "Bad."))
        assert not problem.is_error

    def test_value_does_not_affect_equality(self):
        """Two problems are equal whatever raw value they carry."""
        assert Problem("a", "b", "c", value=object()) == Problem("a", "b", "c", value=1)


class TestValidationError:
    def test_one_problem_reads_as_its_sentence(self):
        """With one problem, the error message is that problem."""
        error = ValidationError.single("email.invalid", "Bad email.", "x", "email")
        assert "email: Bad email." == str(error)
        assert ("email",) == error.paths

    def test_many_problems_are_listed(self):
        """With several problems, each gets a line."""
        error = ValidationError(
            [
                Problem("a", "a.x", "First."),
                Problem("b", "b.x", "Second."),
                Problem("c", "c.x", "Advice.", Severity.WARNING),
            ]
        )
        assert "2 problems were found:\n- a: First.\n- b: Second." == str(error)
        assert 2 == len(error.errors)
        assert 1 == len(error.warnings)

    def test_only_warnings_still_read(self):
        """An error made only of warnings still says what they are."""
        error = ValidationError([Problem("a", "a.x", "Advice.", Severity.WARNING)])
        assert "a: Advice." == str(error)

    def test_conflict_carries_versions(self):
        """A concurrency conflict says which versions clashed."""
        error = ConcurrencyConflict("Stale.", expected=1, actual=2)
        assert (1, 2) == (error.expected, error.actual)

    def test_duplicate_names_the_existing(self):
        """DuplicateCustomer carries the matching customers."""
        error = DuplicateCustomer("Seen before.", ("match",))
        assert ("match",) == error.existing
