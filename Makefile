# From a fresh clone with only Python 3.11+: `make demo` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint sim clean browser

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/alp-tui --demo

sim: $(STAMP)
	$(BIN)/alp-tui sim

# The browser test (tests/serve) drives the system's Chromium, never a downloaded one.
# Install it where that is possible (root with apt-get, as in CI); elsewhere, or if the
# install fails, the suite still runs and that one test skips saying why.
browser:
	@test -x /usr/bin/chromium || command -v chromium >/dev/null 2>&1 \
	  || { test "$$(id -u)" = 0 && command -v apt-get >/dev/null 2>&1 \
	       && echo "make: installing Chromium (apt-get) for the browser test" \
	       && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	           apt-get install -y -qq chromium) >/tmp/alp-tui-chromium-install.log 2>&1; } \
	  || echo "make: no Chromium (see /tmp/alp-tui-chromium-install.log); the browser test will skip"

test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 -q

# lint-imports checks the layer contracts written in pyproject.toml ([tool.importlinter]).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .import_linter_cache .grimp_cache
