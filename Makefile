# The two commands a new developer needs are `make run` and `make test` (see README.md).
PY ?= python3
VENV := .venv
UV := .tools/bin/uv
UV_VERSION := 0.13.8
export UV_PYTHON_DOWNLOADS := never

.PHONY: install run test lint typecheck unit bench services

$(UV):
	$(PY) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

## install: create .venv with the locked dependencies (uv.lock)
install: $(UV)
	$(UV) sync --frozen --python $(PY)

## run: install, migrate the embedded SQLite database, seed the demo org, serve on :8000
run: install
	$(VENV)/bin/quartermaster serve --seed-demo

lint: install
	$(VENV)/bin/ruff check .

typecheck: install
	$(VENV)/bin/mypy engine api models workers

unit: install
	$(VENV)/bin/pytest -q

## test: lint, type-check and the whole test suite (SQLite and PostgreSQL/Redis)
test: lint typecheck unit

## bench: the benchmark suites (figures go to docs/)
bench: install
	$(VENV)/bin/pytest benchmarks --benchmark-enable -q

## services: start PostgreSQL and Redis on this machine when they are down
services:
	bash .ci/services.sh
