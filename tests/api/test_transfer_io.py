"""Import and export (issue 10): dry run, all-or-nothing apply, idempotence, round trip."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.items.catalogue import ensure_catalogue
from api.locations.universe import ensure_universe
from models.inventory import Item, ItemHistory, ItemStock, Location, Ship
from models.planning import Blueprint, ResourceSource

API = "/api/v1"

ITEMS_CSV = (
    "name,unit,category,volume_scu,aliases,description\n"
    "Org Trophy,piece,misc,0.25,Trophy; Cup,Shiny\n"
    "Hull Plate,piece,component,2,,\n"
)
LOCATIONS_CSV = (
    "path,kind,trip_cost\n"
    # A child before its parent: the import orders creations itself.
    "Stanton > ArcCorp > Area 18 > Org Hangar > Bay 2,storage,\n"
    "Stanton > ArcCorp > Area 18 > Org Hangar,hangar,1500\n"
)
SHIPS_CSV = (
    "name,ship_type,cargo_capacity_scu,location\n"
    "Big Red,C2 Hercules,,Stanton > ArcCorp > Area 18 > Org Hangar\n"
)
STOCK_CSV = (
    "item,location,quality,quantity\n"
    "Org Trophy,Stanton > ArcCorp > Area 18 > Org Hangar,0,3\n"
    "cup,Stanton > ArcCorp > Area 18 > Org Hangar > Bay 2,500,2\n"
    "Quantainium,Stanton > ArcCorp > Area 18 > Org Hangar > Big Red cargo grid,0,32\n"
)
BLUEPRINTS_CSV = (
    "name,kind,output,output_quantity,minutes,run_cost,ingredients,description\n"
    '"Trophy, gilded",craft,Org Trophy,1,2.5,100,'
    "0.04 Quantainium q>=300; 2 hull plate,For the wall\n"
    "Plate press,craft,Hull Plate,4,10,,1 Quantainium,\n"
)


@pytest.fixture
def world(session: Session) -> None:
    """The shared universe and catalogue every org sees."""
    ensure_universe(session)
    ensure_catalogue(session)
    session.commit()


def _import(client: TestClient, org: Any, user: Any, kind: str, body: str | bytes, *,
            apply: bool = False, name: str | None = None) -> Any:
    data = body.encode() if isinstance(body, str) else body
    return client.post(
        f"{API}/orgs/{org.id}/imports",
        params={"kind": kind, "apply": str(apply).lower()},
        files={"file": (name or f"{kind}.csv", data)},
        headers=user.headers,
    )


def _load_all(client: TestClient, org: Any, user: Any) -> None:
    for kind, body in (("items", ITEMS_CSV), ("locations", LOCATIONS_CSV),
                       ("ships", SHIPS_CSV), ("stock", STOCK_CSV),
                       ("blueprints", BLUEPRINTS_CSV)):
        resp = _import(client, org, user, kind, body, apply=True)
        assert resp.status_code == 200, resp.text
        assert resp.json()["applied"] is True


def _counts(session: Session, org_id: Any) -> tuple[int, int, int, int]:
    session.commit()
    return (
        session.scalar(select(func.count()).select_from(Item).where(
            Item.organization_id == org_id)) or 0,
        session.scalar(select(func.count()).select_from(Location).where(
            Location.organization_id == org_id)) or 0,
        session.scalar(select(func.count()).select_from(ItemStock).where(
            ItemStock.organization_id == org_id)) or 0,
        session.scalar(select(func.count()).select_from(ItemHistory).where(
            ItemHistory.organization_id == org_id)) or 0,
    )


def test_dry_run_reports_and_writes_nothing(
    client: TestClient, session: Session, world: None, make_user: Any, make_org: Any
) -> None:
    owner = make_user()
    org = make_org(owner)
    resp = _import(client, org, owner, "items", ITEMS_CSV)
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert (report["applied"], report["valid"], report["created"]) == (False, True, 2)
    assert [c["action"] for c in report["changes"]] == ["create", "create"]
    assert _counts(session, org.id) == (0, 0, 0, 0)


def test_full_import_creates_everything_with_history_then_is_idempotent(
    client: TestClient, session: Session, world: None, make_user: Any, make_org: Any
) -> None:
    owner = make_user()
    org = make_org(owner)
    _load_all(client, org, owner)
    items, locs, stocks, history = _counts(session, org.id)
    # Two locations plus the ship's cargo grid; one history row per stock row.
    assert (items, locs, stocks, history) == (2, 3, 3, 3)
    notes = set(session.scalars(select(ItemHistory.note).where(
        ItemHistory.organization_id == org.id)))
    assert notes == {"import"}
    bay = session.scalar(select(ItemStock).where(
        ItemStock.organization_id == org.id, ItemStock.quality == 500))
    assert bay is not None and bay.quantity == Decimal("2")
    for kind, body in (("items", ITEMS_CSV), ("locations", LOCATIONS_CSV),
                       ("ships", SHIPS_CSV), ("stock", STOCK_CSV),
                       ("blueprints", BLUEPRINTS_CSV)):
        again = _import(client, org, owner, kind, body, apply=True).json()
        assert (again["created"], again["updated"]) == (0, 0), (kind, again)
        assert again["unchanged"] == again["rows"]
    assert _counts(session, org.id) == (items, locs, stocks, history)


def test_stock_import_sets_quantity_through_the_stock_service(
    client: TestClient, session: Session, world: None, make_user: Any, make_org: Any
) -> None:
    owner = make_user()
    org = make_org(owner)
    _load_all(client, org, owner)
    lower = STOCK_CSV.replace(",0,3\n", ",0,1\n")
    report = _import(client, org, owner, "stock", lower, apply=True).json()
    assert report["updated"] == 1 and report["changes"][0]["detail"] == "3 -> 1"
    session.commit()
    row = session.execute(select(ItemHistory.delta, ItemHistory.kind).where(
        ItemHistory.organization_id == org.id).order_by(ItemHistory.created_at.desc())).first()
    assert row is not None and (row.delta, row.kind) == (Decimal(-2), "remove")


def test_bad_rows_are_all_reported_with_suggestions_and_apply_writes_nothing(
    client: TestClient, session: Session, world: None, make_user: Any, make_org: Any
) -> None:
    owner = make_user()
    org = make_org(owner)
    _import(client, org, owner, "items", ITEMS_CSV, apply=True)
    _import(client, org, owner, "locations", LOCATIONS_CSV, apply=True)
    before = _counts(session, org.id)
    bad = (
        "item,location,quality,quantity\n"
        "Org Trophy,Stanton > ArcCorp > Area 18 > Org Hangar,0,3\n"   # good
        "Quantanum,Stanton > ArcCorp > Area 18 > Org Hangar,0,1\n"    # misspelt item
        "Org Trophy,Stanton > ArcCorp > Area18 > Org Hangar,0,1\n"     # misspelt path
        "Hull Plate,Stanton > ArcCorp > Area 18 > Org Hangar,1001,x\n" # two bad values
        "cup,Stanton > ArcCorp > Area 18 > Org Hangar,0,0.5\n"         # half a trophy
    )
    report = _import(client, org, owner, "stock", bad).json()
    assert report["valid"] is False
    found = {(e["row"], e["column"]) for e in report["errors"]}
    assert found == {(3, "item"), (4, "location"), (5, "quality"), (5, "quantity"),
                     (6, "quantity")}
    by_column = {e["column"]: e for e in report["errors"] if e["row"] in (3, 4)}
    assert "Quantanium" in by_column["item"]["suggestions"]
    assert by_column["location"]["suggestions"][0] == "Stanton > ArcCorp > Area 18 > Org Hangar"
    assert by_column["item"]["value"] == "Quantanum"

    resp = _import(client, org, owner, "stock", bad, apply=True)
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    assert {(e["field"], e["record"]) for e in problem["errors"]} == {
        ("item", "row 3"), ("location", "row 4"), ("quality", "row 5"), ("quantity", "row 5"),
        ("quantity", "row 6")}
    assert _counts(session, org.id) == before


def test_ambiguous_alias_and_duplicate_rows_are_row_errors(
    client: TestClient, world: None, make_user: Any, make_org: Any
) -> None:
    owner = make_user()
    org = make_org(owner)
    two = "name,aliases\nRed Box,Box\nBlue Box,box\nred box,\n"
    report = _import(client, org, owner, "items", two).json()
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(4, "name")]
    _import(client, org, owner, "items", two.replace("red box,\n", ""), apply=True)
    _import(client, org, owner, "locations", LOCATIONS_CSV, apply=True)
    stock = "item,location,quantity\nbox,Stanton > ArcCorp > Area 18 > Org Hangar,1\n"
    error = _import(client, org, owner, "stock", stock).json()["errors"][0]
    assert error["reason"].startswith("ambiguous")
    assert error["suggestions"] == ["Blue Box", "Red Box"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b"name,colour\nA,red\n", 422, "colour"),
        (b"unit\npiece\n", 422, "name"),
        ("name\nCaf\u00e9\n".encode("latin-1"), 422, "file"),
        (b"name\nA\x00B\n", 422, "file"),
        (b'name\n"unclosed\n', 422, "file"),
        (b"", 422, "file"),
    ],
    ids=["unknown-column", "missing-column", "latin-1", "nul-byte", "malformed", "empty"],
)
def test_bad_files_are_problem_documents(
    client: TestClient, session: Session, world: None, make_user: Any, make_org: Any,
    body: bytes, status: int, field: str,
) -> None:
    owner = make_user()
    org = make_org(owner)
    resp = _import(client, org, owner, "items", body, apply=True)
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["errors"][0]["field"] == field
    assert _counts(session, org.id) == (0, 0, 0, 0)


def test_bad_json_files_are_problem_documents(
    client: TestClient, world: None, make_user: Any, make_org: Any
) -> None:
    owner = make_user()
    org = make_org(owner)
    for body in (b"{not json", b'{"name": "x"}', b'[1]', b'[{"name": {"a": 1}}]'):
        resp = _import(client, org, owner, "items", body, name="items.json")
        assert resp.status_code == 422, (body, resp.text)
        assert resp.json()["errors"][0]["field"] in ("file", "name")


def test_oversize_file_is_413(
    client: TestClient, world: None, make_user: Any, make_org: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from api.transfer_io import codec

    monkeypatch.setattr(codec, "MAX_FILE_BYTES", 64)
    owner = make_user()
    org = make_org(owner)
    resp = _import(client, org, owner, "items", ITEMS_CSV)
    assert resp.status_code == 413
    assert resp.headers["content-type"].startswith("application/problem+json")


def test_members_may_export_but_only_admins_import(
    client: TestClient, world: None, make_user: Any, make_org: Any
) -> None:
    owner, member = make_user(), make_user()
    org = make_org(owner, members={member: "member"})
    assert _import(client, org, member, "items", ITEMS_CSV).status_code == 403
    exported = client.get(f"{API}/orgs/{org.id}/exports", params={"kind": "items"},
                          headers=member.headers)
    assert exported.status_code == 200
    outsider = make_user()
    assert client.get(f"{API}/orgs/{org.id}/exports", params={"kind": "items"},
                      headers=outsider.headers).status_code == 404


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_round_trip_into_an_empty_org_reproduces_the_data(
    client: TestClient, session: Session, world: None, make_user: Any, make_org: Any,
    file_format: str,
) -> None:
    owner = make_user()
    source, target = make_org(owner), make_org(owner)
    _load_all(client, source, owner)
    kinds = ("items", "locations", "ships", "stock", "blueprints")
    exported = {}
    for kind in kinds:
        resp = client.get(f"{API}/orgs/{source.id}/exports",
                          params={"kind": kind, "format": file_format}, headers=owner.headers)
        assert resp.status_code == 200
        exported[kind] = resp.content
    for kind in kinds:
        resp = _import(client, target, owner, kind, exported[kind], apply=True,
                       name=f"{kind}.{file_format}")
        assert resp.status_code == 200, resp.text
    for kind in kinds:
        again = client.get(f"{API}/orgs/{target.id}/exports",
                           params={"kind": kind, "format": file_format}, headers=owner.headers)
        assert again.content == exported[kind], kind
    if file_format == "json":
        stock = json.loads(exported["stock"])
        assert {"item": "Org Trophy", "quality": "500", "quantity": "2",
                "location": "Stanton > ArcCorp > Area 18 > Org Hangar > Bay 2"} in stock
        blueprints = json.loads(exported["blueprints"])
        assert {"name": "Trophy, gilded", "kind": "craft", "output": "Org Trophy",
                "output_quantity": "1", "minutes": "2.5", "run_cost": "100",
                "ingredients": ["0.04 Quantanium q>=300", "2 Hull Plate"],
                "description": "For the wall"} in blueprints
    assert _counts(session, target.id)[:3] == _counts(session, source.id)[:3]
    session.commit()
    ship = session.scalar(select(Ship).where(Ship.organization_id == target.id))
    assert ship is not None and ship.cargo_capacity_scu == 696


def test_cli_import_and_export_call_the_same_service(
    db_url: str, session: Session, world: None, make_user: Any, make_org: Any,
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from api.cli import app as cli
    from api.core.settings import get_settings

    monkeypatch.setenv("QM_DATABASE_URL", db_url)
    get_settings.cache_clear()
    org = make_org(make_user())
    items = tmp_path / "items.csv"
    items.write_text(ITEMS_CSV)
    runner = CliRunner()
    try:
        dry = runner.invoke(cli, ["import", "items", str(items), "--org", org.name])
        assert dry.exit_code == 0, dry.output
        assert json.loads(dry.stdout)["applied"] is False
        assert _counts(session, org.id)[0] == 0
        done = runner.invoke(cli, ["import", "items", str(items), "--org", org.name, "--apply"])
        assert done.exit_code == 0, done.output
        assert _counts(session, org.id)[0] == 2
        out = runner.invoke(cli, ["export", "items", "--org", str(org.id)])
        assert out.exit_code == 0 and out.stdout.splitlines()[1].startswith("Hull Plate,piece")
        bad = tmp_path / "bad.csv"
        bad.write_text("name,colour\nA,red\n")
        refused = runner.invoke(cli, ["import", "items", str(bad), "--org", org.name, "--apply"])
        assert refused.exit_code == 1 and "colour" in refused.stderr
        unknown = runner.invoke(cli, ["export", "items", "--org", "no such org"])
        assert unknown.exit_code == 1
    finally:
        get_settings.cache_clear()


UEX_FIXTURE = Path(__file__).parent / "fixtures" / "uex_commodities_prices.json"


def test_uex_price_table_becomes_market_listings_idempotently(
    client: TestClient, session: Session, world: None, make_user: Any, make_org: Any
) -> None:
    owner = make_user()
    org = make_org(owner)
    body = UEX_FIXTURE.read_bytes()
    dry = _import(client, org, owner, "uex-prices", body, name="prices.json").json()
    assert dry["valid"] is True, dry["errors"]
    # The Quantainium row is sell-only: not a source of supply.
    assert [c["action"] for c in dry["changes"]] == ["unchanged", "create", "create", "create"]
    applied = _import(client, org, owner, "uex-prices", body, apply=True, name="prices.json")
    assert applied.status_code == 200, applied.text
    session.commit()
    listings = session.scalars(select(ResourceSource).where(
        ResourceSource.organization_id == org.id)).all()
    laranite = {(s.holder_name, s.price, s.available) for s in listings
                if s.holder_name == "HUR-L1 Green Glade Station"}
    assert laranite == {("HUR-L1 Green Glade Station", Decimal("28.4"), Decimal(120))}
    assert len(listings) == 3
    again = _import(client, org, owner, "uex-prices", body, apply=True, name="prices.json").json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 4)
    cheaper = body.replace(b'"price_buy": 28.4', b'"price_buy": 26')
    changed = _import(client, org, owner, "uex-prices", cheaper, apply=True,
                      name="prices.json").json()
    assert changed["updated"] == 1 and changed["changes"][2]["detail"] == "price 28.4 -> 26"


def test_uex_csv_with_unknown_terminal_suggests_names(
    client: TestClient, world: None, make_user: Any, make_org: Any
) -> None:
    owner = make_user()
    org = make_org(owner)
    csv_body = (
        "id,terminal_name,commodity_name,price_buy,price_sell,scu_buy,scu_sell\n"
        "1,Everus Harbour,Agricium,25.1,27.6,80,150\n"
    )
    report = _import(client, org, owner, "uex-prices", csv_body).json()
    (error,) = report["errors"]
    assert (error["row"], error["column"], error["reason"]) == (2, "terminal_name",
                                                               "unknown terminal")
    assert error["suggestions"][0] == "Stanton > Hurston > Everus Harbor"


def test_blueprint_rows_report_unknown_items_with_suggestions_then_import_idempotently(
    client: TestClient, session: Session, world: None, make_user: Any, make_org: Any
) -> None:
    owner = make_user()
    org = make_org(owner)
    assert _import(client, org, owner, "items", ITEMS_CSV, apply=True).status_code == 200
    bad = (
        "name,output,output_quantity,ingredients\n"
        "Press,Hull Plat,1,2 Org Trophy\n"
        "Gild,Org Trophy,0,1 Quantainum; lots of Cup\n"
    )
    report = _import(client, org, owner, "blueprints", bad).json()
    assert report["valid"] is False
    errors = {(e["row"], e["column"], e["value"]): e for e in report["errors"]}
    assert "Hull Plate" in errors[2, "output", "Hull Plat"]["suggestions"]
    assert errors[3, "ingredients", "Quantainum"]["suggestions"]
    assert errors[3, "ingredients", "lots"]["reason"] == "not a number"
    refused = _import(client, org, owner, "blueprints", bad, apply=True)
    assert refused.status_code == 422
    first = _import(client, org, owner, "blueprints", BLUEPRINTS_CSV, apply=True).json()
    assert (first["created"], first["updated"], first["unchanged"]) == (2, 0, 0)
    again = _import(client, org, owner, "blueprints", BLUEPRINTS_CSV, apply=True).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    changed = BLUEPRINTS_CSV.replace("Hull Plate,4,10,", "Hull Plate,4,12,")
    report = _import(client, org, owner, "blueprints", changed, apply=True).json()
    assert [c["action"] for c in report["changes"]] == ["unchanged", "update"]
    session.commit()
    press = session.scalar(select(Blueprint).where(Blueprint.organization_id == org.id,
                                                   Blueprint.name == "Plate press"))
    assert press is not None and press.minutes == 12 and len(press.ingredients) == 1


def test_bulk_stock_levels_below_a_reservation_are_409_and_change_nothing(
    client: TestClient, session: Session, world: None, make_user: Any, make_org: Any
) -> None:
    """A reservation landing between the dry run and the apply: the bulk write refuses it."""
    from api.core.errors import Conflict
    from api.stock.service import StockLevel, set_org_stock_levels

    owner = make_user()
    org = make_org(owner)
    _load_all(client, org, owner)
    session.commit()
    rows = session.scalars(select(ItemStock).where(ItemStock.organization_id == org.id)
                           .order_by(ItemStock.quantity)).all()
    reserved_row, other = rows[-1], rows[0]
    reserved_row.reserved = reserved_row.quantity
    session.commit()
    before = {r.id: r.quantity for r in rows}
    history = _counts(session, org.id)[3]
    levels = [StockLevel(other.item_id, other.location_id, other.quality, other.quantity + 5),
              StockLevel(reserved_row.item_id, reserved_row.location_id, reserved_row.quality,
                         Decimal(1))]
    with pytest.raises(Conflict) as refused:
        set_org_stock_levels(session, org_id=org.id, actor_id=owner.user.id, levels=levels)
    assert refused.value.status == 409
    session.rollback()
    after = session.scalars(select(ItemStock).where(ItemStock.organization_id == org.id)).all()
    assert {r.id: r.quantity for r in after} == before
    assert _counts(session, org.id)[3] == history


def test_stock_row_at_zero_empties_the_row(
    client: TestClient, session: Session, world: None, make_user: Any, make_org: Any
) -> None:
    owner = make_user()
    org = make_org(owner)
    _load_all(client, org, owner)
    emptied = STOCK_CSV.replace("Org Hangar,0,3\n", "Org Hangar,0,0\n")
    resp = _import(client, org, owner, "stock", emptied, apply=True)
    assert resp.status_code == 200, resp.text
    assert [c["action"] for c in resp.json()["changes"]] == ["update", "unchanged", "unchanged"]
    session.commit()
    trophy = session.scalar(select(ItemStock).join(Item, Item.id == ItemStock.item_id).where(
        ItemStock.organization_id == org.id, Item.name == "Org Trophy", ItemStock.quality == 0))
    assert trophy is not None and trophy.quantity == 0
