"""The planning problem (`quartermaster.problem/1`): models, defaults and validation.

The field names and defaults follow `shared/specs/planning-problem.md` exactly. A problem that
breaks any rule is refused whole: :func:`parse_problem` collects *every* broken rule, each named
by its record (kind, id, field), and raises :class:`ProblemValidationError`.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from engine.tolerances import WHOLE

PROBLEM_FORMAT: Literal["quartermaster.problem/1"] = "quartermaster.problem/1"

# Collection name in the file -> record kind used in error messages.
RECORD_KINDS: dict[str, str] = {
    "items": "item",
    "locations": "location",
    "blueprints": "blueprint",
    "sources": "source",
    "demands": "demand",
}

# Tolerance for "is this quantity a whole number" checks on piece items.
INTEGRALITY_TOLERANCE = WHOLE


class _Strict(BaseModel):
    """Base for file records: unknown fields are typos, infinities and NaN are refused."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class Unit(StrEnum):
    """How an item is counted: real-valued SCU or whole pieces."""

    SCU = "scu"
    PIECE = "piece"


class Tier(StrEnum):
    """Who holds a source: the org itself, one of its members, or an in-game market."""

    OWN = "own"
    MEMBER = "member"
    MARKET = "market"


class Item(_Strict):
    """A good. `volume_scu` is the volume of one unit (1 for SCU items)."""

    id: str = Field(min_length=1)
    name: str = ""
    unit: Unit = Unit.SCU
    volume_scu: float | None = Field(default=None, gt=0)

    @property
    def volume(self) -> float:
        """Volume in SCU of one unit of this item (1 for SCU items)."""
        if self.volume_scu is not None:
            return self.volume_scu
        return 1.0

    @property
    def is_piece(self) -> bool:
        """Whether quantities of this item are whole numbers."""
        return self.unit is Unit.PIECE


class Location(_Strict):
    """A place in the location tree; `trip_cost` null means the policy's default."""

    id: str = Field(min_length=1)
    name: str = ""
    parent: str | None = None
    trip_cost: float | None = Field(default=None, ge=0)


class Ingredient(_Strict):
    """One ingredient line of a blueprint, per run."""

    item: str = Field(min_length=1)
    quantity: float = Field(gt=0)
    min_quality: int = Field(default=0, ge=0, le=1000)


class Output(_Strict):
    """What one run of a blueprint yields."""

    item: str = Field(min_length=1)
    quantity: float = Field(gt=0)


class Blueprint(_Strict):
    """A crafting recipe or a refining process (a refining job's output is below its input)."""

    id: str = Field(min_length=1)
    name: str = ""
    output: Output
    ingredients: list[Ingredient] = Field(default_factory=list)
    run_cost: float = Field(default=0.0, ge=0)
    minutes: float = Field(default=0.0, ge=0)
    # A refinery job takes any quantity of ore: its runs are real numbers, not whole ones.
    continuous: bool = False


class Source(_Strict):
    """Somewhere an item can be taken from: own stock, member stock or a market listing."""

    id: str = Field(min_length=1)
    item: str = Field(min_length=1)
    location: str = Field(min_length=1)
    tier: Tier
    holder: str | None = None
    available: float | None = Field(default=None, ge=0)
    quality: int | None = Field(default=None, ge=0, le=1000)
    unit_price: float | None = Field(default=None, ge=0)
    reliability: float = Field(default=1.0, gt=0, le=1)
    lot_size: float | None = Field(default=None, gt=0)

    @property
    def effective_quality(self) -> int:
        """Quality with the spec's default (null = 0)."""
        return self.quality if self.quality is not None else 0


class Demand(_Strict):
    """A quantity of an item wanted at the delivery location."""

    id: str = Field(min_length=1)
    item: str = Field(min_length=1)
    quantity: float = Field(gt=0)
    min_quality: int = Field(default=0, ge=0, le=1000)


class Policy(_Strict):
    """Planning knobs: where things go, the ship, cost weights and the objective mode."""

    delivery_location: str = Field(min_length=1)
    ship_capacity_scu: float = Field(default=96.0, gt=0)
    member_unit_cost: float = Field(default=1.0, ge=0)
    reliability_weight: float = Field(default=1.0, ge=0)
    default_trip_cost: float = Field(default=1000.0, ge=0)
    shortfall_penalty: float = Field(default=1_000_000.0, ge=0)
    strict_priority: bool = False


