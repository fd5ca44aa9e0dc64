# cotrader: `make run` starts the co-trader, `make test` runs the whole suite.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# A Python 3.12 interpreter: pyenv's if present, else python3.12 on PATH.
PYTHON312 ?= $(shell (command -v pyenv >/dev/null && pyenv root >/dev/null 2>&1 && ls -d "$$(pyenv root)"/versions/3.12*/bin/python 2>/dev/null | tail -n 1) || command -v python3.12)

.PHONY: install run chat test lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON312)" ]; then echo "Python 3.12 not found (pyenv install 3.12 or put python3.12 on PATH)"; exit 1; fi
	@if [ ! -x "$(PY)" ] || ! $(PY) -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then \
		rm -rf $(VENV); "$(PYTHON312)" -m venv $(VENV); fi
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	@touch $(STAMP)

run: install
	$(VENV)/bin/cotrader run

chat: install
	$(VENV)/bin/cotrader chat

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

bench: install
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
