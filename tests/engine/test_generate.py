"""The synthetic generator: valid, deterministic, sized as asked, shaped like the facts file."""

from __future__ import annotations

import pytest

from engine.bom import find_cycles
from engine.generate import (
    FAMILIES,
    PRESETS,
    Sizes,
    generate,
    generate_family,
    generate_sized,
    scaled,
)
from engine.problem import Tier, parse_problem

TINY = Sizes(ores=2, gems=1, materials=2, parts=2, products=2, blueprints=5, sources=12,
             demands=2, stations=3, members=2)


@pytest.mark.parametrize("preset", ["small", "craft", "org"])
def test_presets_are_valid_and_sized(preset: str) -> None:
    problem = generate(preset, seed=7)
    sizes = PRESETS[preset]
    assert len(problem.items) == sizes.items
    assert len(problem.blueprints) == sizes.blueprints
    assert len(problem.sources) == sizes.sources
    assert len(problem.demands) == sizes.demands
    assert problem.game_version
    assert find_cycles(problem) == []
    # Round trip through the document format keeps it valid and equal.
    assert parse_problem(problem.to_document()) == problem


def test_same_seed_same_problem_other_seed_other_problem() -> None:
    assert generate("craft", 3) == generate("craft", 3)
    assert generate("craft", 3) != generate("craft", 4)


def test_unknown_preset_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown preset"):
        generate("huge", 1)


def test_tiny_sizes_and_scaling() -> None:
    problem = generate_sized(TINY, 1)
    assert len(problem.items) == TINY.items
    assert len(problem.sources) == TINY.sources
    half = scaled(PRESETS["org"], 0.5)
    assert half.blueprints == 200 and half.demands == 20
    assert PRESETS["large"].sources == 4 * PRESETS["org"].sources


def test_structure_follows_the_domain() -> None:
    problem = generate("org", 11)
    tiers = {s.tier for s in problem.sources}
    assert tiers == {Tier.OWN, Tier.MEMBER, Tier.MARKET}
    refining = [b for b in problem.blueprints if b.id.startswith("refine-")]
    assert refining, "some materials are refined from ores"
    # A refining job yields less than it consumes.
    assert all(b.output.quantity < b.ingredients[0].quantity for b in refining)
    # Alternatives: some item has more than one blueprint.
    outputs = [b.output.item for b in problem.blueprints]
    assert len(set(outputs)) < len(outputs)
    units = {i.unit for i in problem.items}
    assert len(units) == 2
    assert any(ing.min_quality > 0 for b in problem.blueprints for ing in b.ingredients)
    assert any(s.lot_size for s in problem.sources)
    assert any(s.available is None for s in problem.sources)
    assert all(0.6 <= s.reliability <= 1.0 for s in problem.sources)
    own = [s for s in problem.sources if s.tier is Tier.OWN]
    assert any(s.location == problem.policy.delivery_location for s in own)
    assert any(s.location != problem.policy.delivery_location for s in own)
    # Locations form a tree rooted at star systems.
    roots = {loc.id for loc in problem.locations if loc.parent is None}
    assert "stanton" in roots
    demanded = {d.item for d in problem.demands}
    products = {b.output.item for b in problem.blueprints if not b.id.startswith("refine-")}
    assert demanded & products


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_families_are_valid_sized_and_carry_their_features(family: str) -> None:
    fam = FAMILIES[family]
    problem = generate(family, seed=3)
    assert problem == generate_family(family, 3)
    lo, hi = fam.low, fam.high
    assert lo.items <= len(problem.items) <= hi.items
    assert lo.blueprints <= len(problem.blueprints) <= hi.blueprints
    assert lo.sources <= len(problem.sources) <= hi.sources
    assert lo.demands <= len(problem.demands) <= hi.demands
    assert find_cycles(problem) == []
    hard = fam.hardness
    scu = {i.id for i in problem.items if not i.is_piece}
    market_scu = [s for s in problem.sources if s.tier is Tier.MARKET and s.item in scu]
    if hard.whole_scu_lots:
        whole = [s for s in market_scu if s.lot_size == 1]
        assert len(whole) > len(market_scu) / 2
        assert len({s.location for s in whole}) > 10
    if hard.own_quality:
        assert all(s.quality is not None and 0 <= s.quality <= 1000 for s in problem.sources)
    if hard.continuous_refining:
        refining = [b for b in problem.blueprints if b.id.startswith("refine-")]
        assert refining and all(b.continuous for b in refining)
        assert all(0.37 <= b.output.quantity <= 0.53 for b in refining)
        per_ore: dict[str, int] = {}
        for b in refining:
            per_ore[b.output.item] = per_ore.get(b.output.item, 0) + 1
        assert max(per_ore.values()) >= 2
    if hard.quality_floors:
        floors = {ing.min_quality for b in problem.blueprints for ing in b.ingredients
                  if ing.item in scu and not ing.quantity.is_integer()}
        assert {200, 400, 600} <= floors
    if hard.small_ship:
        assert problem.policy.ship_capacity_scu == 32
        costs = [loc.trip_cost for loc in problem.locations if loc.trip_cost is not None]
        assert costs and all(400 <= c <= 4000 for c in costs)
    if hard.member_prices:
        members = [s for s in problem.sources if s.tier is Tier.MEMBER]
        assert any(s.unit_price is not None for s in members)
        assert any(s.unit_price is None for s in members)


def test_family_sizes_vary_with_the_seed_inside_their_range() -> None:
    sizes = {FAMILIES["org-hard"].sizes(seed).items for seed in range(1, 11)}
    assert len(sizes) > 3
    assert all(130 <= n <= 260 for n in sizes)
    assert FAMILIES["org2-hard"].sizes(1).items == 528
