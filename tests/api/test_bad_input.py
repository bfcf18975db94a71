"""Bad input of every kind on every mutating route: a 4xx problem document, nothing changed.

Routes are enumerated from the real app. Each route with a JSON body starts from a valid body
(``VALID``, else the cross-org table's) and the test derives, from the route's OpenAPI request
schema, one bad body per top-level field and kind: wrong type, missing (when required), null,
oversized string (100,000 characters), absurd number (1e300, -1e300, "NaN", "Infinity",
negative where the schema says >= 0, integers past 64 bits, digit separators "1_0"), unknown
id (random UUID), an out-of-enum value, a NUL byte in every string (and list item and key),
datetimes that overflow once normalised to UTC; plus malformed JSON, a wrong top-level type,
an unknown field, and nested cases from ``NESTED``. Every query parameter of every route gets
a NUL byte (and extreme datetimes where it is one). Every route also gets malformed, forged,
expired and foreign tokens.

Every answer must be a 4xx ``application/problem+json`` with ``type``, ``title`` and
``status``; a validation error names the field. Every table is compared row by row before
and after: nothing may change.
"""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from api.core.db import Database
from api.core.settings import Settings
from tests.api.qa_world import API, OrgData, World, build_world, diff_snapshots, qa_app, snapshot
from tests.api.test_cross_org import SPECS, Checker, Spec
from tests.conftest import TEST_PASSWORD, TEST_SECRET

PROBLEM = "application/problem+json"
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
HUGE = "x" * 100_000
NUL = "x\u0000y"
# Valid ISO 8601, but outside datetime's range once converted to UTC.
EXTREME_DATETIMES = [("datetime-underflow", "0001-01-01T00:00:00+14:00"),
                     ("datetime-overflow", "9999-12-31T23:59:59-14:00")]

Body = Callable[[OrgData, World], Any]

# Valid bodies for routes whose cross-org case needs none (the caller's own resources).
VALID: dict[tuple[str, str], Body] = {
    ("POST", "/auth/register"): lambda d, w: {
        "username": "qa_newcomer", "email": "qa_newcomer@example.test",
        "password": "a long enough passphrase 1"},
    ("POST", "/auth/refresh"): lambda d, w: {"refresh_token": "qm_rt_" + "a" * 40},
    ("POST", "/auth/logout"): lambda d, w: {"refresh_token": "qm_rt_" + "a" * 40},
    ("PATCH", "/users/me"): lambda d, w: {"display_name": "QA neutral"},
    ("POST", "/users/me/password"): lambda d, w: {
        "current_password": TEST_PASSWORD, "new_password": "another long passphrase 2"},
    ("DELETE", "/users/me"): lambda d, w: {"password": TEST_PASSWORD},
    ("POST", "/users/me/tokens"): lambda d, w: {"name": "QA", "scopes": ["inventory:read"]},
    ("POST", "/orgs"): lambda d, w: {"name": "QA neutral org"},
    ("POST", "/users/me/locations"): lambda d, w: {
        "name": "QA neutral", "kind": "storage", "parent_id": w.station},
    ("POST", "/users/me/ships"): lambda d, w: {"name": "QA neutral", "ship_type": "C2 Hercules"},
    ("POST", "/orgs/{org_id}/crafts/{craft_id}/complete"): lambda d, w: {"runs": 1},
    ("PATCH", "/orgs/{org_id}/crafts/{craft_id}"): lambda d, w: {"priority": 1},
}

