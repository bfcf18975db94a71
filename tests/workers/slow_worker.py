"""A real worker process whose solves first wait: ``python -m tests.workers.slow_worker SECONDS``.

``test_redis_worker`` kills it mid-solve to show another worker reclaims the plan. The delay
is patched into this process's solve function before the worker starts, so production code
carries no test hook.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from api.plans import tasks
from workers.__main__ import main


def slowed(seconds: float) -> None:
    """Make every plan solve in this process wait ``seconds`` first."""
    solve_document = tasks.solve_document

    def slow(problem_doc: dict[str, Any], time_limit: float | None) -> dict[str, Any]:
        time.sleep(seconds)
        return solve_document(problem_doc, time_limit)

    tasks.solve_document = slow  # type: ignore[assignment]


if __name__ == "__main__":
    slowed(float(sys.argv[1]))
    raise SystemExit(main(["--threads", "1"]))
