"""`quartermaster plan` on a small problem loads only what that answer needs.

Start-up time itself is measured in benchmarks (docs/engine/benchmarks.md); what keeps it low
is that the heavy stacks are imported on use, which this asserts without a clock.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# Each costs a quarter to half a second of start-up; a JSON plan of an acyclic problem solved
# by the default back-end needs none of them.
HEAVY = ("networkx", "highspy", "numpy", "fastapi", "sqlalchemy", "rich", "yaml")

PROBE = """
import json, sys
sys.argv = ["quartermaster", "plan", sys.argv[1], "--format", "json"]
from api.cli import main
try:
    main()
except SystemExit:
    pass
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print(json.dumps(heavy), file=sys.stderr)
"""


def test_plan_as_json_imports_no_heavy_stack(tmp_path: Path) -> None:
    problem = tmp_path / "tiny.json"
    problem.write_text(json.dumps({
        "items": [{"id": "alu"}],
        "locations": [{"id": "hangar"}, {"id": "st", "trip_cost": 100}],
        "sources": [{"id": "s", "item": "alu", "location": "st", "tier": "market",
                     "unit_price": 5}],
        "demands": [{"id": "d", "item": "alu", "quantity": 3}],
        "policy": {"delivery_location": "hangar"},
    }))
    run = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), str(problem)],
                         capture_output=True, text=True, timeout=120, check=False)
    plan = json.loads(run.stdout)
    assert plan["status"] == "optimal" and plan["objective"] == 115
    assert json.loads(run.stderr.strip().splitlines()[-1]) == []