class Problem(_Strict):
    """A whole planning problem. Build it with :func:`parse_problem` to get full validation."""

    format: Literal["quartermaster.problem/1"] = PROBLEM_FORMAT
    name: str = ""
    game_version: str | None = None
    description: str | None = None
    items: list[Item] = Field(default_factory=list)
    locations: list[Location] = Field(default_factory=list)
    blueprints: list[Blueprint] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    demands: list[Demand] = Field(default_factory=list)
    policy: Policy

    _lookup: dict[str, dict[str, _Strict]] | None = PrivateAttr(default=None)
    _stops: dict[str, str | None] | None = PrivateAttr(default=None)

    # -- lookups -------------------------------------------------------------------------
    def item(self, item_id: str) -> Item:
        """The item with this id."""
        return self._index()["items"][item_id]  # type: ignore[return-value]

    def location(self, location_id: str) -> Location:
        """The location with this id."""
        return self._index()["locations"][location_id]  # type: ignore[return-value]

    def blueprint(self, blueprint_id: str) -> Blueprint:
        """The blueprint with this id."""
        return self._index()["blueprints"][blueprint_id]  # type: ignore[return-value]

    def source(self, source_id: str) -> Source:
        """The source with this id."""
        return self._index()["sources"][source_id]  # type: ignore[return-value]

    def demand(self, demand_id: str) -> Demand:
        """The demand with this id."""
        return self._index()["demands"][demand_id]  # type: ignore[return-value]

    def _index(self) -> dict[str, dict[str, _Strict]]:
        cached = self._lookup
        if cached is None:
            cached = {
                "items": {r.id: r for r in self.items},
                "locations": {r.id: r for r in self.locations},
                "blueprints": {r.id: r for r in self.blueprints},
                "sources": {r.id: r for r in self.sources},
                "demands": {r.id: r for r in self.demands},
            }
            self._lookup = cached
        return cached

    # -- effective values (the spec's defaults applied) -----------------------------------
    def unit_price(self, source: Source) -> float:
        """Unit price with defaults: 0 for own, policy member_unit_cost for member."""
        if source.unit_price is not None:
            return source.unit_price
        if source.tier is Tier.MEMBER:
            return self.policy.member_unit_cost
        return 0.0

    def effective_cost(self, source: Source) -> float:
        """`c(s) = unit_price × (1 + reliability_weight × (1 − reliability))`."""
        penalty = self.policy.reliability_weight * (1.0 - source.reliability)
        return self.unit_price(source) * (1.0 + penalty)

    def stop(self, location_id: str) -> str | None:
        """The stop a source at this location is hauled from; None inside the delivery location.

        A location at or below the delivery location in the ``parent`` tree needs no trip.
        Otherwise the stop is the nearest location going up from this one (itself included)
        that has its own ``trip_cost``, or the location itself when none has one: a cargo grid
        parked in a station's hangar travels with the station.
        """
        stops = self._stops
        if stops is None:
            stops = self._stops = _stops(self.locations, self.policy.delivery_location)
        return stops.get(location_id, location_id)

    def trip_cost(self, location_id: str) -> float:
        """Cost of one trip to a stop: its ``trip_cost``, else the policy's default.

        A location inside the delivery location costs nothing (it is never a stop).
        """
        if self.stop(location_id) is None:
            return 0.0
        cost = self.location(location_id).trip_cost
        return self.policy.default_trip_cost if cost is None else cost

    def to_document(self) -> dict[str, Any]:
        """The problem as a JSON-ready document (defaults left out where they were unset)."""
        return self.model_dump(mode="json", exclude_none=True)


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One broken rule, named by its record (kind and id) and field."""

    kind: str
    record_id: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.kind if self.record_id is None else f"{self.kind} {self.record_id!r}"
        return f"{where}: {self.field}: {self.message}"

    def to_dict(self) -> dict[str, str | None]:
        """JSON-ready form: kind, id, field, message."""
        return {"kind": self.kind, "id": self.record_id, "field": self.field,
                "message": self.message}


class ProblemValidationError(ValueError):
    """The problem was refused; `issues` lists every broken rule."""

    def __init__(self, issues: list[ValidationIssue]) -> None:
        self.issues = issues
        lines = "\n".join(f"  - {issue}" for issue in issues)
        super().__init__(f"invalid problem ({len(issues)} error(s)):\n{lines}")


# ---------------------------------------------------------------------------------------
# Parsing and validation
# ---------------------------------------------------------------------------------------

def load_problem(path: str | Path) -> Problem:
    """Read a problem file (`.json`, `.yaml` or `.yml`) and validate it whole."""
    return parse_problem(read_document(path))


def read_document(path: str | Path) -> Any:
    """Read a JSON or YAML document; raises ProblemValidationError on unreadable files."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProblemValidationError(
            [ValidationIssue("file", str(path), "-", f"cannot read: {exc.strerror}")]
        ) from exc
    load: Callable[[str], Any] = json.loads
    error: type[Exception] = json.JSONDecodeError
    if path.suffix.lower() in {".yaml", ".yml"}:
        import yaml  # only YAML files pay for the parser (CLI start-up)

        load, error = yaml.safe_load, yaml.YAMLError
    try:
        return load(text)
    except error as exc:
        raise ProblemValidationError(
            [ValidationIssue("file", str(path), "-", f"not valid JSON/YAML: {exc}")]
        ) from exc


