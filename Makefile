# Every target sets up its own virtual environment (.venv) from pyproject.toml,
# so a fresh machine needs only Python >= 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench docs clean catalogs serve screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/debitor demo $(BOOK)

test: $(STAMP)
	$(BIN)/python -m pytest --cov --cov-report=term $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks docs tools examples
	$(BIN)/ruff format --check src tests benchmarks docs tools examples
	$(BIN)/mypy --strict src
	$(BIN)/mypy --strict examples/webapp
	$(BIN)/python tools/catalogs.py check

# Extract the sentences of src/debitor_core/_messages.py with Babel, merge them into every
# catalog (src/debitor_core/locale/<lang>/LC_MESSAGES/debitor_core.po), fill English and
# compile the .mo files; then translate what came in new. `make lint` fails until then.
catalogs: $(STAMP)
	$(BIN)/python tools/catalogs.py update

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

docs: $(STAMP)
	$(BIN)/mkdocs build --strict

# The reference web app (examples/webapp, docs/webapp.md) on 127.0.0.1:$(PORT) with two
# worker processes on one book: SQLite in debitor-webapp.db (DEBITOR_WEBAPP_BOOK=...), or
# PostgreSQL when DEBITOR_WEBAPP_DATABASE_URL is set. Without DEBITOR_WEBAPP_SECRET it runs
# in development mode (a random session secret for the run), filling an empty book with
# the demo customers.
PORT ?= 8000
serve: $(STAMP)
	DEBITOR_WEBAPP_DEV=$${DEBITOR_WEBAPP_DEV:-$$( [ -n "$$DEBITOR_WEBAPP_SECRET" ] && echo 0 || echo 1 )} \
	DEBITOR_WEBAPP_WORKER_HEADER=$${DEBITOR_WEBAPP_WORKER_HEADER:-1} \
	PYTHONPATH=examples $(BIN)/python -m webapp --port $(PORT)

# A screenshot of each screen of the web app into docs/screenshots/ (Debian's Chromium).
screenshots: $(STAMP)
	PYTHONPATH=examples $(BIN)/python -m webapp.screenshots docs/screenshots

clean:
	rm -rf $(VENV) site .coverage .pytest_cache .mypy_cache .ruff_cache .hypothesis
