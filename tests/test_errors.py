"""The exception tree and the problem shape."""

import copy
import pickle

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
from debitor_core._shown import shown


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
            "MissingSnapshot",
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


class TestParams:
    def test_params_default_to_empty_and_are_read_only(self):
        """A problem without params has an empty, read-only mapping."""
        problem = Problem("a", "b.c", "Message.")
        assert {} == dict(problem.params)
        with pytest.raises(TypeError, match="read-only"):
            problem.params["x"] = 1  # type: ignore[index]

    def test_params_travel_with_at(self):
        """Placing a problem under a path keeps its params."""
        problem = Problem("city", "city.too_long", "Long.", params={"max_length": 100})
        assert {"max_length": 100} == dict(problem.at("address").params)

    def test_params_do_not_affect_equality(self):
        """Two problems are equal whatever params they carry, as with values."""
        assert Problem("a", "b", "c", params={"x": 1}) == Problem("a", "b", "c")

    def test_single_takes_params(self):
        """ValidationError.single passes params to its problem."""
        error = ValidationError.single("x.y", "Bad.", 1, "x", params={"limit": 3})
        assert {"limit": 3} == dict(error.problems[0].params)


class TestPickling:
    @pytest.mark.parametrize(
        "error",
        [
            ValidationError(
                [Problem("a", "a.x", "First.", params={"n": 1}), Problem("b", "b.x", "Second.")]
            ),
            ConcurrencyConflict("Stale.", expected=1, actual=2),
            DuplicateCustomer("Seen before.", ("match",)),
            NotFound("Gone."),
            CorruptStore("Broken."),
        ],
        ids=lambda e: type(e).__name__,
    )
    def test_errors_survive_pickle_and_deepcopy(self, error):
        """Errors cross process boundaries and copies with their data."""
        pickled = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
        for copy_ in (pickled, copy.deepcopy(error)):
            assert (type(error), str(error), vars(error)) == (type(copy_), str(copy_), vars(copy_))


class TestShown:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("abc", "'abc'"),
            ("x" * 100, "'" + "x" * 59 + "…'"),
            (10**5000, "<an integer of about 5,000 digits>"),
            ("\ud800", "'\\ud800'"),
            ({"b": [1, 2, 3, 4, 5, 6]}, "{'b': [1, 2, 3, 4, ...]}"),
        ],
        ids=["short", "long", "huge int", "surrogate", "container"],
    )
    def test_values_are_shown_short(self, value, expected):
        """Any value is quoted short, on one line, without failing."""
        assert expected == shown(value)

    def test_deep_and_hostile_values(self):
        """Deep nesting and a repr that raises still give a short text."""
        deep = []
        for _ in range(100_000):
            deep = [deep]

        class Hostile:
            def __repr__(self):
                raise RuntimeError

        assert "[[[...]]]" == shown(deep)
        assert shown(Hostile()).startswith("<Hostile instance at")
