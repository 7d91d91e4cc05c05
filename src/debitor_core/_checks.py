"""The one rule runner: run a rule on a raw value and file its problems under a path.

Every rule (see `debitor_core.rules`) has one shape: ``rule(value) -> normalised``, raising
`ValidationError` on failure with paths relative to the value. `Checks` runs rules and
collects their problems under the caller's paths, so that one error can report every
problem at once; `run_rule` runs one rule and raises at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from debitor_core._errors import Problem, Severity, ValidationError

__all__ = ["Checks", "run_rule"]

T = TypeVar("T")


class Checks:
    """Runs rules and collects their problems, each under the path it belongs to.

    Attributes:
        problems: Every problem collected so far, in the order found.
    """

    __slots__ = ("problems",)

    def __init__(self) -> None:
        """Start with no problems."""
        self.problems: list[Problem] = []

    def run(self, path: str, rule: Callable[[object], T], value: object) -> T | None:
        """Return ``rule(value)``; when it fails, keep its problems under ``path``.

        Returns:
            The rule's result, or ``None`` when the rule raised `ValidationError`.
        """
        try:
            return rule(value)
        except ValidationError as exc:
            for problem in exc.problems:
                self.keep(problem.at(path))
            return None

    def add(self, path: str, code: str, message: str, value: object = None) -> None:
        """Record an error found without a rule."""
        self.keep(Problem(path, code, message, Severity.ERROR, value))

    def warn(self, path: str, code: str, message: str, value: object = None) -> None:
        """Record a warning (advice that does not block saving)."""
        self.keep(Problem(path, code, message, Severity.WARNING, value))

    def keep(self, problem: Problem) -> None:
        """Keep a problem; every problem found passes here.

        The one place to bound or filter what is reported (a reader of huge forms
        may keep only so many problems per field).
        """
        self.problems.append(problem)

    def raise_problems(self) -> None:
        """Raise one `ValidationError` with every problem collected, if there is any.

        Raises:
            ValidationError: with every problem collected.
        """
        if self.problems:
            raise ValidationError(self.problems)


def run_rule(path: str, rule: Callable[[object], T], value: object) -> T:
    """Return ``rule(value)``, or raise its `ValidationError` with the problems under ``path``.

    Raises:
        ValidationError: the rule refused the value.
    """
    checks = Checks()
    result = checks.run(path, rule, value)
    checks.raise_problems()
    return cast("T", result)
