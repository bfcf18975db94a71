# The two commands a new developer needs are `make run` and `make test` (see README.md).
PY ?= python3
VENV := .venv
UV := .tools/bin/uv
UV_VERSION := 0.13.8
export UV_PYTHON_DOWNLOADS := never

.PHONY: install install-runtime run test lint typecheck unit bench services ui frontend-check e2e openapi

$(UV):
	$(PY) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# --compile-bytecode: every process (CLI, server, worker) starts from compiled bytecode even
# where PYTHONDONTWRITEBYTECODE is set; it halves a trivial `quartermaster plan` (0.81 s -> 0.46 s
# wall, docs/engine/benchmarks.md). Only the first sync pays for it (~20 s).
## install: create .venv with the locked dependencies (uv.lock)
install: $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PY)

## install-runtime: the locked runtime dependencies only (no test, lint or profiling tools);
## --inexact leaves a developer's dev tools in place when .venv already has them
install-runtime: $(UV)
	$(UV) sync --frozen --no-dev --inexact --compile-bytecode --python $(PY)

## run: install, build the web UI when its sources changed, migrate, seed the demo org, serve :8000
run: install-runtime ui
	$(VENV)/bin/quartermaster serve --seed-demo

# --- web UI (frontend/) -------------------------------------------------------------------------
FE := frontend
FE_SOURCES := $(shell find $(FE)/src $(FE)/public -type f 2>/dev/null) \
	$(FE)/index.html $(FE)/package.json $(FE)/vite.config.ts $(FE)/tsconfig.json

# npm ci only when the lock file changed (npm writes node_modules/.package-lock.json).
$(FE)/node_modules/.package-lock.json: $(FE)/package-lock.json
	cd $(FE) && npm ci --no-audit --no-fund
	touch $@

# The build is redone only when a source, the lock or the config is newer than it.
$(FE)/dist/index.html: $(FE)/node_modules/.package-lock.json $(FE_SOURCES)
	cd $(FE) && npm run build
	touch $@

## ui: build the web UI into frontend/dist (skipped when it is current)
ui: $(FE)/dist/index.html

## openapi: refresh frontend/openapi.json from the app and regenerate the UI's API types
openapi: install $(FE)/node_modules/.package-lock.json
	$(VENV)/bin/python -c "import json; from api.app import create_app; \
	print(json.dumps(create_app().openapi(), indent=1))" > $(FE)/openapi.json
	cd $(FE) && npm run gen:api

## frontend-check: type-check, lint, unit tests (vitest), build, end-to-end (playwright)
frontend-check: install ui
	cd $(FE) && npm run typecheck && npm run lint && npm test
	cd $(FE) && npm run e2e

## e2e: the Playwright journeys against a real server (embedded SQLite, in-process worker)
e2e: install ui
	cd $(FE) && npm run e2e

## lint: ruff, and the architecture contracts of pyproject.toml [tool.importlinter]
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

typecheck: install
	$(VENV)/bin/mypy engine api models workers scenarios

unit: install
	$(VENV)/bin/pytest -q

## test: lint, type-check, the whole Python suite (SQLite and PostgreSQL/Redis), then the UI's checks
test: lint typecheck unit frontend-check

## bench: the benchmark suites (figures go to docs/)
bench: install
	$(VENV)/bin/pytest benchmarks --benchmark-enable -q

## services: start PostgreSQL and Redis on this machine when they are down
services:
	bash .ci/services.sh
