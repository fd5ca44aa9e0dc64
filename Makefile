# cotrader: `make run` starts the co-trader, `make test` runs the whole suite.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# A Python 3.12 interpreter: pyenv's if present, else python3.12 on PATH.
PYTHON312 ?= $(shell (command -v pyenv >/dev/null && pyenv root >/dev/null 2>&1 && ls -d "$$(pyenv root)"/versions/3.12*/bin/python 2>/dev/null | tail -n 1) || command -v python3.12)

# The resolved dependency set CI tested (with the dev extras; requirements.lock: runtime only).
LOCK := requirements-dev.lock
RUNTIME_LOCK := requirements.lock
# uv resolves the lock (from PATH, else fetched once into the venv's tools directory).
UV ?= $(shell command -v uv 2>/dev/null || echo $(VENV)/lock-tools/bin/uv)
LOCK_FLAGS := --python-version 3.12 --python-platform linux --quiet

.PHONY: install run chat test lint bench clean lock postgresql

install: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	@if [ -z "$(PYTHON312)" ]; then echo "Python 3.12 not found (pyenv install 3.12 or put python3.12 on PATH)"; exit 1; fi
	@if [ ! -x "$(PY)" ] || ! $(PY) -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then \
		rm -rf $(VENV); "$(PYTHON312)" -m venv $(VENV); fi
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r $(LOCK)
	$(PY) -m pip install -q --no-deps -e .
	@$(PY) -m pip check >/dev/null || { $(PY) -m pip check; \
		echo "$(LOCK) does not satisfy pyproject.toml: run 'make lock'"; exit 1; }
	@touch $(STAMP)

# Re-resolve the lock files from pyproject.toml, keeping every pin that still fits;
# `make lock LOCK_ARGS=--upgrade` takes the newest allowed releases instead.
lock:
	@if [ ! -x "$(UV)" ]; then "$(PYTHON312)" -m pip install -q --target $(VENV)/lock-tools uv; fi
	UV_CUSTOM_COMPILE_COMMAND="make lock" $(UV) pip compile pyproject.toml --extra dev \
		$(LOCK_FLAGS) $(LOCK_ARGS) -o $(LOCK)
	UV_CUSTOM_COMPILE_COMMAND="make lock" $(UV) pip compile pyproject.toml -c $(LOCK) \
		$(LOCK_FLAGS) -o $(RUNTIME_LOCK)

# The PostgreSQL tests start a throwaway server: Debian's postgresql package, installed
# here when missing (as root, with apt-get), else the command to run is printed.
postgresql: install
	@if ! $(PY) -c 'import sys; from tests.pg import find_bindir; sys.exit(find_bindir() is None)'; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "PostgreSQL server binaries not found: apt-get install -y postgresql"; \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get install -y -q postgresql || { apt-get update -q && apt-get install -y -q postgresql; }; \
			$(PY) -c 'import sys; from tests.pg import find_bindir; sys.exit(find_bindir() is None)' \
				|| { echo "still no initdb/pg_ctl after apt-get install postgresql"; exit 1; }; \
		else \
			echo "PostgreSQL server binaries (initdb, pg_ctl) not found; the tests need them:"; \
			echo "    sudo apt-get install -y postgresql"; \
			echo "(elsewhere: install the PostgreSQL server, or set COTRADER_PG_BINDIR)"; exit 1; \
		fi; \
	fi

run: install
	$(VENV)/bin/cotrader run

chat: install
	$(VENV)/bin/cotrader chat

test: install postgresql
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

bench: install
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
