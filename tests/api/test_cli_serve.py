"""`quartermaster serve` on a port another program holds: a plain message, nothing announced."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def _serve(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QM_")}
    environment.update(QM_DATABASE_URL=f"sqlite:///{tmp_path / 'qm.db'}", QM_HOST="127.0.0.1",
                       **env)
    # A free port would start a server; the timeout turns that into a failure, not a hang.
    return subprocess.run([sys.executable, "-m", "api.cli", "serve", *args], cwd=ROOT,
                          env=environment, capture_output=True, text=True, timeout=120,
                          check=False)


def test_busy_port_is_said_plainly_before_anything_is_announced(
    busy_port: int, tmp_path: Path
) -> None:
    done = _serve(["--port", str(busy_port)], tmp_path)
    assert done.returncode == 1, done.stderr
    assert "serving on" not in done.stdout
    assert f"Port {busy_port} on 127.0.0.1 is already in use" in done.stderr
    assert "--port" in done.stderr and "QM_PORT" in done.stderr
    assert "{" not in done.stderr  # words, not a JSON log line
    assert not (tmp_path / "qm.db").exists()  # refused before migrating


def test_busy_port_from_qm_port(busy_port: int, tmp_path: Path) -> None:
    done = _serve([], tmp_path, QM_PORT=str(busy_port))
    assert done.returncode == 1, done.stderr
    assert f"Port {busy_port} on 127.0.0.1 is already in use" in done.stderr


def test_default_secret_in_production_refuses_to_start_in_plain_words(
    busy_port: int, tmp_path: Path
) -> None:
    # The busy port only bounds the test: were the secret accepted, serve would stop there.
    done = _serve([], tmp_path, QM_PORT=str(busy_port), QM_ENVIRONMENT="production")
    assert done.returncode == 2, done.stderr
    assert "Invalid setting: QM_SECRET_KEY is the development default" in done.stderr
    assert "Traceback" not in done.stderr and "serving on" not in done.stdout
    assert not (tmp_path / "qm.db").exists()
