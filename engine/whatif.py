"""What-if: variants of a base problem, solved warm-started from the base plan and compared.

The file format is documented in ``docs/engine/whatif.md`` (JSON Schema:
``quartermaster schema whatif``; example: ``scenarios/whatif/``). A variant file
(`quartermaster.whatif/1`, YAML or JSON) lists named variants, each a list of changes to the
base problem::

    format: quartermaster.whatif/1
    variants:
      - name: Agricium up 50 %
        changes:
          - {kind: scale_price, item: agricium, factor: 1.5}
      - name: Vex is away, Ruin closed
        changes:
          - {kind: remove_holder_stock, holder: Vex}
          - {kind: close_location, location: ruin-station}
          - set_policy: {ship_capacity_scu: 174}      # short form: {kind: {fields}}

Change kinds: ``scale_price`` (item, factor [, tier]), ``remove_holder_stock`` (holder [, item]),
``set_demand`` (demand, quantity), ``add_demand`` (id, item, quantity [, min_quality]),
``remove_demand`` (demand), ``close_location`` (location; its sources and those of every
location below it in the tree become unusable), ``set_source`` (source; any of reliability,
available, unit_price), ``set_policy`` (any policy field: value).

Removed stock is set to ``available: 0`` rather than deleted, so source ids stay stable and the
base plan remains a meaningful warm start and comparison point.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.plan import Costs, Plan
from engine.problem import (
    Problem,
    ProblemValidationError,
    Tier,
    parse_problem,
    read_document,
)
from engine.tolerances import CHECK_ABS, DUST

WHATIF_FORMAT: Literal["quartermaster.whatif/1"] = "quartermaster.whatif/1"

Solver = Callable[..., Plan]


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class ScalePrice(_Change):
    """Multiply the unit price of every source of an item (optionally of one tier)."""

    kind: Literal["scale_price"] = "scale_price"
    item: str
    factor: float = Field(ge=0)
    tier: Tier | None = None


class RemoveHolderStock(_Change):
    """A holder's stock (optionally of one item) becomes unavailable."""

    kind: Literal["remove_holder_stock"] = "remove_holder_stock"
    holder: str
    item: str | None = None


class SetDemand(_Change):
    """Change a demand's quantity."""

    kind: Literal["set_demand"] = "set_demand"
    demand: str
    quantity: float = Field(gt=0)


class AddDemand(_Change):
    """Add a demand."""

    kind: Literal["add_demand"] = "add_demand"
    id: str = Field(min_length=1)
    item: str
    quantity: float = Field(gt=0)
    min_quality: int = Field(default=0, ge=0, le=1000)


class RemoveDemand(_Change):
    """Drop a demand."""

    kind: Literal["remove_demand"] = "remove_demand"
    demand: str


class CloseLocation(_Change):
    """Sources at a location and at every location below it become unavailable."""

    kind: Literal["close_location"] = "close_location"
    location: str


class SetSource(_Change):
    """Change a source's reliability, availability (null = unlimited) or unit price."""

    kind: Literal["set_source"] = "set_source"
    source: str
    reliability: float | None = None
    available: float | None = None
    unit_price: float | None = None


class SetPolicy(_Change):
    """Change policy fields."""

    kind: Literal["set_policy"] = "set_policy"
    delivery_location: str | None = None
    ship_capacity_scu: float | None = None
    member_unit_cost: float | None = None
    reliability_weight: float | None = None
    default_trip_cost: float | None = None
    shortfall_penalty: float | None = None
    strict_priority: bool | None = None


Change = Annotated[
    ScalePrice | RemoveHolderStock | SetDemand | AddDemand | RemoveDemand | CloseLocation
    | SetSource | SetPolicy,
    Field(discriminator="kind"),
]
_CHANGE_MODELS: dict[str, type[_Change]] = {
    "scale_price": ScalePrice, "remove_holder_stock": RemoveHolderStock,
    "set_demand": SetDemand, "add_demand": AddDemand, "remove_demand": RemoveDemand,
    "close_location": CloseLocation, "set_source": SetSource, "set_policy": SetPolicy,
}
CHANGE_KINDS = tuple(_CHANGE_MODELS)


class Variant(BaseModel):
    """A named list of changes to the base problem."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str | None = None
    changes: list[Change] = Field(default_factory=list)


class WhatIfFile(BaseModel):
    """A variant file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["quartermaster.whatif/1"] = WHATIF_FORMAT
    variants: list[Variant]


