"""Keep the message catalogs in step with the code (``make catalogs``, ``make lint``).

    python tools/catalogs.py update   extract the template, update every catalog, compile
    python tools/catalogs.py check    fail when the catalogs are out of date with the code

There are two domains. ``debitor_core``: the library's sentences, in
``src/debitor_core/_messages.py`` (markers ``message``, ``plural`` and ``term``).
``debitor_cli``: the ``debitor`` command's, in ``src/debitor_core/cli/`` (markers ``_``,
``N_`` and ``ngettext``). For each, ``update`` extracts them with Babel into
``<domain>.pot``, merges it into each ``<lang>/LC_MESSAGES/<domain>.po`` (new sentences
come in untranslated,
never guessed from similar ones), fills the English catalog (its translation is the
English text itself) and compiles every ``.po`` to ``.mo``. ``check`` extracts again to
a temporary file and fails when the template, a catalog or a compiled catalog differs
from what the code says, or when a catalog has an untranslated or fuzzy sentence. Dates
in the headers are ignored.
"""

from __future__ import annotations

import ast
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "src" / "debitor_core" / "locale"
ENGLISH = "en"


SOURCES = ("src/debitor_core/_messages.py",)
"""Where the library's sentences are (domain ``debitor_core``)."""
CLI_SOURCES = tuple(
    str(p.relative_to(ROOT)) for p in sorted((ROOT / "src/debitor_core/cli").glob("*.py"))
)
"""Where the command's sentences are (domain ``debitor_cli``)."""


class Domain(NamedTuple):
    """One gettext domain: its name, the module global naming its files, Babel's keywords."""

    name: str
    source_list: str
    keywords: tuple[str, ...]

    @property
    def pot(self) -> Path:
        """The domain's template."""
        return LOCALES / f"{self.name}.pot"

    @property
    def sources(self) -> tuple[str, ...]:
        """The files its sentences are in (read when asked, so that tests can add one)."""
        found: tuple[str, ...] = globals()[self.source_list]
        return found


DOMAINS = (
    Domain("debitor_core", "SOURCES", ("message:1c,2", "plural:1c,2,3", "term:1c,2")),
    Domain("debitor_cli", "CLI_SOURCES", ("_", "N_", "ngettext:1,2")),
)


CODED_ERRORS = frozenset(
    {
        "StorageError",
        "StoreLocked",
        "CorruptStore",
        "UnsupportedFormatVersion",
        "CommitOutcomeUnknown",
        "MissingSnapshot",
        "NotFound",
        "AlreadyExists",
        "ConcurrencyConflict",
    }
)
"""The library's errors that a person reads in a language by their ``code``."""


def uncoded_errors(source: str, name: str = "<source>") -> list[str]:
    """Where ``source`` makes a coded error without ``code=`` (``file:line``).

    ``NotFound.coded(...)`` (and the like) takes its code first and is not counted,
    nor is a call that passes ``**params``, which may carry the code in them.
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        keywords = {k.arg for k in node.keywords}
        if called in CODED_ERRORS and "code" not in keywords and None not in keywords:
            found.append(f"{name}:{node.lineno}")
    return found


def uncoded() -> list[str]:
    """Every coded error of the library's source made without a code, as a fault."""
    package = ROOT / "src" / "debitor_core"
    return [
        f"{where} makes an error without a code: give it a code and a catalog message "
        "(code=, or Error.coded(code, params))"
        for path in sorted(package.rglob("*.py"))
        for where in uncoded_errors(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "--quiet", *args])


def _extract(domain: Domain, output: Path) -> None:
    _pybabel(
        "extract",
        "--no-default-keywords",
        *(f"--keyword={k}" for k in domain.keywords),
        "--add-comments=TRANSLATORS:",
        "--add-location=file",
        "--sort-output",
        "--project=debitor-core",
        "--copyright-holder=debitor-core developers",
        f"--output-file={output}",
        *(str(ROOT / s) for s in domain.sources),
    )
    # Locations relative to the repository, whatever the working directory.
    text = output.read_text(encoding="utf-8").replace(f"{ROOT}/", "")
    output.write_text(text, encoding="utf-8")


def _read(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh)


def _catalogs(domain: Domain) -> list[Path]:
    return sorted(LOCALES.glob(f"*/LC_MESSAGES/{domain.name}.po"))


