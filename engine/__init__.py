"""Quartermaster's planning engine: a pure library (no database, no web).

The public API. Names resolve lazily so that importing ``engine.problem`` (as the service does
for validation) does not load the solvers. Functions named like their module (``solve``,
``explain``, ``generate``) are imported from the module: ``from engine.solve import solve``.

- :func:`parse_problem`, :func:`load_problem` — validate a ``quartermaster.problem/1`` document
- ``engine.solve.solve`` — the provably cheapest plan (``quartermaster.plan/1``)
- :func:`check` — verify a plan against every rule of the spec and recompute its objective
- :func:`greedy_plan` — the naive baseline (buys whatever is listed, crafts the rest)
- :func:`make_or_buy_plan` — the spreadsheet baseline (rolled-up recipe costs, make or buy)
- ``engine.explain.explain`` — how each demand is met, costs by tier and location, shortfall causes
- :func:`run_whatif` — solve variants of a problem and compare them with the base plan
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "Problem": "engine.problem",
    "ProblemValidationError": "engine.problem",
    "parse_problem": "engine.problem",
    "load_problem": "engine.problem",
    "Plan": "engine.plan",
    "PlanStatus": "engine.plan",
    "parse_plan": "engine.plan",
    "check": "engine.checker",
    "CheckReport": "engine.checker",
    "greedy_plan": "engine.greedy",
    "make_or_buy_plan": "engine.baselines",
    "Explanation": "engine.explain",
    "run_whatif": "engine.whatif",
    "apply_changes": "engine.whatif",
    "parse_variants": "engine.whatif",
    "find_cycles": "engine.bom",
    "gross_requirements": "engine.bom",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Resolve a public name on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
