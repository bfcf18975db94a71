"""A large import run by a real worker process (`python -m workers`) on Redis + PostgreSQL:
the API answers 202, the worker applies the file, progress reaches the org's Redis channel
and the job row, and the stock rows are written with their history."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from api.core.db import Database
from api.core.security import create_access_token
from api.core.settings import Settings
from api.items.catalogue import ensure_catalogue
from api.live.hub import channel
from api.locations.universe import ensure_universe
from api.transfer_io import service
from models.accounts import User
from models.inventory import ItemHistory, ItemStock
from models.jobs import ImportJob
from models.orgs import Organization, OrganizationMember
from tests.conftest import REDIS_URL, RELAXED_LIMITS, TEST_SECRET
from tests.workers.test_redis_worker import WAIT, _stop, _worker, env

__all__ = ["env"]  # the fixture, imported for this test

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

ROWS = 2500
PARENT = "Stanton > ArcCorp > Area 18"


def test_worker_process_applies_a_large_import_with_progress(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None, environment="test",  # type: ignore[call-arg]
                        database_url=env["QM_DATABASE_URL"], redis_url=REDIS_URL,
                        secret_key=TEST_SECRET, log_json=False, log_level="WARNING",
                        import_inline_rows=1000, **RELAXED_LIMITS)  # type: ignore[arg-type]
    db = Database(settings.database_url, settings)
    with db.session_scope() as s:
        ensure_universe(s)
        ensure_catalogue(s)
        user = User(username=f"u{uuid.uuid4().hex[:8]}", password_hash="x")
        org = Organization(name=f"o{uuid.uuid4().hex[:8]}")
        s.add_all([user, org])
        s.flush()
        s.add(OrganizationMember(organization_id=org.id, user_id=user.id, role="owner"))
        user_id, org_id = user.id, org.id
    files = {"items": "name\n" + "".join(f"W Item {i}\n" for i in range(25)),
             "locations": "path,kind\n" + "".join(f"{PARENT} > W Store {i},storage\n"
                                                  for i in range(10))}
    for kind, body in files.items():
        with db.session_scope() as s:
            service.run_import(s, org_id=org_id, actor_id=None, kind=kind, file_format="csv",
                               data=body.encode(), apply=True)
    stock = "item,location,quality,quantity\n" + "".join(
        f"W Item {n % 25},{PARENT} > W Store {(n // 25) % 10},{n // 250},{n + 1}\n"
        for n in range(ROWS))
    listener = redis.Redis.from_url(REDIS_URL).pubsub()  # type: ignore[no-untyped-call]
    listener.subscribe(channel(org_id))
    worker = _worker(env)
    try:
        token = create_access_token(user_id, settings).token
        with TestClient(create_app(settings, db)) as client:
            resp = client.post(f"/api/v1/orgs/{org_id}/imports",
                               params={"kind": "stock", "apply": "true"},
                               files={"file": ("stock.csv", stock.encode())},
                               headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 202, resp.text
        job_id = uuid.UUID(resp.json()["id"])
        events: list[dict[str, Any]] = []
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and not any(
                e["type"] in ("import.done", "import.failed") for e in events):
            message = listener.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is not None:
                event = json.loads(message["data"])
                if event.get("job_id") == str(job_id):
                    events.append(event)
        assert events and events[-1]["type"] == "import.done", events[-3:]
        phases = [(e["phase"], e["rows_done"]) for e in events if e["type"] == "import.progress"]
        assert ("validate", ROWS) in phases and ("apply", ROWS) in phases
        assert [done for phase, done in phases if phase == "apply"] == [1000, 2000, ROWS]
        with db.session_scope() as s:
            job = s.get(ImportJob, job_id)
            assert job is not None and job.status == "done", job and job.error
            # PostgreSQL: the worker wrote its progress to the row as it went.
            assert (job.phase, job.rows_done, job.rows_total) == ("apply", ROWS, ROWS)
            assert job.data is None and job.report is not None
            assert job.report["created"] == ROWS
            held = s.scalar(select(func.count()).select_from(ItemStock)
                            .where(ItemStock.organization_id == org_id))
            history = s.scalar(select(func.count()).select_from(ItemHistory)
                               .where(ItemHistory.organization_id == org_id))
            assert (held, history) == (ROWS, ROWS)
    finally:
        listener.close()
        _stop(worker)
        db.dispose()
