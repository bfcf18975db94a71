"""Large imports (issue 10): the set-based stock apply, and imports run as a worker job.

Every test runs on SQLite and PostgreSQL; jobs run on the embedded (in-process) broker the
test app starts, the same Dramatiq actor a Redis worker runs.
"""

from __future__ import annotations

import time
import uuid
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.core.settings import Settings
from api.stock import repository as stock_repo
from api.stock import service as stock
from api.stock.service import StockLevel
from models.inventory import ItemHistory, ItemStock
from tests.api.planning_helpers import make_item, make_location, make_stock
from tests.api.test_transfer_io import _counts, _import, world

__all__ = ["world"]  # the fixture, imported for these tests

API = "/api/v1"
WAIT = 60.0
PARENT = "Stanton > ArcCorp > Area 18"
ITEMS = "name,unit,category\n" + "".join(f"Job Item {i},scu,misc\n" for i in range(4))
LOCATIONS = "path,kind\n" + "".join(f"{PARENT} > Job Store {i},storage\n" for i in range(3))


def _stock_file(rows: int, *, bad_row: int | None = None, offset: int = 0) -> str:
    lines = ["item,location,quality,quantity"]
    for n in range(rows):
        item = "No Such Item" if n == bad_row else f"Job Item {n % 4}"
        lines.append(f"{item},{PARENT} > Job Store {(n // 4) % 3},{n // 12},{1 + n + offset}")
    return "\n".join(lines) + "\n"


def _ready_org(client: TestClient, make_user: Any, make_org: Any) -> tuple[Any, Any]:
    owner = make_user()
    org = make_org(owner)
    for kind, body in (("items", ITEMS), ("locations", LOCATIONS)):
        resp = _import(client, org, owner, kind, body, apply=True)
        assert resp.status_code == 200, resp.text
    return owner, org


def _post_job(client: TestClient, org: Any, user: Any, body: str, *,
              background: bool = True) -> Any:
    return client.post(f"{API}/orgs/{org.id}/imports",
                       params={"kind": "stock", "apply": "true",
                               "background": str(background).lower()},
                       files={"file": ("stock.csv", body.encode())}, headers=user.headers)


