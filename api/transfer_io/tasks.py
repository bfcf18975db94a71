"""The background import job: claim, import in one transaction, record the outcome.

The worker claims the job (queued -> running, one conditional UPDATE, so a redelivered
message does nothing), then runs the same dry run + apply as an inline import in ONE
transaction, which also marks the job done: the file's changes and "done" commit together.
Any failure rolls that transaction back and a second one marks the job failed, so a failed
job has written nothing. Progress goes to the org's live channel as it happens
(``import.progress``: phase, rows_done, rows_total); on PostgreSQL it is also written to the
job row, at most once a second, from its own short transaction. SQLite has one writer, held
by the import until it commits, so there the row only moves between phases.

A worker that dies mid-import (killed, out of memory, machine lost) takes its transaction
with it, so nothing was written; the workers' reaper loop (:func:`reap_import_jobs`) marks
such a job failed, telling a dead run from a slow one by the run lock the import's
transaction holds on PostgreSQL, and by this process's own list of running jobs on SQLite
(whose one embedded process runs every job). Queued jobs whose message was lost are sent again.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

from sqlalchemy.orm import Session

from api.core.db import LIVE_REDIS_URL_KEY, Database
from api.core.errors import ProblemError
from api.live.hub import publish
from api.transfer_io import service
from api.transfer_io.service import BadRows, ClaimedJob, JobTakenBackError

logger = logging.getLogger(__name__)

# Seconds between two progress writes to the job row (the live events are not throttled).
PROGRESS_WRITE_SECONDS = 1.0

# The jobs this process is running now (what the reaper must leave alone on SQLite).
_running: set[uuid.UUID] = set()
_running_lock = threading.Lock()


class _Progress:
    """The import's progress callback: a live event each time, the job row now and then."""

    def __init__(self, database: Database, job: ClaimedJob, redis_url: str | None) -> None:
        self.database = database
        self.job = job
        self.redis_url = redis_url
        self.writes = database.engine.dialect.name == "postgresql"
        self.written = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        publish(self.job.org_id, {"type": "import.progress", "job_id": str(self.job.id),
                                  "phase": phase, "rows_done": done, "rows_total": total},
                redis_url=self.redis_url)
        now = time.monotonic()
        if not self.writes or (now - self.written < PROGRESS_WRITE_SECONDS and done < total):
            return
        self.written = now
        try:
            with self.database.session_scope() as session:
                service.record_import_progress(session, self.job.id, phase, done, total)
        except Exception:  # progress is best effort; the import itself goes on
            logger.warning("import progress not recorded", exc_info=True)


def run_import_job(database: Database, job_id: uuid.UUID) -> None:
    """Run one queued import job to its end (done or failed); a no-op unless it is queued."""
    with database.session_scope() as session:
        job = service.claim_import_job(session, job_id)
        redis_url = session.info.get(LIVE_REDIS_URL_KEY)
    if job is None:
        return
    with _running_lock:
        _running.add(job.id)
    try:
        _run_claimed(database, job, redis_url)
    finally:
        with _running_lock:
            _running.discard(job.id)


def _run_claimed(database: Database, job: ClaimedJob, redis_url: str | None) -> None:
    progress = _Progress(database, job, redis_url)
    try:
        with database.session_scope() as session:
            # On SQLite this (writing) unit of work holds the one write lock from BEGIN to
            # its commit: other writers wait for it, up to the busy timeout.
            service.hold_import_run(session, job.id)
            report = service.run_import(
                session, org_id=job.org_id, actor_id=job.actor_id, kind=job.kind,
                file_format=job.file_format, data=job.data, apply=job.apply, progress=progress,
            )
            service.finish_import_job(session, job, report)
    except BadRows as exc:
        _fail(database, job, exc.detail, exc.extra.get("report"))
    except ProblemError as exc:
        _fail(database, job, exc.detail, None)
    except JobTakenBackError:
        logger.warning("import job failed by the reaper while it ran; rolled back",
                       extra={"job_id": str(job.id)})
    except Exception:
        logger.exception("import job failed", extra={"job_id": str(job.id)})
        _fail(database, job, "the import stopped on an internal error; nothing was written",
              None)


def _fail(database: Database, job: ClaimedJob, error: str,
          report: dict[str, object] | None) -> None:
    with database.session_scope() as session:
        service.fail_import_job(session, job, error, report)


def reap_import_jobs(session: Session, stale_seconds: float) -> tuple[list[uuid.UUID],
                                                                       list[uuid.UUID]]:
    """The reaper's pass over import jobs: (jobs failed as dead, lost queued jobs to resend)."""
    with _running_lock:
        running_here = set(_running)
    failed, lost = service.reap_import_jobs(session, stale_seconds=stale_seconds,
                                            running_here=running_here)
    if failed:
        logger.warning("reaper failed import jobs whose worker stopped",
                       extra={"count": len(failed)})
    return failed, lost
