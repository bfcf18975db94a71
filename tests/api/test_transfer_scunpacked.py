"""Blueprint files in the shape scunpacked-data publishes become org blueprints (issue 10)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.items.catalogue import ensure_catalogue
from api.locations.universe import ensure_universe
from models.inventory import Item
from models.planning import Blueprint

FIXTURE = Path(__file__).parent / "fixtures" / "scunpacked_blueprints.json"


@pytest.fixture
def world(session: Session) -> None:
    """The shared universe and catalogue every org sees."""
    ensure_universe(session)
    ensure_catalogue(session)
    session.commit()


def _import(client: TestClient, org: Any, user: Any, body: bytes, *, apply: bool = False,
            name: str = "blueprints.json") -> Any:
    return client.post(
        f"/api/v1/orgs/{org.id}/imports",
        params={"kind": "scunpacked-blueprints", "apply": str(apply).lower()},
        files={"file": (name, body)}, headers=user.headers,
    )


def _recipes(session: Session, org_id: Any) -> dict[str, tuple[Any, ...]]:
    names = dict(session.execute(select(Item.id, Item.name)).all())
    out = {}
    for bp in session.scalars(select(Blueprint).where(Blueprint.organization_id == org_id)):
        lines = sorted((names[i.item_id], Decimal(i.quantity).normalize(), i.min_quality)
                       for i in bp.ingredients)
        out[bp.name] = (names[bp.output_item_id], Decimal(bp.output_quantity).normalize(),
                        Decimal(bp.minutes).normalize(), bp.kind, tuple(lines))
    return out


def test_scunpacked_recipes_import_with_first_tier_then_idempotently(
    client: TestClient, session: Session, world: None, make_user: Any, make_org: Any
) -> None:
    owner = make_user()
    org = make_org(owner)
    body = FIXTURE.read_bytes()
    dry = _import(client, org, owner, body).json()
    assert dry["valid"] is True, dry["errors"]
    assert (dry["rows"], dry["created"]) == (3, 3)
    applied = _import(client, org, owner, body, apply=True)
    assert applied.status_code == 200, applied.text
    session.commit()
    recipes = _recipes(session, org.id)
    # Output names resolve through aliases ("Behring P4-AR", "Ore Pod"); pieces and SCU
    # lines side by side; minutes from seconds; tier 2 of the cannon is not the recipe.
    assert recipes["P4-AR Rifle"] == ("P4-AR Rifle", 1, Decimal("2.5"), "craft", (
        ("Aluminum", Decimal("0.04"), 0), ("Hephaestanite", Decimal("0.02"), 0),
        ("Iron", Decimal("0.02"), 0)))
    assert recipes["M3A Cannon"] == ("M3A Cannon", 1, 9, "craft", (
        ("Agricium", Decimal("0.36"), 1), ("Dolivine", 7, 0), ("Hadanite", 7, 0)))
    assert recipes["MISC Ore Pod"][0] == "MISC Ore Pod"
    again = _import(client, org, owner, body, apply=True).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)


def test_unknown_material_is_a_row_error_with_suggestions_and_nothing_is_written(
    client: TestClient, session: Session, world: None, make_user: Any, make_org: Any
) -> None:
    owner = make_user()
    org = make_org(owner)
    data = json.loads(FIXTURE.read_text())
    data["Blueprints"][1]["Tiers"][0]["Requirements"][1]["Name"] = "Hadanit"
    body = json.dumps(data).encode()
    report = _import(client, org, owner, body).json()
    (error,) = report["errors"]
    assert (error["row"], error["column"], error["value"]) == (2, "ingredients", "Hadanit")
    assert "Hadanite" in error["suggestions"]
    assert _import(client, org, owner, body, apply=True).status_code == 422
    session.commit()
    assert _recipes(session, org.id) == {}


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda d: d["Blueprints"][0].pop("Output"), "Output"),
    (lambda d: d["Blueprints"][0].update(Tiers=[]), "Tiers"),
    (lambda d: d["Blueprints"][0]["Tiers"][0]["Requirements"][0].pop("StandardCargoUnits"),
     "Tiers[0].Requirements[0]"),
    (lambda d: d["Blueprints"][0].update(CraftTimeSeconds={"s": 1}), "CraftTimeSeconds"),
])
def test_records_not_shaped_like_a_blueprint_are_422_naming_the_key(
    client: TestClient, world: None, make_user: Any, make_org: Any, mutate: Any, field: str
) -> None:
    owner = make_user()
    org = make_org(owner)
    data = json.loads(FIXTURE.read_text())
    mutate(data)
    answer = _import(client, org, owner, json.dumps(data).encode())
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["errors"][0]["field"] == field, problem
    assert problem["errors"][0]["record"] == "row 1"


def test_csv_is_refused_for_scunpacked_files(
    client: TestClient, world: None, make_user: Any, make_org: Any
) -> None:
    owner = make_user()
    org = make_org(owner)
    answer = _import(client, org, owner, b"Name,Output\nx,y\n", name="bp.csv")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "format"
