"""Schemathesis over the whole OpenAPI schema of the real app (embedded SQLite), plus checks
that the schema and the docs page describe every route.

The fuzzing caller owns org A of the ``qa_world`` (real locations, ships, items, stock,
blueprints, goals, sources, plans, crafts). Path parameters are pointed at that org and, on
every other example, at its real records, so generated bodies reach the services instead of
stopping at a 404. Every third case also gets a NUL byte appended to every string of its
body and query (it must then answer 4xx, even on SQLite, which would store it); generated
``date-time`` values include ones that overflow once normalised to UTC
(``EXTREME_DATETIMES``). Checks: no 5xx (``not_a_server_error``) and responses that
match the documented schema. Bounded and derandomised: the same cases on every run.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import HealthCheck as SchemathesisHealthCheck
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.core.db import Database
from api.core.settings import Settings
from tests.api.qa_world import World, build_world, qa_app
from tests.conftest import _clean, _databases

MAX_EXAMPLES = 12
# Valid ISO 8601 that datetime cannot normalise to UTC (below year 1 / above year 9999).
EXTREME_DATETIMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
# Path parameter -> the org-A record it may be pointed at (org_id always is).
REAL_IDS = {
    "plan_id": "plan_id", "source_id": "source_id", "goal_id": "goal_id",
    "blueprint_id": "blueprint_id", "stock_id": "stock_id", "reservation_id": "reservation_id",
    "location_id": "location_id", "ship_id": "ship_id", "item_id": "item_id",
    "alias_id": "alias_id", "craft_id": "craft_id",
}
# Calls that would end the session under test rather than exercise it (reviewed): deleting the
# caller's org or account keeps random ids / passwords, so it is still fuzzed, only never on the
# real org.
KEEP_RANDOM = {("DELETE", "/api/v1/orgs/{org_id}")}
# Success responses documented without a body schema (reviewed): free-form JSON documents.
FREE_FORM = {
    ("GET", "/health"): "probe; {status, checks}",
    ("GET", "/ready"): "probe; {status, migrated}",
    # The stored quartermaster.problem/1 document (engine format); api/plans owns the route.
    ("GET", "/api/v1/orgs/{org_id}/plans/{plan_id}/problem"): "engine problem document",
}


@pytest.fixture
def db_url(_sqlite_database: str) -> Iterator[str]:
    """The fuzz run is for the embedded default: SQLite only (emptied afterwards)."""
    yield _sqlite_database
    if _sqlite_database in _databases:
        _clean(_databases[_sqlite_database])


class _AppProxy:
    """The ASGI app schemathesis calls: forwards to the current test's app (set per test),
    so the schema is loaded once at collection while each operation gets a fresh database."""

    def __init__(self, target: FastAPI) -> None:
        self.target = target

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.target(scope, receive, send)


@asynccontextmanager
async def _no_start_up(_app: Any) -> AsyncIterator[None]:
    yield


def _schema_only_app() -> FastAPI:
    # Serves /openapi.json at collection time; never touches its (in-memory) database.
    app = qa_app(Settings(_env_file=None, environment="test", database_url="sqlite://",  # type: ignore[call-arg]
                          secret_key="x" * 40, log_json=False, load_reference_data=False),
                 None)
    # Serving the schema needs no start-up. Started, its outbox relay polled a database
    # without tables for the rest of the run, logging a traceback each time; on CPython 3.11
    # that thread's source parsing (traceback carets) can collide with pytest rewriting a
    # test module's asserts and fail collection ("AST constructor recursion depth mismatch").
    app.router.lifespan_context = _no_start_up
    return app


def _nul_in_every_string(value: Any) -> Any:
    if isinstance(value, str):
        return value + "\u0000"
    if isinstance(value, dict):
        return {k: _nul_in_every_string(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nul_in_every_string(v) for v in value]
    return value


# Every date-time the fuzzer generates: ordinary ones and the two that overflow in UTC.
schemathesis.openapi.format("date-time", st.one_of(
    st.sampled_from(EXTREME_DATETIMES),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                 timezones=st.just(UTC)).map(datetime.isoformat),
))
PROXY = _AppProxy(_schema_only_app())
schema = schemathesis.openapi.from_asgi("/openapi.json", PROXY)
schema.config.update(suppress_health_check=[SchemathesisHealthCheck.all])
schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, database="none")
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
_counter = itertools.count()
_poison_counter = itertools.count()


@pytest.fixture
def fuzz_world(
    settings: Settings, database: Database, make_user: Any, make_org: Any
) -> Iterator[World]:
    """A fresh app and world for each operation; the proxy points schemathesis at it."""
    app = qa_app(settings, database)
    with TestClient(app) as client:
        world = build_world(client, database, make_user, make_org, letters="a")
    previous, PROXY.target = PROXY.target, app
    yield world
    PROXY.target = previous


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
    suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate],
)
def test_no_server_errors_and_schema_conformance(case: Any, fuzz_world: World) -> None:
    key = (case.method.upper(), case.path)
    if case.path_parameters and key not in KEEP_RANDOM:
        real = next(_counter) % 2 == 0
        for name in list(case.path_parameters):
            if name == "org_id":
                case.path_parameters[name] = fuzz_world.a.org_id
            elif real and name in REAL_IDS and REAL_IDS[name] in fuzz_world.a.ids:
                case.path_parameters[name] = fuzz_world.a[REAL_IDS[name]]
    poisoned = False
    if next(_poison_counter) % 3 == 0:
        if isinstance(case.body, dict | list | str) and case.body:
            poisoned = _nul_in_every_string(case.body) != case.body
            case.body = _nul_in_every_string(case.body)
        # Only strings (or lists of them) reach a query string; nested objects are dropped.
        for name, value in (case.query or {}).items():
            if isinstance(value, str) or (
                    isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
                case.query[name] = _nul_in_every_string(value)
                poisoned = True
    response = case.call_and_validate(
        headers=fuzz_world.a.owner.headers,
        checks=[not_a_server_error, response_schema_conformance],
    )
    if poisoned:
        # No text may hold a NUL (PostgreSQL refuses them): refused, never stored.
        assert 400 <= response.status_code < 500, (key, response.status_code, response.text)


# --- the schema and the docs page describe every route ----------------------------------------


def _http_routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    out = []
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, APIRoute) and route.include_in_schema:
            out += [(m, ctx.path, route) for m in sorted(route.methods - {"HEAD"})]
    return out


def test_openapi_lists_every_route_with_summary_and_response_model(
    settings: Settings, database: Database
) -> None:
    app = qa_app(settings, database)
    with TestClient(app) as client:
        resp = client.get("/openapi.json")
        assert resp.status_code == 200
        paths = resp.json()["paths"]
        docs = client.get("/docs")
        assert docs.status_code == 200
        assert "swagger-ui" in docs.text.lower() and "/openapi.json" in docs.text
        assert client.get("/redoc").status_code == 200
    routes = _http_routes(app)
    assert len(routes) > 90
    problems = []
    for method, path, _route in routes:
        op = paths.get(path, {}).get(method.lower())
        if op is None:
            problems.append(f"{method} {path}: missing from /openapi.json")
            continue
        if not (op.get("summary") or op.get("description")):
            problems.append(f"{method} {path}: no summary or description")
        ok = [code for code in op.get("responses", {}) if code.startswith("2")]
        if not ok:
            problems.append(f"{method} {path}: no success response documented")
        for code in ok:
            if code == "204":
                continue
            content = op["responses"][code].get("content", {})
            schemas = [c.get("schema") for c in content.values()]
            if not any(s for s in schemas) and (method, path) not in FREE_FORM:
                problems.append(f"{method} {path}: {code} response has no schema")
    assert not problems, "\n".join(problems)
