# Regie — every set-up step lives here; a fresh machine needs only Python 3.11.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install run test lint audit lock clean assets screenshots browser-deps bench

VENDOR := app/static/vendor

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

## make run: migrate the embedded SQLite database, load the demo data (plus 200 generated casussen
## so the research figures have something to show), serve on 127.0.0.1:8000
run: install
	$(BIN)/regie migrate
	$(BIN)/regie demo --genereer 200
	$(BIN)/regie serve --host 127.0.0.1 --port 8000

## make test: lint, types, then the whole suite on SQLite and (when reachable) PostgreSQL, with the
## browser tests in Debian's Chromium (/usr/bin/chromium) when it and node_modules/axe-core are there
test: lint browser-deps
	$(BIN)/pytest

## make browser-deps: Debian's Chromium and axe-core for the browser tests, when they can be had
## (best effort: without root or npm the browser tests are skipped with a banner)
browser-deps:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && apt-get update -q \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } \
		|| echo "Chromium is niet geïnstalleerd: de browsertests worden overgeslagen"
	@test -f node_modules/axe-core/axe.min.js || { command -v npm >/dev/null \
		&& npm ci --no-audit --no-fund; } \
		|| echo "axe-core (npm ci) ontbreekt: de browsertests worden overgeslagen"

## make screenshots: PNGs of the main pages at 1280×900 into docs/screenshots (demo data only)
screenshots: install
	REGIE_SCREENSHOTS=1 REGIE_TEST_REQUIRE_BROWSER=1 $(BIN)/pytest tests/browser/test_screenshots.py -q

lint: install
	$(BIN)/ruff check app tests migrations benchmarks
	$(BIN)/ruff format --check app tests migrations benchmarks
	$(BIN)/mypy app tests migrations benchmarks

## make bench: every benchmark scenario against its floor, measured in the same run, on SQLite and
## PostgreSQL (127.0.0.1:5432); writes benchmarks/report.md and report.json (takes a while)
bench: install
	$(BIN)/python -m benchmarks.run $(ARGS)

## make assets: front-end packages from the npm registry (package-lock.json) into app/static
assets:
	npm ci --no-audit --no-fund
	mkdir -p $(VENDOR)
	cp node_modules/@utrecht/component-library-css/dist/index.css $(VENDOR)/utrecht-components.css
	cp node_modules/@nl-design-system-unstable/voorbeeld-design-tokens/dist/theme.css $(VENDOR)/voorbeeld-theme.css
	cp node_modules/@utrecht/component-library-css/LICENSE.md $(VENDOR)/LICENSE-utrecht-components.md

## make audit: known vulnerabilities in the locked dependencies (ignores are explained in README)
audit: install
	$(BIN)/pip-audit --requirement requirements.lock --disable-pip --no-deps --progress-spinner off --strict \
		$(shell sed -n 's/^ignore: *\([A-Z0-9-]*\).*/--ignore-vuln \1/p' .pip-audit-ignore)

## make lock: re-resolve requirements.lock from pyproject.toml (needs network to PyPI)
lock: install
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
