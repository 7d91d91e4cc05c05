"""The installed command, run as a separate process: exit statuses, streams, no tracebacks."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BOOT = (
    "import datetime as dt, sys\n"
    "from debitor_core import _model\n"
    "_model._wall_clock = lambda: dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)\n"
    "from debitor_core.cli import main\n"
    "raise SystemExit(main(sys.argv[1:]))\n"
)
"""Runs the command with the clock frozen, so what it prints does not depend on the day."""

SCRIPT = shutil.which("debitor", path=str(Path(sys.executable).parent))


def debitor(*argv, cwd, stdin=""):
    """Run the command in a fresh interpreter (clock frozen); return status, out, err."""
    done = subprocess.run(
        [sys.executable, "-c", BOOT, *argv],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    return done.returncode, done.stdout, done.stderr


@pytest.mark.skipif(SCRIPT is None, reason="the console script is installed by pip install")
class TestConsoleScript:
    def test_help_and_version(self, tmp_path):
        """The debitor script answers --help and --version without touching any book."""
        help_ = subprocess.run(
            [SCRIPT, "--help"], cwd=tmp_path, capture_output=True, text=True, check=False
        )
        version = subprocess.run(
            [SCRIPT, "--version"], cwd=tmp_path, capture_output=True, text=True, check=False
        )
        assert (0, 0) == (help_.returncode, version.returncode)
        assert help_.stdout.startswith("usage: debitor ")
        assert version.stdout.startswith("debitor (debitor-core) ")
        assert [] == list(tmp_path.iterdir())

    def test_a_missing_book_is_exit_3_without_a_traceback(self, tmp_path):
        """User mistakes end in a sentence on stderr and the documented status."""
        done = subprocess.run(
            [SCRIPT, "show", "1"], cwd=tmp_path, capture_output=True, text=True, check=False
        )
        assert (3, "") == (done.returncode, done.stdout)
        assert "Traceback" not in done.stderr
        assert done.stderr.startswith("There is no book at customers.json.")

    def test_python_dash_m_runs_the_same_command(self, tmp_path):
        """Python -m debitor_core is the same command."""
        done = subprocess.run([sys.executable, "-m", "debitor_core", "list"], cwd=tmp_path,
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert 3 == done.returncode


class TestEndToEnd:
    def test_a_day_at_the_office(self, tmp_path):
        """Add, import, list, export and check, each in its own process."""
        (tmp_path / "in.csv").write_text(
            "Name;Email;Country\nSIA Koks;info@koks.lv;LV\nBad;x@@y;LV\nOzols;;LV\n",
            encoding="utf-8",
        )
        assert 0 == debitor("add", "--name", "Koks GmbH", "--country", "DE", cwd=tmp_path)[0]
        code, out, err = debitor("import", "in.csv", cwd=tmp_path)
        assert (1, "2 created, 0 updated, 0 skipped, 1 rejected.\n") == (code, out)
        assert "row 3: rejected: Email: " in err
        assert "Traceback" not in err
        code, out, _ = debitor("list", cwd=tmp_path)
        assert (0, "3 customers.\n") == (code, out.splitlines()[-1] + "\n")
        assert 0 == debitor("export", "out.csv", cwd=tmp_path)[0]
        assert "SIA Koks" in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
        assert (
            0,
            "Checked 3 customers: 0 no longer pass today's rules; nothing was changed.\n",
        ) == debitor("check", cwd=tmp_path)[:2]

    def test_wrong_usage_is_exit_2(self, tmp_path):
        """An unknown option ends with the usage on stderr and status 2."""
        code, out, err = debitor("list", "--colour", cwd=tmp_path)
        assert (2, "") == (code, out)
        assert "unrecognized arguments: --colour" in err

    def test_no_progress_bar_when_stderr_is_not_a_terminal(self, tmp_path):
        """Piped stderr gets sentences only, never the progress bar's carriage returns."""
        rows = "".join(f"C{i};LV\n" for i in range(600))
        (tmp_path / "in.csv").write_text("Name;Country\n" + rows, encoding="utf-8")
        code, _, err = debitor("import", "in.csv", cwd=tmp_path)
        assert (0, "") == (code, err)
