"""Import rules: validate a whole file first, then apply it in the caller's transaction.

Every row is checked before anything is written, so a dry run reports every bad row and
what each good row would do. Apply replays the same plan through the owning domains'
services (items, locations, ships, stock), so their rules hold and every stock change writes
its history row. Rows name records, never ids: items by name or alias, locations by path.
Re-importing a file changes nothing: stock rows set the quantity the file gives.
"""

from __future__ import annotations

import difflib
import re
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.blueprints import service as blueprints
from api.blueprints.schemas import BlueprintIn
from api.core.errors import FieldError, NotFound, ProblemError
from api.core.jobs import JobDispatcher
from api.items import service as items
from api.items.schemas import AliasCreate, ItemCreate, ItemUpdate
from api.live.hub import announce
from api.locations import service as locations
from api.locations.schemas import LocationCreate, LocationUpdate
from api.ships import service as ships
from api.ships.schemas import ShipCreate, ShipUpdate
from api.sources import service as sources
from api.sources.schemas import SourceIn
from api.stock import service as stock
from api.transfer_io import codec
from api.transfer_io import repository as repo
from api.transfer_io.schemas import Action, ImportJobOut, ImportReport, RowChange, RowError
from models.base import utc_now

# Paths are written with " > " (as players say them); " / " (the API's path) is read too.
PATH_SEPARATOR = " > "
_NOTE = "import"
_KEY_SEPARATOR = "\x1f"
# Told (phase, rows done, rows in the phase) as an import goes: a background job's progress.
Progress = Callable[[str, int, int], None]
# Rows checked between two validate-phase progress reports.
PROGRESS_EVERY = 5000


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def split_path(path: str) -> tuple[str, ...]:
    """The names of a path written with ``>`` or ``/`` between them."""
    separator = ">" if ">" in path else "/"
    return tuple(part.strip() for part in path.split(separator))


def _path_key(segments: Iterable[str]) -> str:
    return _KEY_SEPARATOR.join(_key(s) for s in segments)


def suggestions(value: str, known: dict[str, str], n: int = 3) -> list[str]:
    """The closest known display names to ``value`` (``known``: match key -> display)."""
    close = difflib.get_close_matches(_key(value), list(known), n=n, cutoff=0.6)
    return list(dict.fromkeys(known[c] for c in close))


class BadRows(ProblemError):  # noqa: N818 - reads like the other problem classes
    """422: rows of an import that cannot be applied; ``errors`` lists every one."""

    status = 422
    title = "Invalid input"
    slug = "invalid-input"


@dataclass
class _Plan:
    kind: str
    errors: list[RowError] = field(default_factory=list)
    changes: list[RowChange] = field(default_factory=list)
    steps: list[Callable[[], object]] = field(default_factory=list)

    def error(self, row: int, column: str, value: str | None, reason: str,
              suggest: list[str] | None = None) -> None:
        self.errors.append(RowError(row=row, column=column, value=value, reason=reason,
                                    suggestions=suggest or []))

    def change(self, row: int, record: str, action: Action, detail: str | None = None) -> None:
        self.changes.append(RowChange(row=row, record=record, action=action, detail=detail))

    def invalid(self, row: int, values: dict[str, str | None], exc: ValidationError,
                columns: dict[str, str]) -> None:
        """Row errors from a domain schema's validation (``columns``: schema field -> column)."""
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else ""
            column = columns.get(name, name)
            self.error(row, column, values.get(column), err["msg"])


