"""WebSocket ``/orgs/{org_id}/live``: the org's plan, craft and stock events as JSON messages.

Authenticate with ``?token=<access token or PAT>`` or, to keep tokens out of URLs and logs,
send ``{"token": "..."}`` as the first message within 10 s. Only members of the org are
subscribed; anyone else is closed with code 4404 (as for an org that does not exist), a bad
token with 4401, a personal access token without this route's scopes (``ROUTE_SCOPES``) with
4403. When the event source fails (Redis went away) the socket is closed with 1011 so the
client reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from api.core.db import Database
from api.core.deps import _authenticate_jwt, _authenticate_pat, route_requirement
from api.core.errors import ProblemError
from api.core.scopes import Requirement
from api.core.security import PAT_PREFIX
from api.core.settings import Settings
from api.live.hub import channel, memory_hub
from models.orgs import OrganizationMember

logger = logging.getLogger(__name__)
router = APIRouter(tags=["live"])

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_STREAM_LOST = 1011  # RFC 6455 "internal error": the server lost its event source
CLOSE_NOT_FOUND = 4404
FIRST_MESSAGE_TIMEOUT = 10.0


def _authorise(db: Database, settings: Settings, token: str, org_id: uuid.UUID,
               requirement: Requirement | None) -> int | None:
    """None when the token's user is a member of the org and the token may read the feed
    (``requirement``), else the close code."""
    with db.session_scope() as session:
        try:
            if token.startswith(PAT_PREFIX):
                ctx = _authenticate_pat(session, token)
            else:
                ctx = _authenticate_jwt(session, token, settings)
        except ProblemError:
            return CLOSE_UNAUTHORIZED
        if not ctx.user.is_active or ctx.user.deleted_at is not None:
            return CLOSE_UNAUTHORIZED
        member = session.scalar(select(OrganizationMember.id).where(
            OrganizationMember.organization_id == org_id,
            OrganizationMember.user_id == ctx.user.id))
        if member is None:
            return CLOSE_NOT_FOUND
        return None if ctx.allows(requirement) else CLOSE_FORBIDDEN


async def _memory_events(org_id: str) -> AsyncIterator[str]:
    queue = memory_hub.subscribe(org_id)
    try:
        while True:
            yield await queue.get()
    finally:
        memory_hub.unsubscribe(org_id, queue)


async def _redis_events(redis_url: str, org_id: str) -> AsyncIterator[str]:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    pubsub = client.pubsub()
    await pubsub.subscribe(channel(org_id))
    try:
        async for message in pubsub.listen():
            if message.get("type") == "message":
                data = message["data"]
                yield data.decode() if isinstance(data, bytes) else str(data)
    finally:
        await pubsub.unsubscribe()
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await client.aclose()


@router.websocket("/orgs/{org_id}/live")
async def live(websocket: WebSocket, org_id: uuid.UUID, token: str | None = None) -> None:
    """Push the org's events (``plan.status``, ``stock.changed``, ``craft.status``, …)."""
    await websocket.accept()
    if token is None:
        try:
            first = await asyncio.wait_for(websocket.receive_text(), FIRST_MESSAGE_TIMEOUT)
            token = str(json.loads(first).get("token") or "")
        except (TimeoutError, ValueError, AttributeError, WebSocketDisconnect):
            token = ""
    settings: Settings = websocket.app.state.settings
    db: Database = websocket.app.state.db
    requirement = route_requirement(websocket)
    code = await run_in_threadpool(_authorise, db, settings, token, org_id, requirement) \
        if token else CLOSE_UNAUTHORIZED
    if code is not None:
        await websocket.close(code=code)
        return
    events = (_redis_events(settings.redis_url, str(org_id)) if settings.redis_url
              else _memory_events(str(org_id)))
    await websocket.send_json({"type": "hello", "org_id": str(org_id)})

    async def forward() -> None:
        async for message in events:
            await websocket.send_text(message)

    async def drain() -> None:
        # Client messages are ignored; this notices the disconnect.
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.receive_text()

    pump, listen = asyncio.create_task(forward()), asyncio.create_task(drain())
    tasks = [pump, listen]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if pump.done() and not listen.done():
            # The event source failed (Redis went away) or ended: say so with a close frame,
            # so clients reconnect instead of waiting on a half-dead socket.
            if not pump.cancelled() and pump.exception() is not None:
                logger.warning("live: event stream failed", extra={
                    "org_id": str(org_id), "error": repr(pump.exception())})
            with contextlib.suppress(Exception):
                await websocket.close(code=CLOSE_STREAM_LOST, reason="event stream lost")
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        with contextlib.suppress(BaseException):
            await events.aclose()  # type: ignore[attr-defined]
