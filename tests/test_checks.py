"""The one rule runner: Checks collects problems under paths, run_rule raises at once."""

import pytest

from debitor_core import Problem, Severity, ValidationError
from debitor_core._checks import Checks, run_rule


def positive(value):
    if not isinstance(value, int) or value < 1:
        raise ValidationError.single("number.invalid", f"{value!r} is not positive.", value)
    return value


def pair(_value):
    raise ValidationError(
        [Problem("", "pair.whole", "Not a pair."), Problem("[1]", "pair.second", "Bad second.")]
    )


class TestChecks:
    def test_collects_every_problem_under_its_path(self):
        """Each failing rule's problems are kept, under the path given, in order."""
        checks = Checks()
        assert 3 == checks.run("a", positive, 3)
        assert checks.run("b", positive, 0) is None
        assert checks.run("c", pair, "x") is None
        assert [("b", "number.invalid"), ("c", "pair.whole"), ("c[1]", "pair.second")] == [
            (p.path, p.code) for p in checks.problems
        ]

    def test_errors_and_warnings_found_without_a_rule(self):
        """An error or a warning found without a rule is recorded with its value."""
        checks = Checks()
        checks.add("size", "size.invalid", "The size must be a number of bytes.", -1)
        checks.warn("tax_id", "tax_id.unchecked", "Check it by hand.", "XX1")
        assert [
            Problem("size", "size.invalid", "The size must be a number of bytes."),
            Problem("tax_id", "tax_id.unchecked", "Check it by hand.", Severity.WARNING),
        ] == checks.problems
        assert [-1, "XX1"] == [p.value for p in checks.problems]

    def test_raise_problems(self):
        """Nothing is raised without problems; with them, one error carries them all."""
        checks = Checks()
        checks.raise_problems()
        checks.run("a", positive, -1)
        checks.run("b", positive, -2)
        with pytest.raises(ValidationError) as info:
            checks.raise_problems()
        assert ("a", "b") == info.value.paths

    def test_every_problem_passes_keep(self):
        """A reader that bounds what it reports does so in one place: keep."""

        class OnePerPath(Checks):
            def keep(self, problem):
                if problem.path not in {p.path for p in self.problems}:
                    super().keep(problem)

        checks = OnePerPath()
        checks.run("a", pair, "x")
        checks.add("a", "a.again", "Again.")
        checks.warn("b", "b.advice", "Advice.")
        assert [("a", "pair.whole"), ("a[1]", "pair.second"), ("b", "b.advice")] == [
            (p.path, p.code) for p in checks.problems
        ]

    def test_other_exceptions_pass_through(self):
        """Only ValidationError is collected: a bug in a rule is not hidden."""
        with pytest.raises(ZeroDivisionError):
            Checks().run("a", lambda v: 1 / v, 0)


class TestRunRule:
    def test_returns_the_normal_form(self):
        """A value the rule accepts comes back as the rule returns it."""
        assert 5 == run_rule("number", positive, 5)

    def test_raises_under_the_path(self):
        """A refused value raises at once, with the problems under the path."""
        with pytest.raises(ValidationError) as info:
            run_rule("custom_fields.limit", positive, 0)
        ((path, code, message),) = [(p.path, p.code, p.message) for p in info.value.problems]
        assert ("custom_fields.limit", "number.invalid", "0 is not positive.") == (
            path,
            code,
            message,
        )
        assert info.value.__context__ is None
