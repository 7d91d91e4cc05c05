"""The layout keeps its promises: no import cycles, parts apart, a thin facade.

Read from the source (``ast``) rather than by importing in fresh interpreters: importing
any module runs the package's ``__init__`` first, always in the same order, so a cycle
could hide there until the order changes.
"""

import ast
from pathlib import Path

import pytest

import debitor_core

PACKAGE = Path(debitor_core.__file__).parent
PARTS = {
    "debitor_core.book._registration",
    "debitor_core.book._transfer",
    "debitor_core.book._search",
    "debitor_core.book._customers",
    "debitor_core.book._categories",
    "debitor_core.book._custom_fields",
    "debitor_core.book._billing",
    "debitor_core.book._delivery",
    "debitor_core.book._history",
    "debitor_core.book._privacy",
}
FACES = {"debitor_core.book._facade", "debitor_core.book._view"}
"""The book's two faces: the book, and its read-only view; only they know the parts."""
DOMAIN = {
    "debitor_core._category",
    "debitor_core._checks",
    "debitor_core._errors",
    "debitor_core._fields",
    "debitor_core._form",
    "debitor_core._invoice",
    "debitor_core._limits",
    "debitor_core._model",
    "debitor_core._postal",
    "debitor_core._rules",
    "debitor_core._terms",
    "debitor_core._text",
    "debitor_core._welcome",
}


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name):
    """The package's modules that ``name`` imports (under TYPE_CHECKING too)."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & MODULES.keys()
            found |= submodules
            if len(submodules) < len(node.names):  # names from the module itself
                found.add(node.module)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imports(name) for name in MODULES}


def cycle_from(start):
    """A path of imports from ``start`` back to itself, or None."""
    stack = [(start, [start])]
    seen = set()
    while stack:
        node, path = stack.pop()
        for nxt in GRAPH[node]:
            if nxt == start:
                return [*path, start]
            if nxt not in seen and nxt != "debitor_core":
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


class TestImports:
    @pytest.mark.parametrize("name", sorted(n for n in MODULES if n != "debitor_core"))
    def test_no_cycles(self, name):
        """No module reaches itself through its imports (the package's face aside)."""
        assert cycle_from(name) is None

    @pytest.mark.parametrize("name", sorted(PARTS))
    def test_parts_stand_apart(self, name):
        """A part imports no other part and not the facade: the facade wires them."""
        assert set() == GRAPH[name] & (PARTS | FACES)

    @pytest.mark.parametrize(
        "name", sorted(n for n in MODULES if n.startswith("debitor_core.book"))
    )
    def test_only_the_facade_knows_the_parts(self, name):
        """Below the facade, nothing in the book imports a part."""
        if name in {"debitor_core.book"} | FACES | PARTS:
            return
        assert set() == GRAPH[name] & PARTS

    @pytest.mark.parametrize("name", sorted(DOMAIN & set(MODULES)))
    def test_the_domain_stays_below(self, name):
        """Domain modules never import the book or storage."""
        above = {
            n for n in GRAPH[name] if n.startswith(("debitor_core.book", "debitor_core.storage"))
        }
        assert set() == above


class TestFacade:
    def test_every_method_is_a_line_or_two(self):
        """CustomerBook's methods delegate: at most two statements each (wiring aside)."""
        tree = ast.parse(MODULES["debitor_core.book._facade"].read_text(encoding="utf-8"))
        (book,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "CustomerBook"]
        long = {}
        for node in book.body:
            if isinstance(node, ast.FunctionDef) and node.name != "__init__":
                body = node.body
                if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                    body = body[1:]  # the docstring
                if len(body) > 2:
                    long[node.name] = len(body)
        assert {} == long

    def test_no_mixins(self):
        """The book inherits nothing: its parts are held, not mixed in."""
        assert (object,) == debitor_core.CustomerBook.__bases__

    def test_no_transaction_typed_any(self):
        """No function in the book takes a transaction typed Any."""
        typed = {}
        for name, path in MODULES.items():
            if name.startswith("debitor_core.book"):
                for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                    if isinstance(node, ast.FunctionDef):
                        typed.update(
                            {
                                f"{name}.{node.name}": ast.unparse(arg.annotation or ast.Name("?"))
                                for arg in node.args.args
                                if arg.arg == "tx"
                            }
                        )
        assert {
            "debitor_core.book._idempotency.log": "Writes",
            "debitor_core.book._privacy._scrub_entry": "Writes",
            "debitor_core.book._privacy._scrub_record": "Writes",
            "debitor_core.book._registration._insert": "Writes | Batch",
            "debitor_core.book._transfer._reserve_number": "Writes",
            "debitor_core.book._transfer._write": "Writes",
            "debitor_core.book._unit_of_work.__init__": "Transaction",
        } == typed
