# gridgov: `make run` serves the Hohhot demo city on SQLite; `make test` runs the whole suite.
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run test deps lint unit chromium clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

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

chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

lint: deps
	$(BIN)/ruff check gridgov tests bench
	$(BIN)/mypy gridgov

unit: deps chromium
	$(BIN)/pytest -n 2 --dist loadfile

test: lint unit

clean:
	rm -rf $(VENV) node_modules staticfiles
