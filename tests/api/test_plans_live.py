"""Live updates over the WebSocket (embedded hub): auth, org scoping, plan status events."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.websockets import WebSocketDisconnect

from api.live.hub import publish
from tests.api.planning_helpers import make_item, make_location, make_stock


def test_live_plan_status_and_published_events(client: TestClient, session: Session,
                                               make_user: Any, make_org: Any) -> None:
    owner = make_user()
    org = make_org(owner)
    ore, here = make_item(session), make_location(session)
    make_stock(session, ore, here, 5, org_id=org.id)
    session.commit()
    with client.websocket_connect(f"/api/v1/orgs/{org.id}/live") as ws:
        ws.send_json({"token": owner.token})  # token as the first message
        assert ws.receive_json()["type"] == "hello"
        publish(org.id, {"type": "stock.changed", "item_id": str(ore.id)}, redis_url=None)
        assert ws.receive_json()["type"] == "stock.changed"
        r = client.post(f"/api/v1/orgs/{org.id}/plans", headers=owner.headers, json={
            "demands": [{"item_id": str(ore.id), "quantity": 2}],
            "delivery_location_id": str(here.id)})
        plan_id = r.json()["id"]
        seen = []
        while not seen or seen[-1] not in ("done", "failed"):
            event = ws.receive_json()
            if event["type"] == "plan.status" and event["plan_id"] == plan_id:
                seen.append(event["status"])
        assert seen == ["solving", "done"]


def test_live_refuses_outsiders_and_bad_tokens(client: TestClient, make_user: Any,
                                               make_org: Any) -> None:
    owner, outsider = make_user(), make_user()
    org = make_org(owner)
    for url, code in [(f"/api/v1/orgs/{org.id}/live?token={outsider.token}", 4404),
                      (f"/api/v1/orgs/{org.id}/live?token=garbage", 4401),
                      (f"/api/v1/orgs/{uuid.uuid4()}/live?token={owner.token}", 4404)]:
        with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect(url) as ws:
            ws.receive_json()
        assert info.value.code == code
    with client.websocket_connect(f"/api/v1/orgs/{org.id}/live?token={owner.token}") as ws:
        assert ws.receive_json()["type"] == "hello"


def test_live_pushes_stock_changes_after_commit_only(client: TestClient, session: Session,
                                                     make_user: Any, make_org: Any) -> None:
    owner = make_user()
    org = make_org(owner)
    ore, here = make_item(session), make_location(session)
    session.commit()
    adjust = f"/api/v1/orgs/{org.id}/stock/adjust"
    body = {"item_id": str(ore.id), "location_id": str(here.id), "quality": 300}
    with client.websocket_connect(f"/api/v1/orgs/{org.id}/live?token={owner.token}") as ws:
        assert ws.receive_json()["type"] == "hello"
        # A refused change (would go negative) is rolled back and must not be announced.
        assert client.post(adjust, headers=owner.headers, json={**body, "delta": -1}).status_code \
            == 409
        assert client.post(adjust, headers=owner.headers, json={**body, "delta": 7}).status_code \
            == 200
        event = ws.receive_json()
        assert event["type"] == "stock.changed"
        assert (event["item_id"], event["location_id"], event["kind"]) == \
            (str(ore.id), str(here.id), "add")
        assert float(event["delta"]) == 7
