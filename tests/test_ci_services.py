"""In CI an unreachable PostgreSQL or Redis fails the run; locally it skips.

Each case runs one real test of the suite in a child pytest with the server address pointed
at a closed port, once with ``CI=true`` and once without, and reads the child's outcome.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# One PostgreSQL-backed and one Redis-backed test of the suite (both cheap).
PG_TEST = "tests/api/test_platform.py::test_health_and_ready[postgresql]"
REDIS_TEST = "tests/api/test_platform.py::test_health_checks_redis_when_configured[sqlite]"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # released on close: nothing listens there now


def _run(node: str, ci: bool, **env: str) -> str:
    child_env = {k: v for k, v in os.environ.items() if k != "CI"}
    child_env.update(env)
    if ci:
        child_env["CI"] = "true"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", node, "-q", "-rfEs", "-p", "no:cacheprovider"],
        cwd=REPO, env=child_env, capture_output=True, text=True, timeout=300,
    )
    return proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("node", "env"),
    [
        (PG_TEST, {"QM_TEST_PG_PORT": str(_closed_port())}),
        (REDIS_TEST, {"QM_TEST_REDIS_URL": f"redis://127.0.0.1:{_closed_port()}/2"}),
    ],
    ids=["postgresql", "redis"],
)
def test_missing_service_fails_in_ci_and_skips_locally(node: str, env: dict[str, str]) -> None:
    in_ci = _run(node, ci=True, **env)
    assert "1 failed" in in_ci or "1 error" in in_ci, in_ci
    assert "a missing service fails the run" in in_ci, in_ci
    local = _run(node, ci=False, **env)
    assert "1 skipped" in local and "failed" not in local, local