def whatif_json_schema() -> dict[str, Any]:
    """JSON Schema of the variant file, the short change form ``{kind: {fields}}`` included."""
    schema = WhatIfFile.model_json_schema()
    changes = schema["$defs"]["Variant"]["properties"]["changes"]
    # ``kind`` is optional on each model (the short form supplies it) but the long form needs it.
    long_form = {"type": "object", "required": ["kind"], **changes["items"]}
    short_form = {
        "type": "object",
        "description": "Short form: the change kind as the only key, its fields as the value.",
        "minProperties": 1,
        "maxProperties": 1,
        "additionalProperties": False,
        "properties": {
            kind: {"$ref": f"#/$defs/{model.__name__}"} for kind, model in _CHANGE_MODELS.items()
        },
    }
    changes["items"] = {"anyOf": [long_form, short_form]}
    return schema


class WhatIfValidationError(ValueError):
    """A variant file or a variant was refused; `issues` names the variant and change."""

    def __init__(self, issues: list[str]) -> None:
        self.issues = issues
        lines = "\n".join(f"  - {issue}" for issue in issues)
        super().__init__(f"invalid what-if ({len(issues)} error(s)):\n{lines}")


# -- reading ----------------------------------------------------------------------------------

def _where(variant: int, name: str | None, change: int | None = None, kind: str | None = None) \
        -> str:
    label = f"variant {name!r}" if name else f"variant #{variant}"
    if change is None:
        return label
    return f"{label} change {change}" + (f" ({kind})" if kind else "")


def _normalise_change(raw: Any) -> Any:
    """Accept the short form ``{scale_price: {item: x, factor: 2}}`` as well as ``kind``."""
    if isinstance(raw, Mapping) and "kind" not in raw and len(raw) == 1:
        ((key, value),) = raw.items()
        if key in CHANGE_KINDS and isinstance(value, Mapping):
            return {"kind": key, **value}
    return raw


def parse_variants(data: Any) -> WhatIfFile:
    """Validate a variant document; every error names its variant and change."""
    if not isinstance(data, Mapping):
        raise WhatIfValidationError(["what-if document must be an object"])
    issues: list[str] = []
    if data.get("format", WHATIF_FORMAT) != WHATIF_FORMAT:
        issues.append(f"format: {data.get('format')!r} is not {WHATIF_FORMAT!r}")
    extra = set(data) - {"format", "variants"}
    if extra:
        issues.append(f"unknown field(s): {', '.join(sorted(extra))}")
    raw_variants = data.get("variants")
    if not isinstance(raw_variants, list):
        raise WhatIfValidationError([*issues, "variants: must be a list"])
    variants: list[Variant] = []
    names: set[str] = set()
    for v, raw in enumerate(raw_variants):
        name = raw.get("name") if isinstance(raw, Mapping) else None
        name = name if isinstance(name, str) else None
        if not isinstance(raw, Mapping):
            issues.append(f"{_where(v, None)}: must be an object")
            continue
        if name in names:
            issues.append(f"{_where(v, name)}: duplicate variant name")
        names.add(name or "")
        changes = raw.get("changes", [])
        if not isinstance(changes, list):
            issues.append(f"{_where(v, name)}: changes: must be a list")
            continue
        normalised = [_normalise_change(c) for c in changes]
        try:
            variants.append(Variant.model_validate({**raw, "changes": normalised}))
        except ValidationError as exc:
            for err in exc.errors():
                loc = list(err["loc"])
                if len(loc) >= 2 and loc[0] == "changes" and isinstance(loc[1], int):
                    c = loc[1]
                    kind = normalised[c].get("kind") if isinstance(normalised[c], Mapping) \
                        else None
                    field = ".".join(str(p) for p in loc[3:] if p != kind) or "-"
                    issues.append(f"{_where(v, name, c, str(kind) if kind else None)}: "
                                  f"{field}: {err['msg']}")
                else:
                    field = ".".join(str(p) for p in loc) or "-"
                    issues.append(f"{_where(v, name)}: {field}: {err['msg']}")
    if issues:
        raise WhatIfValidationError(issues)
    return WhatIfFile(variants=variants)


def load_variants(path: str | Path) -> WhatIfFile:
    """Read and validate a variant file (`.json`, `.yaml`, `.yml`)."""
    try:
        data = read_document(path)
    except ProblemValidationError as exc:
        raise WhatIfValidationError([str(i) for i in exc.issues]) from exc
    return parse_variants(data)


# -- applying ---------------------------------------------------------------------------------

