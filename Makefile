# The two commands a new user needs:  make run  and  make test.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test lint typecheck bench clean messages synapse

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "linli needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[postgres,telegram,matrix]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[postgres,telegram,test]'
	touch $@ $(VENV)/.installed

## make run: install, create or upgrade the SQLite database, start the console (and the web board on localhost)
run: $(VENV)/.installed
	$(BIN)/linli migrate
	$(BIN)/linli run

## make test: install with test extras, lint, type-check, run the whole suite (PostgreSQL tests skip if it is absent)
test: $(VENV)/.installed-test lint typecheck
	$(BIN)/python -m pytest

## make synapse: a Synapse homeserver in its own virtualenv, for the Matrix end-to-end tests (not a linli
## dependency; installed once and kept: ≈20-35 s; remove .venv-synapse to reinstall)
SYNAPSE_VENV ?= .venv-synapse
SYNAPSE_SPEC ?= matrix-synapse>=1.100,<2
synapse: $(SYNAPSE_VENV)/.installed

$(SYNAPSE_VENV)/.installed:
	$(PYTHON) -m venv $(SYNAPSE_VENV)
	$(SYNAPSE_VENV)/bin/pip install --quiet '$(SYNAPSE_SPEC)'
	touch $@

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy core adapters plugins

## make bench: every benchmark, 3 rounds, SQLite and PostgreSQL (skipped if absent); BENCH="--quick" for a smoke run
bench: $(VENV)/.installed-test
	$(BIN)/python -m bench $(BENCH)

clean:
	rm -rf $(VENV) data *.egg-info