def parse_problem(data: Any) -> Problem:
    """Validate a problem document and return the model, or raise with every broken rule.

    Each record is validated on its own so that one bad record does not hide the others, and
    cross-record rules (references, duplicates) are checked over every record that parsed.
    """
    if not isinstance(data, Mapping):
        raise ProblemValidationError(
            [ValidationIssue("problem", None, "-", "a problem document must be an object")]
        )
    issues: list[ValidationIssue] = []
    records: dict[str, list[Any]] = {}
    for collection, kind in RECORD_KINDS.items():
        raw = data.get(collection, [])
        if not isinstance(raw, list):
            issues.append(ValidationIssue("problem", None, collection, "must be a list"))
            raw = []
        model = _RECORD_MODELS[collection]
        parsed = []
        for position, record in enumerate(raw):
            try:
                parsed.append(model.model_validate(record))
            except ValidationError as exc:
                issues.extend(_issues_from_pydantic(exc, kind, _raw_id(raw, position)))
        records[collection] = parsed
    try:
        shell = Problem.model_validate({**data, **{c: [] for c in RECORD_KINDS}})
    except ValidationError as exc:
        issues.extend(_issues_from_pydantic(exc, "problem", None))
        shell = None
    if shell is not None:
        problem = shell.model_copy(update=records)
        issues.extend(_reference_issues(problem))
        if not issues:
            return problem
    raise ProblemValidationError(issues)


def _issues_from_pydantic(
    exc: ValidationError, kind: str, record_id: str | None
) -> list[ValidationIssue]:
    issues = []
    for error in exc.errors():
        loc = list(error["loc"])
        issue_kind = kind
        if kind == "problem" and loc and loc[0] == "policy":
            issue_kind, loc = "policy", loc[1:]
        field = ".".join(str(part) for part in loc) or "-"
        issues.append(ValidationIssue(issue_kind, record_id, field, error["msg"]))
    return issues


def _raw_id(records: Any, position: int) -> str:
    """Best name for a record that failed parsing: its id if it has one, else its position."""
    if isinstance(records, list) and position < len(records):
        record = records[position]
        if isinstance(record, Mapping) and isinstance(record.get("id"), str | int):
            return str(record["id"])
    return f"#{position}"


def _duplicates(kind: str, ids: Iterable[str]) -> Iterable[ValidationIssue]:
    for record_id, count in Counter(ids).items():
        if count > 1:
            yield ValidationIssue(kind, record_id, "id", f"duplicate id ({count} records)")


def _is_whole(value: float) -> bool:
    return math.isclose(value, round(value), abs_tol=INTEGRALITY_TOLERANCE)