def _descendants(doc: Mapping[str, Any], root: str) -> set[str]:
    children: dict[str, list[str]] = {}
    for loc in doc["locations"]:
        if loc.get("parent") is not None:
            children.setdefault(loc["parent"], []).append(loc["id"])
    found, stack = {root}, [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _apply_one(problem: Problem, doc: dict[str, Any], change: Change) -> str | None:
    """Apply one change to a problem document in place; returns an error message or None."""
    sources: list[dict[str, Any]] = doc["sources"]
    items = {i["id"] for i in doc["items"]}
    if isinstance(change, ScalePrice):
        if change.item not in items:
            return f"item: unknown item {change.item!r}"
        for src in sources:
            if src["item"] == change.item and (change.tier is None or src["tier"] == change.tier):
                price = problem.unit_price(problem.source(src["id"]))
                src["unit_price"] = price * change.factor
    elif isinstance(change, RemoveHolderStock):
        hit = [s for s in sources if s.get("holder") == change.holder
               and (change.item is None or s["item"] == change.item)]
        if not hit:
            what = f" with item {change.item!r}" if change.item else ""
            return f"holder: no source held by {change.holder!r}{what}"
        for src in hit:
            src["available"] = 0
    elif isinstance(change, SetDemand | RemoveDemand):
        match = [d for d in doc["demands"] if d["id"] == change.demand]
        if not match:
            return f"demand: unknown demand {change.demand!r}"
        if isinstance(change, SetDemand):
            match[0]["quantity"] = change.quantity
        else:
            doc["demands"] = [d for d in doc["demands"] if d["id"] != change.demand]
    elif isinstance(change, AddDemand):
        if any(d["id"] == change.id for d in doc["demands"]):
            return f"id: demand {change.id!r} already exists"
        if change.item not in items:
            return f"item: unknown item {change.item!r}"
        doc["demands"].append({"id": change.id, "item": change.item,
                               "quantity": change.quantity, "min_quality": change.min_quality})
    elif isinstance(change, CloseLocation):
        if change.location not in {loc["id"] for loc in doc["locations"]}:
            return f"location: unknown location {change.location!r}"
        closed = _descendants(doc, change.location)
        for src in sources:
            if src["location"] in closed:
                src["available"] = 0
    elif isinstance(change, SetSource):
        match = [s for s in sources if s["id"] == change.source]
        if not match:
            return f"source: unknown source {change.source!r}"
        given = change.model_fields_set - {"kind", "source"}
        if not given:
            return "set_source needs at least one of reliability, available, unit_price"
        for name in given:
            match[0][name] = getattr(change, name)
    elif isinstance(change, SetPolicy):
        given = change.model_fields_set - {"kind"}
        if not given:
            return "set_policy needs at least one policy field"
        for name in given:
            doc["policy"][name] = getattr(change, name)
    return None


def apply_changes(problem: Problem, changes: list[Change], *, variant: str = "") -> Problem:
    """The base problem with the changes applied, validated whole again with parse_problem.

    Raises :class:`WhatIfValidationError` naming the variant and change on a dangling
    reference, and listing the variant's broken problem rules when the result is invalid.
    """
    doc = copy.deepcopy(problem.model_dump(mode="json"))
    issues: list[str] = []
    for c, change in enumerate(changes):
        error = _apply_one(problem, doc, change)
        if error is not None:
            issues.append(f"{_where(0, variant or '?', c, change.kind)}: {error}")
    if issues:
        raise WhatIfValidationError(issues)
    try:
        return parse_problem(doc)
    except ProblemValidationError as exc:
        raise WhatIfValidationError(
            [f"{_where(0, variant or '?')}: makes the problem invalid: {i}" for i in exc.issues]
        ) from exc


# -- comparing --------------------------------------------------------------------------------

class LineChange(BaseModel):
    """A plan line that differs between the base plan and a variant's plan."""

    line: Literal["take", "craft", "trip", "shortfall"]
    id: str
    change: Literal["added", "removed", "changed"]
    base: float
    variant: float
    delta: float


class VariantResult(BaseModel):
    """One solved variant against the base."""

    name: str
    status: str
    objective: float | None
    objective_delta: float | None
    complete: bool
    costs: Costs
    cost_delta: dict[str, float]
    changes: list[LineChange]
    plan: Plan


class WhatIfReport(BaseModel):
    """The base plan's figures and every variant compared with it."""

    base_status: str
    base_objective: float | None
    base_costs: Costs
    base_complete: bool
    variants: list[VariantResult]


def _lines(plan: Plan) -> dict[tuple[str, str], float]:
    lines: dict[tuple[str, str], float] = {}
    for t in plan.takes:
        lines[("take", t.source)] = lines.get(("take", t.source), 0.0) + t.quantity
    for c in plan.crafts:
        lines[("craft", c.blueprint)] = lines.get(("craft", c.blueprint), 0.0) + c.runs
    for tr in plan.trips:
        lines[("trip", tr.location)] = lines.get(("trip", tr.location), 0.0) + tr.trips
    for s in plan.shortfalls:
        lines[("shortfall", s.demand)] = lines.get(("shortfall", s.demand), 0.0) + s.quantity
    return lines


_LINE_ORDER = {"take": 0, "craft": 1, "trip": 2, "shortfall": 3}


def compare_plans(base: Plan, variant: Plan, *, tol: float = CHECK_ABS) -> list[LineChange]:
    """Takes, crafts, trips and shortfalls added, removed or changed from base to variant."""
    a, b = _lines(base), _lines(variant)
    out: list[LineChange] = []
    for key in sorted(set(a) | set(b), key=lambda k: (_LINE_ORDER[k[0]], k[1])):
        x, y = a.get(key, 0.0), b.get(key, 0.0)
        if abs(x - y) <= tol:
            continue
        kind: Literal["added", "removed", "changed"] = \
            "added" if key not in a else "removed" if key not in b else "changed"
        out.append(LineChange(line=key[0], id=key[1], change=kind,
                              base=x, variant=y, delta=y - x))
    return out


def _cost_delta(base: Costs, variant: Costs) -> dict[str, float]:
    terms = ("sourcing", "crafting", "trips", "shortfall")
    delta = {t: float(getattr(variant, t)) - float(getattr(base, t)) for t in terms}
    delta["total"] = variant.total - base.total
    return delta


def _default_solver() -> Solver:
    from engine.solve import solve

    return solve


def run_whatif(
    problem: Problem,
    variants: WhatIfFile | list[Variant],
    *,
    solve: Solver | None = None,
    time_limit: float | None = None,
    base_plan: Plan | None = None,
) -> WhatIfReport:
    """Solve every variant warm-started from the base plan and compare it with the base.

    `solve` is called as ``solve(problem, time_limit=..., hint=...)`` and defaults to
    :func:`engine.solve.solve`; the base plan is solved first unless given. Every variant is
    applied (and validated) before any solve, so a bad variant file fails fast.
    """
    solver = solve if solve is not None else _default_solver()
    listed = variants.variants if isinstance(variants, WhatIfFile) else variants
    problems = [apply_changes(problem, v.changes, variant=v.name) for v in listed]
    base = base_plan if base_plan is not None else solver(problem, time_limit=time_limit)
    results = []
    for v, vp in zip(listed, problems, strict=True):
        plan = solver(vp, time_limit=time_limit, hint=base)
        delta = None if plan.objective is None or base.objective is None \
            else plan.objective - base.objective
        results.append(VariantResult(
            name=v.name, status=plan.status.value, objective=plan.objective,
            objective_delta=delta, complete=plan.complete, costs=plan.costs,
            cost_delta=_cost_delta(base.costs, plan.costs),
            changes=compare_plans(base, plan), plan=plan))
    return WhatIfReport(base_status=base.status.value, base_objective=base.objective,
                        base_costs=base.costs, base_complete=base.complete, variants=results)


def render_whatif_text(report: WhatIfReport) -> str:
    """Plain-text summary of a what-if report: one block per variant."""
    def money(v: float | None) -> str:
        return "n/a" if v is None else f"{v:,.2f}"

    lines = [f"Base: {report.base_status}, objective {money(report.base_objective)}"
             + ("" if report.base_complete else " (incomplete)")]
    for r in report.variants:
        sign = "" if r.objective_delta is None or r.objective_delta < 0 else "+"
        lines.append("")
        lines.append(f"Variant {r.name!r}: {r.status}, objective {money(r.objective)} "
                     f"({sign}{money(r.objective_delta)})"
                     + ("" if r.complete else " (incomplete)"))
        for term in ("sourcing", "crafting", "trips", "shortfall"):
            d = r.cost_delta[term]
            if abs(d) > DUST:
                lines.append(f"  {term:<10} {'+' if d > 0 else ''}{money(d)}")
        for ch in r.changes:
            lines.append(f"  {ch.change:<7} {ch.line} {ch.id}: {ch.base:g} -> {ch.variant:g}")
    return "\n".join(lines) + "\n"
