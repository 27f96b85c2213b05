# Sinau. `make run` and `make test` are the two commands; both install what is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TOOLS := var/tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 8000
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: setup system run stack test test-smoke lint typecheck audit bench worker web migrate demo browser vendor clean

# --- install ---------------------------------------------------------------------------
$(UV):
	@$(PYTHON) -m venv --help >/dev/null 2>&1 && $(PYTHON) -c "import ensurepip" 2>/dev/null || \
	  ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv)
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

.env:
	@echo "SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env
	@echo "Wrote .env with a fresh SECRET_KEY"

setup: $(VENV)/.synced .env ## install Python dependencies into .venv (nothing else)

# hls.js from npm, pinned by package-lock.json, copied into static/vendor/ (neither is committed).
# Make's timestamps skip npm while the copy is newer than the lock file.
VENDOR := static/vendor
HLS_FILES := hls.light.min.js hls.light.min.js.map hls.worker.js hls.worker.js.map
HLS_JS := $(VENDOR)/hls.light.min.js

$(HLS_JS): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || \
	  ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq npm)
	npm ci --ignore-scripts --no-audit --no-fund
	@mkdir -p $(VENDOR)
	cp $(addprefix node_modules/hls.js/dist/,$(HLS_FILES)) $(VENDOR)/
	@touch $@

vendor: $(HLS_JS) ## the browser libraries (hls.js) under static/vendor/

# WeasyPrint's libraries (libharfbuzz-subset0 makes a certificate ~8x faster to render),
# and the readers the certificate tests use (pdftotext, zbarimg). Installed when missing.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-liberation \
  shared-mime-info poppler-utils zbar-tools
system: ## the Debian libraries PDF rendering needs
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	  [ -z "$$missing" ] || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing)

browser: ## Debian's Chromium for the browser journeys (never a downloaded browser)
	@command -v chromium >/dev/null 2>&1 || \
	  ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium)

# --- run -------------------------------------------------------------------------------
migrate: setup system $(HLS_JS)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0

demo: migrate
	$(PY) manage.py seed_demo

worker: setup ## a Celery worker on both queues
	$(VENV)/bin/celery -A lms worker -Q default,transcode --concurrency 2 --loglevel INFO

web: setup
	GUNICORN_BIND=$(HOST):$(PORT) $(VENV)/bin/gunicorn lms.wsgi -c deploy/gunicorn.conf.py

run: demo ## migrate, load the demo Pemda, serve on 127.0.0.1:8000 with a worker
	@echo
	@echo "Sinau: http://$(HOST):$(PORT)/   admin: http://$(HOST):$(PORT)/admin/   health: http://$(HOST):$(PORT)/healthz"
	@echo "Log in with a demo NIP above and its password. Ctrl-C stops the server and the worker."
	@trap 'kill 0' INT TERM EXIT; \
	  $(VENV)/bin/celery -A lms worker -B -Q default,transcode --concurrency 2 --loglevel INFO & \
	  GUNICORN_BIND=$(HOST):$(PORT) $(VENV)/bin/gunicorn lms.wsgi -c deploy/gunicorn.conf.py & \
	  wait

# The production process layout without containers: moto's S3 server, gunicorn, a Celery
# worker per queue (default, transcode) and beat, on PostgreSQL and Redis from DATABASE_URL,
# REDIS_URL and CELERY_BROKER_URL. Ctrl-C stops them all (deploy/stack.sh).
stack: setup system $(HLS_JS) ## the deployment's processes on PostgreSQL, Redis and moto's S3
	@HOST=$(HOST) PORT=$(PORT) deploy/stack.sh

# --- check -----------------------------------------------------------------------------
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy .

# pytest exits 5 when it collects no test; that is a result to read, not a crash.
PYTEST = $(VENV)/bin/pytest
test: setup system browser $(HLS_JS) lint typecheck ## ruff, mypy, migrations check and the whole suite
	$(PY) manage.py makemigrations --check --dry-run
	$(PYTEST) --durations=25 $(PYTEST_ARGS) || { rc=$$?; [ $$rc -eq 5 ] && echo "no tests collected" && exit 0; exit $$rc; }

# The schema fuzzing has had its full run on PostgreSQL in `make test`; here it checks the
# other database with fewer examples per operation.
test-smoke: setup system $(HLS_JS) ## the suite without the browser, for a second database (the SQLite default)
	SINAU_SCHEMATHESIS_EXAMPLES=$${SINAU_SCHEMATHESIS_EXAMPLES:-5} \
	  $(PYTEST) -m "not e2e" -q $(PYTEST_ARGS) || { rc=$$?; [ $$rc -eq 5 ] && exit 0; exit $$rc; }

# Known vulnerabilities in the locked dependencies (uv.lock, dev tools included), from the
# package index's vulnerability data (AUDIT_SERVICE=osv asks OSV instead). A package the
# service cannot look up is listed as skipped; AUDIT_STRICT=1 makes that a failure too.
# An accepted finding: AUDIT_ARGS="--ignore-vuln GHSA-... " with the reason beside it here.
AUDIT_SERVICE ?= pypi
AUDIT_ARGS ?=
audit: setup ## pip-audit over uv.lock: fails on a known vulnerability
	@mkdir -p var
	$(UV) export --frozen --format requirements-txt --no-hashes --no-emit-project -q > var/audit-requirements.txt
	@rc=0; $(VENV)/bin/pip-audit -r var/audit-requirements.txt --disable-pip --no-deps \
	  --vulnerability-service $(AUDIT_SERVICE) --progress-spinner off --format json \
	  -o var/audit.json $(if $(AUDIT_STRICT),--strict) $(AUDIT_ARGS) 2>/dev/null || rc=$$?; \
	  $(PY) -c 'import json, sys; deps = json.load(open("var/audit.json"))["dependencies"]; \
	    vulns = [(d["name"], d["version"], v["id"], v["fix_versions"]) for d in deps for v in d.get("vulns", [])]; \
	    skipped = [d for d in deps if "skip_reason" in d]; \
	    [print("VULNERABLE", *v) for v in vulns]; \
	    print(f"pip-audit: {len(deps) - len(skipped)} audited, {len(vulns)} known vulnerabilities, {len(skipped)} not found by the service")' \
	  || true; exit $$rc

bench: setup ## every benchmark under bench/, on PostgreSQL
	@for b in bench/[a-z]*.py; do n=$$(basename $$b .py); echo "== $$n"; $(PY) -m bench.$$n || exit 1; done

clean:
	rm -rf $(VENV) $(TOOLS) var/static var/celery node_modules $(VENDOR)
