"""Dramatiq set-up: a Redis broker in production, an in-process broker and worker when embedded.

A :class:`Runtime` is the :class:`api.core.jobs.JobDispatcher` the composition root
(``api.app.create_app``, ``python -m workers``) installs; one per app or worker process:

* ``settings.redis_url`` set (production): a ``RedisBroker``. The API process only enqueues;
  worker processes (``python -m workers`` / ``quartermaster-worker``) consume.
* no Redis (embedded default, tests): a ``StubBroker`` plus a ``dramatiq.Worker`` running
  in threads of this process, so jobs really execute with nothing else installed.

Jobs are enqueued only after commit (:func:`api.core.db.after_commit`); actors are idempotent
(see :mod:`api.plans.tasks`). A reaper thread puts plans whose worker stopped heart-beating
back to ``queued`` and re-enqueues them, so a killed worker never leaves a plan stuck.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker

from api.core import heartbeats
from api.core.db import Database
from api.core.outbox import OutboxJobs, OutboxRelay
from api.core.settings import Settings
from api.notifications import service as _notifications  # noqa: F401  (registers its listener)
from api.notifications import tasks as notification_tasks
from api.notifications.mail import EMAIL_ACTOR, send_stored_email
from api.plans import tasks
from api.transfer_io import tasks as import_tasks
from api.webhooks import tasks as webhook_tasks

logger = logging.getLogger(__name__)

PLANS_QUEUE = "plans"
EMAIL_QUEUE = "email"
SOLVE_ACTOR = "solve_plan"
VARIANT_ACTOR = "solve_variant"
# Dramatiq's own limits on a solve message; the engine's time_limit is far below this.
SOLVE_TIME_LIMIT_MS = 15 * 60 * 1000
SOLVE_MAX_RETRIES = 3
WEBHOOKS_QUEUE = "webhooks"
WEBHOOK_ACTOR = "deliver_webhook"
IMPORTS_QUEUE = "imports"
IMPORT_ACTOR = "run_import"
# A 100,000-row file applies in well under a minute; the limit only stops a runaway job.
IMPORT_TIME_LIMIT_MS = 30 * 60 * 1000


@dataclass
class Runtime:
    """A broker with its actors declared, the database they work on, and (embedded) a worker."""

    settings: Settings
    database: Database
    broker: dramatiq.Broker
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:"
                           f"{uuid.uuid4().hex[:6]}")
    worker: dramatiq.Worker | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _reaper: threading.Thread | None = None
    _redis_client: Any = None

    @property
    def embedded(self) -> bool:
        """True when jobs run in this process (no Redis)."""
        return isinstance(self.broker, StubBroker)

    def enqueue_plan(self, plan_id: uuid.UUID | str) -> None:
        """Send one solve message for ``plan_id`` (call from an after-commit hook)."""
        self.broker.get_actor(SOLVE_ACTOR).send(str(plan_id))

    def enqueue_variants(self, variant_ids: Sequence[uuid.UUID | str]) -> None:
        """One message per what-if variant, so several workers solve them in parallel."""
        actor = self.broker.get_actor(VARIANT_ACTOR)
        for variant_id in variant_ids:
            actor.send(str(variant_id))

    def enqueue_webhook(self, delivery_id: uuid.UUID | str, delay_seconds: float = 0.0) -> None:
        """Send one delivery attempt, ``delay_seconds`` from now (a retry's backoff)."""
        delay = int(delay_seconds * 1000)
        self.broker.get_actor(WEBHOOK_ACTOR).send_with_options(
            args=(str(delivery_id),), delay=delay if delay > 0 else None)

    def enqueue_import(self, job_id: uuid.UUID | str) -> None:
        """Send one background import (call from an after-commit hook: the outbox)."""
        self.broker.get_actor(IMPORT_ACTOR).send(str(job_id))

    def enqueue_email(self, email_id: uuid.UUID | str) -> None:
        """Send one stored email (from the outbox relay: api/notifications/mail.py)."""
        self.broker.get_actor(EMAIL_ACTOR).send(str(email_id))

    def start(self, threads: int = 2) -> None:
        """App start-up hook: embedded mode consumes in this process; with Redis the API
        process only enqueues (worker processes consume)."""
        if self.embedded:
            self.start_worker(threads=threads)

    def start_worker(self, threads: int = 2) -> None:
        """Start consuming in this process, plus the reaper thread."""
        if self.worker is None:
            self.worker = dramatiq.Worker(self.broker, worker_threads=threads, worker_timeout=100)
            self.worker.start()
        if self._reaper is None:
            self._reaper = threading.Thread(target=self._reap_loop, name="qm-reaper", daemon=True)
            self._reaper.start()

    def reap(self) -> int:
        """Requeue plans with a stale heartbeat (and lost queued ones); return how many.

        Import jobs in the same pass: a dead worker's are failed (they wrote nothing), lost
        queued ones are sent again (:func:`api.transfer_io.tasks.reap_import_jobs`).

        Through the job outbox, like every enqueue: the plans go back to ``queued`` and their
        outbox rows are written in one transaction, sent right after it commits; a broker that
        is down leaves the rows for the outbox relays' retry loop instead of losing the jobs.
        """
        stale = self.settings.plan_stale_seconds
        relay = OutboxRelay(self.database, self)  # no loop of its own: sends after commit
        # Begun as a reader: the reaper looks every few seconds and rarely finds anything; on
        # SQLite a write refused for having read first fails this pass, and the next retries.
        with self.database.session_scope(writes=False) as session:
            plans = tasks.reclaim_stale_plans(session, stale_seconds=stale)
            variants = tasks.reclaim_stale_variants(session, stale_seconds=stale)
            _, lost_imports = import_tasks.reap_import_jobs(session, stale_seconds=stale)
            jobs = OutboxJobs(session, relay)
            for plan_id in plans:
                jobs.enqueue_plan(plan_id)
            if variants:
                jobs.enqueue_variants(variants)
            for job_id in lost_imports:
                jobs.enqueue_import(job_id)
        return len(plans) + len(variants)

    def heartbeat(self) -> None:
        """Stamp this worker as alive in Redis (``/ready`` and ``/metrics`` read it)."""
        if self.settings.redis_url and not self.embedded:
            heartbeats.beat(self._redis(), self.settings.dramatiq_namespace, self.worker_id)

    def _redis(self) -> Any:
        if self._redis_client is None:
            import redis

            self._redis_client = redis.Redis.from_url(
                str(self.settings.redis_url), socket_timeout=2, socket_connect_timeout=2
            )
        return self._redis_client

    def _reap_loop(self) -> None:
        # Beats at least as often as the reaper looks, and well within plan_stale_seconds
        # (the age /ready still calls live).
        interval = min(self.settings.reaper_interval_seconds,
                       self.settings.plan_stale_seconds / 3)
        while not self._stop.is_set():
            try:
                self.heartbeat()
            except Exception:
                logger.warning("worker heartbeat failed", exc_info=True)
            try:
                count = self.reap()
                if count:
                    logger.warning("reaper re-enqueued plans", extra={"count": count})
            except Exception:
                logger.exception("reaper failed")
            try:
                count = webhook_tasks.sweep(self.database, self.settings)
                if count:
                    logger.warning("reaper re-sent webhook deliveries", extra={"count": count})
            except Exception:
                logger.exception("webhook sweep failed")
            try:
                notification_tasks.remind_due_goals(self.database, self.settings)
            except Exception:
                logger.exception("due-goal reminders failed")
            self._stop.wait(interval)

    def stop(self) -> None:
        """Stop the worker and the reaper (waits for running jobs to end)."""
        self._stop.set()
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        if self._reaper is not None:
            self._reaper.join(timeout=5)
            self._reaper = None
        self.database.detach_jobs(self)
        if self._redis_client is not None:
            # A clean stop is not a dead worker: leave /ready's list.
            with contextlib.suppress(Exception):
                heartbeats.forget(self._redis_client, self.settings.dramatiq_namespace,
                                  self.worker_id)
        with _lock:
            _runtimes[:] = [r for r in _runtimes if r is not self]


def build_broker(settings: Settings) -> dramatiq.Broker:
    """RedisBroker when ``settings.redis_url`` is set, else an in-process StubBroker."""
    if settings.redis_url:
        from dramatiq.brokers.redis import RedisBroker

        broker: dramatiq.Broker = RedisBroker(  # type: ignore[no-untyped-call]
            url=settings.redis_url, heartbeat_timeout=30_000,
            namespace=settings.dramatiq_namespace,
        )
        return broker
    return StubBroker()


def declare_actors(runtime: Runtime) -> None:
    """Declare the actors on ``runtime.broker``, bound to ``runtime.database``."""

    def solve_plan(plan_id: str) -> None:
        tasks.run_solve(
            runtime.database,
            uuid.UUID(plan_id),
            worker_id=runtime.worker_id,
            heartbeat_seconds=runtime.settings.plan_heartbeat_seconds,
            stale_seconds=runtime.settings.plan_stale_seconds,
        )

    def solve_variant(variant_id: str) -> None:
        tasks.run_variant(
            runtime.database,
            uuid.UUID(variant_id),
            worker_id=runtime.worker_id,
            stale_seconds=runtime.settings.plan_stale_seconds,
        )

    def send_email(email_id: str) -> None:
        send_stored_email(runtime.database, runtime.settings, uuid.UUID(email_id))

    dramatiq.Actor(
        send_email,
        broker=runtime.broker,
        actor_name=EMAIL_ACTOR,
        queue_name=EMAIL_QUEUE,
        priority=0,
        # A relay that is briefly down gets a few tries; a reset link expires anyway.
        options={"max_retries": 5, "min_backoff": 2000, "max_backoff": 60_000},
    )
    dramatiq.Actor(
        solve_variant,
        broker=runtime.broker,
        actor_name=VARIANT_ACTOR,
        queue_name=PLANS_QUEUE,
        priority=10,  # a user waits on a plan more directly than on a what-if batch
        options={"time_limit": SOLVE_TIME_LIMIT_MS, "max_retries": SOLVE_MAX_RETRIES,
                 "min_backoff": 1000, "max_backoff": 30_000},
    )
    def deliver_webhook(delivery_id: str) -> None:
        webhook_tasks.run_delivery(runtime.database, runtime.settings, uuid.UUID(delivery_id))

    # Retries are scheduled by the task itself (backoff with jitter, recorded on the
    # delivery), so Dramatiq's own retries are off: a crash leaves the lease to the sweep.
    dramatiq.Actor(
        deliver_webhook,
        broker=runtime.broker,
        actor_name=WEBHOOK_ACTOR,
        queue_name=WEBHOOKS_QUEUE,
        priority=0,
        options={"time_limit": 120_000, "max_retries": 0},
    )
    def run_import(job_id: str) -> None:
        import_tasks.run_import_job(runtime.database, uuid.UUID(job_id))

    # The job claims its row (queued -> running) before working, so a redelivered message is
    # a no-op; a retry could not finish a job whose claim it did not hold.
    dramatiq.Actor(
        run_import,
        broker=runtime.broker,
        actor_name=IMPORT_ACTOR,
        queue_name=IMPORTS_QUEUE,
        priority=20,  # behind a user's plan solve: an import is long and nobody blocks on it
        options={"time_limit": IMPORT_TIME_LIMIT_MS, "max_retries": 0},
    )
    dramatiq.Actor(
        solve_plan,
        broker=runtime.broker,
        actor_name=SOLVE_ACTOR,
        queue_name=PLANS_QUEUE,
        priority=0,
        options={"time_limit": SOLVE_TIME_LIMIT_MS, "max_retries": SOLVE_MAX_RETRIES,
                 "min_backoff": 1000, "max_backoff": 30_000},
    )


def make_runtime(settings: Settings, database: Database) -> Runtime:
    """A new runtime (broker + actors); does not start a worker."""
    runtime = Runtime(settings=settings, database=database, broker=build_broker(settings))
    declare_actors(runtime)
    # Event listeners (webhook deliveries) enqueue after commit through the session.
    database.attach_jobs(runtime)
    return runtime


_runtimes: list[Runtime] = []
_lock = threading.Lock()


def make_dispatcher(settings: Settings, database: Database) -> Runtime:
    """The composition root's job dispatcher: a new runtime, tracked so an interpreter exit
    stops its worker. Start it with :meth:`Runtime.start` (the app's lifespan does)."""
    runtime = make_runtime(settings, database)
    with _lock:
        _runtimes.append(runtime)
    return runtime


@atexit.register
def _stop_all() -> None:
    for runtime in list(_runtimes):
        # At interpreter shutdown there is nothing useful to do with a failure.
        with contextlib.suppress(Exception):
            runtime.stop()
