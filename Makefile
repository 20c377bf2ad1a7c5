# Two commands do all set-up on a fresh machine:  `make reports`  and  `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2
YEARS  ?=# survey years to report (default: every year with an interview file in data/raw)
LANG_REPORT ?= en

.PHONY: help venv demo-data validate reports test test-slow mutation planted lint lab bench clean-reports browser-deps pdf-deps axe-deps

help:
	@echo "make reports   create .venv, make demo data if data/raw has none, render every report (reports/latest)"
	@echo "make test      create .venv, run ruff and the test suite (notebooks executed on demo data)"
	@echo "make test-slow the long Monte-Carlo rate checks (pytest -m slow; minutes, outside CI)"
	@echo "make mutation  mutation testing of the statistics and verdicts (docs/mutation.md)"
	@echo "make planted   the issue-23 weak spots planted one at a time as bugs: each must fail its tests"
	@echo "make lab       open JupyterLab on notebooks/"
	@echo "make bench     run the benchmarks and update benchmarks/RESULTS.md"

$(STAMP): pyproject.toml requirements.lock
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name mystery-guest --display-name "Mystery Guest (.venv)" >/dev/null
	touch $(STAMP)

venv: $(STAMP)

# Demo data only when data/raw holds no interview file: real data is never overwritten.
demo-data: $(STAMP)
	@if ls data/raw/interviews_* >/dev/null 2>&1; then \
	  echo "data/raw holds interview files: using them (no demo data written)"; \
	else $(BIN)/python -m helpers demo-data; fi

validate: $(STAMP)
	$(BIN)/python -m helpers validate

reports: demo-data
	$(BIN)/python -m helpers run $(if $(strip $(YEARS)),--years $(YEARS)) --jobs $(JOBS) --lang $(LANG_REPORT)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

# Browser tests drive the system's Chromium (Debian packages chromium, chromium-driver) with Playwright.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian packages chromium and chromium-driver (browser tests)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }

# The document tests read PDFs with pdftotext (Debian package poppler-utils).
pdf-deps:
	@command -v pdftotext >/dev/null 2>&1 || { \
	  echo "installing Debian package poppler-utils (pdftotext, pdftoppm: document tests)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq poppler-utils >/dev/null; }

# The accessibility test injects axe-core (npm package, pinned) into Chromium; installed once into a
# project-local, git-ignored folder (Debian's nodejs/npm when missing).
AXE_VERSION ?= 4.10.3
AXE_DIR     := .cache/node_modules/axe-core
axe-deps:
	@test -f $(AXE_DIR)/axe.min.js || { \
	  command -v npm >/dev/null 2>&1 || { \
	    echo "installing Debian package npm (axe-core for the accessibility test)"; \
	    if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm >/dev/null; }; \
	  echo "installing axe-core $(AXE_VERSION) into .cache/node_modules"; \
	  npm install --silent --no-save --no-audit --no-fund --prefix .cache axe-core@$(AXE_VERSION) >/dev/null; }

# two pytest-xdist workers; each full pipeline run of the suite is made once (tests/conftest.py _once_per_suite)
TEST_WORKERS ?= 2
test: $(STAMP) lint browser-deps pdf-deps axe-deps
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q -n $(TEST_WORKERS) -m "not slow"

# the long Monte-Carlo rate checks (tests marked slow; outside CI): rates told apart from their wrong values
test-slow: $(STAMP)
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q -n $(TEST_WORKERS) -m slow tests

# mutation testing (mutmut) of the statistics and verdicts, each module with its own fast tests; results in
# benchmarks/RESULTS.md (section "mutation") and .mutation/; one module: make mutation MUTATION_MODULES=power
MUTATION_MODULES ?=
mutation: $(STAMP)
	$(BIN)/python benchmarks/mutation.py $(MUTATION_MODULES)

# the weak spots of issue 23 planted one at a time as one-line bugs, each in a fresh temporary copy (the working
# tree is never modified), against the tests written for it; a plant its tests do not catch exits 1
planted: $(STAMP)
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(BIN)/python benchmarks/planted.py

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean-reports:
	rm -rf reports/[0-9]* reports/latest reports/index.html reports/.building-* reports/internal