# Bad values inside nested objects and lists: (route, path into the body, value).
NESTED: list[tuple[tuple[str, str], tuple[str | int, ...], Any]] = [
    (("POST", "/orgs/{org_id}/goals"), ("targets", 0, "quantity"), 1e300),
    (("POST", "/orgs/{org_id}/goals"), ("targets", 0, "quantity"), "NaN"),
    (("POST", "/orgs/{org_id}/goals"), ("targets", 0, "quantity"), -1),
    (("POST", "/orgs/{org_id}/goals"), ("targets", 0, "item_id"), str(uuid.uuid4())),
    (("POST", "/orgs/{org_id}/goals"), ("targets", 0, "min_quality"), 10**20),
    (("POST", "/orgs/{org_id}/blueprints"), ("ingredients", 0, "quantity"), "Infinity"),
    (("POST", "/orgs/{org_id}/blueprints"), ("ingredients", 0, "quantity"), 0),
    (("POST", "/orgs/{org_id}/blueprints"), ("ingredients", 0, "item_id"), str(uuid.uuid4())),
    (("POST", "/orgs/{org_id}/blueprints"), ("ingredients", 0, "item_id"), "not-a-uuid"),
    (("POST", "/orgs/{org_id}/plans"), ("demands", 0, "quantity"), 1e300),
    (("POST", "/orgs/{org_id}/plans"), ("demands", 0, "item_id"), str(uuid.uuid4())),
    (("POST", "/orgs/{org_id}/plans"), ("policy",), {"ship_capacity_scu": -5}),
    (("POST", "/orgs/{org_id}/plans"), ("policy",), {"reliability_weight": "NaN"}),
    (("POST", "/orgs/{org_id}/plans"), ("policy",), {"surprise": 1}),
    (("POST", "/orgs/{org_id}/plans"), ("goal_ids",), [str(uuid.uuid4())]),
    (("POST", "/orgs/{org_id}/plans"), ("time_limit",), 1e300),
    (("POST", "/orgs/{org_id}/stock/adjust"), ("delta",), "0"),
    (("POST", "/orgs/{org_id}/stock/adjust"), ("delta",), "1e-30"),
    (("POST", "/orgs/{org_id}/stock/adjust"), ("delta",), "-1000000000000"),
    (("POST", "/orgs/{org_id}/stock/adjust"), ("delta",), "-1000"),  # below what is held
    (("POST", "/orgs/{org_id}/stock/transfer"), ("quantity",), "1000"),  # more than held
    (("POST", "/orgs/{org_id}/stock/reservations"), ("quantity",), "1000"),
    (("POST", "/orgs/{org_id}/invitations"), ("role",), "owner"),
    (("POST", "/orgs/{org_id}/invitations"), ("email",), "not-an-address"),
]


def _key(method: str, path: str) -> tuple[str, str]:
    return method, path.removeprefix(API)


