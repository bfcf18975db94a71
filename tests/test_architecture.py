"""Layering rules of DEVELOPERS.md.

The import direction is import-linter's job: the contracts in ``pyproject.toml``
(``[tool.importlinter]``) run here and in ``make lint`` (``lint-imports``). What they cannot
see is checked below: the Alembic scripts (not a package) and services ending transactions.
"""

from __future__ import annotations

import ast
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
OURS = ("engine", "api", "workers")


def test_import_linter_contracts_hold() -> None:
    """engine and models import nothing of ours; only the composition root imports workers;
    routers skip no layer; no domain imports another domain's repository."""
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0


def _imported_modules(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


# Alembic's env script is run by the alembic CLI, never imported by the models package; with
# no URL configured it falls back to the app's default database (one definition).
MIGRATION_ALLOWED = {("models/migrations/env.py", "api.core.settings")}


def test_migrations_import_only_models() -> None:
    """models/migrations is loaded by path, so import-linter does not see it."""
    files = sorted((ROOT / "models/migrations").rglob("*.py"))
    assert files, "no migration scripts found: has the layout changed?"
    bad = [
        f"{rel} imports {module}"
        for path in files
        for module in _imported_modules(path)
        if module.split(".")[0] in OURS
        and ((rel := path.relative_to(ROOT).as_posix()), module) not in MIGRATION_ALLOWED
    ]
    assert not bad, "migrations must not import api, engine or workers:\n" + "\n".join(bad)


def test_migration_allow_list_is_still_needed() -> None:
    """A stale exception would silently allow the import again later: remove it instead."""
    for file, module in MIGRATION_ALLOWED:
        assert module in _imported_modules(ROOT / file), f"drop {file} -> {module}"


def test_services_never_end_the_transaction() -> None:
    """No ``.commit()``/``.rollback()`` call in any ``api/<domain>/service.py``: the request
    (or the actor) owns the transaction; a service only flushes."""
    bad = [
        f"{path.relative_to(ROOT).as_posix()}:{node.lineno} calls .{node.func.attr}()"
        for path in sorted(ROOT.glob("api/*/service.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"commit", "rollback"}
    ]
    assert not bad, "services flush, never commit or roll back:\n" + "\n".join(bad)
