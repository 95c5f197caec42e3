# The lab system's commands. The two that matter on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
export LIMS_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: install dev-install system-packages translations messages demo serve test test-sqlite lint bench \
        sample-certificate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

## install: the application and its `lims` command into .venv
install: $(BIN)/python
	$(BIN)/pip install -q -e .
	@$(MAKE) --no-print-directory translations

dev-install: $(BIN)/python system-packages
	$(BIN)/pip install -q -e '.[dev]'
	@$(MAKE) --no-print-directory translations

## system-packages: the Debian packages listed in debian-packages.txt that are missing
system-packages:
	@missing=$$(grep -v '^\s*#' debian-packages.txt | xargs -r -n1 sh -c 'dpkg -s "$$0" >/dev/null 2>&1 || echo "$$0"'); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

translations:
	$(BIN)/pybabel compile -d lims/translations
	$(BIN)/pybabel compile -D wtforms -d lims/translations

## messages: extract the texts and merge them into the English catalogue, sorted and without line numbers, so that
## two branches adding messages merge cleanly; then translate the new empty msgstr entries
messages: $(BIN)/python
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location --sort-output --omit-header -o $(VENV)/messages.pot .
	$(BIN)/pybabel update -i $(VENV)/messages.pot -d lims/translations -D messages -l en \
	  --ignore-pot-creation-date -N

## demo: migrate an SQLite database, load demo data, serve on http://127.0.0.1:5000
demo: install
	@mkdir -p $(LIMS_INSTANCE_PATH)
	$(BIN)/lims db upgrade
	$(BIN)/lims demo load
	@[ -f $(LIMS_INSTANCE_PATH)/keys/lab-signing.p12 ] || $(BIN)/lims keys create >/dev/null 2>&1 || true
	@echo "Serving on http://127.0.0.1:5000  (Ctrl+C to stop)"
	$(BIN)/lims run --host 127.0.0.1 --port 5000

## test: the whole suite, on SQLite and PostgreSQL, with the browser tests
test: dev-install
	$(BIN)/pytest -q -p no:cacheprovider -n 2 $(PYTEST_ARGS)

## lint: ruff and the layer contract (instruments/ and certificates/ stay pure)
lint: dev-install
	$(BIN)/ruff check lims instruments certificates tests
	$(BIN)/lint-imports

## bench: speed and memory figures (not pass/fail tests)
bench: dev-install
	@for script in tests/benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

## sample-certificate: a sample of each certificate to samples/ as PDF, first page as PNG
sample-certificate: dev-install
	$(BIN)/python -m certificates.samples samples

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
