"""The FastAPI application factory."""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline
from sqlalchemy import text

from api.analytics import router as analytics
from api.analytics.middleware import UsageEventsMiddleware
from api.auth import router as auth
from api.blueprints import router as blueprints
from api.commons import router as commons
from api.core import heartbeats
from api.core.changes import ChangeListener, clock_for
from api.core.db import Database
from api.core.deps import install_route_scopes
from api.core.errors import install_error_handlers
from api.core.errortracking import init_error_tracking
from api.core.frontend import mount_frontend
from api.core.guard import RequestGuardMiddleware
from api.core.jobs import JobDispatcher
from api.core.logging import RequestContextMiddleware, SecurityHeadersMiddleware, configure_logging
from api.core.metrics import MetricsMiddleware, StateCollector
from api.core.metrics import render as render_metrics
from api.core.outbox import OutboxRelay
from api.core.ratelimit import RateLimiter, WriteLimitMiddleware
from api.core.readcache import ReadCache
from api.core.settings import Settings, get_settings
from api.crafts import router as crafts
from api.goals import router as goals
from api.items import router as items
from api.live import router as live
from api.locations import router as locations
from api.notifications import router as notifications
from api.orgs import router as orgs
from api.plans import router as plans
from api.reference import load_reference_data
from api.ships import router as ships
from api.sources import router as sources
from api.stock import router as stock
from api.transfer_io import router as transfer_io
from api.webhooks import router as webhooks

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"

# Domain routers mounted under /api/v1, imported like any module: a router that fails to
# import stops the app from being built. Add one line per domain; each module exposes
# `router = APIRouter(...)`, included in this order.
DOMAIN_ROUTERS: tuple[APIRouter, ...] = (
    # The hot reads first: a request is matched against every route before its own, twice
    # (FastAPI matches an included router, then re-matches inside it to dispatch).
    items.router,
    stock.router,
    locations.router,
    plans.router,
    auth.router,
    orgs.router,
    live.router,
    crafts.router,
    sources.router,
    goals.router,
    blueprints.router,
    ships.router,
    transfer_io.router,
    commons.router,
    webhooks.router,
    analytics.router,
    notifications.router,
)


def _check_database(db: Database) -> str:
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:
        logger.warning("health: database down", extra={"error": str(exc)})
        return "down"


def _redis_client(app: FastAPI, settings: Settings) -> Any:
    """The app's Redis client for platform checks (short timeouts), made on first use."""
    client = getattr(app.state, "redis", None)
    if client is None and settings.redis_url:
        import redis

        client = redis.Redis.from_url(
            settings.redis_url, socket_timeout=1, socket_connect_timeout=1
        )
        app.state.redis = client
    return client


def _check_redis(app: FastAPI, settings: Settings) -> str:
    if not settings.redis_url:
        return "embedded"
    try:
        _redis_client(app, settings).ping()
        return "ok"
    except Exception as exc:
        logger.warning("health: redis down", extra={"error": str(exc)})
        return "down"


def _check_workers(app: FastAPI, settings: Settings) -> tuple[str, list[dict[str, Any]]]:
    """``ok`` when a worker heart-beat within ``plan_stale_seconds``; each worker's age."""
    if not settings.redis_url:
        return "embedded", []  # jobs run in this process' own worker threads
    try:
        seen = heartbeats.last_seen(_redis_client(app, settings), settings.dramatiq_namespace)
    except Exception as exc:
        logger.warning("ready: worker heartbeats unreadable", extra={"error": str(exc)})
        return "unknown", []
    now = time.time()
    workers = [{"id": w, "seconds_since_heartbeat": round(now - at, 1),
                "live": now - at <= settings.plan_stale_seconds}
               for w, at in sorted(seen.items())]
    return ("ok" if any(w["live"] for w in workers) else "down"), workers


def _schema_at_head(db: Database) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from api.core.db import alembic_config

    heads = set(ScriptDirectory.from_config(alembic_config(db.url)).get_heads())
    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    return current == heads


def _default_jobs(settings: Settings, db: Database) -> JobDispatcher:
    # The composition root is the one place in api that may import workers (DEVELOPERS.md):
    # domain code only sees the JobDispatcher interface on app.state.jobs.
    from workers.broker import make_dispatcher

    return make_dispatcher(settings, db)


def _install_middleware(app: FastAPI, settings: Settings, db: Database) -> None:
    """The middleware stack, innermost first (Starlette wraps each added one around the rest)."""
    # Innermost: the guard's 413/422 and a refused write are still CORS-readable problem
    # documents with a request id. The write limit sits outside the guard, so a flood is
    # refused before its bodies are read.
    app.add_middleware(RequestGuardMiddleware, max_body_bytes=settings.max_body_bytes,
                       max_upload_bytes=settings.max_upload_bytes)
    app.add_middleware(WriteLimitMiddleware)
    # Records after the answer, from the authenticated caller the routes left on the state.
    app.add_middleware(UsageEventsMiddleware, db=db, settings=settings)
    # Outermost last: the request id must wrap everything, including CORS preflights.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["X-Request-ID", "Location", "ETag"],
    )
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.environment == "production")
    app.add_middleware(RequestContextMiddleware)
    # Outside everything: a request refused by any layer still counts, under its route.
    app.add_middleware(MetricsMiddleware)


