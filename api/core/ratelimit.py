"""Rate limits: moving windows from the ``limits`` library, stored in Redis or in memory.

One :class:`RateLimiter` per app (``app.state.limiter``), built from the ``rate_limit_*``
settings. Redis (``rate_limit_storage_url``, else ``redis_url``) shares the counts between API
replicas; the embedded default counts in this process' memory. A limit that is reached is a
429 problem document with ``Retry-After`` (:class:`api.core.errors.TooManyRequests`).

Where each limit applies:

* ``login_per_client`` / ``register_per_client`` / ``refresh_per_client``: the auth routes
  (:func:`limit`), before any password work; ``refresh_per_account``: in
  ``api.auth.service.refresh`` once the token names its account;
* ``login_failures_*``: :class:`LoginAttempts`, used by ``api.auth.service.authenticate`` —
  only wrong passwords count, a reached limit refuses the attempt before Argon2 runs;
* ``plans_per_*``: plan and what-if requests (:func:`limit`);
* ``writes_per_client``: every unsafe method (:class:`WriteLimitMiddleware`);
  ``writes_per_account``: every unsafe method by an authenticated user
  (``api.core.deps.get_auth``).

If the store is unreachable the request is let through and a warning logged: a Redis outage
must not take the whole API down with it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

from fastapi import Request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from api.core.db import SAFE_METHODS
from api.core.errors import TooManyRequests, problem_response
from api.core.settings import Settings

logger = logging.getLogger(__name__)

RuleName = Literal[
    "login_per_client",
    "login_failures_per_account_client",
    "login_failures_per_account",
    "register_per_client",
    "password_reset_per_client",
    "refresh_per_client",
    "refresh_per_account",
    "plans_per_account",
    "plans_per_client",
    "writes_per_account",
    "writes_per_client",
    "commons_submissions_per_account",
    "public_reads_per_client",
]
RULES: tuple[RuleName, ...] = get_args(RuleName)

_MESSAGES: dict[RuleName, str] = {
    "login_per_client": "Too many login attempts from this client",
    "login_failures_per_account_client":
        "Too many wrong passwords for this account from this client",
    "login_failures_per_account": "Too many wrong passwords for this account",
    "register_per_client": "Too many registrations from this client",
    "password_reset_per_client": "Too many password reset requests from this client",
    "refresh_per_client": "Too many token refreshes from this client",
    "refresh_per_account": "Too many token refreshes for this account",
    "plans_per_account": "Too many plan requests from this account",
    "plans_per_client": "Too many plan requests from this client",
    "writes_per_account": "Too many changes from this account",
    "writes_per_client": "Too many changes from this client",
    "commons_submissions_per_account": "Too many commons submissions from this account",
    "public_reads_per_client": "Too many public catalogue reads from this client",
}


def storage_url(settings: Settings) -> str:
    """Where counts live: the explicit setting, else Redis when configured, else memory."""
    return settings.rate_limit_storage_url or settings.redis_url or "memory://"


class RateLimiter:
    """The app's limits, one moving window per rule and key."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limit_enabled
        self.rules: dict[RuleName, RateLimitItem] = {
            name: parse(getattr(settings, f"rate_limit_{name}")) for name in RULES
        }
        url = storage_url(settings)
        self.storage: Storage
        if url.startswith("memory"):
            self.storage = MemoryStorage()
        else:
            # Short socket timeouts: a hung Redis must cost a request milliseconds, not hang it.
            storage = storage_from_string(
                url, key_prefix=settings.rate_limit_key_prefix, wrap_exceptions=True,
                socket_timeout=0.5, socket_connect_timeout=0.5,
            )
            if not isinstance(storage, Storage):
                raise ValueError(f"QM_RATE_LIMIT_STORAGE_URL must be a synchronous store: {url}")
            self.storage = storage
        self._strategy = MovingWindowRateLimiter(self.storage)

    def _retry_after(self, rule: RuleName, keys: tuple[str, ...]) -> int:
        stats = self._strategy.get_window_stats(self.rules[rule], rule, *keys)
        return max(1, math.ceil(stats.reset_time - time.time()))

    def _refuse(self, rule: RuleName, keys: tuple[str, ...]) -> TooManyRequests:
        item = self.rules[rule]
        return TooManyRequests(
            f"{_MESSAGES[rule]} (at most {item.amount} per {item.multiples} "
            f"{item.GRANULARITY.name}{'s' if item.multiples != 1 else ''}); "
            "retry after the Retry-After seconds",
            retry_after=self._retry_after(rule, keys), limit=rule,
        )

    def _guarded(self, action: Callable[[], bool]) -> bool:
        """Run a storage call; True (let it through) when the store is down."""
        try:
            return action()
        except Exception:
            logger.warning("rate-limit store unavailable; request let through", exc_info=True)
            return True

    def hit(self, rule: RuleName, *keys: str) -> None:
        """Count one request; raise :class:`TooManyRequests` when over the limit."""
        if not self.enabled:
            return
        if not self._guarded(lambda: self._strategy.hit(self.rules[rule], rule, *keys)):
            raise self._refuse(rule, keys)

    @property
    def does_io(self) -> bool:
        """True when counting is a network round trip (Redis), False for this process's
        memory or when limits are off (counting then costs less than a threadpool hop)."""
        return self.enabled and not isinstance(self.storage, MemoryStorage)

    async def hit_from_loop(self, rule: RuleName, *keys: str) -> None:
        """:meth:`hit` from the event loop: in a worker thread only when it does I/O."""
        if self.does_io:
            await run_in_threadpool(self.hit, rule, *keys)
        else:
            self.hit(rule, *keys)

    def check(self, rule: RuleName, *keys: str) -> None:
        """Raise :class:`TooManyRequests` when the limit is already used up (counts nothing)."""
        if not self.enabled:
            return
        if not self._guarded(lambda: self._strategy.test(self.rules[rule], rule, *keys)):
            raise self._refuse(rule, keys)

    def record(self, rule: RuleName, *keys: str) -> None:
        """Count one event without refusing anything (e.g. a wrong password)."""
        if self.enabled:
            self._guarded(lambda: self._strategy.hit(self.rules[rule], rule, *keys) or True)

    def clear(self, rule: RuleName, *keys: str) -> None:
        """Forget the counts of one rule and key."""
        if self.enabled:
            def _clear() -> bool:
                self._strategy.clear(self.rules[rule], rule, *keys)
                return True
            self._guarded(_clear)