def _decimal(plan: _Plan, row: int, column: str, value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        plan.error(row, column, value, "not a number")
        return None
    if not number.is_finite():
        plan.error(row, column, value, "not a finite number")
        return None
    return number


def _duplicates(plan: _Plan, rows: list[codec.Row], column: str,
                key: Callable[[dict[str, str | None]], str | None]) -> set[int]:
    """Rows repeating an earlier row's key: errors (which one should win is not ours to say)."""
    first: dict[str, int] = {}
    repeated: set[int] = set()
    for number, values in rows:
        k = key(values)
        if k is None:
            continue
        if k in first:
            plan.error(number, column, values.get(column),
                       f"repeats row {first[k]}; each record may appear once")
            repeated.add(number)
        else:
            first[k] = number
    return repeated


@dataclass
class _Locations:
    """Every location the org may use, by path key, and how to suggest paths."""

    by_path: dict[str, uuid.UUID]
    display: dict[str, str]
    path_of: dict[uuid.UUID, str]
    rows: dict[str, repo.LocationRow]

    @classmethod
    def load(cls, session: Session, org_id: uuid.UUID) -> _Locations:
        rows = repo.visible_locations(session, org_id, locations.PATH_SEPARATOR)
        by_key = {_path_key(r.segments): r for r in rows}
        return cls(
            by_path={k: r.location.id for k, r in by_key.items()},
            display={k: PATH_SEPARATOR.join(r.segments) for k, r in by_key.items()},
            path_of={r.location.id: PATH_SEPARATOR.join(r.segments) for r in rows},
            rows=by_key,
        )

    def resolve(self, plan: _Plan, row: int, column: str, path: str) -> uuid.UUID | None:
        key = _path_key(split_path(path))
        found = self.by_path.get(key)
        if found is None:
            plan.error(row, column, path, "unknown location path",
                       suggestions(key, {k: v for k, v in self.display.items()}))
        return found


def _plan_items(session: Session, org_id: uuid.UUID, rows: list[codec.Row]) -> _Plan:
    plan = _Plan("items")
    existing = {_key(i.name): i for i in repo.visible_items(session, org_id)}
    alias_map = repo.aliases(session, [i.id for i in existing.values()])
    skip = _duplicates(plan, rows, "name", lambda v: _key(v["name"]) if v["name"] else None)
    for number, v in rows:
        if number in skip:
            continue
        aliases = [a.strip() for a in (v["aliases"] or "").split(";") if a.strip()]
        fields: dict[str, Any] = {
            "name": v["name"], "unit": v["unit"] or "scu", "category": v["category"] or "misc",
            "volume_scu": v["volume_scu"], "description": v["description"], "aliases": aliases,
        }
        try:
            data = ItemCreate.model_validate(fields)
        except ValidationError as exc:
            plan.invalid(number, v, exc, {})
            continue
        item = existing.get(_key(data.name))
        if item is None:
            plan.change(number, data.name, "create")
            plan.steps.append(partial(_create_item, session, org_id, data))
            continue
        if item.organization_id is None:
            plan.change(number, item.name, "unchanged", "shared catalogue item: left alone")
            continue
        diff = {
            f: getattr(data, f) for f in ("unit", "category", "volume_scu", "description")
            if getattr(data, f) != getattr(item, f)
        }
        held = {_key(a) for a in alias_map.get(item.id, [])}
        new_aliases = [a for a in dict.fromkeys(aliases) if _key(a) not in held]
        if not diff and not new_aliases:
            plan.change(number, item.name, "unchanged")
            continue
        detail = ", ".join([*diff, *(["aliases"] if new_aliases else [])])
        plan.change(number, item.name, "update", f"changes {detail}")
        plan.steps.append(partial(_update_item, session, org_id, item.id, diff, new_aliases))
    return plan


def _create_item(session: Session, org_id: uuid.UUID, data: ItemCreate) -> None:
    items.create_item(session, org_id, data)


def _update_item(session: Session, org_id: uuid.UUID, item_id: uuid.UUID,
                 diff: dict[str, Any], new_aliases: list[str]) -> None:
    if diff:
        items.update_item(session, org_id, item_id, ItemUpdate.model_validate(diff))
    for alias in new_aliases:
        items.add_alias(session, org_id, item_id, AliasCreate(alias=alias, source=_NOTE))


def _plan_locations(session: Session, org_id: uuid.UUID, rows: list[codec.Row]) -> _Plan:
    plan = _Plan("locations")
    known = _Locations.load(session, org_id)
    skip = _duplicates(plan, rows, "path",
                       lambda v: _path_key(split_path(v["path"])) if v["path"] else None)
    in_file = {_path_key(split_path(v["path"])) for n, v in rows if v["path"] and n not in skip}
    creates: list[tuple[int, tuple[str, ...], LocationCreate]] = []
    for number, v in rows:
        if number in skip:
            continue
        segments = split_path(v["path"] or "")
        if len(segments) < 2 or not all(segments):
            plan.error(number, "path", v["path"],
                       "a path names the parent, then the location (A > B > New place)")
            continue
        key, parent_key = _path_key(segments), _path_key(segments[:-1])
        trip_cost = _decimal(plan, number, "trip_cost", v["trip_cost"])
        # parent_id is a placeholder: the parent may be created earlier in this same apply.
        fields = {"name": segments[-1], "kind": v["kind"], "trip_cost": trip_cost,
                  "parent_id": uuid.UUID(int=0)}
        try:
            data = LocationCreate.model_validate(fields)
        except ValidationError as exc:
            plan.invalid(number, v, exc, {"name": "path"})
            continue
        record = PATH_SEPARATOR.join(segments)
        current = known.rows.get(key)
        if current is not None:
            loc = current.location
            if loc.organization_id != org_id:
                plan.change(number, record, "unchanged", "shared universe location: left alone")
            elif loc.kind == data.kind and loc.trip_cost == data.trip_cost:
                plan.change(number, record, "unchanged")
            else:
                plan.change(number, record, "update", "changes kind or trip_cost")
                update = LocationUpdate(kind=data.kind, trip_cost=data.trip_cost)
                plan.steps.append(partial(_update_location, session, org_id, loc.id, update))
            continue
        if parent_key not in known.by_path and parent_key not in in_file:
            plan.error(number, "path", v["path"], "unknown parent location",
                       suggestions(parent_key, known.display))
            continue
        plan.change(number, record, "create")
        creates.append((number, segments, data))
    # Parents before children, whatever the file's order.
    for _number, segments, data in sorted(creates, key=lambda c: len(c[1])):
        plan.steps.append(partial(_create_location, session, org_id, known, segments, data))
    return plan


def _update_location(session: Session, org_id: uuid.UUID, loc_id: uuid.UUID,
                     update: LocationUpdate) -> None:
    locations.update_location(session, locations.Owner.org(org_id), loc_id, update)


def _create_location(session: Session, org_id: uuid.UUID, known: _Locations,
                     segments: tuple[str, ...], data: LocationCreate) -> None:
    parent_id = known.by_path[_path_key(segments[:-1])]
    loc = locations.create_location(
        session, locations.Owner.org(org_id), data.model_copy(update={"parent_id": parent_id})
    )
    known.by_path[_path_key(segments)] = loc.id


def _plan_ships(session: Session, org_id: uuid.UUID, rows: list[codec.Row]) -> _Plan:
    plan = _Plan("ships")
    known = _Locations.load(session, org_id)
    current = repo.org_ships(session, org_id)
    counts = Counter(_key(s.name) for s in current)
    by_name = {_key(s.name): s for s in current}
    skip = _duplicates(plan, rows, "name", lambda v: _key(v["name"]) if v["name"] else None)
    for number, v in rows:
        if number in skip:
            continue
        location_id = None
        if v["location"] is not None:
            location_id = known.resolve(plan, number, "location", v["location"])
            if location_id is None:
                continue
        fields = {"name": v["name"], "ship_type": v["ship_type"],
                  "cargo_capacity_scu": v["cargo_capacity_scu"],
                  "current_location_id": location_id}
        try:
            data = ShipCreate.model_validate(fields)
        except ValidationError as exc:
            plan.invalid(number, v, exc, {"current_location_id": "location"})
            continue
        name = _key(data.name)
        if counts[name] > 1:
            plan.error(number, "name", v["name"],
                       f"the org has {counts[name]} ships of this name; rename them first")
            continue
        ship = by_name.get(name)
        if ship is None:
            if data.cargo_capacity_scu is None and ships.known_capacity(data.ship_type) is None:
                plan.error(number, "cargo_capacity_scu", None,
                           f"unknown ship type {data.ship_type!r}: give the capacity",
                           suggestions(data.ship_type,
                                       {_key(t.name): t.name for t in ships.ship_types()}))
                continue
            plan.change(number, data.name, "create")
            plan.steps.append(partial(_create_ship, session, org_id, data))
            continue
        capacity = data.cargo_capacity_scu or ship.cargo_capacity_scu
        diff: dict[str, Any] = {}
        if data.ship_type != ship.ship_type:
            diff["ship_type"] = data.ship_type
        if capacity != ship.cargo_capacity_scu:
            diff["cargo_capacity_scu"] = capacity
        moves = location_id != ship.current_location_id
        if not diff and not moves:
            plan.change(number, ship.name, "unchanged")
            continue
        plan.change(number, ship.name, "update",
                    "changes " + ", ".join([*diff, *(["location"] if moves else [])]))
        plan.steps.append(
            partial(_update_ship, session, org_id, ship.id, diff, moves, location_id)
        )
    return plan


def _create_ship(session: Session, org_id: uuid.UUID, data: ShipCreate) -> None:
    ships.create_ship(session, locations.Owner.org(org_id), data)


def _update_ship(session: Session, org_id: uuid.UUID, ship_id: uuid.UUID, diff: dict[str, Any],
                 moves: bool, to: uuid.UUID | None) -> None:
    owner = locations.Owner.org(org_id)
    if diff:
        ships.update_ship(session, owner, ship_id, ShipUpdate.model_validate(diff))
    if moves:
        ships.move_ship(session, owner, ship_id, to)


@dataclass
class _Items:
    """Item lookup by name or alias (case- and space-insensitive)."""

    by_key: dict[str, set[uuid.UUID]]
    display: dict[str, str]
    names: dict[uuid.UUID, str]
    units: dict[uuid.UUID, str]

    @classmethod
    def load(cls, session: Session, org_id: uuid.UUID) -> _Items:
        found = repo.visible_items(session, org_id)
        names = {i.id: i.name for i in found}
        by_key: dict[str, set[uuid.UUID]] = {}
        display: dict[str, str] = {}
        for item in found:
            by_key.setdefault(_key(item.name), set()).add(item.id)
            display[_key(item.name)] = item.name
        for item_id, aliases in repo.aliases(session, list(names)).items():
            for alias in aliases:
                by_key.setdefault(_key(alias), set()).add(item_id)
                display.setdefault(_key(alias), f"{alias} ({names[item_id]})")
        return cls(by_key, display, names, {i.id: i.unit for i in found})

    def resolve(self, plan: _Plan, row: int, column: str, name: str) -> uuid.UUID | None:
        ids = self.by_key.get(_key(name), set())
        if len(ids) == 1:
            return next(iter(ids))
        if ids:
            plan.error(row, column, name, "ambiguous: several items have this name or alias",
                       sorted(self.names[i] for i in ids))
        else:
            plan.error(row, column, name, "unknown item", suggestions(name, self.display))
        return None


def _plan_stock(session: Session, org_id: uuid.UUID, actor_id: uuid.UUID | None,
                rows: list[codec.Row], progress: Progress | None = None) -> _Plan:
    plan = _Plan("stock")
    known_items = _Items.load(session, org_id)
    known_locations = _Locations.load(session, org_id)
    held = repo.org_stock_quantities(session, org_id)
    seen: dict[tuple[uuid.UUID, uuid.UUID, int], int] = {}
    levels: list[stock.StockLevel] = []
    for index, (number, v) in enumerate(rows):
        if progress is not None and index and index % PROGRESS_EVERY == 0:
            progress("validate", index, len(rows))
        before = len(plan.errors)
        item_id = known_items.resolve(plan, number, "item", v["item"] or "")
        location_id = known_locations.resolve(plan, number, "location", v["location"] or "")
        quality = 0
        if v["quality"] is not None:
            if not v["quality"].isdigit() or not 0 <= int(v["quality"]) <= 1000:
                plan.error(number, "quality", v["quality"], "a whole number in 0..1000")
            else:
                quality = int(v["quality"])
        quantity = _decimal(plan, number, "quantity", v["quantity"])
        if quantity is not None and not Decimal(0) <= quantity <= stock.MAX_QUANTITY:
            plan.error(number, "quantity", v["quantity"], f"must be within 0..{stock.MAX_QUANTITY}")
        if (quantity is not None and item_id is not None
                and known_items.units[item_id] == items.PIECE_UNIT
                and quantity != quantity.to_integral_value()):
            plan.error(number, "quantity", v["quantity"],
                       f"{known_items.names[item_id]} is counted in whole pieces")
        if len(plan.errors) > before or item_id is None or location_id is None or quantity is None:
            continue
        key = (item_id, location_id, quality)
        if key in seen:
            plan.error(number, "item", v["item"], f"repeats row {seen[key]} (same item, "
                       "location and quality); each may appear once")
            continue
        seen[key] = number
        have, reserved = held.get(key, (Decimal(0), Decimal(0)))
        record = (f"{known_items.names[item_id]} @ {known_locations.path_of[location_id]}"
                  f" q{quality}")
        if quantity < reserved:
            plan.error(number, "quantity", v["quantity"],
                       f"{reserved} of this stock is reserved; it cannot drop below that")
            continue
        delta = quantity - have
        if delta == 0:
            plan.change(number, record, "unchanged")
            continue
        action: Action = "create" if key not in held else "update"
        plan.change(number, record, action,
                    f"{codec.text_of(have)} -> {codec.text_of(quantity)}")
        levels.append(stock.StockLevel(item_id, location_id, quality, quantity))
    if levels:
        # One bulk change for the whole file (row locks, multi-row writes, history rows):
        # per-row adjustments ran at ~80 rows/s on PostgreSQL.
        plan.steps.append(partial(
            stock.set_org_stock_levels, session, org_id=org_id, actor_id=actor_id,
            levels=levels, note=_NOTE,
            progress=None if progress is None else partial(progress, "apply")))
    return plan


# One blueprint ingredient as a file writes it: "0.04 Quantainium q>=300" (quality optional).
_INGREDIENT = re.compile(r"^(?P<quantity>\S+)\s+(?P<item>.+?)(?:\s+q>=(?P<quality>\d+))?$")


def ingredient_text(quantity: Decimal, item: str, min_quality: int) -> str:
    """How a blueprint file writes one ingredient (the import reads it back)."""
    floor = f" q>={min_quality}" if min_quality else ""
    return f"{codec.text_of(quantity)} {item}{floor}"


def _ingredients(plan: _Plan, known: _Items, row: int,
                 text: str | None) -> list[dict[str, Any]] | None:
    """The ingredient lines of a row (items resolved), or None after row errors."""
    found: list[dict[str, Any]] = []
    ok = True
    for part in (p.strip() for p in (text or "").split(";")):
        if not part:
            continue
        match = _INGREDIENT.match(part)
        if match is None:
            plan.error(row, "ingredients", part,
                       'write each ingredient as "<quantity> <item>[ q>=<quality>]"')
            ok = False
            continue
        quantity = _decimal(plan, row, "ingredients", match["quantity"])
        item_id = known.resolve(plan, row, "ingredients", match["item"])
        if quantity is None or item_id is None:
            ok = False
            continue
        found.append({"item_id": item_id, "quantity": match["quantity"],
                      "min_quality": int(match["quality"] or 0)})
    return found if ok else None


def _plan_blueprints(session: Session, org_id: uuid.UUID, actor_id: uuid.UUID | None,
                     rows: list[codec.Row]) -> _Plan:
    """Blueprint rows -> the org's own blueprints, matched by name; items by name or alias.

    A changed blueprint is replaced whole (ingredients included) through the blueprints
    service, so its item and BOM-cycle checks hold.
    """
    plan = _Plan("blueprints")
    known = _Items.load(session, org_id)
    own = {_key(b.name): b for b in repo.org_blueprints(session, org_id)}
    skip = _duplicates(plan, rows, "name", lambda v: _key(v["name"]) if v["name"] else None)
    for number, v in rows:
        if number in skip:
            continue
        before = len(plan.errors)
        output_id = known.resolve(plan, number, "output", v["output"] or "")
        ingredients = _ingredients(plan, known, number, v["ingredients"])
        if len(plan.errors) > before or ingredients is None:
            continue
        fields = {"name": v["name"], "kind": v["kind"] or "craft", "output_item_id": output_id,
                  "output_quantity": v["output_quantity"], "minutes": v["minutes"] or "0",
                  "run_cost": v["run_cost"] or "0", "description": v["description"],
                  "ingredients": ingredients}
        try:
            data = BlueprintIn.model_validate(fields)
        except ValidationError as exc:
            plan.invalid(number, v, exc, {"output_item_id": "output"})
            continue
        if actor_id is None:
            plan.error(number, "name", v["name"], "blueprints are written by a member")
            continue
        current = own.get(_key(data.name))
        if current is None:
            plan.change(number, data.name, "create")
            plan.steps.append(partial(blueprints.create_blueprint, session, org_id, actor_id,
                                      data))
            continue
        wanted = _blueprint_shape(data.kind, data.output_item_id, data.output_quantity,
                                  data.minutes, data.run_cost, data.description,
                                  [(i.item_id, i.quantity, i.min_quality)
                                   for i in data.ingredients])
        held = _blueprint_shape(current.kind, current.output_item_id, current.output_quantity,
                                current.minutes, current.run_cost, current.description,
                                [(i.item_id, i.quantity, i.min_quality)
                                 for i in sorted(current.ingredients, key=lambda i: i.position)])
        if wanted == held:
            plan.change(number, current.name, "unchanged")
            continue
        plan.change(number, current.name, "update", "replaces the blueprint")
        plan.steps.append(partial(blueprints.update_blueprint, session, org_id, current.id,
                                  data.model_copy(update={"name": current.name})))
    return plan


def _blueprint_shape(kind: str, output: uuid.UUID, quantity: float | Decimal,
                     minutes: float | Decimal, cost: float | Decimal, description: str | None,
                     lines: list[tuple[uuid.UUID, float | Decimal, int]]) -> tuple[Any, ...]:
    # Decimals through str: the request's floats and the stored (scaled) decimals compare.
    def num(value: float | Decimal) -> Decimal:
        return Decimal(str(value)).normalize()

    return (kind, output, num(quantity), num(minutes), num(cost), description or None,
            [(i, num(q), m) for i, q, m in lines])


def _plan_uex_prices(session: Session, org_id: uuid.UUID, actor_id: uuid.UUID | None,
                     rows: list[codec.Row]) -> _Plan:
    """UEX price rows -> the org's market listings where a terminal sells a commodity.

    Only the buy side is a source of supply: ``price_buy`` is the listing's price and
    ``scu_buy`` what is available; rows a terminal only buys from players are left alone.
    Terminals are matched to locations by name; a listing is keyed by (commodity, terminal).
    """
    plan = _Plan("uex-prices")
    known_items = _Items.load(session, org_id)
    known_locations = _Locations.load(session, org_id)
    terminals: dict[str, set[uuid.UUID]] = {}
    terminal_names: dict[str, str] = {}
    for key, row in known_locations.rows.items():
        name = row.segments[-1]
        terminals.setdefault(_key(name), set()).add(row.location.id)
        terminal_names[_key(name)] = known_locations.display[key]
    listings = {(s.item_id, s.location_id, _key(s.holder_name or "")): s
                for s in repo.org_listings(session, org_id) if s.quality == 0}
    seen: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
    for number, v in rows:
        before = len(plan.errors)
        terminal = v["terminal_name"] or ""
        item_id = known_items.resolve(plan, number, "commodity_name", v["commodity_name"] or "")
        places = terminals.get(_key(terminal), set())
        if len(places) != 1:
            reason = "several locations have this name" if places else "unknown terminal"
            plan.error(number, "terminal_name", terminal, reason,
                       sorted(known_locations.path_of[p] for p in places)
                       or suggestions(terminal, terminal_names))
        price = _decimal(plan, number, "price_buy", v["price_buy"])
        available = _decimal(plan, number, "scu_buy", v["scu_buy"])
        for column, value in (("price_buy", price), ("scu_buy", available)):
            if value is not None and value < 0:
                plan.error(number, column, v[column], "must not be negative")
        if len(plan.errors) > before or item_id is None or len(places) != 1:
            continue
        location_id = next(iter(places))
        record = f"{known_items.names[item_id]} @ {terminal}"
        if price is None or price == 0:
            plan.change(number, record, "unchanged", "not sold there (no buy price)")
            continue
        if (item_id, location_id) in seen:
            plan.error(number, "commodity_name", v["commodity_name"],
                       f"repeats row {seen[item_id, location_id]} (same terminal)")
            continue
        seen[item_id, location_id] = number
        if actor_id is None:
            plan.error(number, "terminal_name", terminal, "market listings need a member")
            continue
        data = SourceIn(item_id=item_id, location_id=location_id, price=float(price),
                        available=None if available is None else float(available),
                        holder_name=terminal)
        current = listings.get((item_id, location_id, _key(terminal)))
        if current is None:
            plan.change(number, record, "create", f"price {codec.text_of(price)}")
            plan.steps.append(partial(sources.create_source, session, org_id, actor_id, data))
        elif current.price == price and current.available == available:
            plan.change(number, record, "unchanged")
        else:
            plan.change(number, record, "update",
                        f"price {codec.text_of(current.price)} -> {codec.text_of(price)}")
            plan.steps.append(partial(sources.update_source, session, org_id, actor_id,
                                      current.id, data))
    return plan


def run_import(
    session: Session,
    *,
    org_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    kind: str,
    file_format: str,
    data: bytes,
    apply: bool,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate ``data`` completely and report; with ``apply``, also write it (flush only).

    Apply refuses a file with any bad row (422 listing them all: field = column, record =
    row), so nothing of it is written; the caller's transaction makes the rest all-or-nothing.
    ``progress`` hears how far validation and apply have got (a background job's events).
    """
    rows = codec.read_rows(kind, file_format, data)
    return _import_rows(session, org_id=org_id, actor_id=actor_id, kind=kind,
                        file_format=file_format, rows=rows, apply=apply, progress=progress)


def _plan_of(session: Session, org_id: uuid.UUID, actor_id: uuid.UUID | None, kind: str,
             rows: list[codec.Row], progress: Progress | None) -> _Plan:
    if kind == "stock":
        return _plan_stock(session, org_id, actor_id, rows, progress)
    if kind == "uex-prices":
        return _plan_uex_prices(session, org_id, actor_id, rows)
    if kind in ("blueprints", "scunpacked-blueprints"):
        return _plan_blueprints(session, org_id, actor_id, rows)
    planner = {"items": _plan_items, "locations": _plan_locations, "ships": _plan_ships}[kind]
    return planner(session, org_id, rows)


def _import_rows(
    session: Session,
    *,
    org_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    kind: str,
    file_format: str,
    rows: list[codec.Row],
    apply: bool,
    progress: Progress | None,
) -> ImportReport:
    if progress is not None:
        progress("validate", 0, len(rows))
    plan = _plan_of(session, org_id, actor_id, kind, rows, progress)
    if progress is not None:
        progress("validate", len(rows), len(rows))
    plan.errors.sort(key=lambda e: e.row)
    plan.changes.sort(key=lambda c: c.row)
    counts = Counter(c.action for c in plan.changes)
    report = ImportReport(
        kind=kind,
        format=file_format,
        applied=False,
        valid=not plan.errors,
        rows=len(rows),
        created=counts["create"],
        updated=counts["update"],
        unchanged=counts["unchanged"],
        errors=plan.errors,
        changes=plan.changes,
    )
    if not apply:
        return report
    if plan.errors:
        raise BadRows(
            f"{len(plan.errors)} bad value(s) in the file; nothing was imported",
            errors=[FieldError(f"row {e.row}: {e.reason}", field=e.column, record=f"row {e.row}")
                    for e in plan.errors],
            report=report.model_dump(mode="json"),
        )
    for step in plan.steps:
        step()
    session.flush()
    return report.model_copy(update={"applied": True})


# --- background imports ---------------------------------------------------------------------


def import_or_queue(
    session: Session,
    *,
    org_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    kind: str,
    file_format: str,
    data: bytes,
    apply: bool,
    background: bool,
    inline_rows: int,
    jobs: Callable[[], JobDispatcher],
) -> ImportReport | ImportJobOut:
    """Import in this transaction, or store the file as a job for a worker and say so.

    A file with more than ``inline_rows`` rows, or any file when ``background``, becomes an
    ``import_jobs`` row enqueued through ``jobs()`` (the outbox: sent once this transaction
    commits). The file is read here either way, so an unreadable one is refused at once.
    """
    rows = codec.read_rows(kind, file_format, data)
    if not background and len(rows) <= inline_rows:
        return _import_rows(session, org_id=org_id, actor_id=actor_id, kind=kind,
                            file_format=file_format, rows=rows, apply=apply, progress=None)
    dispatcher = jobs()
    job = repo.add_import_job(session, organization_id=org_id, actor_id=actor_id, kind=kind,
                              format=file_format, apply=apply, rows_total=len(rows),
                              rows_done=0, data=data)
    dispatcher.enqueue_import(job.id)
    return ImportJobOut.model_validate(job)


def get_import_job(session: Session, org_id: uuid.UUID, job_id: uuid.UUID) -> ImportJobOut:
    """The org's background import; 404 when it is another org's or there is none."""
    job = repo.get_import_job(session, org_id, job_id)
    if job is None:
        raise NotFound("import job", job_id)
    return ImportJobOut.model_validate(job)


@dataclass(frozen=True)
class ClaimedJob:
    """A job a worker has claimed: what to import, for whom."""

    id: uuid.UUID
    org_id: uuid.UUID
    actor_id: uuid.UUID | None
    kind: str
    file_format: str
    apply: bool
    data: bytes


def claim_import_job(session: Session, job_id: uuid.UUID) -> ClaimedJob | None:
    """Take a queued job for this worker; None when it is running, finished or unknown."""
    job = repo.claim_import_job(session, job_id)
    if job is None:
        return None
    return ClaimedJob(job.id, job.organization_id, job.actor_id, job.kind, job.format,
                      job.apply, job.data or b"")


def record_import_progress(session: Session, job_id: uuid.UUID, phase: str, done: int,
                           total: int) -> None:
    """Store how far a running job has got (for readers of GET …/imports/{job_id})."""
    repo.set_import_progress(session, job_id, phase, done, total)


def _summary(report: dict[str, Any] | None) -> dict[str, Any]:
    # The live event carries counts and the first bad rows; GET has the whole report.
    if report is None:
        return {}
    return {**{k: report[k] for k in ("applied", "valid", "rows", "created", "updated",
                                      "unchanged")},
            "errors": report["errors"][:20], "error_count": len(report["errors"])}


class JobTakenBackError(Exception):
    """The reaper failed this job while it ran: its import must not commit."""


# What a job whose worker died says (its transaction rolled back with the connection).
WORKER_STOPPED = ("the worker running this import stopped before it finished; nothing was "
                  "written — upload the file again")


def hold_import_run(session: Session, job_id: uuid.UUID) -> None:
    """Mark this transaction as the one running the job (see :func:`reap_import_jobs`)."""
    repo.hold_import_run(session, job_id)


def finish_import_job(session: Session, job: ClaimedJob, report: ImportReport) -> None:
    """Mark the job done with its report, in the transaction that applied it.

    Raises :class:`JobTakenBackError` when the job was failed meanwhile, so the import rolls back.
    """
    stored = report.model_dump(mode="json")
    if not repo.finish_import_job(session, job.id, status="done", report=stored, error=None,
                                  finished_at=utc_now()):
        raise JobTakenBackError(str(job.id))
    announce(session, job.org_id, {"type": "import.done", "job_id": str(job.id),
                                   "kind": job.kind, **_summary(stored)})


def fail_import_job(session: Session, job: ClaimedJob, error: str,
                    report: dict[str, Any] | None) -> None:
    """Mark a running job failed (its import wrote nothing), with the dry run when there is
    one; nothing when it is no longer running."""
    if repo.finish_import_job(session, job.id, status="failed", report=report, error=error,
                              finished_at=utc_now()):
        announce(session, job.org_id, {"type": "import.failed", "job_id": str(job.id),
                                       "kind": job.kind, "error": error, **_summary(report)})


def reap_import_jobs(session: Session, *, stale_seconds: float,
                     running_here: Collection[uuid.UUID]) -> tuple[list[uuid.UUID],
                                                                  list[uuid.UUID]]:
    """Fail running jobs whose worker died; find queued jobs whose message may be lost.

    A running job is dead when its row has not moved for ``stale_seconds``, this process is
    not running it (``running_here``) and, on PostgreSQL, no transaction holds its run lock.
    Its import ran in one transaction, which died with the worker, so failing it is exact:
    nothing of it was written. Returns (failed job ids, lost queued job ids to send again).
    """
    cutoff = utc_now() - timedelta(seconds=stale_seconds)
    failed: list[uuid.UUID] = []
    for job in repo.stale_running_import_jobs(session, cutoff):
        if job.id in running_here or repo.import_run_held(session, job.id):
            continue
        claimed = ClaimedJob(job.id, job.organization_id, job.actor_id, job.kind, job.format,
                             job.apply, b"")
        fail_import_job(session, claimed, WORKER_STOPPED, None)
        failed.append(job.id)
    return failed, repo.touch_lost_import_jobs(session, cutoff)


def export_rows(session: Session, org_id: uuid.UUID, kind: str) -> list[dict[str, Any]]:
    """The org's own records of ``kind`` as import rows (names and paths, no ids)."""
    if kind == "items":
        own = [i for i in repo.visible_items(session, org_id) if i.organization_id == org_id]
        alias_map = repo.aliases(session, [i.id for i in own])
        return [{"name": i.name, "unit": i.unit, "category": i.category,
                 "volume_scu": i.volume_scu, "aliases": alias_map.get(i.id, []),
                 "description": i.description} for i in own]
    if kind == "blueprints":
        names = {i.id: i.name for i in repo.visible_items(session, org_id)}
        return [{"name": b.name, "kind": b.kind, "output": names[b.output_item_id],
                 "output_quantity": b.output_quantity, "minutes": b.minutes,
                 "run_cost": b.run_cost, "description": b.description,
                 "ingredients": [ingredient_text(i.quantity, names[i.item_id], i.min_quality)
                                 for i in sorted(b.ingredients, key=lambda i: i.position)]}
                for b in repo.org_blueprints(session, org_id)]
    known = _Locations.load(session, org_id)
    if kind == "locations":
        # Ship cargo grids come with their ships; the ships file recreates them.
        return [{"path": known.display[k], "kind": r.location.kind,
                 "trip_cost": r.location.trip_cost}
                for k, r in sorted(known.rows.items(), key=lambda kv: known.display[kv[0]])
                if r.location.organization_id == org_id and r.location.kind != "ship_cargo"]
    if kind == "ships":
        return [{"name": s.name, "ship_type": s.ship_type,
                 "cargo_capacity_scu": s.cargo_capacity_scu,
                 "location": known.path_of.get(s.current_location_id)
                 if s.current_location_id else None}
                for s in repo.org_ships(session, org_id)]
    names = {i.id: i.name for i in repo.visible_items(session, org_id)}
    rows = [{"item": names[s.item_id], "location": known.path_of[s.location_id],
             "quality": s.quality, "quantity": s.quantity}
            for s in repo.org_stock(session, org_id) if s.quantity > 0]
    return sorted(rows, key=lambda r: (r["location"], r["item"], r["quality"]))


def export_file(session: Session, org_id: uuid.UUID, kind: str, file_format: str) -> str:
    """The org's records of ``kind`` as a CSV or JSON file that imports back unchanged."""
    return codec.write_rows(kind, file_format, export_rows(session, org_id, kind))


def org_by_ref(session: Session, ref: str) -> uuid.UUID:
    """The org an admin command names (by name or id); 404 when there is none."""
    org_id = repo.org_id_by_ref(session, ref)
    if org_id is None:
        raise NotFound("organization", ref)
    return org_id