def _add_platform_routes(app: FastAPI, db: Database, settings: Settings) -> None:
    """``/health`` (liveness: database and Redis), ``/ready`` (database, Redis, workers and
    migrations, each reported; 503 when a required one is down) and ``/metrics``."""

    @app.get("/health", tags=["platform"], summary="Liveness of the database and Redis")
    def health(request: Request) -> JSONResponse:
        checks: dict[str, Any] = {
            "database": _check_database(db),
            "redis": _check_redis(request.app, settings),
        }
        ok = all(v != "down" for v in checks.values())
        return JSONResponse(
            {"status": "ok" if ok else "down", "checks": checks}, status_code=200 if ok else 503
        )

    @app.get("/ready", tags=["platform"],
             summary="Ready to serve: database, Redis, workers and migrations, each reported")
    def ready(request: Request) -> JSONResponse:
        try:
            at_head = _schema_at_head(db)
        except Exception as exc:
            logger.warning("ready: check failed", extra={"error": str(exc)})
            at_head = False
        workers, worker_list = _check_workers(request.app, settings)
        checks = {
            "database": _check_database(db),
            "redis": _check_redis(request.app, settings),
            "workers": workers,
            "migrations": "ok" if at_head else "behind",
        }
        required = ["database", "redis", "migrations"]
        if settings.ready_requires_workers:
            required.append("workers")
        ok = all(checks[name] in ("ok", "embedded") for name in required)
        return JSONResponse(
            {"status": "ready" if ok else "not_ready", "migrated": at_head, "checks": checks,
             "required": required, "workers": worker_list},
            status_code=200 if ok else 503,
        )

    @app.get("/metrics", tags=["platform"], include_in_schema=False)
    def metrics(request: Request) -> Response:
        # Off (404, as if absent) without a token; then only a scraper holding it may read.
        token = settings.metrics_token
        if not token:
            return Response(status_code=404)
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        client = _redis_client(request.app, settings) if settings.redis_url else None
        body, content_type = render_metrics(
            StateCollector(db, client, settings.dramatiq_namespace)
        )
        return Response(body, media_type=content_type)


def create_app(
    settings: Settings | None = None,
    database: Database | None = None,
    jobs: JobDispatcher | None = None,
) -> FastAPI:
    """Build the app. Tests pass their own ``settings``/``database``; production uses env.

    ``jobs`` defaults to the Dramatiq dispatcher (Redis when ``QM_REDIS_URL`` is set, else an
    in-process worker that starts and stops with the app's lifespan).
    """
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)
    init_error_tracking(settings)
    db = database or Database(settings.database_url, settings)
    dispatcher = jobs if jobs is not None else _default_jobs(settings, db)
    # What event listeners enqueue to after commit (webhook deliveries); an injected
    # dispatcher replaces whatever an earlier app left on a shared Database.
    db.attach_jobs(dispatcher)
    outbox = OutboxRelay(db, dispatcher, poll_seconds=settings.outbox_poll_seconds)
    caching = settings.read_cache and db.engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Start-up, not first request: an embedded worker must pick up plans queued before
        # a restart even when nobody calls the API.
        if settings.load_reference_data:
            touched = load_reference_data(db)
            if touched:
                logger.info("reference data loaded", extra={"rows": touched})
        start = getattr(dispatcher, "start", None)
        if callable(start):
            start()
        outbox.start()
        # Waits (off the event loop) until the listener hears, so answers are kept from the
        # first request on.
        listener = (await anyio.to_thread.run_sync(ChangeListener.acquire, db.engine.url)
                    if caching else None)
        try:
            yield
        finally:
            if listener is not None:
                listener.release()
            outbox.stop()
            stop = getattr(dispatcher, "stop", None)
            if callable(stop):
                stop()
            if database is None:  # only dispose what we created
                db.dispose()

    # FastAPIOffline serves Swagger UI and ReDoc from the package's own copies of their
    # assets: /docs works without internet. It needs a schema URL, so without docs the plain
    # FastAPI class is used.
    factory: Callable[..., FastAPI] = FastAPIOffline if settings.docs_enabled else FastAPI
    app = factory(
        title="Quartermaster API",
        version="0.1.0",
        summary="Inventory and planning for Star Citizen organisations",
        description=(
            "Errors are RFC 9457 problem documents (`application/problem+json`). "
            "Authenticate with `Authorization: Bearer <access token or qm_pat_… token>`."
        ),
        lifespan=lifespan,
        openapi_tags=[{"name": "platform", "description": "Health and readiness"}],
        # The schema and docs map every route for an attacker too: off in production unless
        # QM_API_DOCS=true.
        openapi_url="/openapi.json" if settings.docs_enabled else None,
        docs_url="/docs" if settings.docs_enabled else None,
        redoc_url="/redoc" if settings.docs_enabled else None,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.jobs = dispatcher
    app.state.limiter = RateLimiter(settings)
    app.state.outbox = outbox
    app.state.read_cache = ReadCache(clock_for(db.engine.url)) if caching else None

    install_error_handlers(app, reraise_unexpected=settings.environment == "test")
    _install_middleware(app, settings, db)

    for router in DOMAIN_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)

    _add_platform_routes(app, db, settings)

    # The UI answers what no route matches (the router's fallback, not a catch-all route).
    mount_frontend(app, settings.frontend_dist)
    # After every route is added: the token-scope look-up of api.core.deps, keyed by endpoint.
    install_route_scopes(app)
    return app
