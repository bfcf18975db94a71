"""WebSocket ``/orgs/{org_id}/live``: the org's plan, craft and stock events as JSON messages.

Authenticate with ``?token=<access token or PAT>`` or, to keep tokens out of URLs and logs,
send ``{"token": "..."}`` as the first message within 10 s. Only members of the org are
subscribed; anyone else is closed with code 4404 (as for an org that does not exist), a bad
token with 4401, a personal access token without this route's scopes (``ROUTE_SCOPES``) with
4403. When the event source fails (Redis went away) the socket is closed with 1011 so the
client reconnects.

Access is re-checked while the socket is open: when a change that can take access away is
committed (``api.live.hub.announce_access_changed``), and every ``live_recheck_seconds`` as a
backstop for a lost pub/sub message. Lost membership or read role closes with 4403, lost
authentication (token or session revoked, password changed, account deleted) with 4401.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import exists, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.commons.service import is_moderator
from api.core.db import Database
from api.core.deps import _authenticate_pat, _jwt_context, _jwt_user_id, route_requirement
from api.core.errors import ProblemError
from api.core.permissions import Action, can
from api.core.scopes import Requirement
from api.core.security import FAMILY_CLAIM, PAT_PREFIX, decode_access_token
from api.core.settings import Settings
from api.live.hub import (
    COMMONS_QUEUE,
    Feed,
    channel,
    commons_user_channel,
    notice_channel,
    user_channel,
)
from models.accounts import RefreshToken, User
from models.orgs import OrganizationMember

logger = logging.getLogger(__name__)
router = APIRouter(tags=["live"])

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_STREAM_LOST = 1011  # RFC 6455 "internal error": the server lost its event source
CLOSE_NOT_FOUND = 4404
FIRST_MESSAGE_TIMEOUT = 10.0


def _family_revoked(session: Session, user_id: uuid.UUID, family: object) -> bool:
    try:
        family_id = uuid.UUID(str(family))
    except ValueError:
        return True
    stmt = select(exists().where(
        RefreshToken.user_id == user_id,
        RefreshToken.family_id == family_id,
        RefreshToken.revoked_at.is_not(None),
    ))
    return bool(session.scalar(stmt))


def _caller(
    session: Session, settings: Settings, token: str, requirement: Requirement | None,
    *, connected: bool,
) -> tuple[int | None, uuid.UUID | None]:
    """``(None, user_id)`` when the token authenticates an active user and may use this
    socket (``requirement``), else the close code (4401, or 4403 for a token's scopes).

    ``connected`` is the re-check of an open socket: an access token that merely expired
    keeps its socket (revocation still closes it).
    """
    try:
        if token.startswith(PAT_PREFIX):
            ctx = _authenticate_pat(session, token)
        else:
            claims = decode_access_token(token, settings, verify_exp=not connected)
            ctx = _jwt_context(session.get(User, _jwt_user_id(claims)), claims)
            family = claims.get(FAMILY_CLAIM)
            # The login session the token came from was logged out (or its refresh token
            # replayed): the socket goes with it.
            if family is not None and _family_revoked(session, ctx.user.id, family):
                return CLOSE_UNAUTHORIZED, None
    except ProblemError:
        return CLOSE_UNAUTHORIZED, None
    if not ctx.user.is_active or ctx.user.deleted_at is not None:
        return CLOSE_UNAUTHORIZED, None
    if not ctx.allows(requirement):
        return CLOSE_FORBIDDEN, None
    return None, ctx.user.id


def _authorise(
    db: Database,
    settings: Settings,
    token: str,
    org_id: uuid.UUID,
    requirement: Requirement | None,
    *,
    connected: bool = False,
) -> tuple[int | None, uuid.UUID | None]:
    """``(None, user_id)`` when the token's user is a member who may read the org's feed and
    the token may too (``requirement``), else the close code; lost access on an open socket
    is 4403, not 4404."""
    with db.session_scope(writes=False) as session:
        code, user_id = _caller(session, settings, token, requirement, connected=connected)
        if code is not None:
            return code, None
        role = session.scalar(select(OrganizationMember.role).where(
            OrganizationMember.organization_id == org_id,
            OrganizationMember.user_id == user_id))
        if role is None or not can(role, Action.ORG_READ):
            return (CLOSE_FORBIDDEN if connected else CLOSE_NOT_FOUND), None
        return None, user_id


def _moderation_access(
    db: Database, settings: Settings, token: str, requirement: Requirement | None,
    *, connected: bool = False, was_moderator: bool = False,
) -> tuple[int | None, uuid.UUID | None, bool]:
    """(close code or None, user id, moderator?) for the commons socket; an open socket that
    was subscribed to the queue closes with 4403 when its moderation role is revoked."""
    with db.session_scope(writes=False) as session:
        code, user_id = _caller(session, settings, token, requirement, connected=connected)
        if code is not None or user_id is None:
            return code, None, False
        moderator = is_moderator(session, user_id)
        if was_moderator and not moderator:
            return CLOSE_FORBIDDEN, None, False
        return None, user_id, moderator


async def _token_of(websocket: WebSocket, token: str | None) -> str:
    """The query's token, else the first message's ``{"token": ...}`` (within 10 s)."""
    if token is not None:
        return token
    try:
        first = await asyncio.wait_for(websocket.receive_text(), FIRST_MESSAGE_TIMEOUT)
        return str(json.loads(first).get("token") or "")
    except (TimeoutError, ValueError, AttributeError, WebSocketDisconnect):
        return ""


Recheck = Callable[[], Awaitable[int | None]]


async def _serve(websocket: WebSocket, feed: Feed, control: str, recheck: Recheck,
                 hello: dict[str, Any], recheck_seconds: float) -> None:
    """Forward the feed's messages until the client leaves or its access goes.

    A message on ``control`` (the user's access-changed channel) costs a re-check instead of
    being forwarded; so does every ``recheck_seconds``, a backstop for a lost pub/sub
    message. A failed event source closes with 1011 so the client reconnects.
    """

    async def forward() -> int | None:
        await feed.open()
        # Access may have changed between the first check and the subscription going live.
        if (code := await recheck()) is not None:
            return code
        await websocket.send_json(hello)
        while True:
            name, message = await feed.next()
            if name == control:
                # Only control messages cost a database check; events are forwarded as is.
                if (code := await recheck()) is not None:
                    return code
            else:
                await websocket.send_text(message)

    async def backstop() -> int | None:
        # Pub/sub is at-most-once: a control message lost in a Redis blip is caught here.
        while True:
            await asyncio.sleep(recheck_seconds)
            if (code := await recheck()) is not None:
                return code

    async def drain() -> int | None:
        # Client messages are ignored; this notices the disconnect.
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.receive_text()
        return None

    pump, listen = asyncio.create_task(forward()), asyncio.create_task(drain())
    tasks = [pump, asyncio.create_task(backstop()), listen]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        closing = next((t.result() for t in done if not t.cancelled() and t.exception() is None
                        and t.result() is not None), None)
        if closing is None and pump.done() and not listen.done():
            # The event source failed (Redis went away) or ended: say so with a close frame,
            # so clients reconnect instead of waiting on a half-dead socket.
            if not pump.cancelled() and pump.exception() is not None:
                logger.warning("live: event stream failed", extra={
                    "channels": feed.channels, "error": repr(pump.exception())})
            closing = CLOSE_STREAM_LOST
        if closing is not None:
            with contextlib.suppress(Exception):
                await websocket.close(code=closing)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        await feed.close()


# (database, settings, token, requirement, connected) -> (close code or None, user id)
Access = Callable[[Database, Settings, str, Requirement | None, bool],
                  tuple[int | None, uuid.UUID | None]]


async def _refuse(websocket: WebSocket, code: int) -> None:
    """Close an accepted socket whose caller may not listen; the page may have gone already
    (a sign-out, a navigation), and then there is nobody left to tell."""
    with contextlib.suppress(WebSocketDisconnect):
        await websocket.close(code=code)


async def _feed(websocket: WebSocket, token: str | None, access: Access,
                channels: Callable[[uuid.UUID], list[str]], hello: dict[str, Any]) -> None:
    """Accept, authenticate (``access``), then serve the caller's ``channels`` plus their
    control channel until they leave or lose access."""
    await websocket.accept()
    token = await _token_of(websocket, token)
    settings: Settings = websocket.app.state.settings
    db: Database = websocket.app.state.db
    requirement = route_requirement(websocket)
    code, user_id = (
        await run_in_threadpool(access, db, settings, token, requirement, False)
        if token else (CLOSE_UNAUTHORIZED, None)
    )
    if code is not None or user_id is None:
        await _refuse(websocket, code or CLOSE_UNAUTHORIZED)
        return

    async def recheck() -> int | None:
        code, _ = await run_in_threadpool(access, db, settings, token, requirement, True)
        return code

    control = user_channel(user_id)
    await _serve(websocket, Feed(settings.redis_url, [*channels(user_id), control]), control,
                 recheck, hello, settings.live_recheck_seconds)


@router.websocket("/orgs/{org_id}/live")
async def live(websocket: WebSocket, org_id: uuid.UUID, token: str | None = None) -> None:
    """Push the org's events (``plan.status``, ``stock.changed``, ``craft.status``, …)."""

    def access(db: Database, settings: Settings, token: str, requirement: Requirement | None,
               connected: bool) -> tuple[int | None, uuid.UUID | None]:
        return _authorise(db, settings, token, org_id, requirement, connected=connected)

    await _feed(websocket, token, access, lambda _user: [channel(org_id)],
                {"type": "hello", "org_id": str(org_id)})


@router.websocket("/commons/live")
async def commons_live(websocket: WebSocket, token: str | None = None) -> None:
    """The commons as it happens: curators and moderators get the moderation queue
    (``commons.submission`` submitted, resubmitted or decided, ``commons.entity`` taken down);
    every user gets the decisions on their own submissions. Authenticate as for the org feed.
    """
    await websocket.accept()
    token = await _token_of(websocket, token)
    settings: Settings = websocket.app.state.settings
    db: Database = websocket.app.state.db
    requirement = route_requirement(websocket)
    code, user_id, moderator = (
        await run_in_threadpool(_moderation_access, db, settings, token, requirement)
        if token else (CLOSE_UNAUTHORIZED, None, False)
    )
    if code is not None or user_id is None:
        await _refuse(websocket, code or CLOSE_UNAUTHORIZED)
        return

    async def recheck() -> int | None:
        code, _, _ = await run_in_threadpool(
            _moderation_access, db, settings, token, requirement, connected=True,
            was_moderator=moderator)
        return code

    control = user_channel(user_id)
    channels = [commons_user_channel(user_id), control, *([COMMONS_QUEUE] if moderator else [])]
    await _serve(websocket, Feed(settings.redis_url, channels), control, recheck,
                 {"type": "hello", "moderator": moderator}, settings.live_recheck_seconds)


def _user_access(db: Database, settings: Settings, token: str,
                 requirement: Requirement | None, connected: bool,
                 ) -> tuple[int | None, uuid.UUID | None]:
    with db.session_scope(writes=False) as session:
        return _caller(session, settings, token, requirement, connected=connected)


@router.websocket("/users/me/live")
async def my_live(websocket: WebSocket, token: str | None = None) -> None:
    """The caller's own events: ``notification.new`` when a notification arrives (the bell
    re-reads its count). Authenticate as for the org feed; no org is involved."""
    await _feed(websocket, token, _user_access, lambda user: [notice_channel(user)],
                {"type": "hello"})
