"""Keep the message catalogs in step with the code (``make catalogs``, ``make lint``).

    python tools/catalogs.py update   extract the template, update every catalog, compile
    python tools/catalogs.py check    fail when the catalogs are out of date with the code

The sentences live in ``src/debitor_core/_messages.py`` (markers ``message``, ``plural``
and ``term``). ``update`` extracts them with Babel into ``debitor_core.pot``, merges it
into each ``<lang>/LC_MESSAGES/debitor_core.po`` (new sentences come in untranslated,
never guessed from similar ones), fills the English catalog (its translation is the
English text itself) and compiles every ``.po`` to ``.mo``. ``check`` extracts again to
a temporary file and fails when the template, a catalog or a compiled catalog differs
from what the code says, or when a catalog has an untranslated or fuzzy sentence. Dates
in the headers are ignored.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "src" / "debitor_core" / "locale"
DOMAIN = "debitor_core"
POT = LOCALES / f"{DOMAIN}.pot"
SOURCES = ("src/debitor_core/_messages.py",)
ENGLISH = "en"


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "--quiet", *args])


def _extract(output: Path) -> None:
    _pybabel(
        "extract",
        "--no-default-keywords",
        "--keyword=message:1c,2",
        "--keyword=plural:1c,2,3",
        "--keyword=term:1c,2",
        "--add-comments=TRANSLATORS:",
        "--add-location=file",
        "--sort-output",
        "--project=debitor-core",
        "--copyright-holder=debitor-core developers",
        f"--output-file={output}",
        *(str(ROOT / s) for s in SOURCES),
    )
    # Locations relative to the repository, whatever the working directory.
    text = output.read_text(encoding="utf-8").replace(f"{ROOT}/", "")
    output.write_text(text, encoding="utf-8")


def _read(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh)


def _catalogs() -> list[Path]:
    return sorted(LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


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
    """Extract, merge into every catalog, fill English, compile."""
    _extract(POT)
    _pybabel(
        "update",
        f"--input-file={POT}",
        f"--output-dir={LOCALES}",
        f"--domain={DOMAIN}",
        "--no-fuzzy-matching",
        "--ignore-obsolete",
        "--width=79",
    )
    english = LOCALES / ENGLISH / "LC_MESSAGES" / f"{DOMAIN}.po"
    catalog = _read(english)
    for message in catalog:
        if message.id:
            message.string = message.id
    with english.open("wb") as fh:
        write_po(fh, catalog, width=79)
    _pybabel("compile", f"--directory={LOCALES}", f"--domain={DOMAIN}", "--statistics")


def check() -> list[str]:
    """Every way the catalogs differ from the code, as sentences (empty: up to date)."""
    faults: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh_path = Path(tmp) / f"{DOMAIN}.pot"
        _extract(fresh_path)
        fresh = _read(fresh_path)
    if not POT.exists() or {k: v[1:] for k, v in _entries(fresh).items()} != {
        k: v[1:] for k, v in _entries(_read(POT)).items()
    }:
        faults.append(f"{POT.relative_to(ROOT)} is out of date with the code")
    wanted = set(_entries(fresh))
    for po in _catalogs():
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
