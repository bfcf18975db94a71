"""A piece item (a rifle) takes whole quantities only, on every path that takes a quantity:
a fraction is a 422 naming the field and the item, and nothing is written."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.core.db import Database
from models.inventory import ItemHistory, ItemStock, StockReservation
from models.planning import Blueprint, Goal, ResourceSource
from tests.api.test_names import Place, place  # noqa: F401  (the shared fixture)


def _counts(database: Database) -> tuple[int, ...]:
    with database.sessionmaker() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(model)) or 0
            for model in (ItemStock, ItemHistory, StockReservation, Goal, ResourceSource,
                          Blueprint)
        )


def _refused(r: Any, field: str, item: Any) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    [error] = r.json()["errors"]
    assert (error["field"], error["record"]) == (field, f"item/{item}")
    assert "whole pieces" in error["message"]


def test_fractions_of_a_piece_item_are_refused_everywhere(
    client: TestClient, database: Database, place: Place  # noqa: F811
) -> None:
    p, h = place, place.owner.headers
    rifle, ore = str(p.rifle), str(p.ore)
    r = client.post(p.url("/stock/adjust"), headers=h,
                    json={"item_id": rifle, "location_id": str(p.hangar), "delta": "3"})
    stock_id = r.json()["stock"]["id"]
    before = _counts(database)

    adjust = {"item_id": rifle, "location_id": str(p.hangar), "delta": "0.5"}
    _refused(client.post(p.url("/stock/adjust"), headers=h, json=adjust), "delta", rifle)
    _refused(client.post(p.url("/stock/adjust"), headers=h, json={**adjust, "delta": "-1.25"}),
             "delta", rifle)
    transfer = {"stock_id": stock_id, "to_location_id": str(p.personal), "quantity": "1.5"}
    _refused(client.post(p.url("/stock/transfer"), headers=h, json=transfer), "quantity", rifle)
    reserve = {"stock_id": stock_id, "quantity": "0.5"}
    _refused(client.post(p.url("/stock/reservations"), headers=h, json=reserve),
             "quantity", rifle)
    goal = {"name": "arm up", "targets": [{"item_id": ore, "quantity": 2.5},
                                          {"item_id": rifle, "quantity": 2.5}]}
    _refused(client.post(p.url("/goals"), headers=h, json=goal), "targets.1.quantity", rifle)
    source = {"item_id": rifle, "location_id": str(p.hangar), "price": 100, "lot_size": 2.5}
    _refused(client.post(p.url("/sources"), headers=h, json=source), "lot_size", rifle)
    source = {"item_id": rifle, "location_id": str(p.hangar), "price": 100, "available": 7.5}
    _refused(client.post(p.url("/sources"), headers=h, json=source), "available", rifle)
    bp = {"name": "rifle kit", "output_item_id": rifle, "output_quantity": 1,
          "ingredients": [{"item_id": ore, "quantity": 0.5}]}
    _refused(client.post(p.url("/blueprints"), headers=h, json={**bp, "output_quantity": 1.5}),
             "output_quantity", rifle)
    bp_in = {"name": "ore from rifles", "output_item_id": ore, "output_quantity": 0.5,
             "ingredients": [{"item_id": rifle, "quantity": 0.25}]}
    _refused(client.post(p.url("/blueprints"), headers=h, json=bp_in),
             "ingredients.0.quantity", rifle)
    assert _counts(database) == before  # nothing half-written

    # Whole pieces, and fractions of an SCU item, still go through.
    assert client.post(p.url("/stock/adjust"), headers=h,
                       json={**adjust, "delta": "2"}).status_code == 200
    assert client.post(p.url("/stock/adjust"), headers=h,
                       json={**adjust, "item_id": ore, "delta": "0.5"}).status_code == 200
    assert client.post(p.url("/blueprints"), headers=h, json=bp).status_code == 201
    goal["targets"][1]["quantity"] = 2
    assert client.post(p.url("/goals"), headers=h, json=goal).status_code == 201