def _valid_body(key: tuple[str, str], w: World, data: OrgData) -> Any:
    if key in VALID:
        return VALID[key](data, w)
    spec = SPECS.get(key)
    return spec.body(data, w) if spec and spec.body else None


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` and unwrap ``anyOf: [X, null]`` to X."""
    while True:
        if "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[-1]]
        elif "anyOf" in schema:
            options = [s for s in schema["anyOf"] if s.get("type") != "null"]
            schema = options[0] if options else {}
        else:
            return schema


def _nullable(schema: dict[str, Any]) -> bool:
    return any(s.get("type") == "null" for s in schema.get("anyOf", []))


def _field_cases(name: str, raw: dict[str, Any], components: dict[str, Any],
                 required: bool) -> list[tuple[str, Any]]:
    """(label, bad value) pairs for one body field; ``...`` means "leave the field out"."""
    s = _resolve(raw, components)
    kind = s.get("type")
    cases: list[tuple[str, Any]] = []
    if required:
        cases.append(("missing", ...))
        if not _nullable(raw):
            cases.append(("null", None))
    if "enum" in s or "const" in s:
        cases.append(("not-in-enum", "definitely-not-a-choice"))
    if kind == "string":
        cases.append(("nul", NUL))
    if kind == "string" and s.get("format") == "uuid":
        cases += [("not-a-uuid", "not-a-uuid"), ("unknown-id", str(uuid.uuid4())),
                  ("wrong-type", {"id": 1})]
    elif kind == "string" and s.get("format") == "date-time":
        cases += [*EXTREME_DATETIMES, ("wrong-type", {"at": 1})]
    elif kind == "string":
        numeric = s.get("pattern", "").startswith("^(?!^[-+.]*$)")  # pydantic Decimal-as-string
        cases += [("oversized", HUGE), ("wrong-type", {"text": 1})]
        if numeric:
            cases += [("absurd", "1e300"), ("nan", "NaN"), ("inf", "Infinity"),
                      ("digit-separator", "1_0")]
    elif kind in ("number", "integer"):
        cases += [("absurd", 1e300), ("absurd-negative", -1e300), ("nan", "NaN"),
                  ("inf", "Infinity"), ("wrong-type", "twelve"), ("wrong-type", [1])]
        if kind == "integer":
            cases += [("int-overflow", 2**70), ("fraction", 1.5)]
        else:
            # Python reads "1_0" as 10; a number is written plainly or refused.
            cases.append(("digit-separator", "1_0"))
        minimum = s.get("minimum", s.get("exclusiveMinimum"))
        if minimum is not None and minimum >= 0:
            cases.append(("negative", -1))
    elif kind == "boolean":
        cases.append(("wrong-type", {"yes": True}))
    elif kind == "array":
        cases += [("wrong-type", "not-a-list"), ("too-many", ["x"] * 10_001),
                  ("nul-item", [NUL])]
    elif kind == "object":
        cases += [("wrong-type", 5), ("nul-key", {NUL: 1})]
    return cases


def _set(body: Any, path: tuple[str | int, ...], value: Any) -> Any:
    body = copy.deepcopy(body)
    target = body
    for part in path[:-1]:
        target = target[part]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


def _query_cases(app: FastAPI, openapi: dict[str, Any], c: Checker, w: World,
                 ) -> list[tuple[str, str, str, str, str]]:
    """(method, url, parameter, label, value): a NUL byte in every query parameter of
    every GET route, and extreme datetimes in the datetime ones."""
    cases = []
    components = openapi["components"]["schemas"]
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if not isinstance(route, APIRoute) or "GET" not in route.methods:
            continue
        op = openapi["paths"].get(ctx.path, {}).get("get", {})
        url = c.fill(ctx.path, w.a, SPECS.get(_key("GET", ctx.path), Spec()), {})
        for param in op.get("parameters", []):
            if param["in"] != "query":
                continue
            values = [("nul", NUL)]
            if _resolve(param.get("schema", {}), components).get("format") == "date-time":
                values += EXTREME_DATETIMES
            cases += [("GET", url, param["name"], label, value)
                      for label, value in values]
    return cases


def _routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    out = []
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, APIRoute):
            out += [(m, ctx.path, route) for m in sorted(route.methods & MUTATING)]
    return sorted(out, key=lambda r: (r[1], r[0]))


class BadInput(Checker):
    """Sends bad requests and checks every answer is a 4xx problem document."""

    def expect_problem(self, label: str, method: str, url: str, resp: Any,
                       field: str | None = None, statuses: range | set[int] = range(400, 500),
                       ) -> None:
        if resp.status_code not in statuses:
            self.fail(label, method, url, resp, f"expected {statuses}")
            return
        if not resp.headers.get("content-type", "").startswith(PROBLEM):
            self.fail(label, method, url, resp, "not application/problem+json")
            return
        doc = resp.json()
        if not (doc.get("type") and doc.get("title") and doc.get("status") == resp.status_code):
            self.fail(label, method, url, resp, "problem without type/title/status")
        if field and resp.status_code == 422:
            named = {str(e.get("field", "")) for e in doc.get("errors", [])}
            if not any(n == field or n.startswith(field + ".") or n.startswith(field + "[")
                       for n in named) and field not in doc.get("detail", ""):
                self.fail(label, method, url, resp, f"does not name the field {field!r}")


def _tokens(w: World, settings: Settings) -> list[tuple[str, dict[str, str]]]:
    good = jwt.decode(w.a.owner.token, options={"verify_signature": False})
    expired = jwt.encode({**good, "iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600},
                         TEST_SECRET, algorithm="HS256")
    unsigned = jwt.encode(good, None, algorithm="none")  # type: ignore[arg-type]
    stranger = jwt.encode({**good, "sub": str(uuid.uuid4())}, TEST_SECRET, algorithm="HS256")
    wrong_type = jwt.encode({**good, "type": "refresh"}, TEST_SECRET, algorithm="HS256")
    forged = jwt.encode(good, "another-secret-that-is-long-enough-000", algorithm="HS256")
    return [
        ("no-scheme", {"Authorization": w.a.owner.token}),
        ("basic", {"Authorization": "Basic cWE6cWE="}),
        ("empty-bearer", {"Authorization": "Bearer "}),
        ("garbage", {"Authorization": "Bearer \x00\x01garbage"}),
        ("huge", {"Authorization": "Bearer " + "a" * 20_000}),
        ("bad-pat", {"Authorization": "Bearer qm_pat_notarealtoken"}),
        ("refresh-as-access", {"Authorization": "Bearer qm_rt_notarealtoken"}),
        ("expired", {"Authorization": f"Bearer {expired}"}),
        ("alg-none", {"Authorization": f"Bearer {unsigned}"}),
        ("unknown-user", {"Authorization": f"Bearer {stranger}"}),
        ("wrong-token-type", {"Authorization": f"Bearer {wrong_type}"}),
        ("forged", {"Authorization": f"Bearer {forged}"}),
    ]


def test_bad_input_is_a_4xx_problem_and_changes_nothing(
    settings: Settings, database: Database, make_user: Any, make_org: Any,
) -> None:
    app = qa_app(settings, database)
    with TestClient(app, raise_server_exceptions=False) as client:
        w = build_world(client, database, make_user, make_org)
        c = BadInput(client, w)
        openapi = client.get("/openapi.json").json()
        components = openapi["components"]["schemas"]
        missing_body = []
        before = snapshot(database)
        public = {k for k, s in SPECS.items() if s.public}
        for method, path, _route in _routes(app):
            key = _key(method, path)
            spec = SPECS.get(key, Spec())
            caller = w.a.member if spec.actor == "member" else w.a.owner
            url = c.fill(path, w.a, spec, {})
            op = openapi["paths"][path][method.lower()]
            content = op.get("requestBody", {}).get("content", {})
            # Credentials: every kind of bad token answers 401 (public routes need none).
            if key not in public:
                for label, headers in _tokens(w, settings):
                    resp = c.call(method, url, headers, _valid_body(key, w, w.a))
                    c.expect_problem(f"token:{label}", method, url, resp, statuses={401})
            if "application/json" not in content:
                continue  # no JSON body (form login is covered below)
            valid = _valid_body(key, w, w.a)
            if valid is None:
                missing_body.append(key)
                continue
            headers = caller.headers
            body_schema = _resolve(content["application/json"]["schema"], components)
            body_required = op["requestBody"].get("required", False)
            # Whole-body attacks.
            for label, raw in [("malformed-json", b'{"a": 1,,}'), ("truncated", b'{"name": "'),
                               ("not-utf8", b'{"name": "\xff\xfe"}'), ("empty", b"")]:
                if label == "empty" and not body_required:
                    continue  # an optional body may be omitted (e.g. complete all runs)
                resp = client.request(method, url, content=raw,
                                      headers={**headers, "Content-Type": "application/json"})
                c.calls += 1
                c.expect_problem(label, method, url, resp)
            for label, bad in [("array", [valid]), ("string", "body"), ("number", 42),
                               ("null", None)]:
                if label == "null" and not body_required:
                    continue  # an optional body may be omitted
                resp = client.request(method, url, json=bad, headers=headers)
                c.calls += 1
                c.expect_problem(f"body-{label}", method, url, resp)
            if isinstance(valid, dict):
                resp = c.call(method, url, headers, {**valid, "unexpected_field": 1})
                c.expect_problem("unknown-field", method, url, resp, field="unexpected_field")
            # Field by field.
            required = set(body_schema.get("required", []))
            for name, raw_schema in body_schema.get("properties", {}).items():
                if not isinstance(valid, dict):
                    break
                for label, value in _field_cases(name, raw_schema, components,
                                                 name in required):
                    if value is ... and name not in valid:
                        continue
                    if value is None and name not in required:
                        continue
                    body = _set({**valid, name: valid.get(name)}, (name,), value)
                    resp = c.call(method, url, headers, body)
                    c.expect_problem(f"{label}:{name}", method, url, resp, field=name)
        # Nested values.
        for (method, path), where, value in NESTED:
            spec = SPECS.get((method, path), Spec())
            url = c.fill(API + path, w.a, spec, {})
            body = _set(_valid_body((method, path), w, w.a), where, value)
            resp = c.call(method, url, w.a.owner.headers, body)
            c.expect_problem(f"nested:{where}", method, url, resp, field=str(where[0]))
        # Form login and query strings.
        for form in [{"username": HUGE, "password": "x"}, {"username": "x"},
                     {"username": "x", "password": HUGE}, {"username": w.a.owner.user.username,
                     "password": "wrong", "grant_type": "client_credentials"}]:
            resp = client.post(f"{API}/auth/token", data=form)
            c.calls += 1
            c.expect_problem("form-login", "POST", "/auth/token", resp)
        for query in [{"limit": "-1"}, {"limit": "1e300"}, {"limit": str(10**30)},
                      {"offset": "NaN"}, {"offset": "-5"}, {"item_id": "not-a-uuid"},
                      {"location_id": "x" * 1000}]:
            url = f"{API}/orgs/{w.a.org_id}/stock"
            resp = c.call("GET", url, w.a.owner.headers, None, query)
            c.expect_problem(f"query:{query}"[:40], "GET", url, resp,
                             field=next(iter(query)))
        for method, url, name, label, value in _query_cases(app, openapi, c, w):
            resp = c.call(method, url, w.a.owner.headers, None, {name: value})
            c.expect_problem(f"query-{label}:{name}", method, url, resp, field=name)
        resp = client.post(f"{API}/auth/token", data={"username": NUL, "password": "x"})
        c.calls += 1
        c.expect_problem("form-nul", "POST", "/auth/token", resp, field="username")
        for path in ["/orgs/not-a-uuid", "/orgs/" + str(uuid.uuid4()),
                     f"/orgs/{w.a.org_id}/goals/{'9' * 400}", f"/orgs/{w.a.org_id}/stock/%00"]:
            resp = c.call("GET", API + path, w.a.owner.headers)
            c.expect_problem("path", "GET", API + path, resp)
        changed = diff_snapshots(before, snapshot(database))
    assert not c.failures, f"{len(c.failures)} violations in {c.calls} calls:\n" + "\n".join(
        c.failures
    )
    assert not missing_body, f"mutating routes without a valid body in VALID/SPECS: {missing_body}"
    assert not changed, f"bad input changed data: {changed}"
    assert c.calls > 1000
    queried = {case[2] for case in _query_cases(app, openapi, c, w)}
    assert {"q", "match", "since", "until"} <= queried, queried


@pytest.fixture(autouse=True)
def _quiet_app_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("CRITICAL", logger="api")
