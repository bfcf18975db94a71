"""deploy/backup/pg-backup.sh and pg-restore-check.sh against the local PostgreSQL.

A throwaway database is migrated to head and filled with a few users, organisations and stock
rows; the scripts then dump it, restore the dump into another throwaway database and check
the counts and the Alembic head. restic runs only when it is installed; the local path always
runs. Every database the tests (or the scripts) create is dropped again.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from api.core.db import Database, alembic_config, migrate
from models.accounts import User
from models.inventory import Item, ItemStock, Location
from models.orgs import Organization

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "deploy" / "backup"
PG_HOST = os.environ.get("QM_TEST_PG_HOST", "127.0.0.1")
PG_PORT = os.environ.get("QM_TEST_PG_PORT", "5432")
PG_USER = os.environ.get("QM_TEST_PG_USER", "postgres")
DUMP_NAME = re.compile(r"^quartermaster-\d{8}T\d{6}Z\.dump$")
OK_LINE = re.compile(
    r"^OK dump=(?P<dump>\S+) (?P<counts>(?:\w+=\d+ ?)+) alembic_version=(?P<rev>\S+)$"
)

pytestmark = pytest.mark.postgres


def _admin() -> psycopg.Connection:
    return psycopg.connect(
        host=PG_HOST,
        port=PG_PORT,
        user=PG_USER,
        dbname="postgres",
        autocommit=True,
        connect_timeout=3,
    )


def _database_exists(name: str) -> bool:
    with _admin() as conn:
        return (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            is not None
        )


def _drop(name: str) -> None:
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _url(name: str) -> str:
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def _run(script: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run one of the scripts with a clean environment (no stray PG*/RESTIC_* from the shell)."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PG", "RESTIC_", "BACKUP_", "KEEP_", "EXPECTED_", "MIN_USERS"))
    }
    base.update({"PGHOST": PG_HOST, "PGPORT": PG_PORT, "PGUSER": PG_USER, "PGCONNECT_TIMEOUT": "5"})
    base.update(env)
    return subprocess.run(
        ["bash", str(BACKUP / script), *args],
        env=base,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _head() -> str:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    return ",".join(sorted(heads))


def _ok_line(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    assert result.returncode == 0, result.stderr
    match = OK_LINE.match(result.stdout.strip().splitlines()[-1])
    assert match, result.stdout
    fields = dict(kv.split("=") for kv in match["counts"].split())
    return {"dump": match["dump"], "alembic_version": match["rev"], **fields}


@dataclass
class SourceDb:
    name: str
    usernames: set[str]
    counts: dict[str, int]


@pytest.fixture(scope="module")
def source_db() -> Iterator[SourceDb]:
    """A migrated database with 3 users, 2 organisations and 4 stock rows."""
    for tool in ("pg_dump", "pg_restore", "psql"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    try:
        _admin().close()
    except psycopg.OperationalError:
        pytest.skip("PostgreSQL not reachable")
    name = f"qm_deploy_src_{uuid.uuid4().hex[:10]}"
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = None
    try:
        migrate(_url(name))
        db = Database(_url(name))
        usernames = {f"backup-user-{i}-{uuid.uuid4().hex[:6]}" for i in range(3)}
        with db.session_scope() as session:
            users = [User(username=u, email=f"{u}@example.org") for u in sorted(usernames)]
            session.add_all(users)
            session.flush()
            orgs = [
                Organization(name=f"Backup Org {i} {uuid.uuid4().hex[:6]}", created_by=users[0].id)
                for i in range(2)
            ]
            session.add_all(orgs)
            session.flush()
            hangar = Location(name="Hangar", kind="hangar", organization_id=orgs[0].id)
            items = [Item(name=f"Backup item {i}", unit="scu") for i in range(2)]
            session.add_all([hangar, *items])
            session.flush()
            session.add_all(
                ItemStock(
                    item_id=item.id,
                    location_id=hangar.id,
                    organization_id=orgs[0].id,
                    quality=quality,
                    quantity=Decimal(10 + quality),
                )
                for item in items
                for quality in (0, 500)
            )
        yield SourceDb(name, usernames, {"users": 3, "organizations": 2, "item_stocks": 4})
    finally:
        if db is not None:
            db.dispose()
        _drop(name)


@pytest.fixture(scope="module")
def dump(source_db: SourceDb, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One dump of ``source_db`` made by pg-backup.sh (local only)."""
    backup_dir = tmp_path_factory.mktemp("backups")
    result = _run("pg-backup.sh", {"PGDATABASE": source_db.name, "BACKUP_DIR": str(backup_dir)})
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip().splitlines()[-1])
    assert path.parent == backup_dir
    return path


