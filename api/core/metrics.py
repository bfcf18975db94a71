"""Prometheus metrics (docs/operations.md lists every one).

Counters and histograms live at module level so any layer can record into them without
plumbing: the HTTP middleware here, the solve actors (:mod:`api.plans.tasks`), webhook
delivery (``webhook_failures_total``). Gauges that describe shared state (plan queue depth,
worker heartbeats) are read from the database and Redis at scrape time instead, so every API
process answers the same numbers and nothing goes stale when a process dies.

Multi-process: with ``PROMETHEUS_MULTIPROC_DIR`` set before start-up (``uvicorn --workers N``,
several worker processes on one host), prometheus-client keeps each process' values in files
there and :func:`render` adds them up.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.core import heartbeats
from api.core.db import Database
from models.planning import Plan, PlanVariant

logger = logging.getLogger(__name__)

# Buckets from a 5 ms read to a 30 s upload; solves go up to the 15-minute actor limit.
_HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_SOLVE_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)

http_requests_total = Counter(
    "qm_http_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
http_request_duration_seconds = Histogram(
    "qm_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=_HTTP_BUCKETS,
)
plan_solve_duration_seconds = Histogram(
    "qm_plan_solve_duration_seconds",
    "Wall time of one solve by a worker, by kind (plan, variant) and outcome (done, failed).",
    ["kind", "outcome"],
    buckets=_SOLVE_BUCKETS,
)
webhook_failures_total = Counter(
    "qm_webhook_failures_total",
    "Webhook delivery attempts that failed, by reason (http_status, timeout, connection, "
    "refused, disabled). Incremented by the webhook delivery actor.",
    ["reason"],
)
kept_lookups_total = Counter(
    "qm_kept_total",
    "Kept answers and lookups (api/core/kept.py), by store (answers: hot reads; lookups: what "
    "stock changes repeat) and outcome (hit; miss: built; off: the change clock was not live).",
    ["store", "outcome"],
)

# A request no route matched (the UI fallback, a 404): one label, never the raw path.
UNMATCHED_ROUTE = "<unmatched>"


def route_label(scope: Scope) -> str:
    """The route template (``/api/v1/orgs/{org_id}/plans``) the request matched.

    Raw paths carry ids, so labelling by them would create a time series per record. The
    template is rebuilt from the full path and the matched path parameters: the matched
    route's own ``path`` lacks the prefixes of the routers it is included through.
    """
    if scope.get("route") is None:
        return UNMATCHED_ROUTE
    params = {str(v): k for k, v in (scope.get("path_params") or {}).items()}
    path = str(scope.get("path", ""))
    return "/".join(f"{{{params[seg]}}}" if seg in params else seg for seg in path.split("/"))


class MetricsMiddleware:
    """Counts requests and times them by route template (outermost, so errors count too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            method = str(scope.get("method", "GET"))
            route = route_label(scope)
            http_requests_total.labels(method, route, str(status)).inc()
            http_request_duration_seconds.labels(method, route).observe(
                time.perf_counter() - started
            )


class StateCollector(Collector):
    """Scrape-time gauges from shared state: plan queue depth and worker heartbeats."""

    def __init__(self, db: Database, redis_client: Any, namespace: str) -> None:
        self.db = db
        self.redis = redis_client
        self.namespace = namespace

    def collect(self) -> Iterator[Metric]:
        """Yield the gauges; a component that is down is left out, not reported as zero."""
        depth = GaugeMetricFamily(
            "qm_plan_queue_depth",
            "Plans and what-if variants waiting (queued) or being solved (solving).",
            labels=["kind", "status"],
        )
        try:
            for kind, model in (("plan", Plan), ("variant", PlanVariant)):
                counts = dict.fromkeys(("queued", "solving"), 0)
                with self.db.engine.connect() as conn:
                    stmt = (select(model.status, func.count()).where(model.status.in_(counts))
                            .group_by(model.status))
                    for status, count in conn.execute(stmt):
                        counts[str(status)] = int(count)
                for status, count in counts.items():
                    depth.add_metric([kind, status], count)
            yield depth
        except Exception:
            logger.warning("metrics: queue depth unavailable", exc_info=True)
        if self.redis is None:
            return
        seen = GaugeMetricFamily(
            "qm_worker_last_seen_timestamp_seconds",
            "Unix time of each worker's last heartbeat (workers silent for a day are dropped).",
            labels=["worker"],
        )
        try:
            for worker, at in sorted(heartbeats.last_seen(self.redis, self.namespace).items()):
                seen.add_metric([worker], at)
            yield seen
        except Exception:
            logger.warning("metrics: worker heartbeats unavailable", exc_info=True)


def render(state: Collector | None) -> tuple[bytes, str]:
    """The exposition text and its content type: this process' (or, in multi-process mode,
    every process') counters and histograms, plus ``state``'s gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = CollectorRegistry(auto_describe=True)
        registry.register(_Forward(REGISTRY))
    if state is not None:
        registry.register(state)
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Forward(Collector):
    """The default registry's metrics inside a per-scrape registry (so the state collector,
    which holds a database, is never registered globally)."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        """Yield everything the source registry has."""
        yield from self.source.collect()
