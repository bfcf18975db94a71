"""Import jobs whose worker died (issue 10, "operations you can watch"): the reaper fails them.

An import runs in one transaction, so a worker killed mid-import wrote nothing; without the
reaper its job would say "running" for ever. These tests build the jobs a dead worker leaves
behind and run the reaper's pass on both backends; the run lock that tells a live import from
a dead one is PostgreSQL's, and is tested there against a real import in flight.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api.core.db import Database
from api.transfer_io import repository as repo
from api.transfer_io import service
from api.transfer_io import tasks as import_tasks
from models.base import utc_now
from models.jobs import ImportJob
from tests.api.test_transfer_io import _counts, world
from tests.api.test_transfer_jobs import _finished, _post_job, _ready_org, _stock_file

__all__ = ["world"]  # the fixture, imported for these tests

API = "/api/v1"
STALE = 60.0


def _job(database: Database, org: Any, owner: Any, *, running: bool, age: float) -> uuid.UUID:
    """A job as a worker left it: claimed (running) or still queued, last touched ``age`` s ago."""
    body = _stock_file(4).encode()
    with database.session_scope() as s:
        job = repo.add_import_job(s, organization_id=org.id, actor_id=owner.id, kind="stock",
                                  format="csv", apply=True, rows_total=4, rows_done=0,
                                  data=body)
        job_id = job.id
    if running:
        with database.session_scope() as s:
            assert service.claim_import_job(s, job_id) is not None
    with database.session_scope() as s:
        s.execute(update(ImportJob).where(ImportJob.id == job_id)
                  .values(updated_at=utc_now() - timedelta(seconds=age)))
    return job_id


def _status(database: Database, job_id: uuid.UUID) -> tuple[str, str | None]:
    with database.session_scope() as s:
        job = s.scalar(select(ImportJob).where(ImportJob.id == job_id))
        assert job is not None
        return job.status, job.error


def test_reaper_fails_dead_imports_and_resends_lost_ones_only(
    client: TestClient, database: Database, world: None, make_user: Any, make_org: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    owner, org = _ready_org(client, make_user, make_org)
    dead = _job(database, org, owner, running=True, age=2 * STALE)
    busy_here = _job(database, org, owner, running=True, age=2 * STALE)
    recent = _job(database, org, owner, running=True, age=STALE / 2)
    lost = _job(database, org, owner, running=False, age=2 * STALE)
    waiting = _job(database, org, owner, running=False, age=STALE / 2)
    monkeypatch.setattr(import_tasks, "_running", {busy_here})

    with client.websocket_connect(f"{API}/orgs/{org.id}/live") as ws:
        ws.send_json({"token": owner.token})
        assert ws.receive_json()["type"] == "hello"
        with database.session_scope() as s:
            failed, resend = import_tasks.reap_import_jobs(s, stale_seconds=STALE)
        event = ws.receive_json()
    assert (failed, resend) == ([dead], [lost])
    assert (event["type"], event["job_id"]) == ("import.failed", str(dead))
    assert _status(database, dead) == ("failed", service.WORKER_STOPPED)
    got = client.get(f"{API}/orgs/{org.id}/imports/{dead}", headers=owner.headers).json()
    assert (got["status"], got["error"]) == ("failed", service.WORKER_STOPPED)
    for job_id in (busy_here, recent):
        assert _status(database, job_id) == ("running", None)
    for job_id in (lost, waiting):
        assert _status(database, job_id) == ("queued", None)

    # The lost job was touched: the next pass does not send it again, nor fail anything twice.
    with database.session_scope() as s:
        assert import_tasks.reap_import_jobs(s, stale_seconds=STALE) == ([], [])


def test_a_lost_queued_job_is_run_once_the_reaper_resends_it(
    client: TestClient, database: Database, session: Any, world: None, make_user: Any,
    make_org: Any,
) -> None:
    owner, org = _ready_org(client, make_user, make_org)
    before = _counts(session, org.id)
    lost = _job(database, org, owner, running=False, age=2 * STALE)
    client.app.state.jobs.reap()  # type: ignore[attr-defined]
    job = _finished(client, org, owner, str(lost))
    assert (job["status"], job["report"]["created"]) == ("done", 4)
    assert _counts(session, org.id)[2] == before[2] + 4


@pytest.fixture
def pg_only(database: Database) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("the run lock is PostgreSQL's (SQLite's one process knows its own jobs)")


def test_an_import_in_flight_holds_its_run_lock_and_is_not_reaped(
    client: TestClient, database: Database, session: Any, world: None, pg_only: None,
    make_user: Any, make_org: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Mid-import, another process's reaper (which does not know the job: empty
    ``running_here``) sees the row stale but the run lock held, and leaves the job alone."""
    owner, org = _ready_org(client, make_user, make_org)
    real = service.run_import
    seen: dict[str, Any] = {}

    def import_then_reap(*args: Any, **kwargs: Any) -> Any:
        report = real(*args, **kwargs)
        with database.session_scope() as s:
            seen["reaped"] = service.reap_import_jobs(s, stale_seconds=0, running_here=set())
            seen["held"] = repo.import_run_held(s, uuid.UUID(seen["job"]))
        return report

    monkeypatch.setattr(service, "run_import", import_then_reap)
    resp = _post_job(client, org, owner, _stock_file(8))
    seen["job"] = resp.json()["id"]
    job = _finished(client, org, owner, seen["job"])
    assert job["status"] == "done"
    assert seen["reaped"][0] == [] and seen["held"] is True
    with database.session_scope() as s:  # released with the import's transaction
        assert repo.import_run_held(s, uuid.UUID(seen["job"])) is False
    assert _counts(session, org.id)[2] == 8


def test_an_import_failed_by_the_reaper_while_running_writes_nothing(
    client: TestClient, database: Database, session: Any, world: None, pg_only: None,
    make_user: Any, make_org: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If a verdict of "dead" ever lands on a live import, its changes do not commit."""
    owner, org = _ready_org(client, make_user, make_org)
    before = _counts(session, org.id)
    real = service.run_import
    holder: dict[str, str] = {}

    def import_then_lose_the_job(*args: Any, **kwargs: Any) -> Any:
        report = real(*args, **kwargs)
        with database.session_scope() as s:
            s.execute(update(ImportJob).where(ImportJob.id == uuid.UUID(holder["job"]))
                      .values(status="failed", error=service.WORKER_STOPPED))
        return report

    monkeypatch.setattr(service, "run_import", import_then_lose_the_job)
    holder["job"] = _post_job(client, org, owner, _stock_file(8)).json()["id"]
    job = _finished(client, org, owner, holder["job"])
    assert (job["status"], job["error"], job["report"]) == ("failed", service.WORKER_STOPPED,
                                                            None)
    assert _counts(session, org.id) == before