def client_key(request: Request) -> str:
    """The caller's address (behind nginx, uvicorn has already applied X-Forwarded-For)."""
    return request.client.host if request.client else "unknown"


def get_limiter(request: Request) -> RateLimiter:
    """The app's limiter (``app.state.limiter``)."""
    limiter: RateLimiter = request.app.state.limiter
    return limiter


def limit(*rules: RuleName) -> Callable[[Request], None]:
    """A route dependency counting the request against per-client and per-account ``rules``.

    Per-account rules key on the authenticated user (``request.state.auth``), so put this
    dependency after the one that authenticates.
    """

    def dependency(request: Request) -> None:
        limiter = get_limiter(request)
        for rule in rules:
            if rule.endswith("_per_client"):
                limiter.hit(rule, client_key(request))
            else:
                auth = getattr(request.state, "auth", None)
                if auth is not None:
                    limiter.hit(rule, str(auth.user.id))

    return dependency


@dataclass(frozen=True)
class LoginAttempts:
    """Wrong-password bookkeeping for one login request (one client)."""

    limiter: RateLimiter
    client: str

    def check(self, account: str) -> None:
        """Refuse (429) before any password work when this account is locked for this client
        or for everyone."""
        self.limiter.check("login_failures_per_account_client", account, self.client)
        self.limiter.check("login_failures_per_account", account)

    def failed(self, account: str) -> None:
        """Count a wrong password."""
        self.limiter.record("login_failures_per_account_client", account, self.client)
        self.limiter.record("login_failures_per_account", account)

    def succeeded(self, account: str) -> None:
        """The right password: this client's own typos stop counting against it."""
        self.limiter.clear("login_failures_per_account_client", account, self.client)


class WriteLimitMiddleware:
    """Per-client limit on unsafe methods under ``/api/``, before any routing or body parsing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count an unsafe ``/api/`` request against its client; 429 when over the limit."""
        if (scope["type"] == "http" and scope["method"] not in SAFE_METHODS
                and scope["path"].startswith("/api/")):
            request = Request(scope)
            try:
                # Off the event loop when counting is a network round trip (Redis).
                await get_limiter(request).hit_from_loop("writes_per_client",
                                                         client_key(request))
            except TooManyRequests as exc:
                response = problem_response(request, exc.status, exc.title, exc.slug,
                                            exc.detail, headers=exc.headers, extra=exc.extra)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
