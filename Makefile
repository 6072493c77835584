# CareOps — `make run` serves the embedded default, `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PLUGIN_DIRS := $(sort $(dir $(wildcard plugins/*/setup.cfg)))
PORT   ?= 8000

.PHONY: run test lint install install-dev system-deps worker migrate bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel

# The core and every first-party plugin, editable; re-run when their metadata changes.
$(VENV)/.installed: $(BIN)/python setup.cfg $(addsuffix setup.cfg,$(PLUGIN_DIRS))
	$(BIN)/pip install --quiet -e . $(addprefix -e ,$(PLUGIN_DIRS))
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/flask --app wsgi db upgrade

run: install
	PORT=$(PORT) bash scripts/run.sh

worker: install
	$(BIN)/flask --app wsgi careops worker

# Debian packages the tests drive for real: Chromium (the pages' browser tests),
# dovecot (the SMTP + IMAP plugin's IMAP server) and wrk (the benches' smoke tests).
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -x /usr/sbin/dovecot ] || missing="$$missing dovecot-imapd"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "make test needs these Debian packages:$$missing (sudo apt-get install$$missing)" >&2; exit 1; fi; \
	fi

# Read-only checks (CI runs them before the tests): lint, formatting, types. To fix what
# they report: `$(BIN)/ruff check --fix .` and `$(BIN)/ruff format .`.
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports  # the import contracts of docs/architecture.md ([importlinter] in setup.cfg)

test: install-dev system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python bench/booking_bench.py
	$(BIN)/python bench/memory_bench.py  # 100,000 requests on SQLite: 10 to 40 minutes

clean:
	rm -rf $(VENV) instance/*.db instance/*.db-* .pytest_cache