@pytest.fixture
def restore_db() -> Iterator[str]:
    """A name for the scripts' throwaway database; the test checks it was dropped."""
    name = f"qm_deploy_rc_{uuid.uuid4().hex[:10]}"
    yield name
    _drop(name)  # only matters when the script failed to clean up (the test says so)


# --- pg-backup.sh ------------------------------------------------------------------------------


def test_backup_writes_a_timestamped_custom_format_dump(dump: Path) -> None:
    assert DUMP_NAME.match(dump.name)
    assert dump.stat().st_size > 0
    assert not list(dump.parent.glob("*.partial"))
    toc = subprocess.run(
        ["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True
    ).stdout
    for table in ("users", "organizations", "item_stocks", "alembic_version"):
        assert re.search(rf"TABLE DATA public {table} ", toc), table


def test_backup_accepts_the_application_database_url(source_db: SourceDb, tmp_path: Path) -> None:
    result = _run(
        "pg-backup.sh",
        {
            "BACKUP_DATABASE_URL": _url(source_db.name),
            "PGDATABASE": "no_such_db",
            "BACKUP_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr
    assert [p.name for p in tmp_path.iterdir() if DUMP_NAME.match(p.name)]


def test_backup_failure_exits_non_zero_and_leaves_nothing(tmp_path: Path) -> None:
    result = _run(
        "pg-backup.sh",
        {"PGDATABASE": f"qm_missing_{uuid.uuid4().hex[:8]}", "BACKUP_DIR": str(tmp_path)},
    )
    assert result.returncode != 0
    assert "FAILED" in result.stderr
    assert list(tmp_path.iterdir()) == []


def _expected_retention(
    stamps: list[datetime], daily: int, weekly: int, monthly: int
) -> set[datetime]:
    """restic's forget rule, written independently of the script."""
    rules = [
        [daily, None, lambda t: t.date()],
        [weekly, None, lambda t: t.isocalendar()[:2]],
        [monthly, None, lambda t: (t.year, t.month)],
    ]
    kept = set()
    for t in sorted(stamps, reverse=True):
        for rule in rules:
            left, last, bucket = rule
            if left > 0 and bucket(t) != last:
                kept.add(t)
                rule[0], rule[1] = left - 1, bucket(t)
    return kept


def test_local_retention_keeps_7_daily_4_weekly_3_monthly(
    source_db: SourceDb, tmp_path: Path
) -> None:
    # Two old dumps a day for 150 days before today, plus files the pruning must not touch.
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    stamps = [
        start - timedelta(days=d) + timedelta(hours=h) for d in range(1, 151) for h in (3, 15)
    ]
    for t in stamps:
        (tmp_path / f"quartermaster-{t:%Y%m%dT%H%M%SZ}.dump").write_bytes(b"old")
    unrelated = ["notes.txt", "other-20200101T000000Z.dump", "quartermaster-manual.dump"]
    for name in unrelated:
        (tmp_path / name).write_text("keep me")

    result = _run("pg-backup.sh", {"PGDATABASE": source_db.name, "BACKUP_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    new = Path(result.stdout.strip().splitlines()[-1])
    new_stamp = datetime.strptime(new.name, "quartermaster-%Y%m%dT%H%M%SZ.dump").replace(tzinfo=UTC)

    expected = {
        f"quartermaster-{t:%Y%m%dT%H%M%SZ}.dump"
        for t in _expected_retention([*stamps, new_stamp], 7, 4, 3)
    }
    remaining = {p.name for p in tmp_path.iterdir()}
    assert remaining - set(unrelated) == expected
    assert set(unrelated) <= remaining
    assert new.name in remaining
    assert len(expected) <= 7 + 4 + 3


# --- pg-restore-check.sh -----------------------------------------------------------------------


def test_restore_check_restores_the_newest_dump(
    source_db: SourceDb, dump: Path, restore_db: str
) -> None:
    result = _run("pg-restore-check.sh", {"BACKUP_DIR": str(dump.parent), "RESTORE_DB": restore_db})
    ok = _ok_line(result)
    assert ok["dump"] == str(dump)
    assert {k: int(ok[k]) for k in source_db.counts} == source_db.counts
    assert ok["alembic_version"] == _head()
    assert not _database_exists(restore_db), "the throwaway database was not dropped"


def test_dump_restores_the_same_rows(source_db: SourceDb, dump: Path, restore_db: str) -> None:
    """Independently of the check script: the dump restores the very rows that were written."""
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{restore_db}"')
    subprocess.run(
        [
            "pg_restore",
            "--exit-on-error",
            "--no-owner",
            "-h",
            PG_HOST,
            "-p",
            PG_PORT,
            "-U",
            PG_USER,
            "-d",
            restore_db,
            str(dump),
        ],
        check=True,
        capture_output=True,
    )
    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=restore_db) as conn:
        names = {r[0] for r in conn.execute("SELECT username FROM users")}
        total = conn.execute("SELECT sum(quantity) FROM item_stocks").fetchone()
    assert names == source_db.usernames
    assert total == (Decimal(10 + 0) * 2 + Decimal(10 + 500) * 2,)


def test_restore_check_fails_on_a_schema_behind_head(dump: Path, restore_db: str) -> None:
    result = _run(
        "pg-restore-check.sh",
        {"BACKUP_DIR": str(dump.parent), "RESTORE_DB": restore_db, "EXPECTED_ALEMBIC_HEAD": "ffff"},
    )
    assert result.returncode != 0
    assert "expected head 'ffff'" in result.stderr
    assert not _database_exists(restore_db), "the throwaway database was not dropped on failure"


def test_restore_check_reads_the_head_from_the_migration_files(
    dump: Path, restore_db: str, tmp_path: Path
) -> None:
    """A branch (b, c) merged by m: the script must expect m alone."""
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    files = {
        "a": 'revision: str = "a"\ndown_revision: str | None = None\n',
        "b": 'revision: str = "b"\ndown_revision: str | None = "a"\n',
        "c": "revision = 'c'\ndown_revision = 'a'\n",
        "m": 'revision: str = "m"\ndown_revision: tuple[str, str] = ("b", "c")\n',
    }
    for rev, body in files.items():
        (versions / f"{rev}.py").write_text(f'"""rev {rev}"""\n{body}')
    result = _run(
        "pg-restore-check.sh",
        {
            "BACKUP_DIR": str(dump.parent),
            "RESTORE_DB": restore_db,
            "MIGRATIONS_DIR": str(tmp_path / "migrations"),
        },
    )
    assert result.returncode != 0
    assert f"alembic_version is '{_head()}', expected head 'm'" in result.stderr


def test_restore_check_min_users(dump: Path, restore_db: str) -> None:
    result = _run(
        "pg-restore-check.sh",
        {"BACKUP_DIR": str(dump.parent), "RESTORE_DB": restore_db, "MIN_USERS": "4"},
    )
    assert result.returncode != 0
    assert "fewer than MIN_USERS=4" in result.stderr
    assert not _database_exists(restore_db)


def test_restore_check_without_a_dump_fails(tmp_path: Path) -> None:
    result = _run("pg-restore-check.sh", {"BACKUP_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "no quartermaster-*.dump" in result.stderr


# --- restic -------------------------------------------------------------------------------------


def test_restic_requested_but_missing_fails_clearly(source_db: SourceDb, tmp_path: Path) -> None:
    env = {
        "PGDATABASE": source_db.name,
        "BACKUP_DIR": str(tmp_path / "dumps"),
        "RESTIC_REPOSITORY": str(tmp_path / "never-initialised"),
        "RESTIC_PASSWORD": "x",
    }
    if shutil.which("restic") is None:
        result = _run("pg-backup.sh", env)
        assert result.returncode == 2
        assert "restic is not installed" in result.stderr
        return
    result = _run("pg-backup.sh", env)
    assert result.returncode == 3
    assert "not reachable or not initialised" in result.stderr


@pytest.mark.skipif(shutil.which("restic") is None, reason="restic is not installed")
def test_restic_upload_retention_and_restore(
    source_db: SourceDb, tmp_path: Path, restore_db: str
) -> None:
    repo = tmp_path / "restic-repo"
    env = {
        "PGDATABASE": source_db.name,
        "BACKUP_DIR": str(tmp_path / "dumps"),
        "RESTIC_REPOSITORY": str(repo),
        "RESTIC_PASSWORD": "test-password",
        "RESTIC_INIT": "1",
    }
    for _ in range(2):
        result = _run("pg-backup.sh", env)
        assert result.returncode == 0, result.stderr
    listing = subprocess.run(
        ["restic", "snapshots", "--json", "--tag", "quartermaster"],
        env={**os.environ, "RESTIC_REPOSITORY": str(repo), "RESTIC_PASSWORD": "test-password"},
        capture_output=True,
        text=True,
        check=True,
    )
    snapshots = json.loads(listing.stdout)
    # Both runs fall on the same day: forget --prune keeps only the newest of that day.
    assert len(snapshots) == 1
    assert snapshots[0]["paths"] == ["/quartermaster.dump"]

    # The drill can run from the off-site copy alone (no local dumps).
    check_env = {
        "BACKUP_DIR": str(tmp_path / "empty"),
        "RESTORE_DB": restore_db,
        "RESTORE_FROM_RESTIC": "1",
        "RESTIC_REPOSITORY": str(repo),
        "RESTIC_PASSWORD": "test-password",
    }
    ok = _ok_line(_run("pg-restore-check.sh", check_env))
    assert {k: int(ok[k]) for k in source_db.counts} == source_db.counts
    assert ok["alembic_version"] == _head()
    assert not _database_exists(restore_db)
