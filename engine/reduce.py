"""Exact reductions applied before the model is built: thresholds, source pools, bounds.

Every reduction here keeps the optimum of the spec's problem (the argument for each is in
docs/engine/formulation.md, section "Reductions").
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from engine.problem import Problem, Source, Tier
from engine.tolerances import ceil_whole


@dataclass(frozen=True, slots=True)
class Pool:
    """Sources merged into one decision: interchangeable for every use of their item.

    Members share item, stop, effective cost and quality class (and, in strict-priority
    mode, tier and unit price); none has a lot size unless the pool has a single member.
    `available` None means unlimited. `quality` is the lowest member quality, which serves
    exactly the same uses as every other member's quality. `stop` is where the members are
    hauled from (None: inside the delivery location, no trip); `location` is the first
    member's own location.
    """

    id: str
    item: str
    location: str
    stop: str | None
    tier: Tier
    members: tuple[Source, ...]
    available: float | None
    lot: float | None
    quality: int
    cost: float
    unit_price: float


def use_thresholds(problem: Problem) -> dict[str, list[int]]:
    """Sorted distinct min_quality thresholds of the uses (demands, ingredient lines) per item."""
    found: dict[str, set[int]] = {}
    for d in problem.demands:
        found.setdefault(d.item, set()).add(d.min_quality)
    for bp in problem.blueprints:
        for ing in bp.ingredients:
            found.setdefault(ing.item, set()).add(ing.min_quality)
    return {item: sorted(values) for item, values in found.items()}


def quality_class(thresholds: Sequence[int], quality: int) -> int:
    """How many of the item's thresholds a quality reaches (0: it serves no use at all)."""
    return bisect.bisect_right(thresholds, quality)


def pool_sources(problem: Problem, *, strict: bool, pool: bool = True) -> list[Pool]:
    """Group the sources into pools; sources that can serve no use are dropped.

    A source whose quality is below every threshold of its item (class 0) can only add
    surplus, at a cost >= 0, so taking 0 from it is always as good. Sources with a lot size
    are never pooled: the sum of two lot-constrained takes is not a lot-constrained take.
    With ``pool=False`` every serving source becomes its own pool (used for measurements).
    """
    thresholds = use_thresholds(problem)
    groups: dict[tuple[object, ...], list[Source]] = {}
    for src in sorted(problem.sources, key=lambda s: s.id):
        levels = thresholds.get(src.item)
        if not levels:
            continue
        klass = quality_class(levels, src.effective_quality)
        if klass == 0:
            continue
        if src.available is not None and src.available <= 0:
            continue
        cost = problem.effective_cost(src)
        key: tuple[object, ...]
        if not pool or src.lot_size is not None:
            key = ("single", src.id)
        else:
            key = (src.item, problem.stop(src.location), klass, cost)
            if strict:
                key = (*key, src.tier.value, problem.unit_price(src))
        groups.setdefault(key, []).append(src)
    pools: list[Pool] = []
    for members in groups.values():
        first = members[0]
        available: float | None = 0.0
        for m in members:
            if m.available is None or available is None:
                available = None
            else:
                available += m.available
        pool_id = first.id if len(members) == 1 else f"{first.id}+{len(members) - 1}"
        pools.append(Pool(
            id=pool_id, item=first.item, location=first.location,
            stop=problem.stop(first.location), tier=first.tier,
            members=tuple(members), available=available, lot=first.lot_size,
            quality=min(m.effective_quality for m in members),
            cost=problem.effective_cost(first), unit_price=problem.unit_price(first),
        ))
    pools.sort(key=lambda p: p.members[0].id)
    return pools


def drop_dominated(problem: Problem, pools: list[Pool], *, strict: bool) -> list[Pool]:
    """The pools without those another pool dominates (docs/engine/formulation.md §6.7).

    Pool ``q`` dominates ``p`` (same item) when ``q`` is unlimited with no lot size, sits at
    ``p``'s stop or inside the delivery location, reaches at least ``p``'s quality class and
    costs no more per unit (in strict-priority mode also no more market spend and no more
    member quantity per unit). Any take from ``p`` can then move to ``q``: ``q`` serves every
    use ``p`` serves, has room for any amount in any unit, adds no volume at another stop
    and costs no more in any objective — so some optimum takes nothing from ``p``. Ties are
    broken by pool id, which makes the relation acyclic: every dropped pool has a kept one
    dominating it (the relation is transitive).
    """
    thresholds = use_thresholds(problem)

    def rank(p: Pool) -> tuple[float, ...]:
        # Smaller is better in every component.
        klass = quality_class(thresholds.get(p.item, []), p.quality)
        rank: tuple[float, ...] = (-klass, p.cost)
        if strict:
            market = p.unit_price if p.tier is Tier.MARKET else 0.0
            member = 1.0 if p.tier is Tier.MEMBER else 0.0
            rank = (*rank, market, member)
        return rank

    dominators: dict[str, list[tuple[tuple[float, ...], Pool]]] = {}
    for q in pools:
        if q.available is None and q.lot is None:
            dominators.setdefault(q.item, []).append((rank(q), q))
    if not dominators:
        return pools
    kept: list[Pool] = []
    for p in pools:
        mine = rank(p)
        dominated = any(
            q is not p
            and (q.stop == p.stop or q.stop is None)
            and all(a <= b for a, b in zip(theirs, mine, strict=True))
            and (theirs != mine or q.stop != p.stop or q.id < p.id)
            for theirs, q in dominators.get(p.item, [])
        )
        if not dominated:
            kept.append(p)
    return kept


def take_cap(need: float, *, piece: bool, lot: float | None) -> float:
    """Largest useful take of one source given the item's need bound.

    A take above the item's maximal need can lose a unit (or a lot) without uncovering any
    use, at no higher cost, so the smallest whole unit / whole lot >= need is enough.
    """
    if lot is not None:
        return lot * ceil_whole(need / lot)
    if piece:
        return float(ceil_whole(need))
    return need


def split_take(pool: Pool, taken: float) -> dict[str, float]:
    """Split a pool's take over its members by id, each filled up to its availability."""
    shares: dict[str, float] = {}
    remaining = taken
    for member in pool.members:
        if remaining <= 0:
            break
        share = remaining if member.available is None else min(member.available, remaining)
        if share > 0:
            shares[member.id] = share
        remaining -= share
    if remaining > 0 and shares:
        # Only float noise from summing availabilities can land here; the last member absorbs it.
        last = next(reversed(shares))
        shares[last] += remaining
    return shares
