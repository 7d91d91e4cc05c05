"""``python -m debitor_core``: the ``debitor`` command (see `debitor_core.cli`)."""

from debitor_core.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
