"""The transactional job outbox: a job is a row committed with its work, then relayed.

Request code enqueues through :class:`OutboxJobs` (what ``Depends(get_jobs)`` hands out): it
adds a ``job_outbox`` row to the request's own session, so the job commits or rolls back with
the plan it solves. After the commit, :class:`OutboxRelay` hands the row to the real
dispatcher (Dramatiq on Redis, or the in-process broker) and deletes it; if the broker is
unreachable the row stays and the relay's loop retries every ``QM_OUTBOX_POLL_SECONDS``
until it answers. Delivery is at-least-once: a crash between the send and the delete sends
again, which the actors tolerate (they claim a plan with a conditional UPDATE).

Relays run in the API process (started and stopped with the app) and in every worker
process; on PostgreSQL they claim rows with ``FOR UPDATE SKIP LOCKED`` so two relays do not
send the same row at the same time.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.core.db import Database, after_commit, sqlite_busy
from models.jobs import OutboxJob

if TYPE_CHECKING:
    from api.core.jobs import JobDispatcher

logger = logging.getLogger(__name__)

SOLVE_PLAN = "solve_plan"
SOLVE_VARIANT = "solve_variant"
RUN_IMPORT = "run_import"
SEND_EMAIL = "send_email"
# Rows handed over per transaction; the loop takes batches until the outbox is empty.
BATCH = 100


class OutboxRelay:
    """Hands ``job_outbox`` rows to ``dispatcher``: right after the commit that wrote them,
    and from a background loop for whatever that could not send (broker down, a crash)."""

    def __init__(self, database: Database, dispatcher: JobDispatcher,
                 poll_seconds: float = 2.0) -> None:
        self.database = database
        self.dispatcher = dispatcher
        self.poll_seconds = poll_seconds
        self.broker_down = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _send(self, job: OutboxJob) -> None:
        if job.kind == SOLVE_PLAN:
            self.dispatcher.enqueue_plan(job.ref_id)
        elif job.kind == RUN_IMPORT:
            self.dispatcher.enqueue_import(job.ref_id)
        elif job.kind == SEND_EMAIL:
            self.dispatcher.enqueue_email(job.ref_id)
        else:
            self.dispatcher.enqueue_variants([job.ref_id])

    def relay(self, ids: Sequence[uuid.UUID] | None = None) -> int:
        """Send pending jobs (all, or only ``ids``) and delete them; the number sent.

        Stops at the first failed send: the broker is down and the rest would fail too. The
        failure is counted on the row (``attempts``, ``last_error``) and logged.
        """
        sent = 0
        stmt = (select(OutboxJob).order_by(OutboxJob.created_at, OutboxJob.id).limit(BATCH)
                .with_for_update(skip_locked=True))
        if ids is not None:
            stmt = stmt.where(OutboxJob.id.in_(list(ids)))
        with self.database.session_scope() as session:
            for job in session.scalars(stmt).all():
                try:
                    self._send(job)
                except Exception as exc:
                    job.attempts += 1
                    job.last_error = f"{type(exc).__name__}: {exc}"[:1000]
                    if not self.broker_down:
                        logger.warning("outbox: broker unreachable, jobs kept for retry",
                                       extra={"error": job.last_error})
                    self.broker_down = True
                    return sent
                session.delete(job)
                sent += 1
        if self.broker_down and sent:
            logger.info("outbox: broker reachable again")
        self.broker_down = self.broker_down and not sent
        return sent

    def after_commit(self, ids: list[uuid.UUID]) -> None:
        """After-commit hook of a request that wrote ``ids``: send them now, unless the broker
        is known to be down (then the loop retries; the request does not wait on it)."""
        if self.broker_down:
            self._wake.set()
            return
        try:
            self.relay(ids)
        except Exception as exc:
            _log_failure(exc, "outbox: relay after commit failed; the loop will retry")
            self._wake.set()

    def pending(self) -> bool:
        """Whether any job waits in the outbox: a read, so the loop's look (every
        ``poll_seconds``) never queues for SQLite's write lock behind a long import."""
        with self.database.session_scope(writes=False) as session:
            return session.scalar(select(OutboxJob.id).limit(1)) is not None

    def drain(self) -> int:
        """Relay batches until the outbox is empty or a send fails; the number sent."""
        total = 0
        if not self.pending():
            return total
        while True:
            sent = self.relay()
            total += sent
            if sent < BATCH or self.broker_down:
                return total

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.drain()
            except Exception as exc:
                _log_failure(exc, "outbox: relay loop failed; it retries")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def start(self) -> None:
        """Start the background loop (idempotent)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="qm-outbox", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the loop; unsent rows stay for the next relay (another process, or a restart)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


def _log_failure(exc: Exception, message: str) -> None:
    # SQLite's write lock held past the busy timeout (by a long import) is a wait, not a fault.
    if sqlite_busy(exc):
        logger.warning("%s (the database is busy with another write)", message)
    else:
        logger.exception(message)


class OutboxJobs:
    """The :class:`~api.core.jobs.JobDispatcher` request code sees: each enqueue is an
    outbox row in the request's transaction, relayed once that transaction commits."""

    def __init__(self, session: Session, relay: OutboxRelay) -> None:
        self.session = session
        self.relay = relay

    def _add(self, kind: str, ref_ids: Sequence[uuid.UUID]) -> None:
        jobs = [OutboxJob(id=uuid.uuid4(), kind=kind, ref_id=ref_id) for ref_id in ref_ids]
        self.session.add_all(jobs)
        ids = [job.id for job in jobs]
        after_commit(self.session, lambda: self.relay.after_commit(ids))

    def enqueue_plan(self, plan_id: uuid.UUID) -> None:
        """Queue the solve of one plan (with the current transaction)."""
        self._add(SOLVE_PLAN, [plan_id])

    def enqueue_variants(self, variant_ids: Sequence[uuid.UUID]) -> None:
        """Queue one solve per what-if variant (with the current transaction)."""
        self._add(SOLVE_VARIANT, variant_ids)

    def enqueue_import(self, job_id: uuid.UUID) -> None:
        """Queue one background import (with the current transaction, which wrote its job)."""
        self._add(RUN_IMPORT, [job_id])

    def enqueue_email(self, email_id: uuid.UUID) -> None:
        """Queue one stored email (with the current transaction, which wrote it)."""
        self._add(SEND_EMAIL, [email_id])
