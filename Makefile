# A fresh clone needs only Python 3.11 and make: `make run` or `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py

.PHONY: install requirements run serve test test-api test-browser test-scale test-faults scale-demo lint format check bench clean

# The site's requirements and, on top of them, the tests' and tools' (requirements-dev.txt
# starts with `-r requirements.txt`). Both pin every package with its hashes, so pip
# checks each download against them.
install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# requirements.txt from requirements.in, requirements-dev.txt from requirements-dev.in:
# every package pinned, with its hashes, for Python 3.11 on any platform. Versions
# pinned already stay as they are; change one in its .in file, then run this.
COMPILE := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make requirements"

requirements: install
	$(COMPILE) requirements.in -o requirements.txt
	$(COMPILE) requirements-dev.in -o requirements-dev.txt
	sed -i '3i -r requirements.txt' requirements-dev.txt

run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo --if-empty
	$(MANAGE) runserver 127.0.0.1:8000

test: install
	$(BIN)/pytest --cov --cov-report=term

# schemathesis fuzzes every operation of API v2's schema against gunicorn with a
# read-write token: no 500, every answer as the schema says (tests/api/fuzz.py).
test-api: install
	$(BIN)/python -m tests.api.fuzz

# Browser journeys: Playwright drives Debian's Chromium (installed here when missing;
# never `playwright install`), axe-core comes from npm into journeys/node_modules.
# Screenshots of every page: screenshots/.
CHROMIUM := /usr/bin/chromium
AXE := journeys/node_modules/axe-core/axe.min.js

$(CHROMIUM):
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium

$(AXE): journeys/package.json journeys/package-lock.json
	cd journeys && npm ci --no-audit --no-fund
	touch $@

test-browser: install $(CHROMIUM) $(AXE)
	$(BIN)/pytest journeys

# Two gunicorn app servers and the task worker over one PostgreSQL (database scale10),
# one Redis (db 6) and SeaweedFS's S3: the deployment the README describes, on loopback.
# scale-demo serves it until Ctrl-C; test-scale checks it (a minute of mixed traffic).
# Both stop everything they started.
test-scale: install
	$(BIN)/pytest scaleout/test_scale_out.py

# The same stack, DEBUG off, with its own redis-server on a free port, a fake Stripe and
# an SMTP server: each fault (Redis killed, frozen or restored from an old snapshot, the
# worker killed mid-send, database connections terminated, a slow Stripe, a frozen S3)
# under load, and a table of what users got. README: "When a part fails".
test-faults: install
	$(BIN)/pytest scaleout/test_faults.py

scale-demo: install
	$(BIN)/python -m scaleout.stack

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: install
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run

bench: install
	command -v wrk >/dev/null || apt-get install -y wrk
	$(BIN)/python -m benchmarks.run

# Production settings, locally: gunicorn with gunicorn.conf.py over the SQLite database.
serve: install
	DEBUG=false SECRET_KEY=$${SECRET_KEY:-local-serve-only-$$(hostname)-not-for-deployment} \
	  SECURE_SSL_REDIRECT=false $(MANAGE) collectstatic --noinput -v0
	DEBUG=false SECRET_KEY=$${SECRET_KEY:-local-serve-only-$$(hostname)-not-for-deployment} \
	  SECURE_SSL_REDIRECT=false $(MANAGE) migrate --noinput
	DEBUG=false SECRET_KEY=$${SECRET_KEY:-local-serve-only-$$(hostname)-not-for-deployment} \
	  SECURE_SSL_REDIRECT=false TASK_BACKEND=immediate $(BIN)/gunicorn -c gunicorn.conf.py

clean:
	rm -rf $(VENV) staticfiles cache .coverage .coverage.redis htmlcov journeys/node_modules screenshots \
	  .import_linter_cache
