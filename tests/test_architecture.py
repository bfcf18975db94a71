"""Import direction and layering rules of DEVELOPERS.md, checked by parsing the source.

Every ``import``/``from … import`` counts, including lazy ones inside functions, so a rule
cannot be dodged by moving an import into a function body. A justified exception is an entry
in ``ALLOWED`` with its reason; an entry that no longer matches anything fails too, so the
list only shrinks.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("engine", "models", "api", "workers")

# (importing file, imported module) -> why it is allowed.
ALLOWED: dict[tuple[str, str], str] = {
    ("models/migrations/env.py", "api.core.settings"): (
        "Alembic's env script is run by the alembic CLI, never imported by the models package; "
        "with no URL configured it falls back to the app's default database (one definition)."
    ),
}


@dataclass(frozen=True)
class Import:
    """One imported module of ours, where it was imported."""

    file: str  # relative to the repository root, with forward slashes
    line: int
    module: str  # dotted name, e.g. ``api.stock.repository``


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _imports(path: Path) -> Iterator[Import]:
    rel = path.relative_to(ROOT).as_posix()
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path.parent)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(rel, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this file's package
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield Import(rel, node.lineno, module)
            # ``from api.stock import repository`` imports the module api.stock.repository.
            for alias in node.names:
                if _is_module(f"{module}.{alias.name}"):
                    yield Import(rel, node.lineno, f"{module}.{alias.name}")


def _files(*patterns: str) -> list[Path]:
    found = sorted({p for pattern in patterns for p in ROOT.glob(pattern)})
    assert found, f"no files match {patterns}: has the layout changed?"
    return found


def _top(module: str) -> str:
    return module.split(".", 1)[0]


def _violations(files: list[Path], forbidden: Callable[[Import], bool]) -> list[str]:
    """``forbidden(imp)`` says whether an import breaks the rule; allow-listed ones pass."""
    return [
        f"{imp.file}:{imp.line} imports {imp.module}"
        for path in files
        for imp in _imports(path)
        if forbidden(imp) and (imp.file, imp.module) not in ALLOWED
    ]


def test_engine_imports_nothing_of_ours() -> None:
    """The planning engine is a pure library: stdlib and third-party packages only."""
    bad = _violations(
        _files("engine/**/*.py"), lambda i: _top(i.module) in {"models", "api", "workers"}
    )
    assert not bad, "engine/ must not import models, api or workers:\n" + "\n".join(bad)


def test_models_import_nothing_of_ours() -> None:
    """Models (and their migrations) stand alone: no api, engine or workers."""
    bad = _violations(
        _files("models/**/*.py"), lambda i: _top(i.module) in {"engine", "api", "workers"}
    )
    assert not bad, "models/ must not import api, engine or workers:\n" + "\n".join(bad)


COMPOSITION_ROOT = {"api/app.py", "api/cli.py"}


def test_only_the_composition_root_imports_workers() -> None:
    """Domain code enqueues through ``api.core.jobs.JobDispatcher``, never workers directly."""
    bad = _violations(
        _files("api/**/*.py"),
        lambda i: _top(i.module) == "workers" and i.file not in COMPOSITION_ROOT,
    )
    assert not bad, "only api/app.py and api/cli.py may import workers:\n" + "\n".join(bad)


def test_routers_do_not_import_repositories() -> None:
    """router (HTTP only) -> service (rules) -> repository (queries): no layer skipped."""
    bad = _violations(
        _files("api/*/router.py"),
        lambda i: i.module.startswith("api.") and i.module.endswith(".repository"),
    )
    assert not bad, "routers go through services, not repositories:\n" + "\n".join(bad)


# The request (or the actor) owns the transaction; a service only flushes.
TRANSACTION_ENDS = {"commit", "rollback"}


def test_services_never_end_the_transaction() -> None:
    """No ``.commit()``/``.rollback()`` call in any ``api/<domain>/service.py``."""
    bad = [
        f"{path.relative_to(ROOT).as_posix()}:{node.lineno} calls .{node.func.attr}()"
        for path in _files("api/*/service.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in TRANSACTION_ENDS
    ]
    assert not bad, "services flush, never commit or roll back:\n" + "\n".join(bad)


@pytest.mark.parametrize(("file", "module"), sorted(ALLOWED))
def test_allow_list_entries_are_still_needed(file: str, module: str) -> None:
    """A stale exception would silently allow the import again later: remove it instead."""
    assert any(imp.module == module for imp in _imports(ROOT / file)), (
        f"{file} no longer imports {module}; drop its ALLOWED entry"
    )


def test_scanner_sees_lazy_and_submodule_imports() -> None:
    """The checks above rely on these two forms being reported."""
    app = {i.module for i in _imports(ROOT / "api/app.py")}
    assert "workers.broker" in app  # imported inside a function
    stock_service = {i.module for i in _imports(ROOT / "api/stock/service.py")}
    assert "api.stock.repository" in stock_service  # ``from api.stock import repository``