def _tuple(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def _entries(catalog: Catalog) -> dict[tuple[str | None, object], tuple[object, ...]]:
    """Each message by (context, id): its translation, comments and flags."""
    return {
        (m.context, _tuple(m.id)): (
            _tuple(m.string),
            tuple(m.auto_comments),
            tuple(sorted(m.flags)),
        )
        for m in catalog
        if m.id
    }


def update() -> None:
    """For every domain: extract, merge into every catalog, fill English, compile."""
    for domain in DOMAINS:
        _update(domain)


def _update(domain: Domain) -> None:
    _extract(domain, domain.pot)
    for language in sorted(p.name for p in LOCALES.iterdir() if p.is_dir()):
        po = LOCALES / language / "LC_MESSAGES" / f"{domain.name}.po"
        if not po.exists():  # a new domain (or language): start its catalog
            _pybabel(
                "init",
                f"--input-file={domain.pot}",
                f"--output-dir={LOCALES}",
                f"--domain={domain.name}",
                f"--locale={language}",
                "--width=79",
            )
    _pybabel(
        "update",
        f"--input-file={domain.pot}",
        f"--output-dir={LOCALES}",
        f"--domain={domain.name}",
        "--no-fuzzy-matching",
        "--ignore-obsolete",
        "--width=79",
    )
    english = LOCALES / ENGLISH / "LC_MESSAGES" / f"{domain.name}.po"
    catalog = _read(english)
    for message in catalog:
        if message.id:
            message.string = message.id
    with english.open("wb") as fh:
        write_po(fh, catalog, width=79)
    _pybabel("compile", f"--directory={LOCALES}", f"--domain={domain.name}", "--statistics")


def check() -> list[str]:
    """Every way the catalogs differ from the code, as sentences (empty: up to date)."""
    return [fault for domain in DOMAINS for fault in _check(domain)] + uncoded()


def _check(domain: Domain) -> list[str]:
    faults: list[str] = []
    pot = domain.pot
    with tempfile.TemporaryDirectory() as tmp:
        fresh_path = Path(tmp) / f"{domain.name}.pot"
        _extract(domain, fresh_path)
        fresh = _read(fresh_path)
    if not pot.exists() or {k: v[1:] for k, v in _entries(fresh).items()} != {
        k: v[1:] for k, v in _entries(_read(pot)).items()
    }:
        faults.append(f"{pot.relative_to(ROOT)} is out of date with the code")
    wanted = set(_entries(fresh))
    languages = {p.parent.parent.name for p in _catalogs(DOMAINS[0])}
    have = {p.parent.parent.name for p in _catalogs(domain)}
    faults += [
        f"{lang} has no catalog of the domain {domain.name}" for lang in sorted(languages - have)
    ]
    for po in _catalogs(domain):
        name = po.relative_to(ROOT)
        catalog = _read(po)
        have = set(_entries(catalog))
        for context, msgid in sorted(wanted - have, key=str):
            faults.append(f"{name} lacks {context} {msgid!r}")
        for context, msgid in sorted(have - wanted, key=str):
            faults.append(f"{name} has {context} {msgid!r}, which the code no longer says")
        for message in catalog:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.id and (message.fuzzy or not all(strings)):
                faults.append(f"{name}: {message.context} is untranslated or fuzzy")
        mo = po.with_suffix(".mo")
        if not mo.exists():
            faults.append(f"{mo.relative_to(ROOT)} is missing; run make catalogs")
            continue
        with mo.open("rb") as fh:
            compiled = read_mo(fh)
        translations = {key: value[0] for key, value in _entries(catalog).items()}
        if {key: value[0] for key, value in _entries(compiled).items()} != translations:
            faults.append(f"{mo.relative_to(ROOT)} is not compiled from {po.name}")
    return faults


def main(argv: list[str]) -> int:
    """Run ``update`` or ``check``."""
    if argv[1:] == ["update"]:
        update()
        return 0
    if argv[1:] == ["check"]:
        faults = check()
        for fault in faults:
            print(f"catalogs: {fault}", file=sys.stderr)
        if faults:
            print("catalogs: run `make catalogs` and translate what is new", file=sys.stderr)
        return 1 if faults else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
