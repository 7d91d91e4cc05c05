"""The command in the user's language (#17): catalogs, choosing the language, lv output."""

import os
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from debitor_core.cli import _i18n, main
from debitor_core.cli._i18n import available, from_environment, ngettext, number, requested

pytestmark = pytest.mark.usefixtures("frozen_wall_clock")

LOCALES = Path(_i18n.__file__).resolve().parent.parent / "locale"
_PERCENT = re.compile(r"%(?:\([a-z_]+\))?[sdr]")


def placeholders(text):
    """The ``{name}`` fields and ``%(name)s``/``%s`` conversions of a sentence."""
    fields = sorted(
        f"{{{name}{'!' + conv if conv else ''}}}"
        for _, name, _, conv in string.Formatter().parse(text)
        if name is not None
    )
    return fields, sorted(_PERCENT.findall(text))


def catalog(language):
    with (LOCALES / language / "LC_MESSAGES" / "debitor_cli.po").open("rb") as fh:
        return read_po(fh)


def messages(language):
    return [m for m in catalog(language) if m.id]


@pytest.fixture
def run(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DEBITOR_BOOK", raising=False)

    def go(*argv):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    yield go
    _i18n.choose(None)  # the next test starts from its environment


class TestCatalogs:
    def test_latvian_and_german_are_shipped(self):
        """The command speaks English, German and Latvian."""
        assert ("en", "de", "lv") == available()

    @pytest.mark.parametrize("language", ["lv", "de", "en"])
    def test_every_message_is_translated_with_the_same_placeholders(self, language):
        """Each sentence has a translation (every plural form) with the msgid's placeholders."""
        found = messages(language)
        assert len(found) > 300
        plurals = catalog(language).num_plurals
        for message in found:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(strings), message.id
            assert (plurals if len(ids) > 1 else 1) == len(strings), message.id
            for text in strings:
                assert placeholders(ids[-1]) == placeholders(text), (message.id, text)

    def test_latvian_is_written_with_its_letters_and_three_plural_forms(self):
        """Real Latvian: diacritics throughout, and one/other/zero forms of counts."""
        found = messages("lv")
        with_marks = [m for m in found if re.search("[āčēģīķļņšūž]", str(m.string))]
        assert len(with_marks) > len(found) // 2
        assert 3 == catalog("lv").num_plurals

    def test_the_english_catalog_is_the_source_text(self):
        """English sentences are their msgids."""
        for message in messages("en"):
            assert (message.id if isinstance(message.id, str) else tuple(message.id)) == (
                message.string if isinstance(message.string, str) else tuple(message.string)
            )


class TestChoosingTheLanguage:
    @pytest.mark.parametrize(
        ("environ", "expected"),
        [
            ({}, "en"),
            ({"LANG": "lv_LV.UTF-8"}, "lv"),
            ({"LANG": "de_AT.UTF-8"}, "de"),
            ({"LANG": "fr_FR.UTF-8"}, "en"),
            ({"LANG": "C"}, "en"),
            ({"LANG": "C.UTF-8", "LC_MESSAGES": "lv_LV"}, "lv"),
            ({"LANG": "lv_LV", "LC_ALL": "de_DE"}, "de"),
            ({"LC_ALL": "de_DE", "LC_MESSAGES": "lv_LV"}, "de"),
            ({"LANGUAGE": "fr:lv", "LANG": "de_DE"}, "lv"),
            ({"LANGUAGE": "fr", "LANG": "de_DE"}, "de"),
            ({"LANGUAGE": "", "LANG": "lv"}, "lv"),
            ({"LC_ALL": "POSIX", "LANG": "lv_LV"}, "en"),
        ],
    )
    def test_the_environment_decides_as_gettext_reads_it(self, environ, expected):
        """LANGUAGE (a list), LC_ALL, LC_MESSAGES, LANG, in that order; else English."""
        assert expected == from_environment(environ)

    @pytest.mark.parametrize(("name", "expected"), [("lv", "lv"), ("LV", "lv"), ("lv-LV", "lv"),
                             ("de_DE.UTF-8@euro", "de"), ("fr", None), ("", None), ("C", "en")])  # fmt: skip
    def test_locale_names_name_their_language(self, name, expected):
        """Any spelling of a locale gives its language, when the command speaks it."""
        assert expected == requested(name)

    def test_a_stores_refusal_is_said_in_the_users_language(self, run, monkeypatch):
        """A store's NotFound (made in English) reaches the user in Latvian; a bare one as is."""
        from debitor_core import CustomerBook, NotFound

        monkeypatch.setenv("LANG", "lv_LV.UTF-8")
        assert 0 == run("add", "--name", "A", "--country", "LV")[0]
        english = NotFound.coded("customer.no_number", {"number": 1})
        assert str(english).startswith("No customer")

        def refused(*_, **__):
            raise english

        monkeypatch.setattr(CustomerBook, "update", refused)
        code, _, err = run("edit", "1", "--city", "X")
        assert (1, english.message_in("lv") + "\n") == (code, err)
        assert english.message_in("lv") != str(english)

        def bare(*_, **__):
            raise NotFound("A host store's own sentence.")

        monkeypatch.setattr(CustomerBook, "update", bare)
        assert (1, "A host store's own sentence.\n") == run("edit", "1", "--city", "X")[::2]

    def test_the_lang_option_wins_over_the_environment(self, run, monkeypatch):
        """--lang de with LANG=lv speaks German; an unknown --lang is wrong usage (said in lv)."""
        monkeypatch.setenv("LANG", "lv_LV.UTF-8")
        assert (0, "Kunde 1 (A) gespeichert.\n") == run(
            "--lang", "de", "add", "--name", "A", "--country", "LV"
        )[:2]
        assert "1 Kunde." == run("--lang=de", "list")[1].splitlines()[-1]
        assert "1 klients." == run("list")[1].splitlines()[-1]
        code, _, err = run("--lang", "fr", "list")
        assert (2, "debitor: --lang pieņem vienu no šīm valodām: en, de, lv, nevis 'fr'.\n") == (
            code,
            err,
        )

    def test_counts_are_grouped_and_pluralised_as_the_language_does(self, monkeypatch):
        """1 234 in Latvian and German, 1,234 in English; Latvian's one, other and zero."""
        said = {}
        for language in ("en", "lv", "de"):
            monkeypatch.setattr(_i18n._State, "language", language)
            said[language] = (
                number(1234),
                [ngettext("{count} customer", "{count} customers", n).format(count=n)
                 for n in (0, 1, 2, 11, 21)],
            )  # fmt: skip
        assert {
            "en": ("1,234", ["0 customers", "1 customer", "2 customers", "11 customers",
                             "21 customers"]),
            "lv": ("1\xa0234", ["0 klientu", "1 klients", "2 klienti", "11 klienti",
                                "21 klients"]),
            "de": ("1.234", ["0 Kunden", "1 Kunde", "2 Kunden", "11 Kunden", "21 Kunden"]),
        } == said  # fmt: skip


class TestInLatvian:
    def test_a_clerk_in_riga_reads_every_line_in_latvian(self, run, monkeypatch):
        """The add (with a mistake), list, show, check and dump commands, all in Latvian."""
        monkeypatch.setenv("LANG", "lv_LV.UTF-8")
        code, out, err = run("add", "--name", "SIA Koks", "--email", "x@@koks.lv",
                             "--country", "LV")  # fmt: skip
        assert (1, "", "email: E-pasta adrese 'x@@koks.lv' nav derīga.\nNekas netika saglabāts.\n") == (
            code, out, err
        )  # fmt: skip
        assert (0, "Klients 1 (SIA Koks) saglabāts.\n") == run(
            "add", "--name", "SIA Koks", "--email", "info@koks.lv", "--country", "LV"
        )[:2]
        code, out, _ = run("list")
        assert out.splitlines()[0].split() == [
            "Nr.", "Nosaukums", "E-pasts", "Tālrunis", "Pilsēta", "Valsts", "Kategorijas"
        ]  # fmt: skip
        assert "1 klients." == out.splitlines()[-1]
        code, out, _ = run("show", "1")
        assert out.startswith("Klients 1: SIA Koks (uzņēmums)\n  Kontaktpersona  -\n")
        assert "Privātas piezīmes\n  nav\n" in out
        assert (0, "Pārbaudīts 1 klients: 0 vairs neatbilst šodienas noteikumiem; nekas netika mainīts.\n") == run("check")[:2]  # fmt: skip
        assert (0, "Failā b.json ierakstīti: 1 klients, 0 kategoriju, 0 pielāgoto lauku un 1 ieraksts.\n") == run(
            "dump", "b.json"
        )[:2]  # fmt: skip

    def test_usage_and_its_errors_are_latvian(self, run, monkeypatch):
        """The words of argparse come from the catalog too, and are put back afterwards."""
        import argparse

        monkeypatch.setenv("LC_ALL", "lv_LV.UTF-8")
        code, _, err = run("list", "--nope")
        assert 2 == code
        assert err.startswith("lietojums: debitor ")
        assert err.endswith("debitor: kļūda: neatpazīti argumenti: --nope\n")
        assert "usage: " == argparse._("usage: ")

    def test_an_import_reports_each_row_and_the_counts_in_latvian(self, run, monkeypatch, tmp_path):
        """Row lines, the problems beside their column, and the last line."""
        (tmp_path / "in.csv").write_text(
            "Name,Email,Country\nSIA Koks,info@koks.lv,LV\nOzols,bad@@x,LV\n", encoding="utf-8"
        )
        monkeypatch.setenv("LANG", "lv_LV.UTF-8")
        code, out, err = run("import", "in.csv", "--dry-run")
        assert (1, "") == (code, err)
        assert [
            "2. rinda: tiktu izveidots SIA Koks",
            "3. rinda: tiktu noraidīta: Email: E-pasta adrese 'bad@@x' nav derīga.",
            "Izmēģinājums, nekas netika mainīts — izveidoti: 1, atjaunināti: 0, izlaisti: 0, noraidīti: 1.",
        ] == out.splitlines()  # fmt: skip


class TestInAnotherProcess:
    def test_lang_from_the_environment_in_a_fresh_process(self, tmp_path):
        """The installed command follows LANG in a new process: help and a refusal."""
        env = {**os.environ, "PYTHONIOENCODING": "utf-8", "LANG": "lv_LV.UTF-8"}
        for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "DEBITOR_BOOK"):
            env.pop(variable, None)

        def debitor(*argv):
            done = subprocess.run(
                [sys.executable, "-m", "debitor_core", *argv], cwd=tmp_path, env=env,
                capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
            return done.returncode, done.stdout, done.stderr

        code, out, _ = debitor("--help")
        assert (0, True) == (code, out.startswith("lietojums: debitor "))
        assert "Reģistrējiet, meklējiet un glabājiet klientus klientu grāmatā." in out
        code, out, err = debitor("show", "1")
        assert (3, "") == (code, out)
        assert err.startswith("Vietā customers.json nav grāmatas.")

    def test_help_loads_one_catalog_and_neither_babel_nor_the_library(self):
        """--help reads the chosen language's catalog only, and imports no validation."""
        script = (
            "import sys\n"
            "from debitor_core.cli import main\n"
            "try:\n    main(['--lang', 'lv', '--help'])\nexcept SystemExit:\n    pass\n"
            "from debitor_core.cli import _i18n\n"
            "heavy = [m for m in ('babel', 'phonenumbers', 'email_validator', 'stdnum')"
            " if m in sys.modules]\n"
            "print('LOADED', _i18n._translations.cache_info().currsize, heavy)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
            check=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        )  # fmt: skip
        assert "LOADED 1 []" == done.stdout.splitlines()[-1]


class TestBeforeTheParser:
    @pytest.mark.parametrize(
        ("argv", "expected"),
        [
            (["--lang", "lv", "list"], "lv"),
            (["list", "--lang=de"], "de"),
            (["list", "--lang"], None),
            (["note", "1", "--", "--lang", "lv"], None),
            (["list"], None),
        ],
    )
    def test_the_lang_option_is_found_before_the_parser_runs(self, argv, expected):
        """--lang is read first, so that --help is said in it; after -- it is a value."""
        assert expected == _i18n.lang_option(argv)


class TestImportRowsInLatvian:
    def test_matches_and_notes_are_said_in_latvian(self, run, monkeypatch, tmp_path):
        """A skipped row names what matched; a repeated row names the earlier one."""
        (tmp_path / "in.csv").write_text(
            "Name,Email,Country\nSIA Koks,info@koks.lv,LV\nKoks,info@koks.lv,LV\n",
            encoding="utf-8",
        )
        monkeypatch.setenv("LANG", "lv_LV.UTF-8")
        assert 0 == run("import", "in.csv")[0]
        (tmp_path / "again.csv").write_text(
            "Name,Email,Country\nSIA Koks,info@koks.lv,LV\n", encoding="utf-8"
        )
        _, out, _ = run("import", "again.csv", "--dry-run", "--on-duplicate", "update")
        assert [
            "2. rinda: tiktu izlaista — klients 1 (SIA Koks), atrasts pēc e-pasta adreses (nemainīts)",
            "Izmēģinājums, nekas netika mainīts — izveidoti: 0, atjaunināti: 0, izlaisti: 1, noraidīti: 0.",
        ] == out.splitlines()  # fmt: skip
        _, out, _ = run("import", "in.csv", "--dry-run")
        assert "3. rinda: tiktu izlaista — klients 1 (SIA Koks), atrasts pēc e-pasta adreses" in out
        _, out, _ = run("--book", "new.json", "import", "in.csv", "--dry-run")
        assert "3. rinda: tiktu izlaista: tas pats klients, kas rindā 2" == out.splitlines()[1]


class TestStorageErrorsInLatvian:
    def test_a_book_from_a_newer_release_is_refused_in_latvian(self, run, monkeypatch, tmp_path):
        """The library's storage error is said in the command's language, not in English."""
        book = tmp_path / "klienti.json"
        book.write_text('{"format": "debitor-core/book", "version": 99}', encoding="utf-8")
        monkeypatch.setenv("LANG", "lv_LV.UTF-8")
        code, out, err = run("list", "--book", book)
        assert (3, "") == (code, out)
        assert (
            f"Grāmatu {book} nevar izmantot: Grāmatu {book} ierakstījusi jaunāka debitor-core "
            "versija (formāta versija 99); šī versija lasa versijas līdz"
        ) in err
        assert "Upgrade" not in err
        assert "format version 99" not in err
