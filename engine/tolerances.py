"""Every numeric tolerance of the engine, named once, each with the reason for its value.

Problem data come with a few decimals (prices to the cent, quantities to 1e-4 SCU), so noise
from float arithmetic (``0.1 * 3 / 0.3``) sits many orders of magnitude below anything a crew
can see. Three scales follow from that:

* ``WHOLE`` (1e-9): when a quantity is rounded to whole runs, lots, pieces or trips, a value
  this close to a whole number *is* that number (so 3.0000000001 runs is 3 runs, not 4).
* ``SNAP`` (1e-6): solver output within this of a whole number / zero is noise (the MIP
  solvers' own feasibility tolerances are 1e-7-1e-6).
* ``CHECK_ABS`` + ``CHECK_REL`` × magnitude: the checker's agreement test (team decision).

Solver settings (``MIP_ABS_GAP``, ``MIP_FEASIBILITY``, ``POLISH_FEASIBILITY``,
``SCIP_FEASIBILITY``) are here too, with why the main back-end and the plain reference model
run HiGHS at different feasibility tolerances (issue 11 item 6).
"""

from __future__ import annotations

import math

# -- rounding to whole numbers -------------------------------------------------------------
# A value within WHOLE of a whole number counts as that number when rounding up or down to
# whole runs, lots, pieces or trips. Also the "is this a whole number" test of problem files.
WHOLE = 1e-9
# Quantities (and relative excesses) below this are float dust, not need.
DUST = 1e-9
# Guard of a divisor that may be zero (relative gaps of a zero objective).
TINY_DIVISOR = 1e-9
# Relative room below which one more unit does not fit (top-ups of market stock).
ROOM = 1e-12


def ceil_whole(value: float) -> int:
    """``ceil`` that forgives float noise: 3.0000000001 → 3."""
    return math.ceil(value - WHOLE)


def floor_whole(value: float) -> int:
    """``floor`` that forgives float noise: 2.9999999999 → 3."""
    return math.floor(value + WHOLE)


# -- reading solver output -----------------------------------------------------------------
# Solver values closer than this to a whole number / zero are float noise.
SNAP = 1e-6
# Continuous solver values within GRID_NOISE of a multiple of SNAP are taken to be it.
GRID_NOISE = 1e-7
# Whole pieces handed to a line exceed its need by less than one piece (the rounded-up need).
# The margin is well above the checking tolerance, which reads a need within 1e-6 of a whole
# number as that number: a run of 1e-6 must not be handed a whole piece.
PIECE_ROUNDING = 1.0 - 1e-4

# -- staged (strict-priority) solves -------------------------------------------------------
# Slack kept on a stage's optimum when the next stage is held to it: far inside the checking
# tolerance so a later stage cannot trade an earlier optimum away, but enough that solver
# round-off never makes the later stage infeasible. Absolute + relative × |optimum|.
STAGE_ABS = 1e-9
STAGE_REL = 1e-12
# The main solver's relative slack (its stages are scaled to the weighted objective).
STAGE_TOLERANCE = 1e-9

# -- solver settings, one policy for every MIP back-end ----------------------------------
# Proven optimal means a zero relative gap; the absolute gap only stops HiGHS chasing float
# noise in the last digits. 1e-9 aUEC: measured on craft seed 1, the plain model proves the
# same optimum at 1e-9 as at 1e-6 in the same time (65.7 s vs 67.5 s, both 294,590.21812).
MIP_REL_GAP = 0.0
MIP_ABS_GAP = 1e-9
# Feasibility tolerances, measured both ways (issue 11 item 6), differ by driver on purpose:
# * The main solver (engine.solve) reads its plan straight off the MIP's values, so it runs
#   HiGHS at MIP_FEASIBILITY: at the defaults (1e-7 primal, 1e-6 integrality) a hypothesis
#   problem of tests/engine/test_game_rules.py came back with a take of ~1e-8 SCU, which the
#   checker refuses as a zero-quantity line (objective 4.12499999 for 4.125).
# * The plain reference model keeps HiGHS' defaults: at 1e-9 HiGHS 1.16 proved a wrong optimum
#   on it (generate("craft", 1): "optimal" at 294,591.527 against the true 294,590.218,
#   re-measured for issue 11). The noise the defaults leave is removed after the MIP by an LP
#   re-solve with every integer fixed, at POLISH_FEASIBILITY.
MIP_FEASIBILITY = 1e-9
POLISH_FEASIBILITY = 1e-10
# SCIP (through OR-Tools): at its default 1e-6 a strict-priority stage's optimum came back
# 3.7e-7 low and the next stage, held to it, had no solution.
SCIP_FEASIBILITY = 1e-9

# -- checking ------------------------------------------------------------------------------
# Two numbers agree when |a - b| <= CHECK_ABS + CHECK_REL * max(|a|, |b|) (team decision).
CHECK_ABS = 1e-6
CHECK_REL = 1e-9


def loads(volume: float, capacity: float) -> int:
    """The fewest whole loads of ``capacity`` that carry ``volume`` (at least one).

    Counted within the checker's agreement (``CHECK_ABS`` + ``CHECK_REL`` × magnitude): a
    stop's takes, each snapped to the 1e-6 grid, may add up to a few 1e-8 SCU over a full
    hold, and 32.00000005 SCU is one 32-SCU load, not two (org-hard seed 9: the extra trip
    made a plan 1,350 aUEC dearer than the optimum its solver had proved).
    """
    count = max(1, math.ceil(volume / capacity))
    while count > 1:
        fewer = (count - 1) * capacity
        if volume > fewer + CHECK_ABS + CHECK_REL * max(abs(volume), fewer):
            break
        count -= 1
    return count
