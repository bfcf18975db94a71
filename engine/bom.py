"""The bill-of-materials graph: cycles, pruning and multi-level explosion.

The graph is bipartite: an edge ``item -> blueprint`` says the item is an ingredient of the
blueprint, an edge ``blueprint -> item`` says the blueprint makes the item. Crafting recipes
and refining processes are both blueprints; several blueprints for one item are alternatives
and are all kept.

networkx is imported only to name a cycle: the acyclic path (every solve) walks the graph in
plain Python, which keeps a one-shot CLI run from paying half a second to import it.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from typing import TYPE_CHECKING

from engine.problem import Blueprint, Problem
from engine.tolerances import ceil_whole

if TYPE_CHECKING:
    import networkx as nx

ITEM = "item"
BLUEPRINT = "blueprint"

Node = tuple[str, str]


def bom_graph(problem: Problem) -> nx.DiGraph:
    """The directed item/blueprint graph; nodes are ``("item", id)`` / ``("blueprint", id)``."""
    import networkx as nx

    graph = nx.DiGraph()
    for item in problem.items:
        graph.add_node((ITEM, item.id))
    for bp in problem.blueprints:
        node = (BLUEPRINT, bp.id)
        graph.add_node(node)
        graph.add_edge(node, (ITEM, bp.output.item))
        for ing in bp.ingredients:
            graph.add_edge((ITEM, ing.item), node)
    return graph


def find_cycles(problem: Problem) -> list[list[str]]:
    """One cycle per strongly connected part of the BOM that contains a cycle.

    Each cycle is a list of ids alternating item, blueprint, item, blueprint, …, starting at
    the smallest item id of the cycle, so that ``[a, bp1, b, bp2]`` reads "a is an ingredient
    of bp1, which makes b, an ingredient of bp2, which makes a again". One cycle per component
    is enough to name the problem without enumerating (exponentially many) simple cycles.
    """
    if _item_order(problem) is not None:
        return []
    import networkx as nx

    graph = bom_graph(problem)
    cycles: list[list[str]] = []
    for component in nx.strongly_connected_components(graph):
        if len(component) < 2:
            # A node alone is a cycle only with a self-loop, impossible in a bipartite graph.
            continue
        start = min(n for n in component if n[0] == ITEM)
        edges = nx.find_cycle(graph.subgraph(component), source=start)
        nodes: list[Node] = [edge[0] for edge in edges]
        # find_cycle may enter the cycle after a tail; rotate to the smallest item node.
        first = min(range(len(nodes)), key=lambda k: (nodes[k][0] != ITEM, nodes[k]))
        nodes = nodes[first:] + nodes[:first]
        cycles.append([node_id for _, node_id in nodes])
    cycles.sort()
    return cycles


def makeable_items(problem: Problem) -> set[str]:
    """Items a plan can obtain at all: from a source with stock, or a makeable blueprint.

    A blueprint is makeable when every ingredient item is obtainable; otherwise an ingredient
    line of a positive run could never be met in full, so every plan runs it zero times.
    """
    obtainable = {
        s.item for s in problem.sources if s.available is None or s.available > 0
    }
    pending = list(problem.blueprints)
    changed = True
    while changed:
        changed = False
        still: list[Blueprint] = []
        for bp in pending:
            if all(ing.item in obtainable for ing in bp.ingredients):
                if bp.output.item not in obtainable:
                    obtainable.add(bp.output.item)
                changed = True
            else:
                still.append(bp)
        pending = still
    return obtainable


def _makeable_blueprints(problem: Problem) -> list[Blueprint]:
    obtainable = makeable_items(problem)
    return [bp for bp in problem.blueprints
            if all(ing.item in obtainable for ing in bp.ingredients)]


def prune(problem: Problem, *, drop_unmakeable: bool = True) -> Problem:
    """The problem without the items, blueprints and sources that no demand can reach.

    An item is reached when a demand asks for it or it is an ingredient of a reached
    blueprint; a blueprint is reached when it makes a reached item. Sources of unreached items
    and sources with nothing available go. With ``drop_unmakeable`` (the default) blueprints
    that can never run (an ingredient nobody can obtain) are dropped first, which can make
    more of the tree unreachable. Locations, demands and the policy are kept as they are.
    Pruning is exact: everything removed is zero in every plan that is not needlessly costly.
    """
    blueprints = _makeable_blueprints(problem) if drop_unmakeable else list(problem.blueprints)
    makers: dict[str, list[Blueprint]] = {}
    for bp in blueprints:
        makers.setdefault(bp.output.item, []).append(bp)
    reached_items: set[str] = set()
    reached_bps: set[str] = set()
    stack = [d.item for d in problem.demands]
    while stack:
        item_id = stack.pop()
        if item_id in reached_items:
            continue
        reached_items.add(item_id)
        for bp in makers.get(item_id, []):
            if bp.id not in reached_bps:
                reached_bps.add(bp.id)
                stack.extend(ing.item for ing in bp.ingredients)
    pruned = problem.model_copy(update={
        "items": [i for i in problem.items if i.id in reached_items],
        "blueprints": [bp for bp in blueprints if bp.id in reached_bps],
        "sources": [s for s in problem.sources
                    if s.item in reached_items and (s.available is None or s.available > 0)],
    })
    # model_copy shares the private lookup cache of the original; it must be rebuilt.
    pruned._lookup = None
    pruned._stops = None
    return pruned


def topological_items(problem: Problem) -> list[str]:
    """Item ids ordered so that every blueprint's output comes before its ingredients.

    Raises ``ValueError`` when the BOM has a cycle. Ties are broken by id so the order is
    deterministic.
    """
    order = _item_order(problem)
    if order is None:
        raise ValueError("the bill of materials has a cycle (see find_cycles)")
    return order


def _item_order(problem: Problem) -> list[str] | None:
    """Kahn's algorithm on the reversed BOM graph (outputs before ingredients), smallest node
    first among the ready ones; None when a cycle leaves nodes unordered."""
    successors: dict[Node, list[Node]] = {(ITEM, i.id): [] for i in problem.items}
    for bp in problem.blueprints:
        node = (BLUEPRINT, bp.id)
        # Reversed edges: output item -> blueprint -> each ingredient item.
        successors.setdefault((ITEM, bp.output.item), []).append(node)
        successors[node] = [(ITEM, ing.item) for ing in bp.ingredients]
        for ing in bp.ingredients:
            successors.setdefault((ITEM, ing.item), [])
    waiting = dict.fromkeys(successors, 0)
    for targets in successors.values():
        for target in targets:
            waiting[target] += 1
    ready = [node for node, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order: list[str] = []
    done = 0
    while ready:
        node = heapq.heappop(ready)
        done += 1
        if node[0] == ITEM:
            order.append(node[1])
        for target in successors[node]:
            waiting[target] -= 1
            if waiting[target] == 0:
                heapq.heappush(ready, target)
    return order if done == len(successors) else None


def max_runs_and_needs(problem: Problem) -> tuple[dict[str, int], dict[str, float]]:
    """Upper bounds on the useful runs of each blueprint and the need of each item.

    ``need(i) = Σ demand(i) + Σ_(b,k) with item i  ceil?(quantity(b,k) × runs_max(b))`` and
    ``runs_max(b) = ceil(need(output) / output.quantity)``, evaluated from finished products
    down to raw materials. Any plan with more runs of b than runs_max(b) can drop a run without
    losing feasibility (the remaining runs already cover every possible use of the output) and
    without raising any cost term, so these bounds keep an optimum. Needs of piece items are
    rounded up per ingredient line, since a piece line is met with whole pieces.
    Requires an acyclic BOM.
    """
    demand = dict.fromkeys((i.id for i in problem.items), 0.0)
    for d in problem.demands:
        demand[d.item] = demand.get(d.item, 0.0) + d.quantity
    makers: dict[str, list[Blueprint]] = {}
    for bp in problem.blueprints:
        makers.setdefault(bp.output.item, []).append(bp)
    piece = {i.id for i in problem.items if i.is_piece}
    need = dict(demand)
    runs: dict[str, int] = {}
    for item_id in topological_items(problem):
        total = need.get(item_id, 0.0)
        for bp in makers.get(item_id, []):
            r = ceil_whole(total / bp.output.quantity) if total > 0 else 0
            runs[bp.id] = r
            for ing in bp.ingredients:
                line = ing.quantity * r
                if ing.item in piece:
                    line = float(ceil_whole(line))
                need[ing.item] = need.get(ing.item, 0.0) + line
    return runs, need


def gross_requirements(problem: Problem) -> dict[str, float]:
    """Multi-level explosion: gross quantity of every item the demands can call for.

    Demands are exploded through every blueprint of their item, level by level, in whole runs
    (``runs = ceil(gross(output) / output.quantity)``), ignoring stock. With one blueprint per
    item this is the classic MRP gross requirement; with alternatives each alternative is
    exploded in full, so the figure is the most any sensible plan can consume of the item.
    Items with no requirement are left out. Requires an acyclic BOM (see :func:`find_cycles`).
    """
    _, need = max_runs_and_needs(problem)
    return {item_id: q for item_id, q in sorted(need.items()) if q > 0}


def item_ids(nodes: Iterable[Node]) -> list[str]:
    """The item ids among graph nodes, sorted."""
    return sorted(node_id for kind, node_id in nodes if kind == ITEM)
