# Two commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python

# The first Python >= 3.12 found (pyenv versions too); Django 6.1 needs it.
PYTHON_FOR_VENV := $(shell for c in python3.13 python3.12 \
	$$HOME/.pyenv/versions/3.13*/bin/python3 $$HOME/.pyenv/versions/3.12*/bin/python3 \
	/usr/local/bin/python3.13 /usr/local/bin/python3.12 python3; do \
	p=$$(command -v $$c 2>/dev/null) || continue; \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)

TEST_DATABASE_URL := $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/portal)
TEST_BROKER_URL := $(or $(CELERY_BROKER_URL),redis://127.0.0.1:6379/0)

.PHONY: run test install lint clean
.DEFAULT_GOAL := run

$(VENV)/.installed: pyproject.toml
	@if [ -z "$(PYTHON_FOR_VENV)" ]; then \
		echo "Python 3.12 or newer is needed (Django 6.1). Install python3.12, e.g. 'apt-get install python3.12 python3.12-venv' or 'pyenv install 3.12'."; \
		exit 1; fi
	@echo "Using $(PYTHON_FOR_VENV)"
	$(PYTHON_FOR_VENV) -m venv $(VENV)
	@echo "Installing the dependencies (about a minute on a fresh machine; each package is named as it comes)..."
	$(PY) -m pip install --quiet --upgrade pip
	@set -o pipefail; $(PY) -m pip install --progress-bar off ".[dev]" 2>&1 \
		| grep --line-buffered -E '^(Collecting|Successfully installed|ERROR)' | sed -u 's/^/  /'
	@echo "Dependencies installed."
	@touch $@

install: $(VENV)/.installed

PORT ?= 8000
CELERY := $(VENV)/bin/celery -A portal
CELERY_QUIET := --loglevel INFO

# The web server, a task worker and the scheduler (beat) as separate processes: a worker that
# dies is restarted, and the scheduler (in-memory schedule, one instance by lock) keeps running.
run: export DEBUG := $(or $(DEBUG),true)
run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@echo "Serving on http://127.0.0.1:$(PORT)/ with a task worker and scheduler (Ctrl-C stops all)."
	@trap 'kill 0' EXIT INT TERM; \
	( while :; do $(CELERY) worker -P solo --without-gossip --without-mingle --without-heartbeat $(CELERY_QUIET); \
	  echo "worker stopped; restarting in 2 s"; sleep 2; done ) & \
	( while :; do $(CELERY) beat $(CELERY_QUIET); echo "scheduler stopped; restarting in 2 s"; sleep 2; done ) & \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

test: export DATABASE_URL := $(TEST_DATABASE_URL)
test: export CELERY_BROKER_URL := $(TEST_BROKER_URL)
test: export DJANGO_SETTINGS_MODULE := tests.settings
# What a fresh machine lacks is provided first (tests/services.py: Chromium with apt when root;
# throwaway PostgreSQL/Redis when none answers at the URLs) and the throwaway servers stopped after.
test: $(VENV)/.installed
	@$(PY) -m tests.services up
	@trap '$(PY) -m tests.services down' EXIT; set -e; \
	$(PY) -m tests.preflight; \
	$(VENV)/bin/ruff check .; \
	$(PY) manage.py check; \
	$(PY) manage.py makemigrations --check --dry-run; \
	if command -v docker-compose >/dev/null 2>&1; then docker-compose -f docker-compose.yml config -q && echo "docker-compose.yml: valid"; \
	else echo "docker-compose not installed: docker-compose.yml not validated (apt-get install -y --no-install-recommends docker-compose)"; fi; \
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var static_root
