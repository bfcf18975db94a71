"""Cross-org isolation on EVERY route of the real app, enumerated from ``create_app()``.

Org A's owner is the attacker, org B the victim; both orgs are full of real records made
through the API (``qa_world``). For each route:

* control: B's own actor reads B's record (200) — the ids we use are real, so 404s mean
  something;
* unauthenticated and garbage-token calls answer 401;
* an outsider (member of no org) on org A's route answers 404;
* A's owner on org B's route (B's org id and B's record ids) answers 404;
* A's owner on org A's route with B's record ids in the path answers 404, and with B's ids in
  the query or body answers 4xx (mutations) or a 200 without B's data (filters);
* no response body carries any of B's ids, names or usernames (unless the caller sent it);
* afterwards every table is exactly as before.

A route without an entry in ``SPECS`` (or ``NOT_TENANT_DATA``) fails the test: new routes are
covered or explicitly reviewed.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIWebSocketRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api.core.db import Database
from api.core.settings import Settings
from tests.api.qa_world import (
    API,
    OrgData,
    World,
    build_world,
    diff_snapshots,
    qa_app,
    snapshot,
)

PROBLEM = "application/problem+json"
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}

# Routes outside /api/v1 that serve no tenant data (reviewed): documentation and probes.
NOT_TENANT_DATA = {
    ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"), ("GET", "/health"), ("GET", "/ready"),
    # Prometheus scrape: off (404) without QM_METRICS_TOKEN, aggregate counters only.
    ("GET", "/metrics"),
}

Body = Callable[[OrgData, World], Any]


@dataclass(frozen=True)
class Variant:
    """A case-2 call: org A's route with some of B's ids (path values override defaults)."""

    path: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass(frozen=True)
class Spec:
    """How to call one route for an org: a valid body, path-param overrides, extra variants.

    ``params`` maps a path parameter to the ``OrgData`` key that fills it (default: the
    parameter's own name). ``actor``: who owns the records (``owner`` or ``member``).
    ``control``: B's actor can GET the record with B's values (False where B's values are
    deliberately not visible on this route). ``public``: no authentication needed.
    """

    body: Body | None = None
    params: dict[str, str] = field(default_factory=dict)
    foreign: Callable[[World], list[Variant]] = lambda w: []
    actor: str = "owner"
    control: bool = True
    public: bool = False


def _plan(d: OrgData, w: World) -> dict[str, Any]:
    return {"demands": [{"item_id": d["item_id"], "quantity": 1}],
            "delivery_location_id": d["location_id"]}


def _source(d: OrgData, w: World) -> dict[str, Any]:
    return {"item_id": d["ore_id"], "location_id": w.station, "price": 1}


def _goal(d: OrgData, w: World) -> dict[str, Any]:
    return {"name": "QA neutral", "targets": [{"item_id": d["item_id"], "quantity": 1}]}


def _blueprint(d: OrgData, w: World) -> dict[str, Any]:
    return {"name": "QA neutral", "output_item_id": d["item_id"], "output_quantity": 1,
            "ingredients": [{"item_id": d["ore_id"], "quantity": 1}]}


def _craft(d: OrgData, w: World) -> dict[str, Any]:
    return {"blueprint_id": d["blueprint_id"], "runs": 1, "location_id": d["storage_id"]}


def _refining(d: OrgData, w: World) -> dict[str, Any]:
    return {"method": "Dinyx Solventation", "ore_item_id": d["ore_id"],
            "refined_item_id": d["item_id"]}


def _adjust(d: OrgData, w: World) -> dict[str, Any]:
    return {"item_id": d["item_id"], "location_id": d["location_id"], "delta": "1"}


def _transfer(d: OrgData, w: World) -> dict[str, Any]:
    return {"stock_id": d["stock_id"], "to_location_id": d["storage_id"], "quantity": "1"}


def _reserve(d: OrgData, w: World) -> dict[str, Any]:
    return {"stock_id": d["stock_id"], "quantity": "1"}


def _location(d: OrgData, w: World) -> dict[str, Any]:
    return {"name": "QA neutral", "kind": "storage", "parent_id": d["location_id"]}


def _ship(d: OrgData, w: World) -> dict[str, Any]:
    return {"name": "QA neutral", "ship_type": "C2 Hercules",
            "current_location_id": d["location_id"]}


def _const(value: Any) -> Body:
    return lambda d, w: value


def _b(w: World, *keys: str) -> dict[str, str]:
    return {k: w.b[k] for k in keys}


SPECS: dict[tuple[str, str], Spec] = {
    # --- live updates (WebSocket) ---
    ("WS", "/orgs/{org_id}/live"): Spec(),
    # No org: a tenant's token opens it as a plain user (no queue; see _check_ws).
    ("WS", "/commons/live"): Spec(),
    ("WS", "/users/me/live"): Spec(),
    # --- plans ---
    ("POST", "/orgs/{org_id}/plans"): Spec(body=_plan, foreign=lambda w: [
        Variant(body={"demands": [{"item_id": w.b["item_id"], "quantity": 1}],
                      "delivery_location_id": w.a["location_id"]}),
        Variant(body={**_plan(w.a, w), "delivery_location_id": w.b["location_id"]}),
        Variant(body={**_plan(w.a, w), "goal_ids": [w.b["goal_id"]]}),
        Variant(body={**_plan(w.a, w), "ship_id": w.b["ship_id"]}),
    ]),
    ("GET", "/orgs/{org_id}/plans"): Spec(),
    ("GET", "/orgs/{org_id}/plans/{plan_id}"): Spec(),
    ("GET", "/orgs/{org_id}/plans/{plan_id}/problem"): Spec(),
    ("POST", "/orgs/{org_id}/plans/{plan_id}/apply"): Spec(),
    ("POST", "/orgs/{org_id}/plans/{plan_id}/whatif"): Spec(
        body=_const({"variants": [{"name": "QA neutral", "changes": []}]})),
    ("GET", "/orgs/{org_id}/plans/{plan_id}/whatif"): Spec(),
    # --- crafts ---
    ("POST", "/orgs/{org_id}/crafts"): Spec(body=_craft, foreign=lambda w: [
        Variant(body={**_craft(w.a, w), "blueprint_id": w.b["blueprint_id"]}),
        Variant(body={**_craft(w.a, w), "location_id": w.b["location_id"]}),
        Variant(body={**_craft(w.a, w), "location_id": w.b["personal_location_id"]}),
    ]),
    ("GET", "/orgs/{org_id}/crafts"): Spec(foreign=lambda w: [
        Variant(query={"plan_id": w.b["plan_id"]})]),
    ("GET", "/orgs/{org_id}/crafts/{craft_id}"): Spec(),
    ("PATCH", "/orgs/{org_id}/crafts/{craft_id}"): Spec(body=_const({"priority": 1})),
    ("POST", "/orgs/{org_id}/crafts/{craft_id}/start"): Spec(),
    ("POST", "/orgs/{org_id}/crafts/{craft_id}/complete"): Spec(),
    ("POST", "/orgs/{org_id}/crafts/{craft_id}/cancel"): Spec(),
    # --- market listings ---
    ("GET", "/orgs/{org_id}/sources"): Spec(foreign=lambda w: [
        Variant(query=_b(w, "item_id")), Variant(query=_b(w, "location_id"))]),
    ("POST", "/orgs/{org_id}/sources"): Spec(body=_source, foreign=lambda w: [
        Variant(body={**_source(w.a, w), "item_id": w.b["item_id"]}),
        Variant(body={**_source(w.a, w), "location_id": w.b["location_id"]}),
    ]),
    ("GET", "/orgs/{org_id}/sources/{source_id}"): Spec(),
    ("PUT", "/orgs/{org_id}/sources/{source_id}"): Spec(body=_source, foreign=lambda w: [
        Variant(path={"source_id": w.a["source_id"]},
                body={**_source(w.a, w), "item_id": w.b["item_id"]}),
        Variant(path={"source_id": w.a["source_id"]},
                body={**_source(w.a, w), "location_id": w.b["location_id"]}),
    ]),
    ("DELETE", "/orgs/{org_id}/sources/{source_id}"): Spec(),
    ("POST", "/orgs/{org_id}/sources/{source_id}/votes"): Spec(body=_const({"accurate": False})),
    # --- stock watches ---
    ("GET", "/orgs/{org_id}/stock-watches"): Spec(),
    ("POST", "/orgs/{org_id}/stock-watches"): Spec(
        body=lambda d, w: {"item_id": d["ore_id"], "threshold": 5},
        foreign=lambda w: [Variant(body={"item_id": w.b["ore_id"], "threshold": 5})]),
    ("PATCH", "/orgs/{org_id}/stock-watches/{watch_id}"): Spec(body=_const({"threshold": 2})),
    ("DELETE", "/orgs/{org_id}/stock-watches/{watch_id}"): Spec(),
    # --- goals ---
    ("GET", "/orgs/{org_id}/goals"): Spec(),
    ("POST", "/orgs/{org_id}/goals"): Spec(body=_goal, foreign=lambda w: [
        Variant(body=_goal(w.b, w))]),
    ("GET", "/orgs/{org_id}/goals/{goal_id}"): Spec(),
    ("PUT", "/orgs/{org_id}/goals/{goal_id}"): Spec(body=_goal, foreign=lambda w: [
        Variant(path={"goal_id": w.a["goal_id"]}, body=_goal(w.b, w))]),
    ("POST", "/orgs/{org_id}/goals/{goal_id}/cancel"): Spec(),
    # --- blueprints ---
    ("GET", "/refining-methods"): Spec(),
    ("GET", "/orgs/{org_id}/blueprints"): Spec(foreign=lambda w: [
        Variant(query={"output_item_id": w.b["item_id"]})]),
    ("POST", "/orgs/{org_id}/blueprints"): Spec(body=_blueprint, foreign=lambda w: [
        Variant(body={**_blueprint(w.a, w), "output_item_id": w.b["item_id"]}),
        Variant(body={**_blueprint(w.a, w),
                      "ingredients": [{"item_id": w.b["ore_id"], "quantity": 1}]}),
    ]),
    ("POST", "/orgs/{org_id}/blueprints/refining"): Spec(body=_refining, foreign=lambda w: [
        Variant(body={**_refining(w.a, w), "ore_item_id": w.b["ore_id"]}),
        Variant(body={**_refining(w.a, w), "refined_item_id": w.b["item_id"]}),
    ]),
    ("GET", "/orgs/{org_id}/blueprints/{blueprint_id}"): Spec(),
    ("PUT", "/orgs/{org_id}/blueprints/{blueprint_id}"): Spec(body=_blueprint, foreign=lambda w: [
        Variant(path={"blueprint_id": w.a["blueprint_id"]},
                body={**_blueprint(w.a, w), "output_item_id": w.b["item_id"]}),
        Variant(path={"blueprint_id": w.a["blueprint_id"]},
                body={**_blueprint(w.a, w),
                      "ingredients": [{"item_id": w.b["ore_id"], "quantity": 1}]}),
    ]),
    ("DELETE", "/orgs/{org_id}/blueprints/{blueprint_id}"): Spec(),
    # --- accounts (the caller's own; B's ids only where a route takes an id) ---
    ("POST", "/auth/register"): Spec(public=True),
    ("POST", "/auth/token"): Spec(public=True),
    ("POST", "/auth/refresh"): Spec(public=True),
    ("POST", "/auth/logout"): Spec(public=True),
    ("GET", "/auth/scopes"): Spec(public=True),
    ("GET", "/users/me"): Spec(),
    # The commons: not tenant data, but ids of another kind or org must answer 404 and no
    # org route may reach another org (issue 9). Ids filled from B's blueprint: never a
    # submission or entity, so 404.
    ("POST", "/commons/submissions"): Spec(body=_const(
        {"kind": "tag", "data": {"name": "QA neutral"}, "source_ref": "QA neutral"})),
    ("GET", "/commons/submissions"): Spec(),
    ("GET", "/commons/submissions/{submission_id}"): Spec(
        params={"submission_id": "blueprint_id"}, control=False),
    ("PUT", "/commons/submissions/{submission_id}"): Spec(
        body=_const({"data": {"name": "QA neutral"}}), params={"submission_id": "blueprint_id"}),
    ("POST", "/commons/submissions/{submission_id}/decision"): Spec(
        body=_const({"action": "reject"}), params={"submission_id": "blueprint_id"}),
    ("POST", "/commons/entities/{entity_id}/takedown"): Spec(
        body=_const({"reason": "QA neutral"}), params={"entity_id": "blueprint_id"}),
    ("PUT", "/orgs/{org_id}/commons/hidden/{entity_id}"): Spec(
        body=_const({"hidden": True}), params={"entity_id": "blueprint_id"}),
    ("GET", "/public/items"): Spec(public=True),
    ("GET", "/public/blueprints"): Spec(public=True),
    ("GET", "/public/locations"): Spec(public=True),
    ("GET", "/public/tags"): Spec(public=True),
    ("GET", "/public/search"): Spec(public=True),
    ("GET", "/public/entities/{entity_id}/versions"): Spec(
        public=True, params={"entity_id": "blueprint_id"}, control=False),
    ("PATCH", "/users/me"): Spec(),
    ("POST", "/users/me/password"): Spec(),
    ("DELETE", "/users/me"): Spec(),
    ("POST", "/users/me/tokens"): Spec(),
    ("GET", "/users/me/tokens"): Spec(),
    ("DELETE", "/users/me/tokens/{token_id}"): Spec(actor="member"),
    # --- organisations and members ---
    ("POST", "/orgs"): Spec(),
    ("GET", "/orgs"): Spec(),
    ("GET", "/orgs/{org_id}"): Spec(),
    ("PATCH", "/orgs/{org_id}"): Spec(body=_const({"description": "QA neutral"})),
    ("DELETE", "/orgs/{org_id}"): Spec(),
    ("GET", "/orgs/{org_id}/members"): Spec(),
    ("POST", "/orgs/{org_id}/invitations"): Spec(
        body=lambda d, w: {"email": f"qa-{uuid.uuid4().hex[:8]}@example.test", "role": "viewer"}),
    ("GET", "/orgs/{org_id}/invitations"): Spec(),
    ("DELETE", "/orgs/{org_id}/invitations/{invitation_id}"): Spec(),
    # Addressed to a guest nobody is: every caller gets the same 404 as for a foreign id.
    ("GET", "/users/me/invitations"): Spec(),
    ("POST", "/users/me/invitations/{invitation_id}/accept"): Spec(control=False),
    ("POST", "/users/me/invitations/{invitation_id}/decline"): Spec(control=False),
    ("PATCH", "/orgs/{org_id}/members/{user_id}"): Spec(body=_const({"role": "viewer"})),
    ("DELETE", "/orgs/{org_id}/members/{user_id}"): Spec(),
    ("POST", "/orgs/{org_id}/leave"): Spec(),
    # --- stock ---
    ("POST", "/orgs/{org_id}/stock/adjust"): Spec(body=_adjust, foreign=lambda w: [
        Variant(body={**_adjust(w.a, w), "item_id": w.b["item_id"]}),
        Variant(body={**_adjust(w.a, w), "location_id": w.b["location_id"]}),
        Variant(body={**_adjust(w.a, w), "location_id": w.b["cargo_id"]}),
        Variant(body={**_adjust(w.a, w), "location_id": w.b["personal_location_id"],
                      "owner": "me"}),
    ]),
    ("POST", "/orgs/{org_id}/stock/transfer"): Spec(body=_transfer, foreign=lambda w: [
        Variant(body={**_transfer(w.a, w), "stock_id": w.b["stock_id"]}),
        Variant(body={**_transfer(w.a, w), "stock_id": w.b["personal_stock_id"]}),
        Variant(body={**_transfer(w.a, w), "to_location_id": w.b["location_id"]}),
        Variant(body={"item_id": w.b["item_id"], "from_location_id": w.b["location_id"],
                      "quality": 500, "to_location_id": w.a["location_id"], "quantity": "1"}),
    ]),
    ("POST", "/orgs/{org_id}/stock/reservations"): Spec(body=_reserve, foreign=lambda w: [
        Variant(body={**_reserve(w.a, w), "stock_id": w.b["stock_id"]}),
        Variant(body={**_reserve(w.a, w), "stock_id": w.b["personal_stock_id"]}),
        Variant(body={**_reserve(w.a, w), "plan_id": w.b["plan_id"]}),
        Variant(body={**_reserve(w.a, w), "craft_id": w.b.ids.get("craft_id", w.b["plan_id"])}),
    ]),
    ("POST", "/orgs/{org_id}/stock/reservations/{reservation_id}/release"): Spec(),
    ("POST", "/orgs/{org_id}/stock/{stock_id}/share"): Spec(
        params={"stock_id": "personal_stock_id"}, actor="member"),
    ("POST", "/orgs/{org_id}/stock/{stock_id}/withdraw"): Spec(
        params={"stock_id": "personal_stock_id"}, actor="member"),
    ("GET", "/orgs/{org_id}/stock"): Spec(foreign=lambda w: [
        Variant(query=_b(w, "location_id")), Variant(query=_b(w, "item_id")),
        Variant(query={"location_id": w.b["personal_location_id"]}),
        Variant(query={"location_id": w.station, "include_empty": "true"}),
    ]),
    ("GET", "/orgs/{org_id}/stock/where"): Spec(foreign=lambda w: [
        Variant(query=_b(w, "item_id")), Variant(query={"item_id": w.b["ore_id"]}),
    ]),
    ("GET", "/orgs/{org_id}/stock/history"): Spec(foreign=lambda w: [
        Variant(query=_b(w, "item_id")), Variant(query=_b(w, "location_id")),
        Variant(query=_b(w, "stock_id")), Variant(query={"actor_id": str(w.b.owner.id)}),
    ]),
    ("GET", "/orgs/{org_id}/stock/reservations"): Spec(foreign=lambda w: [
        Variant(query=_b(w, "stock_id")), Variant(query=_b(w, "plan_id")),
        Variant(query={"craft_id": w.b.ids.get("craft_id", w.b["plan_id"])}),
    ]),
    ("GET", "/orgs/{org_id}/stock/{stock_id}"): Spec(foreign=lambda w: [
        Variant(path={"stock_id": w.b["personal_stock_id"]})]),
    # --- universe (shared, read-only): org records must not show through it ---
    ("GET", "/universe/locations"): Spec(foreign=lambda w: [
        Variant(query={"format": "tree"}), Variant(query={"kind": "hangar"})]),
    ("GET", "/universe/locations/{location_id}"): Spec(control=False),
    ("GET", "/universe/locations/{location_id}/subtree"): Spec(control=False, foreign=lambda w: [
        Variant(path={"location_id": w.station}), Variant(path={"location_id": w.system})]),
    ("GET", "/universe/locations/{location_id}/ancestors"): Spec(control=False),
    # --- org locations ---
    ("GET", "/orgs/{org_id}/locations"): Spec(foreign=lambda w: [
        Variant(query={"parent_id": w.b["location_id"]})]),
    ("POST", "/orgs/{org_id}/locations"): Spec(body=_location, foreign=lambda w: [
        Variant(body={**_location(w.a, w), "parent_id": w.b["location_id"]}),
        Variant(body={**_location(w.a, w), "parent_id": w.b["personal_location_id"]}),
        Variant(body={**_location(w.a, w), "parent_id": w.b["cargo_id"]}),
    ]),
    ("GET", "/orgs/{org_id}/locations/{location_id}"): Spec(foreign=lambda w: [
        Variant(path={"location_id": w.b["cargo_id"]})]),
    ("PATCH", "/orgs/{org_id}/locations/{location_id}"): Spec(
        body=_const({"trip_cost": "5"}), foreign=lambda w: [
            Variant(path={"location_id": w.a["storage_id"]},
                    body={"parent_id": w.b["location_id"]}),
            Variant(path={"location_id": w.a["storage_id"]},
                    body={"parent_id": w.b["personal_location_id"]}),
        ]),
    ("DELETE", "/orgs/{org_id}/locations/{location_id}"): Spec(
        params={"location_id": "storage_id"}),
    ("GET", "/orgs/{org_id}/locations/{location_id}/subtree"): Spec(),
    ("GET", "/orgs/{org_id}/locations/{location_id}/ancestors"): Spec(),
    # --- personal locations: B's member's, called by A's owner ---
    ("GET", "/users/me/locations"): Spec(),
    ("POST", "/users/me/locations"): Spec(foreign=lambda w: [
        Variant(body={"name": "QA neutral", "kind": "storage",
                      "parent_id": w.b["personal_location_id"]}),
        Variant(body={"name": "QA neutral", "kind": "storage",
                      "parent_id": w.b["location_id"]}),
    ]),
    ("GET", "/users/me/locations/{location_id}"): Spec(
        params={"location_id": "personal_location_id"}, actor="member"),
    ("PATCH", "/users/me/locations/{location_id}"): Spec(
        body=_const({"name": "QA neutral"}), params={"location_id": "personal_location_id"},
        actor="member"),
    ("DELETE", "/users/me/locations/{location_id}"): Spec(
        params={"location_id": "personal_location_id"}, actor="member"),
    ("GET", "/users/me/locations/{location_id}/subtree"): Spec(
        params={"location_id": "personal_location_id"}, actor="member"),
    ("GET", "/users/me/locations/{location_id}/ancestors"): Spec(
        params={"location_id": "personal_location_id"}, actor="member"),
    # --- ships ---
    ("GET", "/ship-types"): Spec(),
    ("GET", "/orgs/{org_id}/ships"): Spec(),
    ("POST", "/orgs/{org_id}/ships"): Spec(body=_ship, foreign=lambda w: [
        Variant(body={**_ship(w.a, w), "current_location_id": w.b["location_id"]}),
        Variant(body={**_ship(w.a, w), "current_location_id": w.b["cargo_id"]}),
    ]),
    ("GET", "/orgs/{org_id}/ships/{ship_id}"): Spec(),
    ("PATCH", "/orgs/{org_id}/ships/{ship_id}"): Spec(
        body=_const({"name": "QA neutral"}), foreign=lambda w: [
            Variant(path={"ship_id": w.a["ship_id"]},
                    body={"current_location_id": w.b["location_id"]})]),
    ("POST", "/orgs/{org_id}/ships/{ship_id}/move"): Spec(
        body=lambda d, w: {"location_id": d["storage_id"]}, foreign=lambda w: [
            Variant(path={"ship_id": w.a["ship_id"]}, body={"location_id": w.b["location_id"]}),
            Variant(path={"ship_id": w.a["ship_id"]},
                    body={"location_id": w.b["personal_location_id"]}),
        ]),
    ("DELETE", "/orgs/{org_id}/ships/{ship_id}"): Spec(),
    ("GET", "/users/me/ships"): Spec(),
    ("POST", "/users/me/ships"): Spec(foreign=lambda w: [
        Variant(body={"name": "QA neutral", "ship_type": "C2 Hercules",
                      "current_location_id": w.b["location_id"]})]),
    ("GET", "/users/me/ships/{ship_id}"): Spec(params={"ship_id": "personal_ship_id"},
                                               actor="member"),
    ("PATCH", "/users/me/ships/{ship_id}"): Spec(
        body=_const({"name": "QA neutral"}), params={"ship_id": "personal_ship_id"},
        actor="member"),
    ("POST", "/users/me/ships/{ship_id}/move"): Spec(
        body=lambda d, w: {"location_id": w.station}, params={"ship_id": "personal_ship_id"},
        actor="member"),
    ("DELETE", "/users/me/ships/{ship_id}"): Spec(params={"ship_id": "personal_ship_id"},
                                                  actor="member"),
    # --- items ---
    ("GET", "/items"): Spec(foreign=lambda w: [Variant(query={"q": "alloy"})]),
    ("GET", "/items/{item_id}"): Spec(control=False),
    ("GET", "/orgs/{org_id}/items"): Spec(foreign=lambda w: [
        Variant(query={"q": "QA"}), Variant(query={"scope": "all", "limit": "200"})]),
    ("POST", "/orgs/{org_id}/items"): Spec(body=_const({"name": "QA neutral"})),
    ("GET", "/orgs/{org_id}/items/{item_id}"): Spec(),
    ("PATCH", "/orgs/{org_id}/items/{item_id}"): Spec(body=_const({"description": "QA neutral"})),
    ("DELETE", "/orgs/{org_id}/items/{item_id}"): Spec(),
    ("POST", "/orgs/{org_id}/items/{item_id}/aliases"): Spec(body=_const({"alias": "QA neutral"})),
    ("DELETE", "/orgs/{org_id}/items/{item_id}/aliases/{alias_id}"): Spec(foreign=lambda w: [
        Variant(path={"item_id": w.a["item_id"], "alias_id": w.b["alias_id"]})]),
    # --- account: my data, consent, notifications (another user's notification is 404) ---
    ("GET", "/users/me/export"): Spec(),
    ("GET", "/users/me/analytics/consent"): Spec(),
    ("PUT", "/users/me/analytics/consent"): Spec(body=_const({"granted": False})),
    ("GET", "/users/me/notifications"): Spec(),
    ("GET", "/users/me/notifications/unread-count"): Spec(),
    ("POST", "/users/me/notifications/read-all"): Spec(),
    ("POST", "/users/me/notifications/{notification_id}/read"): Spec(),
    ("GET", "/users/me/notification-preferences"): Spec(),
    ("PUT", "/users/me/notification-preferences"): Spec(body=_const({"preferences": []})),
    ("POST", "/auth/password-reset/request"): Spec(
        public=True, body=_const({"email": "nobody@example.test"})),
    ("POST", "/auth/password-reset"): Spec(
        public=True, body=_const({"token": "qm_reset_not-a-token", "new_password": "x" * 12})),
    ("POST", "/auth/verify-email"): Spec(
        public=True, body=_const({"token": "qm_verify_not-a-token"})),
    ("POST", "/users/me/email-verification"): Spec(),
    # --- analytics (admins): another org's dashboard answers 404 ---
    ("GET", "/orgs/{org_id}/analytics/dashboard"): Spec(),
    ("GET", "/orgs/{org_id}/analytics/blueprints"): Spec(),
    # --- webhooks (admins): another org's endpoint or delivery answers 404 ---
    ("GET", "/orgs/{org_id}/webhooks"): Spec(),
    ("POST", "/orgs/{org_id}/webhooks"): Spec(body=_const(
        {"name": "QA neutral", "url": "http://127.0.0.1:9/qa", "events": ["plan.done"]})),
    ("GET", "/orgs/{org_id}/webhooks/{webhook_id}"): Spec(),
    ("PATCH", "/orgs/{org_id}/webhooks/{webhook_id}"): Spec(
        body=_const({"description": "QA neutral"})),
    ("DELETE", "/orgs/{org_id}/webhooks/{webhook_id}"): Spec(),
    ("POST", "/orgs/{org_id}/webhooks/{webhook_id}/rotate-secret"): Spec(),
    ("POST", "/orgs/{org_id}/webhooks/{webhook_id}/test"): Spec(),
    ("GET", "/orgs/{org_id}/webhooks/{webhook_id}/deliveries"): Spec(),
    ("GET", "/orgs/{org_id}/webhooks/{webhook_id}/deliveries/{delivery_id}"): Spec(
        foreign=lambda w: [Variant(path={"webhook_id": w.a["webhook_id"],
                                         "delivery_id": w.b["delivery_id"]})]),
    ("POST", "/orgs/{org_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"): Spec(
        foreign=lambda w: [Variant(path={"webhook_id": w.a["webhook_id"],
                                         "delivery_id": w.b["delivery_id"]})]),
    # Multipart upload: the JSON calls here cover auth and org scoping (each kind's file
    # handling is in test_transfer_io.py); exports of A must name none of B's records.
    ("POST", "/orgs/{org_id}/imports"): Spec(foreign=lambda w: [
        Variant(query={"kind": "stock", "apply": "true"})]),
    ("GET", "/orgs/{org_id}/imports/{job_id}"): Spec(params={"job_id": "import_job_id"}),
    ("GET", "/orgs/{org_id}/exports"): Spec(foreign=lambda w: [
        Variant(query={"kind": kind, "format": fmt})
        for kind in ("items", "locations", "ships", "stock") for fmt in ("csv", "json")]),
}


def api_routes(app: FastAPI) -> Iterator[tuple[str, str, Any]]:
    """(method, path, route) of every HTTP and WebSocket route of the app."""
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, APIWebSocketRoute):
            yield "WS", ctx.path, ctx
        else:
            for method in sorted((ctx.methods or set()) - {"HEAD"}):
                yield method, ctx.path, ctx


def _key(method: str, path: str) -> tuple[str, str]:
    return method, path.removeprefix(API)


def test_every_route_has_a_cross_org_case(settings: Settings, database: Database) -> None:
    """A new route fails here until it gets a spec (or is reviewed into NOT_TENANT_DATA)."""
    app = qa_app(settings, database)
    seen = {_key(m, p) for m, p, _ in api_routes(app)}
    missing = sorted(k for k in seen if k not in SPECS and k not in NOT_TENANT_DATA)
    stale = sorted(k for k in SPECS if k not in seen)
    assert not missing, f"routes without a cross-org case: {missing}"
    assert not stale, f"cross-org cases for routes that no longer exist: {stale}"
    org_routes = [k for k in seen if "{org_id}" in k[1]]
    assert len(org_routes) >= 50  # the enumeration really sees the app's routes


@dataclass
class Checker:
    """Calls routes and collects every violation (all are reported at once)."""

    client: TestClient
    world: World
    failures: list[str] = field(default_factory=list)
    calls: int = 0

    def fill(self, path: str, data: OrgData, spec: Spec, override: dict[str, str]) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in override:
                return override[name]
            if name == "org_id":
                return data.org_id
            if name == "user_id":
                return str(data.member.id)
            return data[spec.params.get(name, name)]

        return re.sub(r"\{(\w+)\}", value, path)

    def call(self, method: str, url: str, headers: dict[str, str] | None,
             body: Any = None, query: dict[str, str] | None = None) -> Any:
        self.calls += 1
        kwargs: dict[str, Any] = {"headers": headers or {}, "params": query or {}}
        if body is not None:
            kwargs["json"] = body
        return self.client.request(method, url, **kwargs)

    def fail(self, label: str, method: str, url: str, resp: Any, why: str) -> None:
        self.failures.append(f"[{label}] {method} {url} -> {resp.status_code} {why}: "
                             f"{resp.text[:300]}")

    def check(self, label: str, method: str, url: str, resp: Any, allowed: set[int],
              sent: str) -> None:
        """Status in ``allowed``, problem+json on errors, none of B's secrets in the body."""
        if resp.status_code not in allowed:
            self.fail(label, method, url, resp, f"expected {sorted(allowed)}")
        if resp.status_code >= 400 and not resp.headers.get("content-type", "").startswith(
            PROBLEM
        ):
            self.fail(label, method, url, resp, "error is not a problem document")
        leaked = [s for s in self.world.b.secrets() if s in resp.text and s not in sent]
        if leaked:
            self.fail(label, method, url, resp, f"LEAKS org B data {leaked}")


def _actor(data: OrgData, spec: Spec) -> Any:
    return data.member if spec.actor == "member" else data.owner


def _ws_close_code(client: TestClient, url: str) -> int | None:
    try:
        with client.websocket_connect(url) as ws:
            ws.receive_json()
    except WebSocketDisconnect as exc:
        return exc.code
    return None


def _check_user_ws(c: Checker, w: World, path: str) -> None:
    """A socket without an org: bad tokens are refused, and an org owner is only a user there
    (the commons queue is for platform moderators, whom no org role makes)."""
    c.calls += 2
    code = _ws_close_code(c.client, f"{path}?token=garbage")
    if code != 4401:
        c.failures.append(f"[ws-unauthenticated] WS {path}: close code {code}, expected 4401")
    with c.client.websocket_connect(f"{path}?token={w.a.owner.token}") as ws:
        hello = ws.receive_json()
    if hello.get("type") != "hello" or ("commons" in path and hello.get("moderator") is not False):
        c.failures.append(f"[ws-org-owner] WS {path}: {hello}, expected a plain user's feed")


def _check_ws(c: Checker, w: World, path: str) -> None:
    if "{org_id}" not in path:
        _check_user_ws(c, w, path)
        return
    a_url = path.replace("{org_id}", w.a.org_id)
    b_url = path.replace("{org_id}", w.b.org_id)
    token_of = {"owner_a": w.a.owner.token, "outsider": w.outsider.token}
    cases = [
        ("ws-foreign-org", f"{b_url}?token={token_of['owner_a']}", 4404),
        ("ws-nonmember", f"{a_url}?token={token_of['outsider']}", 4404),
        ("ws-unauthenticated", f"{a_url}?token=garbage", 4401),
    ]
    for label, url, expected in cases:
        c.calls += 1
        code = _ws_close_code(c.client, url)
        if code != expected:
            c.failures.append(f"[{label}] WS {path}: close code {code}, expected {expected}")


def test_cross_org_isolation_on_every_route(
    settings: Settings,
    database: Database,
    make_user: Callable[..., Any],
    make_org: Callable[..., Any],
) -> None:
    app = qa_app(settings, database)
    with TestClient(app, raise_server_exceptions=False) as client:
        w = build_world(client, database, make_user, make_org)
        c = Checker(client, w)
        routes = sorted(
            (m, p) for m, p, _ in api_routes(app) if _key(m, p) not in NOT_TENANT_DATA
        )
        before = snapshot(database)
        for method, path in routes:
            spec = SPECS[_key(method, path)]
            if method == "WS":
                _check_ws(c, w, path)
                continue
            org_route = "{org_id}" in path
            has_ids = bool(re.search(r"\{(?!org_id\})\w+\}", path))

            # Control: B's own actor sees B's record, so the ids below are real.
            if method == "GET" and spec.control and has_ids:
                url = c.fill(path, w.b, spec, {})
                resp = c.call(method, url, _actor(w.b, spec).headers)
                if resp.status_code != 200:
                    c.fail("control", method, url, resp, "B cannot read its own record")

            a_url = c.fill(path, w.a, spec, {})
            a_body = spec.body(w.a, w) if spec.body else None
            if not spec.public:
                for label, headers in [
                    ("unauthenticated", {}),
                    ("garbage-token", {"Authorization": "Bearer not.a.jwt"}),
                    ("forged-token", {"Authorization": "Bearer " + _forged(w.a.owner.token)}),
                ]:
                    resp = c.call(method, a_url, headers, a_body)
                    c.check(label, method, a_url, resp, {401}, a_url)
            if org_route:
                resp = c.call(method, a_url, w.outsider.headers, a_body)
                c.check("nonmember", method, a_url, resp, {404}, a_url)

                b_url = c.fill(path, w.b, spec, {})
                b_body = spec.body(w.b, w) if spec.body else None
                resp = c.call(method, b_url, w.a.owner.headers, b_body)
                c.check("foreign-org", method, b_url, resp, {404}, b_url + repr(b_body))

            variants: list[tuple[str, Variant]] = []
            if has_ids:
                # A's org (when there is one), B's record ids in the path.
                names = re.findall(r"\{(\w+)\}", path)
                override = {n: c.fill("{" + n + "}", w.b, spec, {}) for n in names
                            if n != "org_id"}
                variants.append(("foreign-id", Variant(path=override, body=a_body)))
            variants += [("foreign-ref", v) for v in spec.foreign(w)]
            for label, v in variants:
                url = c.fill(path, w.a, spec, v.path)
                body = v.body if v.body is not None or label == "foreign-ref" else a_body
                resp = c.call(method, url, w.a.owner.headers, body, v.query)
                if label == "foreign-id":
                    allowed = {404}
                elif method in MUTATING:
                    allowed = set(range(400, 500)) - {401}
                else:
                    allowed = {200, 404, 422}
                c.check(label, method, url, resp, allowed, url + repr(body) + repr(v.query))
        changed = diff_snapshots(before, snapshot(database))
    assert not c.failures, f"{len(c.failures)} violations in {c.calls} calls:\n" + "\n".join(
        c.failures
    )
    assert not changed, f"rejected calls changed data: {changed}"
    assert c.calls > 300


def _forged(token: str) -> str:
    """The same claims re-signed with another key (``alg`` kept): must be refused."""
    import jwt

    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode(claims, "forged-secret-key-with-enough-length-xx", algorithm="HS256")


@pytest.fixture(autouse=True)
def _quiet_app_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("CRITICAL", logger="api")
