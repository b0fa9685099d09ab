# The two commands of README.md: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed-stamp
CHROMIUM := /usr/bin/chromium

.PHONY: run test install system-packages lint format messages clean

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Pactline needs Python 3.11, found " + sys.version'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

## make run: install, migrate, seed the demo, and serve web + worker + beat on http://127.0.0.1:8000
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Pactline on http://127.0.0.1:8000  (demo logins: README.md; Ctrl-C stops web, worker and beat)"
	PATH="$(BIN):$$PATH" DEBUG=$${DEBUG:-true} $(BIN)/honcho start --port 8000 web worker beat

## make test: install (Debian's chromium and gettext too), then the whole suite
test: install system-packages
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/python -m pytest $(PYTEST_ARGS)

system-packages:
	@if [ ! -x $(CHROMIUM) ] || ! command -v msgfmt >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium (browser tests) and gettext (translation checks)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium gettext >/dev/null; \
	  else \
	    echo "The tests need Debian's chromium and gettext: sudo apt-get install -y chromium gettext"; exit 1; \
	  fi; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Translations: extract strings into locale/nl, then compile (needs gettext's msgfmt)
messages: install
	$(BIN)/python manage.py makemessages --locale nl --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	$(BIN)/python manage.py makemessages --locale nl --domain djangojs --ignore '.venv/*' --ignore 'var/*' --ignore 'static/vendor/*' --no-obsolete
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) var/staticfiles .pytest_cache
