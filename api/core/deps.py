"""Authentication and organisation-access dependencies shared by every router.

* ``current_user`` / :data:`CurrentUser`: a Bearer JWT access token or a personal access token.
* ``org_member(min_role=...)`` / ``org_member(action=...)``: the caller's membership of the
  ``{org_id}`` in the path; 404 for non-members (never reveal that the org exists), 403 only
  for members whose role is too low.
* Personal access token scopes: both check the route's row of
  :data:`api.core.scopes.ROUTE_SCOPES` (403 ``required_scope``), after membership and role.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, NamedTuple

import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from api.core.authcache import AuthCache, register
from api.core.db import SAFE_METHODS, DbSession, write_after_commit
from api.core.errors import Forbidden, NotFound, Unauthorized
from api.core.kept import detached_copy
from api.core.permissions import Action, Role, min_role_for, role_at_least
from api.core.ratelimit import get_limiter
from api.core.readcache import read_cache
from api.core.scopes import (
    SESSION,
    EndpointRequirements,
    Requirement,
    describe,
    endpoint_requirements,
    token_allows,
)
from api.core.security import PAT_PREFIX, decode_access_token, hash_token
from api.core.settings import Settings, get_settings
from models.accounts import PersonalAccessToken, User
from models.orgs import OrganizationMember

# tokenUrl is where the auth router serves the OAuth2 password flow (for the docs' Authorize
# button); auto_error=False so we answer with our own 401 problem document.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)

# Don't write last_used_at on every request: a PAT hammering the API would serialise on it.
PAT_TOUCH_INTERVAL = timedelta(minutes=1)
ALL_SCOPES = "*"


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with (tests create apps with their own).

    ``async`` because it does no I/O: FastAPI runs a sync dependency on the threadpool, and
    every hop there costs a thread wake-up and a GIL hand-over on each request.
    """
    settings: Settings | None = getattr(request.app.state, "settings", None)
    return settings or get_settings()


AppSettings = Annotated[Settings, Depends(get_app_settings)]


@dataclass(frozen=True)
class AuthContext:
    """Who is calling and how: ``method`` is ``jwt`` or ``pat``; JWTs carry every scope."""

    user: User
    method: Literal["jwt", "pat"]
    scopes: frozenset[str] = field(default_factory=lambda: frozenset({ALL_SCOPES}))
    token_id: str | None = None

    def allows(self, requirement: Requirement | None) -> bool:
        """True when the credential may call a route needing ``requirement``."""
        return self.method == "jwt" or token_allows(requirement, self.scopes)


ROUTE_REQUIREMENTS_STATE = "route_requirements"


def install_route_scopes(app: FastAPI, extra: dict[str, Requirement] | None = None) -> None:
    """Index ``ROUTE_SCOPES`` (plus ``extra`` rows, for routes only tests add) by the app's
    endpoints; call once every route is added."""
    setattr(app.state, ROUTE_REQUIREMENTS_STATE, endpoint_requirements(app.routes, extra))


def route_requirement(conn: HTTPConnection) -> Requirement | None:
    """The matched route's row of ``ROUTE_SCOPES`` (None: the route declares none).

    ``create_app`` stores the table keyed by endpoint on ``app.state``; an app (or a route
    added later) without a row refuses personal access tokens.
    """
    table: EndpointRequirements = getattr(conn.app.state, ROUTE_REQUIREMENTS_STATE, {})
    method: str = "WS" if conn.scope["type"] == "websocket" else conn.scope["method"]
    endpoint: Callable[..., Any] | None = conn.scope.get("endpoint")
    return table.get((endpoint, method)) if endpoint is not None else None


def check_scope(conn: HTTPConnection, auth: AuthContext) -> None:
    """403 unless ``auth`` may call the matched route (personal access token scopes)."""
    requirement = route_requirement(conn)
    if auth.allows(requirement):
        return
    if requirement == SESSION:
        raise Forbidden("This needs a login session, not a personal access token",
                        required_scope=SESSION)
    raise Forbidden(f"Token lacks the scope this needs: {describe(requirement)}",
                    required_scope=describe(requirement))


def _authenticate_pat(session: DbSession, token: str) -> AuthContext:
    pat = session.scalar(
        select(PersonalAccessToken).where(PersonalAccessToken.token_hash == hash_token(token))
    )
    now = datetime.now(UTC)
    if pat is None or pat.revoked_at is not None or (pat.expires_at and pat.expires_at <= now):
        raise Unauthorized("Invalid, expired or revoked personal access token")
    user = session.get(User, pat.user_id)
    if user is None:
        raise Unauthorized("Invalid personal access token")
    if pat.last_used_at is None or now - pat.last_used_at > PAT_TOUCH_INTERVAL:
        # After the request's own commit, in a transaction of its own: a GET stays a reader.
        write_after_commit(session, _touch(pat.id, now))
    return AuthContext(user, "pat", frozenset(pat.scopes or []), str(pat.id))