def _finished(client: TestClient, org: Any, user: Any, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        job = client.get(f"{API}/orgs/{org.id}/imports/{job_id}", headers=user.headers)
        assert job.status_code == 200, job.text
        if job.json()["status"] in ("done", "failed"):
            return dict(job.json())
        time.sleep(0.05)
    raise AssertionError(f"import job {job_id} did not finish within {WAIT} s")


# --- the set-based apply --------------------------------------------------------------------


def _org_state(session: Session, org_id: uuid.UUID) -> tuple[list[Any], list[Any]]:
    """Stock and history of an org as comparable tuples (ids and times left out)."""
    session.expire_all()
    stocks = sorted(
        (s.item_id, s.location_id, s.quality, s.quantity, s.reserved, s.version, s.updated_by,
         s.owner_user_id, s.shared_with_org_id)
        for s in session.scalars(select(ItemStock).where(ItemStock.organization_id == org_id)))
    key_of = {s.id: (s.item_id, s.location_id, s.quality)
              for s in session.scalars(select(ItemStock).where(
                  ItemStock.organization_id == org_id))}
    history = sorted(
        (key_of.get(h.stock_id) if h.stock_id else None, h.item_id, h.location_id, h.quality,
         h.delta, h.reserved_delta, h.kind, h.actor_id, h.organization_id == org_id,
         h.owner_user_id, h.note)
        for h in session.scalars(select(ItemHistory).where(ItemHistory.organization_id == org_id)))
    return stocks, history


@pytest.mark.parametrize("by_member", [True, False], ids=["member", "system"])
def test_bulk_levels_write_what_per_row_adjustments_write(
    session: Session, make_user: Any, make_org: Any, monkeypatch: pytest.MonkeyPatch,
    by_member: bool,
) -> None:
    """Same stock rows and history rows as one ``adjust_stock`` per row, chunks included;
    also for a system import (no actor: the CLI's), whose updates carry only NULL actors."""
    monkeypatch.setattr(stock, "BULK_CHUNK", 3)  # several chunks from a few rows
    owner = make_user()
    bulk_org, row_org = make_org(owner), make_org(owner)
    actor_id = owner.user.id if by_member else None
    items = [make_item(session) for _ in range(3)]
    places = [make_location(session) for _ in range(3)]
    for org in (bulk_org, row_org):
        # Held before the import: one to raise, one to lower (above its reservation), one
        # left alone, one emptied.
        make_stock(session, items[0], places[0], 10, org_id=org.id)
        make_stock(session, items[1], places[0], 10, org_id=org.id, reserved=4)
        make_stock(session, items[2], places[0], 7, org_id=org.id)
        make_stock(session, items[0], places[1], 3, org_id=org.id, quality=500)
    session.commit()
    item_ids, place_ids = [i.id for i in items], [p.id for p in places]
    levels = [StockLevel(item_ids[0], place_ids[0], 0, Decimal(12)),
              StockLevel(item_ids[1], place_ids[0], 0, Decimal(4)),
              StockLevel(item_ids[2], place_ids[0], 0, Decimal(7)),
              StockLevel(item_ids[0], place_ids[1], 500, Decimal(0))]
    levels += [StockLevel(item_ids[i % 3], place_ids[1 + i % 2], 10 + i, Decimal(i + 1) / 4)
               for i in range(8)]

    changed = stock.set_org_stock_levels(session, org_id=bulk_org.id, actor_id=actor_id,
                                         levels=levels, note="import")
    held = {(s.item_id, s.location_id, s.quality): s.quantity for s in session.scalars(
        select(ItemStock).where(ItemStock.organization_id == row_org.id))}
    for level in levels:
        delta = level.quantity - held.get((level.item_id, level.location_id, level.quality), 0)
        if delta:
            stock.adjust_stock(session, org_id=row_org.id, actor_id=actor_id,
                               item_id=level.item_id, location_id=level.location_id,
                               quality=level.quality, delta=delta, note="import")
    session.commit()

    assert changed == 11  # all but the row left alone
    bulk, per_row = _org_state(session, bulk_org.id), _org_state(session, row_org.id)
    assert bulk == per_row
    assert len(bulk[1]) == 11


def test_bad_row_anywhere_in_a_large_inline_file_writes_nothing(
    client: TestClient, session: Session, world: None, make_user: Any, make_org: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stock, "BULK_CHUNK", 5)
    owner, org = _ready_org(client, make_user, make_org)
    before = _counts(session, org.id)
    resp = _post_job(client, org, owner, _stock_file(40, bad_row=37), background=False)
    assert resp.status_code == 422, resp.text
    assert resp.json()["errors"][0]["record"] == "row 39"  # header is row 1
    assert _counts(session, org.id) == before


# --- the job --------------------------------------------------------------------------------


def test_background_import_reports_progress_applies_once_and_reimport_changes_nothing(
    client: TestClient, session: Session, world: None, make_user: Any, make_org: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stock, "BULK_CHUNK", 10)
    owner, org = _ready_org(client, make_user, make_org)
    body = _stock_file(36)
    with client.websocket_connect(f"{API}/orgs/{org.id}/live") as ws:
        ws.send_json({"token": owner.token})
        assert ws.receive_json()["type"] == "hello"
        resp = _post_job(client, org, owner, body)
        assert resp.status_code == 202, resp.text
        queued = resp.json()
        assert (queued["status"], queued["rows_total"], queued["report"]) == ("queued", 36, None)
        assert resp.headers["location"].endswith(f"/orgs/{org.id}/imports/{queued['id']}")
        events: list[dict[str, Any]] = []
        while not events or events[-1]["type"] not in ("import.done", "import.failed"):
            event = ws.receive_json()
            if event.get("job_id") == queued["id"]:
                events.append(event)
    progress = [(e["phase"], e["rows_done"], e["rows_total"]) for e in events[:-1]]
    assert progress[0] == ("validate", 0, 36) and ("validate", 36, 36) in progress
    assert [p for p in progress if p[0] == "apply"] == [
        ("apply", 10, 36), ("apply", 20, 36), ("apply", 30, 36), ("apply", 36, 36)]
    done = events[-1]
    assert (done["type"], done["created"], done["error_count"]) == ("import.done", 36, 0)

    job = _finished(client, org, owner, queued["id"])
    assert (job["status"], job["error"], job["report"]["applied"]) == ("done", None, True)
    assert job["report"]["created"] == 36 and len(job["report"]["changes"]) == 36
    assert job["finished_at"] is not None
    counts = _counts(session, org.id)
    assert counts[2:] == (36, 36)  # stock rows, one history row each
    notes = set(session.scalars(select(ItemHistory.note).where(
        ItemHistory.organization_id == org.id)))
    assert notes == {"import"}

    again = _finished(client, org, owner, _post_job(client, org, owner, body).json()["id"])
    assert again["status"] == "done"
    assert (again["report"]["created"], again["report"]["updated"],
            again["report"]["unchanged"]) == (0, 0, 36)
    assert _counts(session, org.id) == counts


def test_large_file_goes_to_a_job_by_itself(
    client: TestClient, settings: Settings, world: None, make_user: Any, make_org: Any,
) -> None:
    owner, org = _ready_org(client, make_user, make_org)
    settings.import_inline_rows = 5
    assert _post_job(client, org, owner, _stock_file(5), background=False).status_code == 200
    resp = _post_job(client, org, owner, _stock_file(6, offset=1), background=False)
    assert resp.status_code == 202, resp.text
    job = _finished(client, org, owner, resp.json()["id"])
    assert (job["report"]["created"], job["report"]["updated"]) == (1, 5)


def test_failed_job_writes_nothing_and_lists_the_bad_rows(
    client: TestClient, session: Session, world: None, make_user: Any, make_org: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stock, "BULK_CHUNK", 5)
    owner, org = _ready_org(client, make_user, make_org)
    before = _counts(session, org.id)
    resp = _post_job(client, org, owner, _stock_file(30, bad_row=25))
    assert resp.status_code == 202, resp.text
    job = _finished(client, org, owner, resp.json()["id"])
    assert job["status"] == "failed" and "nothing was imported" in job["error"]
    report = job["report"]
    assert (report["applied"], report["valid"]) == (False, False)
    assert [(e["row"], e["column"], e["value"]) for e in report["errors"]] == [
        (27, "item", "No Such Item")]
    assert _counts(session, org.id) == before


def test_a_job_that_fails_while_writing_rolls_back_everything(
    client: TestClient, session: Session, world: None, make_user: Any, make_org: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A failure after some chunks were written (here: the third) leaves none of them."""
    monkeypatch.setattr(stock, "BULK_CHUNK", 5)
    real = stock_repo.bulk_insert
    calls = {"n": 0}

    def failing(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
        calls["n"] += 1
        if calls["n"] > 4:  # chunks 1 and 2 (stock + history) are in, then it breaks
            raise RuntimeError("disk full")
        real(session, model, rows)

    owner, org = _ready_org(client, make_user, make_org)
    before = _counts(session, org.id)
    monkeypatch.setattr(stock_repo, "bulk_insert", failing)
    job = _finished(client, org, owner, _post_job(client, org, owner, _stock_file(20)).json()["id"])
    assert job["status"] == "failed" and "nothing was written" in job["error"]
    assert calls["n"] == 5
    assert _counts(session, org.id) == before


def test_jobs_are_the_orgs_own_and_need_the_import_permission(
    client: TestClient, world: None, make_user: Any, make_org: Any, add_member: Any,
) -> None:
    owner, org = _ready_org(client, make_user, make_org)
    job_id = _post_job(client, org, owner, _stock_file(3)).json()["id"]
    _finished(client, org, owner, job_id)
    stranger = make_user()
    other = make_org(stranger)
    assert client.get(f"{API}/orgs/{other.id}/imports/{job_id}",
                      headers=stranger.headers).status_code == 404
    assert client.get(f"{API}/orgs/{org.id}/imports/{job_id}",
                      headers=stranger.headers).status_code == 404
    assert client.get(f"{API}/orgs/{org.id}/imports/{uuid.uuid4()}",
                      headers=owner.headers).status_code == 404
    member = make_user()
    add_member(org, member, "member")
    assert client.get(f"{API}/orgs/{org.id}/imports/{job_id}",
                      headers=member.headers).status_code == 403


def test_an_import_upload_may_exceed_the_body_limit_other_routes_keep(
    settings: Settings, database: Any, make_user: Any, make_org: Any,
) -> None:
    """A large file is uploaded whole (to become a job); other bodies keep the small cap."""
    from api.app import create_app

    small = settings.model_copy(update={"max_body_bytes": 2048, "max_upload_bytes": 64 * 1024})
    owner = make_user()
    org = make_org(owner)
    body = "name,unit\n" + "".join(f"Bulk Item {i},scu\n" for i in range(400))  # ~8 KB
    assert 2048 < len(body) < 64 * 1024
    with TestClient(create_app(small, database)) as client:
        resp = _import(client, org, owner, "items", body)
        assert resp.status_code == 200, resp.text
        assert resp.json()["rows"] == 400
        too_big = _import(client, org, owner, "items", body * 10)
        assert too_big.status_code == 413 and too_big.json()["max_body_bytes"] == 64 * 1024
        other = client.post(f"{API}/orgs", json={"name": "x" * 4000}, headers=owner.headers)
        assert other.status_code == 413
