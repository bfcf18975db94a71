"""Personal access token scopes: the names, what implies what, and the one route → scope table.

:data:`ROUTE_SCOPES` says, for every route of the app, what a personal access token needs to
call it. It is enforced in one place (:mod:`api.core.deps`: ``get_auth`` for routes without
an ``{org_id}``, ``org_member`` after the membership and role checks, the live WebSocket's
authorisation), rendered into ``docs/permissions.md`` (:func:`render_markdown`), and
``tests/api/test_scopes.py`` walks every route of the app × every scope against it, so a
route without a row fails the test (and refuses every personal access token at run time).

Scopes only narrow: a route's org role (``api.core.permissions.MATRIX``) applies on top, so a
token never exceeds its user's role. JWT access tokens (login sessions) carry every scope.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from starlette.routing import BaseRoute

# The scope names a token may carry (``api/auth`` validates requests against this list).
SCOPES: dict[str, str] = {
    "org:read": "See your organisations and their members",
    "org:admin": "Rename/delete organisations, manage members, leave (role permitting)",
    "inventory:read": "Read locations, ships, stock, reservations, history and org items",
    "inventory:write": "Change stock, locations, ships and org items",
    "planning:read": "Read blueprints, goals, sources, crafts and plans",
    "planning:write": "Create and change blueprints, goals, sources, crafts and plans",
}
# A write scope implies the read scope of its area; every scope implies ``org:read`` because
# a token that may touch an org's data must be able to see which orgs it belongs to.
SCOPE_IMPLIES: dict[str, frozenset[str]] = {
    "org:admin": frozenset({"org:read"}),
    "inventory:read": frozenset({"org:read"}),
    "inventory:write": frozenset({"inventory:read", "org:read"}),
    "planning:read": frozenset({"org:read"}),
    "planning:write": frozenset({"planning:read", "org:read"}),
}

# Requirements that are not scopes.
PUBLIC = "public"  # no credential at all (login, registration, health)
ANY = "any token"  # any valid credential, whatever its scopes (game reference data, who am I)
SESSION = "login session"  # a JWT only: a leaked script token cannot manage the account

Requirement = str | tuple[str, ...]
"""A scope, several scopes (all needed), or one of :data:`PUBLIC`, :data:`ANY`, :data:`SESSION`."""

WEBSOCKET = "WS"  # the "method" of a WebSocket route in the table

_INV_R, _INV_W = "inventory:read", "inventory:write"
_PLAN_R, _PLAN_W = "planning:read", "planning:write"
_ORG_R, _ORG_A = "org:read", "org:admin"
# Touches both a plan/craft and the stock it reserves, consumes or releases.
_PLAN_AND_STOCK = (_PLAN_W, _INV_W)

# "METHOD /full/path" → requirement. One row per route; keep grouped by area.
ROUTE_SCOPES: dict[str, Requirement] = {
    "GET /health": PUBLIC,
    "GET /ready": PUBLIC,
    # Guarded by its own bearer token (QM_METRICS_TOKEN), not by user credentials.
    "GET /metrics": PUBLIC,
    # API docs, their assets served locally (api/app.py: FastAPIOffline)
    "GET /docs": PUBLIC,
    "GET /docs/oauth2-redirect": PUBLIC,
    "GET /redoc": PUBLIC,
    # accounts
    "POST /api/v1/auth/register": PUBLIC,
    "POST /api/v1/auth/token": PUBLIC,
    "POST /api/v1/auth/refresh": PUBLIC,
    "POST /api/v1/auth/logout": PUBLIC,
    "POST /api/v1/auth/password-reset/request": PUBLIC,
    "POST /api/v1/auth/password-reset": PUBLIC,
    "POST /api/v1/auth/verify-email": PUBLIC,
    "GET /api/v1/auth/scopes": PUBLIC,
    "GET /api/v1/users/me": ANY,
    "PATCH /api/v1/users/me": SESSION,
    "DELETE /api/v1/users/me": SESSION,
    "GET /api/v1/users/me/export": SESSION,
    "GET /api/v1/users/me/analytics/consent": SESSION,
    "PUT /api/v1/users/me/analytics/consent": SESSION,
    "GET /api/v1/orgs/{org_id}/analytics/dashboard": _PLAN_R,
    "GET /api/v1/orgs/{org_id}/analytics/blueprints": _PLAN_R,
    "POST /api/v1/users/me/password": SESSION,
    "POST /api/v1/users/me/email-verification": SESSION,
    "POST /api/v1/users/me/tokens": SESSION,
    "GET /api/v1/users/me/tokens": SESSION,
    "DELETE /api/v1/users/me/tokens/{token_id}": SESSION,
    # notification centre: a user's own messages, any credential of that user
    "GET /api/v1/users/me/notifications": ANY,
    "GET /api/v1/users/me/notifications/unread-count": ANY,
    "POST /api/v1/users/me/notifications/read-all": ANY,
    "POST /api/v1/users/me/notifications/{notification_id}/read": ANY,
    "GET /api/v1/users/me/notification-preferences": ANY,
    "PUT /api/v1/users/me/notification-preferences": SESSION,
    # organisations and members
    "POST /api/v1/orgs": _ORG_A,
    "GET /api/v1/orgs": _ORG_R,
    "GET /api/v1/orgs/{org_id}": _ORG_R,
    "PATCH /api/v1/orgs/{org_id}": _ORG_A,
    "DELETE /api/v1/orgs/{org_id}": _ORG_A,
    "GET /api/v1/orgs/{org_id}/members": _ORG_R,
    "POST /api/v1/orgs/{org_id}/invitations": _ORG_A,
    "GET /api/v1/orgs/{org_id}/invitations": _ORG_R,
    "DELETE /api/v1/orgs/{org_id}/invitations/{invitation_id}": _ORG_A,
    "GET /api/v1/users/me/invitations": _ORG_R,
    # Joining an org is the account owner's own decision: never by a script token.
    "POST /api/v1/users/me/invitations/{invitation_id}/accept": SESSION,
    "POST /api/v1/users/me/invitations/{invitation_id}/decline": SESSION,
    "PATCH /api/v1/orgs/{org_id}/members/{user_id}": _ORG_A,
    "DELETE /api/v1/orgs/{org_id}/members/{user_id}": _ORG_A,
    "POST /api/v1/orgs/{org_id}/leave": _ORG_A,
    # the live feed carries stock, craft and plan events
    "WS /api/v1/orgs/{org_id}/live": (_INV_R, _PLAN_R),
    # the commons moderation queue (moderators) and decisions on your own submissions
    "WS /api/v1/commons/live": _PLAN_R,
    "WS /api/v1/users/me/live": _PLAN_R,
    # game reference data (the same for everyone)
    "GET /api/v1/items": ANY,
    "GET /api/v1/items/{item_id}": ANY,
    "GET /api/v1/ship-types": ANY,
    "GET /api/v1/refining-methods": ANY,
    "GET /api/v1/universe/locations": ANY,
    "GET /api/v1/universe/locations/{location_id}": ANY,
    "GET /api/v1/universe/locations/{location_id}/subtree": ANY,
    "GET /api/v1/universe/locations/{location_id}/ancestors": ANY,
    # inventory: org items
    "GET /api/v1/orgs/{org_id}/items": _INV_R,
    # stock watches: thresholds below which members are told (notifications)
    "GET /api/v1/orgs/{org_id}/stock-watches": _INV_R,
    "POST /api/v1/orgs/{org_id}/stock-watches": _INV_W,
    "PATCH /api/v1/orgs/{org_id}/stock-watches/{watch_id}": _INV_W,
    "DELETE /api/v1/orgs/{org_id}/stock-watches/{watch_id}": _INV_W,
    "POST /api/v1/orgs/{org_id}/items": _INV_W,
    "GET /api/v1/orgs/{org_id}/items/{item_id}": _INV_R,
    "PATCH /api/v1/orgs/{org_id}/items/{item_id}": _INV_W,
    "DELETE /api/v1/orgs/{org_id}/items/{item_id}": _INV_W,
    "POST /api/v1/orgs/{org_id}/items/{item_id}/aliases": _INV_W,
    "DELETE /api/v1/orgs/{org_id}/items/{item_id}/aliases/{alias_id}": _INV_W,
    # import/export: one upload route for every kind; uex-prices writes market listings
    # (planning), the other kinds items, locations, ships and stock, so it needs both.
    "POST /api/v1/orgs/{org_id}/imports": (_INV_W, _PLAN_W),
    # Following a background import reads what only an importer may start.
    "GET /api/v1/orgs/{org_id}/imports/{job_id}": (_INV_W, _PLAN_W),
    "GET /api/v1/orgs/{org_id}/exports": _INV_R,
    # inventory: locations
    "GET /api/v1/orgs/{org_id}/locations": _INV_R,
    "POST /api/v1/orgs/{org_id}/locations": _INV_W,
    "GET /api/v1/orgs/{org_id}/locations/{location_id}": _INV_R,
    "PATCH /api/v1/orgs/{org_id}/locations/{location_id}": _INV_W,
    "DELETE /api/v1/orgs/{org_id}/locations/{location_id}": _INV_W,
    "GET /api/v1/orgs/{org_id}/locations/{location_id}/subtree": _INV_R,
    "GET /api/v1/orgs/{org_id}/locations/{location_id}/ancestors": _INV_R,
    "GET /api/v1/users/me/locations": _INV_R,
    "POST /api/v1/users/me/locations": _INV_W,
    "GET /api/v1/users/me/locations/{location_id}": _INV_R,
    "PATCH /api/v1/users/me/locations/{location_id}": _INV_W,
    "DELETE /api/v1/users/me/locations/{location_id}": _INV_W,
    "GET /api/v1/users/me/locations/{location_id}/subtree": _INV_R,
    "GET /api/v1/users/me/locations/{location_id}/ancestors": _INV_R,
    # inventory: ships
    "GET /api/v1/orgs/{org_id}/ships": _INV_R,
    "POST /api/v1/orgs/{org_id}/ships": _INV_W,
    "GET /api/v1/orgs/{org_id}/ships/{ship_id}": _INV_R,
    "PATCH /api/v1/orgs/{org_id}/ships/{ship_id}": _INV_W,
    "POST /api/v1/orgs/{org_id}/ships/{ship_id}/move": _INV_W,
    "DELETE /api/v1/orgs/{org_id}/ships/{ship_id}": _INV_W,
    "GET /api/v1/users/me/ships": _INV_R,
    "POST /api/v1/users/me/ships": _INV_W,
    "GET /api/v1/users/me/ships/{ship_id}": _INV_R,
    "PATCH /api/v1/users/me/ships/{ship_id}": _INV_W,
    "POST /api/v1/users/me/ships/{ship_id}/move": _INV_W,
    "DELETE /api/v1/users/me/ships/{ship_id}": _INV_W,
    # inventory: stock
    "GET /api/v1/orgs/{org_id}/stock": _INV_R,
    "GET /api/v1/orgs/{org_id}/stock/where": _INV_R,
    "GET /api/v1/orgs/{org_id}/stock/history": _INV_R,
    "GET /api/v1/orgs/{org_id}/stock/reservations": _INV_R,
    "GET /api/v1/orgs/{org_id}/stock/{stock_id}": _INV_R,
    "POST /api/v1/orgs/{org_id}/stock/adjust": _INV_W,
    "POST /api/v1/orgs/{org_id}/stock/transfer": _INV_W,
    "POST /api/v1/orgs/{org_id}/stock/reservations": _INV_W,
    "POST /api/v1/orgs/{org_id}/stock/reservations/{reservation_id}/release": _INV_W,
    "POST /api/v1/orgs/{org_id}/stock/{stock_id}/share": _INV_W,
    "POST /api/v1/orgs/{org_id}/stock/{stock_id}/withdraw": _INV_W,
    # planning: blueprints, sources, goals
    "GET /api/v1/orgs/{org_id}/blueprints": _PLAN_R,
    "POST /api/v1/orgs/{org_id}/blueprints": _PLAN_W,
    "POST /api/v1/orgs/{org_id}/blueprints/refining": _PLAN_W,
    "GET /api/v1/orgs/{org_id}/blueprints/{blueprint_id}": _PLAN_R,
    "PUT /api/v1/orgs/{org_id}/blueprints/{blueprint_id}": _PLAN_W,
    "DELETE /api/v1/orgs/{org_id}/blueprints/{blueprint_id}": _PLAN_W,
    # outbound webhooks (docs/webhooks.md): endpoints carry signing secrets, so org:admin
    "GET /api/v1/orgs/{org_id}/webhooks": _ORG_A,
    "POST /api/v1/orgs/{org_id}/webhooks": _ORG_A,
    "GET /api/v1/orgs/{org_id}/webhooks/{webhook_id}": _ORG_A,
    "PATCH /api/v1/orgs/{org_id}/webhooks/{webhook_id}": _ORG_A,
    "DELETE /api/v1/orgs/{org_id}/webhooks/{webhook_id}": _ORG_A,
    "POST /api/v1/orgs/{org_id}/webhooks/{webhook_id}/rotate-secret": _ORG_A,
    "POST /api/v1/orgs/{org_id}/webhooks/{webhook_id}/test": _ORG_A,
    "GET /api/v1/orgs/{org_id}/webhooks/{webhook_id}/deliveries": _ORG_A,
    "GET /api/v1/orgs/{org_id}/webhooks/{webhook_id}/deliveries/{delivery_id}": _ORG_A,
    "POST /api/v1/orgs/{org_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver":
        _ORG_A,
    # the commons (docs/commons.md): submissions by any user, decisions by platform roles
    "POST /api/v1/commons/submissions": _PLAN_W,
    "GET /api/v1/commons/submissions": _PLAN_R,
    "GET /api/v1/commons/submissions/{submission_id}": _PLAN_R,
    "PUT /api/v1/commons/submissions/{submission_id}": _PLAN_W,
    "POST /api/v1/commons/submissions/{submission_id}/decision": SESSION,
    "POST /api/v1/commons/entities/{entity_id}/takedown": SESSION,
    "PUT /api/v1/orgs/{org_id}/commons/hidden/{entity_id}": _PLAN_W,
    "GET /api/v1/public/items": PUBLIC,
    "GET /api/v1/public/blueprints": PUBLIC,
    "GET /api/v1/public/locations": PUBLIC,
    "GET /api/v1/public/tags": PUBLIC,
    "GET /api/v1/public/search": PUBLIC,
    "GET /api/v1/public/entities/{entity_id}/versions": PUBLIC,
    "GET /api/v1/orgs/{org_id}/sources": _PLAN_R,
    "POST /api/v1/orgs/{org_id}/sources": _PLAN_W,
    "GET /api/v1/orgs/{org_id}/sources/{source_id}": _PLAN_R,
    "PUT /api/v1/orgs/{org_id}/sources/{source_id}": _PLAN_W,
    "DELETE /api/v1/orgs/{org_id}/sources/{source_id}": _PLAN_W,
    "POST /api/v1/orgs/{org_id}/sources/{source_id}/votes": _PLAN_W,
    "GET /api/v1/orgs/{org_id}/goals": _PLAN_R,
    "POST /api/v1/orgs/{org_id}/goals": _PLAN_W,
    "GET /api/v1/orgs/{org_id}/goals/{goal_id}": _PLAN_R,
    "PUT /api/v1/orgs/{org_id}/goals/{goal_id}": _PLAN_W,
    "POST /api/v1/orgs/{org_id}/goals/{goal_id}/cancel": _PLAN_W,
    # planning: crafts (start/complete/cancel reserve, consume or release stock)
    "GET /api/v1/orgs/{org_id}/crafts": _PLAN_R,
    "POST /api/v1/orgs/{org_id}/crafts": _PLAN_W,
    "GET /api/v1/orgs/{org_id}/crafts/{craft_id}": _PLAN_R,
    "PATCH /api/v1/orgs/{org_id}/crafts/{craft_id}": _PLAN_W,
    "POST /api/v1/orgs/{org_id}/crafts/{craft_id}/start": _PLAN_AND_STOCK,
    "POST /api/v1/orgs/{org_id}/crafts/{craft_id}/complete": _PLAN_AND_STOCK,
    "POST /api/v1/orgs/{org_id}/crafts/{craft_id}/cancel": _PLAN_AND_STOCK,
    # planning: plans (applying creates crafts and reserves stock)
    "GET /api/v1/orgs/{org_id}/plans": _PLAN_R,
    "POST /api/v1/orgs/{org_id}/plans": _PLAN_W,
    "GET /api/v1/orgs/{org_id}/plans/{plan_id}": _PLAN_R,
    "GET /api/v1/orgs/{org_id}/plans/{plan_id}/problem": _PLAN_R,
    "POST /api/v1/orgs/{org_id}/plans/{plan_id}/apply": _PLAN_AND_STOCK,
    "POST /api/v1/orgs/{org_id}/plans/{plan_id}/whatif": _PLAN_W,
    "GET /api/v1/orgs/{org_id}/plans/{plan_id}/whatif": _PLAN_R,
}


def expand_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """``scopes`` plus every scope they imply (``inventory:write`` grants ``inventory:read``)."""
    granted = set(scopes)
    for scope in list(granted):
        granted |= SCOPE_IMPLIES.get(scope, frozenset())
    return frozenset(granted)


def needed_scopes(requirement: Requirement) -> frozenset[str]:
    """The scopes a requirement names (empty for :data:`PUBLIC`, :data:`ANY`, :data:`SESSION`)."""
    if requirement in (PUBLIC, ANY, SESSION):
        return frozenset()
    return frozenset((requirement,) if isinstance(requirement, str) else requirement)


def token_allows(requirement: Requirement | None, scopes: Iterable[str]) -> bool:
    """Whether a personal access token with ``scopes`` may call a route needing ``requirement``.

    ``None`` (a route missing from :data:`ROUTE_SCOPES`) refuses every token: fail closed.
    """
    if requirement is None or requirement == SESSION:
        return False
    return needed_scopes(requirement) <= expand_scopes(scopes)


def describe(requirement: Requirement | None) -> str:
    """Human words for a requirement (problem documents, docs)."""
    if requirement is None:
        return "a login session (this route declares no token scope)"
    if isinstance(requirement, str):
        return requirement
    return " + ".join(requirement)


def _route_rows(routes: Sequence[BaseRoute]) -> Iterator[tuple[str, Callable[..., Any]]]:
    for context in iter_route_contexts(routes):
        original = context.original_route
        if isinstance(original, APIRoute):
            for method in sorted(context.methods or ()):
                yield f"{method} {context.path_format}", original.endpoint
        elif isinstance(original, APIWebSocketRoute):
            yield f"{WEBSOCKET} {context.path}", original.endpoint


def route_keys(routes: Sequence[BaseRoute]) -> list[str]:
    """``"METHOD /path"`` of every API route of an app (``app.routes``), WebSockets as ``WS``."""
    return [key for key, _ in _route_rows(routes)]


EndpointRequirements = dict[tuple[Callable[..., Any], str], Requirement | None]


def endpoint_requirements(
    routes: Sequence[BaseRoute], extra: dict[str, Requirement] | None = None
) -> EndpointRequirements:
    """(endpoint function, method) → requirement, for the look-up at request time.

    Keyed by the endpoint because the request scope carries it for HTTP and WebSocket routes
    alike, whereas the matched route's path there may lack the routers' prefixes.
    """
    table = {**ROUTE_SCOPES, **(extra or {})}
    return {
        (endpoint, key.split(" ", 1)[0]): table.get(key) for key, endpoint in _route_rows(routes)
    }


def render_markdown() -> str:
    """The route → scope table as Markdown (a section of docs/permissions.md)."""
    scopes = list(SCOPES)
    header = "| route | needs | " + " | ".join(f"`{s}`" for s in scopes) + " |"
    rows = [header, "|---|---|" + "---|" * len(scopes)]
    for key, requirement in ROUTE_SCOPES.items():
        marks = " | ".join("yes" if token_allows(requirement, [s]) else "—" for s in scopes)
        rows.append(f"| `{key}` | {describe(requirement)} | {marks} |")
    return "\n".join(rows) + "\n"