def _touch(pat_id: uuid.UUID, now: datetime) -> Callable[[Session], object]:
    return lambda own: own.execute(update(PersonalAccessToken)
                                   .where(PersonalAccessToken.id == pat_id)
                                   .values(last_used_at=now))


def _jwt_user_id(claims: dict[str, object]) -> uuid.UUID:
    try:
        return uuid.UUID(str(claims["sub"]))
    except ValueError as exc:
        raise Unauthorized("Invalid access token") from exc


def _jwt_context(user: User | None, claims: dict[str, object]) -> AuthContext:
    """The caller of a verified JWT, unless the user is gone or the token was revoked."""
    if user is None:
        raise Unauthorized("Invalid access token")
    # Password change / logout-everywhere moves tokens_valid_after forward. ``iat`` has whole
    # seconds, so a token minted in the same second as the cut-off would survive it; tokens
    # from the auth service carry ``iat_ms`` and are compared to the millisecond. Tokens
    # without it fall back to ``iat`` seconds (refused when issued in the cut-off's second).
    if user.tokens_valid_after is not None:
        cutoff_ms = int(user.tokens_valid_after.timestamp() * 1000)
        issued_ms = claims.get("iat_ms")
        if not isinstance(issued_ms, int):
            issued_ms = int(str(claims["iat"])) * 1000
        if issued_ms < cutoff_ms:
            raise Unauthorized("Access token revoked")
    return AuthContext(user, "jwt", token_id=str(claims["jti"]))


def _authenticate_jwt(session: DbSession, claims: dict[str, Any]) -> AuthContext:
    return _jwt_context(session.get(User, _jwt_user_id(claims)), claims)


def _expires(claims: dict[str, Any]) -> float | None:
    """A token's ``exp`` (seconds since the epoch), which bounds how long it is cached."""
    exp = claims.get("exp")
    return float(exp) if isinstance(exp, int | float) else None


def _check_active(ctx: AuthContext) -> AuthContext:
    if not ctx.user.is_active or ctx.user.deleted_at is not None:
        raise Unauthorized("Account disabled")
    return ctx


def auth_cache(request: Request, settings: Settings, *, writes: bool = False
               ) -> AuthCache | None:
    """The app's cache of verified callers, for a read with a JWT, or a write on a route
    that takes shared copies (``writes``); else None."""
    if request.method not in SAFE_METHODS and not writes:
        return None
    cache: AuthCache | None = getattr(request.app.state, "auth_cache", None)
    if cache is None:
        kept = read_cache(request)
        cache = register(AuthCache(settings.auth_cache_seconds,
                                   changes=kept.clock if kept is not None else None))
        request.app.state.auth_cache = cache
    return cache if cache.enabled else None


def _cacheable(ctx: AuthContext) -> AuthContext:
    """A copy of ``ctx`` whose user is bound to no session (safe to share between requests)."""
    return AuthContext(detached_copy(ctx.user), ctx.method, ctx.scopes, ctx.token_id)


def _authenticate(
    request: Request, session: DbSession, settings: Settings, token: str | None
) -> AuthContext:
    """The caller (401 unless a valid credential is presented), once per request."""
    done: AuthContext | None = getattr(request.state, "auth", None)
    if done is not None:  # already authenticated by org_member() in this request
        return done
    if not token:
        raise Unauthorized()
    if token.startswith(PAT_PREFIX):
        ctx = _authenticate_pat(session, token)
    else:
        cache = auth_cache(request, settings)
        cached: AuthContext | None = cache.get(token, None) if cache else None
        if cached is not None:
            request.state.auth = cached
            return cached
        stamp = cache.stamp() if cache else None
        claims = decode_access_token(token, settings)
        ctx = _check_active(_authenticate_jwt(session, claims))
        if cache is not None:
            cache.put(token, None, ctx.user.id, _cacheable(ctx), stamp, _expires(claims))
    _remember(request, _check_active(ctx))
    return ctx


def _remember(request: Request, ctx: AuthContext) -> None:
    """Keep the caller on the request, and count an unsafe method against its account."""
    request.state.auth = ctx
    if request.method not in SAFE_METHODS:
        get_limiter(request).hit("writes_per_account", str(ctx.user.id))