def _reference_issues(problem: Problem) -> Iterable[ValidationIssue]:
    """Rules that span records: unique ids, resolvable references, unit-dependent rules."""
    for collection, kind in RECORD_KINDS.items():
        yield from _duplicates(kind, (r.id for r in getattr(problem, collection)))

    items = {i.id: i for i in problem.items}
    locations = {loc.id for loc in problem.locations}

    for item in problem.items:
        if item.unit is Unit.PIECE and item.volume_scu is None:
            yield ValidationIssue("item", item.id, "volume_scu", "required for piece items")

    for loc in problem.locations:
        if loc.parent is not None and loc.parent not in locations:
            yield ValidationIssue("location", loc.id, "parent", f"unknown location {loc.parent!r}")
    yield from _location_cycles(problem.locations)

    def piece_whole(kind: str, rid: str, field: str, item_id: str, value: float | None) -> \
            Iterable[ValidationIssue]:
        item = items.get(item_id)
        if item is not None and item.is_piece and value is not None and not _is_whole(value):
            yield ValidationIssue(kind, rid, field, f"{item_id!r} is counted in pieces: "
                                  f"{value} is not a whole number")

    for bp in problem.blueprints:
        if bp.output.item not in items:
            yield ValidationIssue("blueprint", bp.id, "output.item",
                                  f"unknown item {bp.output.item!r}")
        yield from piece_whole("blueprint", bp.id, "output.quantity", bp.output.item,
                               bp.output.quantity)
        for k, ing in enumerate(bp.ingredients):
            if ing.item not in items:
                yield ValidationIssue("blueprint", bp.id, f"ingredients.{k}.item",
                                      f"unknown item {ing.item!r}")

    for src in problem.sources:
        if src.item not in items:
            yield ValidationIssue("source", src.id, "item", f"unknown item {src.item!r}")
        if src.location not in locations:
            yield ValidationIssue("source", src.id, "location",
                                  f"unknown location {src.location!r}")
        if src.available is None and src.tier is not Tier.MARKET:
            yield ValidationIssue("source", src.id, "available",
                                  f"unlimited supply is allowed only on market sources, "
                                  f"not {src.tier.value}")
        if src.tier is Tier.MARKET and src.unit_price is None:
            yield ValidationIssue("source", src.id, "unit_price", "required for market sources")
        yield from piece_whole("source", src.id, "available", src.item, src.available)
        yield from piece_whole("source", src.id, "lot_size", src.item, src.lot_size)

    for dem in problem.demands:
        if dem.item not in items:
            yield ValidationIssue("demand", dem.id, "item", f"unknown item {dem.item!r}")
        yield from piece_whole("demand", dem.id, "quantity", dem.item, dem.quantity)

    if problem.policy.delivery_location not in locations:
        yield ValidationIssue("policy", None, "delivery_location",
                              f"unknown location {problem.policy.delivery_location!r}")


def _walk_up(parent: Mapping[str, str | None], start: str) -> tuple[list[str], str | None]:
    """The chain of locations from ``start`` up the ``parent`` tree, and where it stopped:
    None at the root or an unknown parent, else the location that closes a cycle."""
    chain: list[str] = []
    node: str | None = start
    while node is not None and node in parent and node not in chain:
        chain.append(node)
        node = parent[node]
    return chain, node if node in chain else None


def _location_cycles(locations: list[Location]) -> Iterable[ValidationIssue]:
    parent = {loc.id: loc.parent for loc in locations}
    reported: set[str] = set()
    for start in parent:
        seen, node = _walk_up(parent, start)
        if node is not None:
            cycle = seen[seen.index(node):]
            if not reported.intersection(cycle):
                reported.update(cycle)
                path = " -> ".join([*cycle, node])
                yield ValidationIssue("location", node, "parent", f"parent cycle: {path}")


def _stops(locations: list[Location], delivery: str) -> dict[str, str | None]:
    """Each location's stop (see :meth:`Problem.stop`); cycles were refused by validation."""
    parent = {loc.id: loc.parent for loc in locations}
    own_cost = {loc.id for loc in locations if loc.trip_cost is not None}
    stops: dict[str, str | None] = {}
    for start in parent:
        chain, _ = _walk_up(parent, start)
        if delivery in chain:
            stops[start] = None
        else:
            stops[start] = next((loc for loc in chain if loc in own_cost), start)
    return stops


_RECORD_MODELS: dict[str, type[_Strict]] = {
    "items": Item,
    "locations": Location,
    "blueprints": Blueprint,
    "sources": Source,
    "demands": Demand,
}


def problem_json_schema() -> dict[str, Any]:
    """JSON Schema of the problem document."""
    return Problem.model_json_schema()
