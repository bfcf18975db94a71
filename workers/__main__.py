"""Production worker process: ``python -m workers [--threads N]``.

Reads ``QM_DATABASE_URL`` and ``QM_REDIS_URL``, reclaims plans left by dead workers, then
consumes the plan queue until SIGINT/SIGTERM (running jobs finish; a kill -9 is covered by
the heartbeat/reaper in :mod:`workers.broker`).
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from prometheus_client import start_http_server

from api.core.db import Database
from api.core.errortracking import init_error_tracking
from api.core.logging import configure_logging
from api.core.outbox import OutboxRelay
from api.core.settings import get_settings
from workers.broker import make_runtime


def main(argv: list[str] | None = None) -> int:
    """Run a worker until signalled; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m workers", description=__doc__)
    parser.add_argument("--threads", type=int, default=2, help="worker threads (default 2)")
    args = parser.parse_args(argv)
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    init_error_tracking(settings)
    log = logging.getLogger("workers")
    if not settings.redis_url:
        log.error("QM_REDIS_URL is not set: embedded mode runs jobs inside the API process")
        return 2
    database = Database(settings.database_url, settings)
    runtime = make_runtime(settings, database)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    # Reclaim first so plans of a worker that died while none was running start at once.
    runtime.reap()
    runtime.start_worker(threads=max(1, args.threads))
    if settings.worker_metrics_port:
        # This process' counters and histograms (api.core.metrics); the API's /metrics has
        # the shared gauges (queue depth, heartbeats).
        start_http_server(settings.worker_metrics_port)
    # Workers relay the job outbox too: jobs an API process could not hand over (Redis was
    # down, or it stopped right after the commit) go out as soon as any process can.
    outbox = OutboxRelay(database, runtime, poll_seconds=settings.outbox_poll_seconds)
    outbox.start()
    log.info("worker started", extra={"worker_id": runtime.worker_id})
    stop.wait()
    outbox.stop()
    runtime.stop()
    database.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