def get_auth(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> AuthContext:
    """Authenticate the request (401) and check the route's token scope (403)."""
    ctx = _authenticate(request, session, settings, token)
    check_scope(request, ctx)
    return ctx


Auth = Annotated[AuthContext, Depends(get_auth)]


def current_user(auth: Auth) -> User:
    """The authenticated user (JWT access token or personal access token)."""
    return auth.user


CurrentUser = Annotated[User, Depends(current_user)]


class OrgAccess(NamedTuple):
    """The caller and their membership of the org in the path; unpacks as ``(user, member)``."""

    user: User
    membership: OrganizationMember

    @property
    def org_id(self) -> uuid.UUID:
        """The organisation's id."""
        return self.membership.organization_id

    @property
    def role(self) -> Role:
        """The caller's role in the organisation."""
        return Role(self.membership.role)


def org_member(
    min_role: Role | str = Role.VIEWER, *, action: Action | None = None,
    shared_copies: bool = False,
) -> Callable[..., Awaitable[OrgAccess]]:
    """Dependency factory for routes with an ``{org_id}`` path parameter.

    Pass ``action=Action.X`` to take the minimum role from the permission matrix (preferred),
    or ``min_role`` directly. Non-members get 404 as if the org did not exist. Personal access
    tokens also need the route's scope from ``ROUTE_SCOPES``.

    ``shared_copies=True`` declares that the route only reads who the caller is and their role
    (it never changes, deletes or lazy-loads from the user or membership it gets): its writes
    may then reuse a verified caller while no process has changed users, memberships,
    organisations or tokens (:mod:`api.core.authcache`). Reads always may.
    """
    minimum = min_role_for(action) if action is not None else Role(min_role)

    async def dependency(
        org_id: uuid.UUID,
        request: Request,
        session: DbSession,
        token: Annotated[str | None, Depends(oauth2_scheme)],
    ) -> OrgAccess:
        # ``async``: a verified caller from the cache costs no threadpool hop (one hop costs
        # more CPU than the check); only a lookup in the database goes to a thread. The
        # settings are read, not declared: every sub-dependency costs FastAPI's resolution on
        # every request of every org route.
        settings = await get_app_settings(request)
        found = await _kept_member(request, settings, token, org_id, shared_copies)
        if found is None:
            found = await anyio.to_thread.run_sync(
                _auth_and_membership, request, session, settings, token, org_id, shared_copies)
        auth, membership = found
        if membership is None:
            raise NotFound("organization", org_id)
        if not role_at_least(membership.role, minimum):
            raise Forbidden(
                f"This needs the {minimum.value} role or higher",
                required_role=minimum.value,
                role=membership.role,
            )
        # Scopes narrow a token; checked after membership so outsiders still see only 404.
        check_scope(request, auth)
        return OrgAccess(auth.user, membership)

    return dependency


# Built once: constructing the statement per request cost more than running it.
_USER_AND_MEMBERSHIP = (
    select(User, OrganizationMember)
    .outerjoin(
        OrganizationMember,
        and_(
            OrganizationMember.user_id == User.id,
            OrganizationMember.organization_id
            == bindparam("org_id", type_=OrganizationMember.organization_id.type),
        ),
    )
    .where(User.id == bindparam("user_id", type_=User.id.type))
)


async def _kept_member(
    request: Request, settings: Settings, token: str | None, org_id: uuid.UUID,
    shared_copies: bool,
) -> tuple[AuthContext, OrganizationMember | None] | None:
    """The verified caller and membership from the cache (no database), or None."""
    if getattr(request.state, "auth", None) is not None or not token \
            or token.startswith(PAT_PREFIX):
        return None
    write = request.method not in SAFE_METHODS
    cache = auth_cache(request, settings, writes=shared_copies)
    hit: tuple[AuthContext, OrganizationMember | None] | None = (
        cache.get(token, org_id, write=write) if cache else None)
    if hit is not None:
        request.state.auth = hit[0]
        if write:
            await get_limiter(request).hit_from_loop("writes_per_account", str(hit[0].user.id))
    return hit


def _auth_and_membership(
    request: Request,
    session: DbSession,
    settings: Settings,
    token: str | None,
    org_id: uuid.UUID,
    shared_copies: bool = False,
) -> tuple[AuthContext, OrganizationMember | None]:
    """Authenticate and load the caller's membership of ``org_id`` (the cache missed).

    For a JWT (the common case) the user and the membership come from one query, run in one
    threadpool hop: this is the per-request cost of every org route. The checks are the same
    as :func:`get_auth`'s (401 before 404/403).
    """
    done: AuthContext | None = getattr(request.state, "auth", None)
    if done is None and token and not token.startswith(PAT_PREFIX):
        cache = auth_cache(request, settings, writes=shared_copies)
        stamp = cache.stamp() if cache else None
        claims = decode_access_token(token, settings)
        row = session.execute(
            _USER_AND_MEMBERSHIP, {"user_id": _jwt_user_id(claims), "org_id": org_id}
        ).first()
        ctx = _check_active(_jwt_context(row[0] if row else None, claims))
        membership = row[1] if row else None
        if cache is not None and membership is not None:  # a new member must not wait
            cache.put(token, org_id, ctx.user.id, (
                _cacheable(ctx), detached_copy(membership)), stamp, _expires(claims))
        _remember(request, ctx)
        return ctx, membership
    ctx = done or _authenticate(request, session, settings, token)
    membership = session.scalar(
        select(OrganizationMember).where(
            OrganizationMember.organization_id == org_id,
            OrganizationMember.user_id == ctx.user.id,
        )
    )
    return ctx, membership
