# Every target sets up its own virtual environment (.venv) from pyproject.toml,
# so a fresh machine needs only Python >= 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench docs clean catalogs

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
	$(BIN)/ruff check src tests benchmarks docs tools
	$(BIN)/ruff format --check src tests benchmarks docs tools
	$(BIN)/mypy --strict src
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

clean:
	rm -rf $(VENV) site .coverage .pytest_cache .mypy_cache .ruff_cache .hypothesis
