# ipfund — the two commands: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
PYTEST_ARGS ?= -n 2

.PHONY: run test deps dev-deps migrate seed lint bench bench-small backup clean

$(VENV)/.deps: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-deps: $(VENV)/.deps requirements-dev.txt
	$(PIP) install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps

migrate: deps
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	$(PY) manage.py compilemessages --ignore=.venv >/dev/null 2>&1 || true
	@echo "Serving on http://127.0.0.1:$(PORT)/  (API docs: http://127.0.0.1:$(PORT)/api/docs/)"
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: dev-deps
	$(PY) manage.py compilemessages --ignore=.venv >/dev/null 2>&1 || true
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: dev-deps
	$(VENV)/bin/ruff check .

bench: dev-deps
	$(PY) bench/run.py

bench-small: dev-deps
	$(PY) bench/run.py --small

backup: deps
	$(PY) manage.py backup

clean:
	rm -rf $(VENV) var staticfiles
