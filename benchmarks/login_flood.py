"""A login flood against one API process: does another user's ``GET /stock`` stay fast?

    .venv/bin/python -m benchmarks.login_flood                 # prints JSON
    .venv/bin/python -m benchmarks.login_flood --threads 16 --seconds 10 --json out.json

A throwaway PostgreSQL database (dropped after), one ``uvicorn api.cli:build_app`` process
(production Argon2 parameters: ``QM_ENVIRONMENT=development``), a member with 200 stock rows.
For each configuration: ``GET /orgs/{org}/stock`` latency from one client, first alone, then
while ``--threads`` threads post wrong passwords to ``/auth/token`` as fast as they can.

Configurations (environment of the server process):

* ``unlimited``: ``QM_RATE_LIMIT_ENABLED=false``, ``QM_PASSWORD_HASH_CONCURRENCY=64`` — the
  code before rate limits and hashing slots, as far as settings can express it;
* ``slots_only``: limits off, the default 2 hashing slots — a flood from many addresses,
  which per-client limits do not stop;
* ``defaults``: every limit at its default — a flood from one address.

Loopback only, every phase bounded in time; the load average is reported with the figures.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from benchmarks.planning_load import SECRET, loadavg, report

REPO = Path(__file__).resolve().parents[1]
CONFIGS: dict[str, dict[str, str]] = {
    "unlimited": {"QM_RATE_LIMIT_ENABLED": "false", "QM_PASSWORD_HASH_CONCURRENCY": "64"},
    "slots_only": {"QM_RATE_LIMIT_ENABLED": "false"},
    "defaults": {},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _arrange(url: str) -> tuple[str, str]:
    """A member with stock; (org id, access token)."""
    from decimal import Decimal

    from api.core.db import Database
    from api.core.security import create_access_token, hash_password
    from api.core.settings import Settings
    from models.accounts import User
    from models.orgs import Organization, OrganizationMember
    from tests.api.planning_helpers import make_item, make_location, make_stock

    settings = Settings(_env_file=None, database_url=url, secret_key=SECRET)
    database = Database(url, settings)
    with database.session_scope() as s:
        # A real Argon2 hash: a wrong password must cost a real verification.
        user = User(username="reader", email="reader@example.test",
                    password_hash=hash_password("the reader's real passphrase", settings))
        org = Organization(name="Flooded org")
        s.add_all([user, org])
        s.flush()
        s.add(OrganizationMember(organization_id=org.id, user_id=user.id, role="owner"))
        here = make_location(s, "Hangar", kind="hangar", org_id=org.id)
        for n in range(200):
            make_stock(s, make_item(s, f"item-{n}"), here, Decimal(5), org_id=org.id)  # type: ignore[arg-type]
        ids = (str(org.id), user.id)
    token = create_access_token(ids[1], settings).token
    database.dispose()
    return ids[0], token


def _reads(base: str, org: str, token: str, seconds: float) -> list[float]:
    """``GET /stock`` back to back for ``seconds``; latencies in seconds."""
    out: list[float] = []
    with httpx.Client(base_url=base, timeout=30,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            r = client.get(f"/api/v1/orgs/{org}/stock", params={"limit": 50})
            out.append(time.perf_counter() - t0)
            if r.status_code != 200:
                raise RuntimeError(f"GET /stock answered {r.status_code}: {r.text[:500]}")
    return out


def _flood(base: str, stop: threading.Event, answers: Counter[int], lock: threading.Lock) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        while not stop.is_set():
            r = client.post("/api/v1/auth/token",
                            data={"username": "reader", "password": "not the password!"})
            with lock:
                answers[r.status_code] += 1


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"n": len(values), "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1)}


def run_config(url: str, org: str, token: str, name: str, threads: int,
               seconds: float) -> dict[str, Any]:
    """Serve with one configuration; reads alone, then reads under the flood."""
    port = _free_port()
    env = {**os.environ, "QM_DATABASE_URL": url, "QM_SECRET_KEY": SECRET,
           "QM_ENVIRONMENT": "development", "QM_REDIS_URL": "", "QM_LOG_LEVEL": "WARNING",
           "QM_RATE_LIMIT_STORAGE_URL": "memory://", **CONFIGS[name]}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.cli:build_app", "--factory", "--host",
         "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("server did not start")
        _reads(base, org, token, 1.0)  # warm up
        out: dict[str, Any] = {"load_before": loadavg()}
        out["alone"] = _summary(_reads(base, org, token, seconds))
        stop, lock, answers = threading.Event(), threading.Lock(), Counter[int]()
        flooders = [threading.Thread(target=_flood, args=(base, stop, answers, lock))
                    for _ in range(threads)]
        for t in flooders:
            t.start()
        time.sleep(1.0)  # let the flood build up
        try:
            out["under_flood"] = _summary(_reads(base, org, token, seconds))
        finally:
            stop.set()
            for t in flooders:
                t.join(timeout=60)
        out["login_answers"] = {str(k): v for k, v in sorted(answers.items())}
        out["load_after"] = loadavg()
        return out
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def run(threads: int = 16, seconds: float = 10.0) -> dict[str, Any]:
    """Every configuration against one throwaway database."""
    from api.core.db import migrate
    from tests.conftest import create_pg_database, drop_pg_database, pg_url

    name = create_pg_database("qm_loginflood")
    url = pg_url(name)
    try:
        migrate(url)
        org, token = _arrange(url)
        return {"threads": threads, "seconds": seconds,
                **{c: run_config(url, org, token, c, threads, seconds) for c in CONFIGS}}
    finally:
        drop_pg_database(name)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    report(run(args.threads, args.seconds), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
