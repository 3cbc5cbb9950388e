# ipfund — the two commands: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
HOST ?= 127.0.0.1
PYTEST_ARGS ?= -n 2 --dist worksteal

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
	@echo "Serving on http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/docs/)"
	@# Another HOST than loopback (HOST=0.0.0.0: colleagues on the LAN) must accept their Host headers.
	$(if $(filter-out 127.0.0.1 localhost,$(HOST)),DJANGO_ALLOWED_HOSTS="$${DJANGO_ALLOWED_HOSTS:-*}") \
	  $(PY) manage.py runserver $(HOST):$(PORT)

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
