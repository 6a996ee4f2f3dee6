# Two commands on a fresh machine: `make run` starts the studio, `make test` runs every test.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

# Django 6 needs Python >= 3.12: take the first such interpreter on PATH (or under pyenv).
PYTHON ?= $(shell for c in python3.14 python3.13 python3.12 python3 $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3; do \
	$$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$c; break; }; done)

.PHONY: help run test bench crash-trial screenshots clean

help:
	@echo "make run    start the studio on http://$(HOST):$(PORT) (web, queue, emulator without an API key)"
	@echo "make test   install what the tests need and run them all"
	@echo "make bench  run the benchmarks (SQLite, then PostgreSQL + Redis) and print their figures"
	@echo "make crash-trial  SIGKILL the workers 20 times under 30 jobs, for several seeds on both backends"
	@echo "make screenshots  save every page at 1440x900 and 390x844 under screenshots/ (not committed)"

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Wan Studio needs Python 3.12 or newer (Django 6); none was found." >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

run: $(STAMP)
	$(PY) manage.py compile_catalogs
	$(PY) manage.py migrate --noinput
	$(PY) manage.py bootstrap_admin --url http://$(HOST):$(PORT)/
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	bash .ci/system-packages
	$(PY) manage.py compile_catalogs
	$(PY) -m pytest

bench: $(STAMP)
	bash .ci/system-packages
	$(PY) -m tests.bench
	BENCH_BACKEND=postgres BENCH_SCENARIOS=throughput,inflight $(PY) -m tests.bench
	$(PY) -m pytest -q -s -p no:cacheprovider tests/test_page_weight_browser.py

# Every page at a wide monitor and a phone, as PNGs under screenshots/ (ignored by git).
screenshots: $(STAMP)
	bash .ci/system-packages
	SCREENSHOTS_DIR=$(CURDIR)/screenshots $(PY) -m pytest -q -p no:cacheprovider tests/test_every_page_browser.py
	@echo "screenshots saved in $(CURDIR)/screenshots"

# Paid work under many crashes (tests/crash_trial.py); `make test` runs one seed per backend.
SEEDS ?= 1,2,3,4,5
crash-trial: $(STAMP)
	bash .ci/system-packages
	$(PY) -m tests.crash_trial --backend sqlite --seeds $(SEEDS)
	$(PY) -m tests.crash_trial --backend postgres --seeds $(SEEDS)

clean:
	rm -rf $(VENV) var .pytest_cache
