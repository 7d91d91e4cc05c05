"""The public face: exactly the curated names, each documented."""

import inspect
import types

import debitor_core
from debitor_core import rules, storage, strategies, testing


def public_names(module):
    return sorted(
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and (
            getattr(value, "__module__", module.__name__).startswith("debitor_core")
            or isinstance(value, types.UnionType)  # a type alias such as Record
        )
        and name != "annotations"
    )


class TestExports:
    def test_all_lists_exactly_the_public_names(self):
        """__all__ lists each public name of the package once (ruff keeps it sorted)."""
        assert len(set(debitor_core.__all__)) == len(debitor_core.__all__)
        assert public_names(debitor_core) == sorted(debitor_core.__all__)

    def test_submodules_export_what_they_define(self):
        """Each public submodule's __all__ names only things it has."""
        for module in (rules, storage, strategies, testing):
            for name in module.__all__:
                assert hasattr(module, name), (module.__name__, name)

    def test_every_public_name_has_a_docstring(self):
        """Every class and function in the public namespaces is documented."""
        undocumented = []
        for module in (debitor_core, rules, storage, strategies, testing):
            for name in module.__all__:
                value = getattr(module, name)
                if (inspect.isclass(value) or inspect.isfunction(value)) and not inspect.getdoc(
                    value
                ):
                    undocumented.append(f"{module.__name__}.{name}")
        assert undocumented == []

    def test_public_methods_have_docstrings(self):
        """Every public method of a public class is documented."""
        missing = []
        for name in debitor_core.__all__:
            cls = getattr(debitor_core, name)
            if not inspect.isclass(cls):
                continue
            for attr in dir(cls):
                value = getattr(cls, attr)
                own = getattr(value, "__module__", "") or ""
                if (
                    attr.startswith("_")
                    or not callable(value)
                    or not own.startswith("debitor_core")
                ):
                    continue
                if not inspect.getdoc(value):
                    missing.append(f"{name}.{attr}")
        assert missing == []
