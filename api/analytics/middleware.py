"""Records a usage event for each successful API call of a consenting user.

Outside the request's transaction on purpose: an event is not part of the change it
describes, and a failure to record one must never fail or roll back the request. The
consent flag on the already-authenticated user skips the database for everyone else.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import anyio
from sqlalchemy import inspect as sa_inspect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.analytics import service
from api.core.db import Database
from api.core.metrics import route_label
from api.core.settings import Settings

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1/"
# Choosing about analytics is not itself usage to analyse.
NOT_RECORDED = ("/api/v1/users/me/analytics/",)
_KIND_BY_METHOD = {"POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}
# Query parameters that make a read a search.
_SEARCH_PARAMS = (b"q=", b"search=", b"name=")


def event_kind(method: str, query_string: bytes) -> str | None:
    """``view``/``search`` for reads, ``create``/``update``/``delete`` for writes."""
    if method == "GET":
        params = query_string.split(b"&")
        return "search" if any(p.startswith(_SEARCH_PARAMS) for p in params) else "view"
    return _KIND_BY_METHOD.get(method)


def _caller(auth: Any) -> uuid.UUID | None:
    """The authenticated user's id when they may consent, read from the loaded state only:
    the request's session is closed by now, so an expired attribute must not be refreshed.
    A flag that is not loaded counts as "maybe" (the service checks the database)."""
    state = sa_inspect(auth.user)
    if state.dict.get("consent_data_collection") is False:
        return None
    # A cached caller is a detached copy without an identity key, with its columns loaded.
    user_id = state.dict.get("id") or (state.identity[0] if state.identity else None)
    return user_id if isinstance(user_id, uuid.UUID) else None


class UsageEventsMiddleware:
    """After a 2xx/3xx answer to an authenticated ``/api/v1`` call, record its usage event
    if the caller consents (the service re-checks consent under a row lock)."""

    def __init__(self, app: ASGIApp, db: Database, settings: Settings) -> None:
        self.app = app
        self.db = db
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not path.startswith(API_PREFIX) \
                or path.startswith(NOT_RECORDED):
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, send_status)
        auth = (scope.get("state") or {}).get("auth")
        caller = _caller(auth) if status < 400 and auth is not None else None
        if caller is None:
            return
        kind = event_kind(str(scope.get("method", "")), scope.get("query_string", b""))
        if kind is None:
            return
        org = (scope.get("path_params") or {}).get("org_id")
        client = scope.get("client")
        try:
            await anyio.to_thread.run_sync(
                self._record, caller, org, kind, route_label(scope),
                client[0] if client else None,
            )
        except Exception:
            logger.warning("usage event not recorded", exc_info=True)

    def _record(self, user_id: uuid.UUID, org: object, kind: str, route: str,
                address: str | None) -> None:
        org_id = org if isinstance(org, uuid.UUID) else (uuid.UUID(str(org)) if org else None)
        with self.db.session_scope() as session:
            service.record_event(session, self.settings, user_id=user_id,
                                 organization_id=org_id, kind=kind, route=route,
                                 address=address)
