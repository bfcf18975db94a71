"""The commons (issue 9): every attack of the issue replayed on SQLite and PostgreSQL, the
moderation workflow, pinned versions, planning isolation, quotas and concurrency."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.core.db import Database
from models.commons import CommonsEntity, CommonsSubmission, CommonsVersion, PlatformRole
from models.inventory import ItemStock
from models.planning import Blueprint, BlueprintIngredient
from tests.api.planning_helpers import make_item, make_location
from tests.api.test_plans import wait_done

SUBS = "/api/v1/commons/submissions"


def _moderator(make_user: Any, database: Database) -> Any:
    mod = make_user()
    with database.session_scope() as s:
        s.add(PlatformRole(user_id=mod.id, role="moderator"))
    return mod


def _submit(client: TestClient, user: Any, kind: str, data: dict[str, Any],
            entity_id: uuid.UUID | str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": kind, "data": data, "source_ref": "patch notes 4.0"}
    if entity_id is not None:
        body["entity_id"] = str(entity_id)
    r = client.post(SUBS, headers=user.headers, json=body)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def _decide(client: TestClient, mod: Any, sub_id: str, action: str, **extra: Any) -> Any:
    return client.post(f"{SUBS}/{sub_id}/decision", headers=mod.headers,
                       json={"action": action, **extra})


def _publish_blueprint(client: TestClient, author: Any, mod: Any, data: dict[str, Any],
                       entity_id: str | None = None) -> dict[str, Any]:
    sub = _submit(client, author, "blueprint", data, entity_id)
    r = _decide(client, mod, sub["id"], "approve")
    assert r.status_code == 200, r.text
    entity_id = r.json()["entity_id"]
    hits = client.get("/api/v1/public/blueprints").json()["items"]
    out: dict[str, Any] = next(e for e in hits if e["id"] == entity_id)
    return out


def _recipe(output: Any, qty: float, *ings: tuple[Any, float], name: str = "recipe") -> dict:
    return {"name": name, "output_item_id": str(output.id), "output_quantity": qty,
            "ingredients": [{"item_id": str(i.id), "quantity": q} for i, q in ings]}


def _blueprint_ids(client: TestClient, user: Any, org_id: uuid.UUID) -> set[str]:
    r = client.get(f"/api/v1/orgs/{org_id}/blueprints?limit=200", headers=user.headers)
    assert r.status_code == 200, r.text
    return {b["id"] for b in r.json()["items"]}


# -- attack 1: "is_public": true by any member ----------------------------------------------------

def test_member_cannot_make_a_blueprint_public(client: TestClient, session: Session,
                                              make_user: Any, make_org: Any) -> None:
    attacker = make_user()
    org = make_org(attacker)
    beryl, alu = make_item(session, "Beryl"), make_item(session, "Aluminium")
    session.commit()
    body = {**_recipe(beryl, 1000, (alu, 0.001)), "is_public": True}
    r = client.post(f"/api/v1/orgs/{org.id}/blueprints", headers=attacker.headers, json=body)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert any(e.get("field") == "is_public" for e in r.json()["errors"]), r.json()
    ok = client.post(f"/api/v1/orgs/{org.id}/blueprints", headers=attacker.headers,
                     json=_recipe(beryl, 1, (alu, 1)))
    assert ok.status_code == 201 and ok.json()["is_public"] is False
    bp_id = ok.json()["id"]
    r = client.put(f"/api/v1/orgs/{org.id}/blueprints/{bp_id}", headers=attacker.headers,
                   json={**_recipe(beryl, 1, (alu, 1)), "is_public": True})
    assert r.status_code == 422


# -- attack 2: public record naming a private item -------------------------------------------------

def test_public_record_may_reference_only_public_records(client: TestClient, session: Session,
                                                         make_user: Any, make_org: Any) -> None:
    attacker = make_user()
    org = make_org(attacker)
    secret = make_item(session, "secret", org_id=org.id)
    alu = make_item(session, "Aluminium")
    session.commit()
    r = client.post(SUBS, headers=attacker.headers, json={
        "kind": "blueprint", "source_ref": "trust me", "data": _recipe(secret, 1, (alu, 1))})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "data.output_item_id"
    r = client.post(SUBS, headers=attacker.headers, json={
        "kind": "blueprint", "source_ref": "trust me", "data": _recipe(alu, 1, (secret, 1))})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "data.ingredients.0.item_id"


# -- attack 3 and 6: a recipe "from nothing", floods of them ---------------------------------------

def _beryl_world(session: Session, org_id: uuid.UUID) -> dict[str, Any]:
    beryl, alu = make_item(session, "Beryl"), make_item(session, "Aluminium")
    hangar = make_location(session, "Hangar", kind="hangar", org_id=org_id)
    market = make_location(session, "Market", kind="station")
    session.commit()
    return {"beryl": beryl, "alu": alu, "hangar": hangar, "market": market}


def _plan(client: TestClient, user: Any, org_id: uuid.UUID, w: dict[str, Any],
          qty: float = 10) -> dict[str, Any]:
    r = client.post(f"/api/v1/orgs/{org_id}/plans", headers=user.headers, json={
        "demands": [{"item_id": str(w["beryl"].id), "quantity": qty}],
        "delivery_location_id": str(w["hangar"].id), "time_limit": 30})
    assert r.status_code == 202, r.text
    return wait_done(client, r.headers["Location"], user.headers)


def test_unreviewed_recipes_never_reach_another_orgs_plan(
        client: TestClient, session: Session, make_user: Any, make_org: Any) -> None:
    attacker, victim = make_user(), make_user()
    make_org(attacker)
    v_org = make_org(victim)
    w = _beryl_world(session, v_org.id)
    r = client.post(f"/api/v1/orgs/{v_org.id}/sources", headers=victim.headers, json={
        "item_id": str(w["beryl"].id), "location_id": str(w["market"].id), "price": 160})
    assert r.status_code == 201, r.text
    before = _plan(client, victim, v_org.id, w)
    assert before["status"] == "done"
    for _ in range(3):  # submitted, never reviewed
        _submit(client, attacker, "blueprint", _recipe(w["beryl"], 1000, (w["alu"], 0.001)))
    after = _plan(client, victim, v_org.id, w)
    assert after["plan"]["objective"] == pytest.approx(before["plan"]["objective"])
    assert _blueprint_ids(client, victim, v_org.id) == set()
    assert client.get("/api/v1/public/blueprints").json()["total"] == 0


def test_submission_flood_refused_after_quota(client: TestClient, session: Session,
                                              make_user: Any, make_org: Any, app: Any) -> None:
    attacker, victim = make_user(), make_user()
    v_org = make_org(victim)
    w = _beryl_world(session, v_org.id)
    quota = app.state.settings.commons_max_open_submissions_per_user
    codes = []
    for _ in range(300):
        r = client.post(SUBS, headers=attacker.headers, json={
            "kind": "blueprint", "source_ref": "flood",
            "data": _recipe(w["beryl"], 1000, (w["alu"], 0.001))})
        codes.append(r.status_code)
        if r.status_code == 429:
            assert r.headers["content-type"].startswith("application/problem+json")
            assert int(r.headers["Retry-After"]) > 0
    assert codes[:quota] == [201] * quota and set(codes[quota:]) == {429}
    session.rollback()
    assert session.scalar(select(func.count()).select_from(CommonsSubmission)) == quota
    assert _blueprint_ids(client, victim, v_org.id) == set()
    assert client.get("/api/v1/public/search", params={"q": "recipe"}).json() == []


def test_submission_rate_limit_is_a_429_problem(settings: Any, database: Database,
                                                make_user: Any, open_client: Any) -> None:
    from api.app import create_app

    limited = settings.model_copy(update={"rate_limit_commons_submissions_per_account":
                                          "2/minute"})
    client = open_client(create_app(limited, database))
    user = make_user()
    body = {"kind": "tag", "source_ref": "wiki", "data": {"name": "ore"}}
    assert [client.post(SUBS, headers=user.headers, json=body).status_code
            for _ in range(2)] == [201, 201]
    r = client.post(SUBS, headers=user.headers, json=body)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert r.json()["limit"] == "commons_submissions_per_account"


# -- attack 4: a public recipe closing a cycle with the org's private one -------------------------

def test_public_cycle_is_left_out_with_a_warning(client: TestClient, session: Session,
                                                 make_user: Any, make_org: Any,
                                                 database: Database) -> None:
    attacker, victim = make_user(), make_user()
    mod = _moderator(make_user, database)
    v_org = make_org(victim)
    w = _beryl_world(session, v_org.id)
    r = client.post(f"/api/v1/orgs/{v_org.id}/blueprints", headers=victim.headers,
                    json=_recipe(w["beryl"], 1, (w["alu"], 2), name="own beryl"))
    own_id = r.json()["id"]
    client.post(f"/api/v1/orgs/{v_org.id}/sources", headers=victim.headers, json={
        "item_id": str(w["alu"].id), "location_id": str(w["market"].id), "price": 10})
    public = _publish_blueprint(client, attacker, mod,
                                _recipe(w["alu"], 1, (w["beryl"], 1), name="alu from beryl"))
    plan = _plan(client, victim, v_org.id, w)
    assert plan["status"] == "done", plan
    assert [x["blueprint_id"] for x in plan["warnings"]] == [public["blueprint_id"]]
    assert plan["warnings"][0]["reason"] == "cycle"
    # The org's own edits are not blocked by the public recipe either.
    r = client.put(f"/api/v1/orgs/{v_org.id}/blueprints/{own_id}", headers=victim.headers,
                   json=_recipe(w["beryl"], 2, (w["alu"], 2), name="own beryl"))
    assert r.status_code == 200, r.text
    # Hiding it removes it from the org's list and plans altogether.
    r = client.put(f"/api/v1/orgs/{v_org.id}/commons/hidden/{public['id']}",
                   headers=victim.headers, json={"hidden": True})
    assert r.status_code == 200
    assert public["blueprint_id"] not in _blueprint_ids(client, victim, v_org.id)
    assert _plan(client, victim, v_org.id, w)["warnings"] == []


# -- attack 5: editing a public blueprint under a running craft ------------------------------------

def test_running_craft_keeps_its_version(client: TestClient, session: Session,
                                         make_user: Any, make_org: Any,
                                         database: Database) -> None:
    author, crafter = make_user(), make_user()
    mod = _moderator(make_user, database)
    org = make_org(crafter)
    w = _beryl_world(session, org.id)
    v1 = _publish_blueprint(client, author, mod, _recipe(w["beryl"], 10, (w["alu"], 1)))
    r = client.post(f"/api/v1/orgs/{org.id}/stock/adjust", headers=crafter.headers, json={
        "item_id": str(w["alu"].id), "location_id": str(w["hangar"].id), "delta": 5})
    assert r.status_code in (200, 201), r.text
    r = client.post(f"/api/v1/orgs/{org.id}/crafts", headers=crafter.headers, json={
        "blueprint_id": v1["blueprint_id"], "runs": 5, "location_id": str(w["hangar"].id)})
    assert r.status_code == 201, r.text
    craft = r.json()
    assert client.post(f"/api/v1/orgs/{org.id}/crafts/{craft['id']}/start",
                       headers=crafter.headers).status_code == 200
    v2 = _publish_blueprint(client, author, mod, _recipe(w["beryl"], 0.000001, (w["alu"], 1)),
                            entity_id=v1["id"])
    assert v2["version"] == 2 and v2["blueprint_id"] != v1["blueprint_id"]
    assert v1["blueprint_id"] not in _blueprint_ids(client, crafter, org.id)
    r = client.post(f"/api/v1/orgs/{org.id}/crafts/{craft['id']}/complete",
                    headers=crafter.headers)
    assert r.status_code == 200, r.text
    session.rollback()
    made = session.scalar(select(func.sum(ItemStock.quantity)).where(
        ItemStock.item_id == w["beryl"].id, ItemStock.organization_id == org.id))
    assert made == Decimal(50)


# -- the workflow ----------------------------------------------------------------------------------

def test_full_workflow(client: TestClient, session: Session, make_user: Any, make_org: Any,
                       database: Database) -> None:
    author, planner, stranger = make_user(), make_user(), make_user()
    mod = _moderator(make_user, database)
    org = make_org(planner)
    w = _beryl_world(session, org.id)
    sub = _submit(client, author, "blueprint",
                  {**_recipe(w["beryl"], 10, (w["alu"], 1), name="Beryl press"),
                   "aliases": ["Bery press"], "tags": ["mining"]})
    assert sub["status"] == "pending" and sub["submitter"] == author.user.username
    # Nobody but moderators decides; no org role helps.
    assert _decide(client, author, sub["id"], "approve").status_code == 403
    assert client.get(f"{SUBS}/{sub['id']}", headers=stranger.headers).status_code == 404
    r = _decide(client, mod, sub["id"], "request_changes", notes="cite the patch")
    assert r.json()["status"] == "changes_requested"
    r = client.put(f"{SUBS}/{sub['id']}", headers=author.headers, json={
        "data": {**_recipe(w["beryl"], 12, (w["alu"], 1), name="Beryl press"),
                 "tags": ["mining"]}, "source_ref": "patch notes 4.0.1"})
    assert r.status_code == 200 and r.json()["status"] == "pending"
    assert r.json()["actions"][-1]["diff"]["output_quantity"] == [10, 12]
    r = _decide(client, mod, sub["id"], "approve", notes="ok")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert [a["action"] for a in r.json()["actions"]] == [
        "submit", "request_changes", "resubmit", "approve"]
    assert r.json()["actions"][-1]["actor"] == mod.user.username
    assert _decide(client, mod, sub["id"], "approve").status_code == 409
    hits = client.get("/api/v1/public/search", params={"q": "beryl pre"}).json()
    assert [h["name"] for h in hits] == ["Beryl press"]
    entity = hits[0]
    assert client.get("/api/v1/public/search", params={"q": "mining"}).json()[0]["id"] == \
        entity["id"]
    assert entity["blueprint_id"] in _blueprint_ids(client, planner, org.id)
    plan = _plan(client, planner, org.id, w)
    assert plan["commons_versions"][entity["blueprint_id"]]["version"] == 1
    # A duplicate is hinted to the moderator, then merged as an alias.
    dup = _submit(client, author, "blueprint", _recipe(w["beryl"], 12, (w["alu"], 1),
                                                      name="Beryl Press!"))
    assert dup["duplicates"][0]["entity_id"] == entity["id"]
    r = _decide(client, mod, dup["id"], "merge", merge_into=entity["id"])
    assert r.json()["status"] == "merged"
    # Takedown: gone from new plans and lists, the stored plan keeps its snapshot.
    r = client.post(f"/api/v1/commons/entities/{entity['id']}/takedown", headers=mod.headers,
                    json={"reason": "wrong numbers"})
    assert r.status_code == 200 and r.json()["status"] == "taken_down"
    assert entity["blueprint_id"] not in _blueprint_ids(client, planner, org.id)
    assert client.get("/api/v1/public/search", params={"q": "beryl"}).json() == []
    later = _plan(client, planner, org.id, w)
    assert later["commons_versions"] == {}
    old = client.get(f"/api/v1/orgs/{org.id}/plans/{plan['id']}/problem",
                     headers=planner.headers).json()
    assert entity["blueprint_id"] in {b["id"] for b in old["blueprints"]}


def test_deleted_account_stays_published_anonymised(client: TestClient, session: Session,
                                                     make_user: Any, database: Database) -> None:
    author = make_user()
    mod = _moderator(make_user, database)
    sub = _submit(client, author, "tag", {"name": "salvage"})
    assert _decide(client, mod, sub["id"], "approve").status_code == 200
    with database.session_scope() as s:
        s.delete(s.get(type(author.user), author.id))
    assert [t["name"] for t in client.get("/api/v1/public/tags").json()["items"]] == ["salvage"]
    r = client.get(f"{SUBS}/{sub['id']}", headers=mod.headers)
    assert r.json()["submitter"] == "anonymous"


# -- concurrency -----------------------------------------------------------------------------------

@pytest.mark.postgres
def test_two_moderators_approving_at_once_publish_one_version(
        client: TestClient, make_user: Any, database: Database, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("row locks and concurrent transactions: PostgreSQL")
    author = make_user()
    mods = [_moderator(make_user, database) for _ in range(2)]
    for _ in range(5):
        sub = _submit(client, author, "item", {"name": f"ore-{uuid.uuid4().hex[:6]}"})
        barrier = threading.Barrier(2)
        codes: list[int] = []

        def approve(mod: Any, sub_id: str, barrier: threading.Barrier,
                    codes: list[int]) -> None:
            barrier.wait()
            codes.append(_decide(client, mod, sub_id, "approve").status_code)

        threads = [threading.Thread(target=approve, args=(m, sub["id"], barrier, codes))
                   for m in mods]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(codes) == [200, 409]
        with database.session_scope() as s:
            n = s.scalar(select(func.count()).select_from(CommonsVersion).where(
                CommonsVersion.submission_id == uuid.UUID(sub["id"])))
        assert n == 1


def test_public_answers_are_cached_and_busted_on_publish(client: TestClient, make_user: Any,
                                                         database: Database) -> None:
    author = make_user()
    mod = _moderator(make_user, database)
    assert client.get("/api/v1/public/tags").json()["total"] == 0
    with database.session_scope() as s:  # written behind the API's back: the cache hides it
        s.add(CommonsEntity(kind="tag", name="ghost", norm_name="ghost", search_text="ghost"))
    assert client.get("/api/v1/public/tags").json()["total"] == 0
    sub = _submit(client, author, "tag", {"name": "mining"})
    assert _decide(client, mod, sub["id"], "approve").status_code == 200
    names = {t["name"] for t in client.get("/api/v1/public/tags").json()["items"]}
    assert names == {"ghost", "mining"}


def test_admin_command_grants_the_platform_role(db_url: str, database: Database,
                                                make_user: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from api.cli import app as cli
    from api.core.settings import get_settings

    user = make_user()
    monkeypatch.setenv("QM_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        r = runner.invoke(cli, ["commons", "grant", user.user.username, "moderator"])
        assert r.exit_code == 0, r.output
        with database.session_scope() as s:
            assert s.scalar(select(PlatformRole.role).where(
                PlatformRole.user_id == user.id)) == "moderator"
        r = runner.invoke(cli, ["commons", "grant", user.user.username, "admin"])
        assert r.exit_code == 1 and "curator, moderator" in r.output
        r = runner.invoke(cli, ["commons", "grant", user.user.username, "moderator",
                                "--revoke"])
        assert r.exit_code == 0, r.output
        with database.session_scope() as s:
            assert s.scalar(select(func.count()).select_from(PlatformRole)) == 0
    finally:
        get_settings.cache_clear()


def test_cycle_among_public_blueprints_is_left_out(client: TestClient, session: Session,
                                                   make_user: Any, make_org: Any) -> None:
    owner = make_user()
    org = make_org(owner)
    a, b = make_item(session), make_item(session)
    here = make_location(session)
    loop = []
    for out, inp in ((a, b), (b, a)):  # written behind the API's back, as legacy data
        bp = Blueprint(name="loop", output_item_id=out.id, output_quantity=Decimal(1))
        bp.ingredients = [BlueprintIngredient(position=0, item_id=inp.id, quantity=Decimal(1))]
        session.add(bp)
        loop.append(bp)
    session.commit()
    r = client.post(f"/api/v1/orgs/{org.id}/plans", headers=owner.headers, json={
        "demands": [{"item_id": str(a.id), "quantity": 1}],
        "delivery_location_id": str(here.id)})
    assert r.status_code == 202, r.text
    body = wait_done(client, r.headers["Location"], owner.headers)
    assert body["status"] == "done", body
    assert {w["blueprint_id"] for w in body["warnings"]} == {str(bp.id) for bp in loop}


def test_item_change_publishes_a_version_and_keeps_the_unit(
        client: TestClient, session: Session, make_user: Any, make_org: Any,
        database: Database) -> None:
    author, owner = make_user(), make_user()
    mod = _moderator(make_user, database)
    org = make_org(owner)
    sub = _submit(client, author, "item", {"name": "Aslarite", "unit": "scu"})
    r = _decide(client, mod, sub["id"], "approve")
    assert r.status_code == 200, r.text
    entity_id = r.json()["entity_id"]
    item_id = session.scalar(select(CommonsEntity.item_id)
                             .where(CommonsEntity.id == uuid.UUID(entity_id)))
    hangar = make_location(session, "Hangar", org_id=org.id)
    session.commit()
    r = client.post(f"/api/v1/orgs/{org.id}/stock/adjust", headers=owner.headers, json={
        "item_id": str(item_id), "location_id": str(hangar.id), "delta": "12.5"})
    assert r.status_code == 200, r.text

    # Stock counted in SCU cannot become pieces: refused at submission, naming the field.
    r = client.post(SUBS, headers=author.headers, json={
        "kind": "item", "entity_id": entity_id, "source_ref": "wiki page",
        "data": {"name": "Aslarite", "unit": "piece"}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "data.unit"

    change = _submit(client, author, "item", {"name": "Aslarite (raw)", "unit": "scu",
                                              "category": "ore"}, entity_id)
    assert _decide(client, mod, change["id"], "approve").status_code == 200
    versions = client.get(f"/api/v1/public/entities/{entity_id}/versions").json()
    assert [(v["version"], v["status"], v["data"]["name"]) for v in versions] == [
        (1, "superseded", "Aslarite"), (2, "current", "Aslarite (raw)")]
    # The reviewer reads names, not ids: a recipe's items are labelled in the submission.
    bp = _submit(client, author, "blueprint", {
        "name": "Polish", "output_item_id": str(item_id), "output_quantity": 1,
        "ingredients": []})
    assert bp["labels"] == {str(item_id): "Aslarite (raw)"}
    queue = client.get(SUBS, headers=mod.headers, params={"scope": "queue"}).json()["items"]
    assert next(s for s in queue if s["id"] == bp["id"])["labels"] == bp["labels"]
    # The same shared row: the org's stock still names it, with its quantity untouched.
    stock = client.get(f"/api/v1/orgs/{org.id}/stock", headers=owner.headers).json()["items"]
    assert [(s["item_id"], s["item_name"], Decimal(s["quantity"])) for s in stock] == [
        (str(item_id), "Aslarite (raw)", Decimal("12.5"))]
