# gridgov: `make run` serves the Hohhot demo city on SQLite; `make test` runs the whole suite.
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run test deps lint unit chromium clean lock

# Every Python package (the dev tools included) at the version and hash of the committed lock.
$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# After changing a pin in pyproject.toml: resolve again and write the lock with hashes.
lock: $(BIN)/.installed
	$(BIN)/pip install --quiet pip-tools==7.7.0
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --extra dev --strip-extras \
	    --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

.env: | $(BIN)/.installed
	$(BIN)/python -m gridgov.core.dotenv

deps: $(BIN)/.installed node_modules/.installed .env

run: deps
	$(BIN)/gridgov migrate --noinput
	$(BIN)/gridgov seed --scale demo --if-empty
	$(BIN)/gridgov serve --port $(PORT)

# The browser tests drive the system Chromium; install it when missing (root, or sudo).
chromium:
# A CJK font comes with it, so screenshots of the Chinese UI are readable.
	@{ command -v chromium >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .; } || { \
	    if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	    echo "installing chromium and a CJK font for the browser tests"; \
	    $$sudo apt-get update -qq && $$sudo apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

lint: deps
	$(BIN)/ruff check gridgov tests $(wildcard bench) $(wildcard scripts)
	$(BIN)/ruff format --check gridgov tests $(wildcard bench) $(wildcard scripts)
	$(BIN)/mypy gridgov
	$(BIN)/lint-imports
	$(BIN)/gridgov makemigrations --check --dry-run

unit: deps chromium
	$(BIN)/pytest -n 2 --dist loadfile --durations=10

test: lint unit

clean:
	rm -rf $(VENV) node_modules staticfiles
