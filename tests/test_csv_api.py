"""debitor_core.exchange's public face: exactly the names it lists, each documented."""

import inspect

from debitor_core import exchange


def test_all_lists_exactly_the_public_names():
    """__all__ names each public name the namespace defines, once."""
    defined = sorted(
        name
        for name, value in vars(exchange).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and getattr(value, "__module__", "debitor_core.exchange").startswith(
            "debitor_core.exchange"
        )
        and name != "annotations"
    )
    assert len(set(exchange.__all__)) == len(exchange.__all__)
    aliases = {"Action", "OnDuplicate"}  # Literal types: they have no module of their own
    assert defined == sorted(set(exchange.__all__) - aliases)
    assert all(hasattr(exchange, name) for name in exchange.__all__)


def test_every_public_name_and_method_is_documented():
    """Each public class, function and public method has a docstring."""
    missing = []
    for name in exchange.__all__:
        value = getattr(exchange, name)
        if (inspect.isclass(value) or inspect.isfunction(value)) and not inspect.getdoc(value):
            missing.append(name)
        if inspect.isclass(value):
            for attribute, member in vars(value).items():
                if (
                    not attribute.startswith("_")
                    and callable(member)
                    and not inspect.getdoc(member)
                ):
                    missing.append(f"{name}.{attribute}")
    assert [] == missing
