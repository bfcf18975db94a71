"""The shared universe tree: loaded from ``universe.yaml`` by :func:`ensure_universe`.

The data file (not a migration) is the source: a new game patch is a data edit. Loading is
idempotent and matches nodes by their stable ``code``, so running it at every start-up, from
``seed_demo`` and from tests is safe. Nodes are never deleted: stock, history and org
locations may point at them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.inventory import LOCATION_KINDS, Location

UNIVERSE_FILE = Path(__file__).with_name("universe.yaml")
# Kinds allowed in the universe file (the rest belong to orgs, users and ships).
UNIVERSE_KINDS = (
    "system",
    "planet",
    "moon",
    "lagrange",
    "belt",
    "station",
    "city",
    "outpost",
    "poi",
)
_FLAGS = ("refinery", "gateway")


@dataclass(frozen=True)
class UniverseNode:
    """One node of the data file, flattened with its parent's code."""

    code: str
    name: str
    kind: str
    parent_code: str | None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UniverseData:
    """The parsed data file: its game version and nodes, parents before children."""

    game_version: str
    nodes: tuple[UniverseNode, ...]


def _walk(
    raw: list[dict[str, Any]], parent: str | None, game_version: str, out: list[UniverseNode]
) -> None:
    for entry in raw:
        kind = str(entry["kind"])
        if kind not in UNIVERSE_KINDS or kind not in LOCATION_KINDS:
            raise ValueError(f"universe node {entry.get('code')!r}: kind {kind!r} not allowed")
        meta: dict[str, Any] = {"game_version": game_version}
        meta.update({flag: True for flag in _FLAGS if entry.get(flag)})
        out.append(UniverseNode(str(entry["code"]), str(entry["name"]), kind, parent, meta))
        _walk(entry.get("children") or [], str(entry["code"]), game_version, out)


@lru_cache(maxsize=4)
def load_universe(path: Path = UNIVERSE_FILE) -> UniverseData:
    """Parse and validate the universe data file (cached; the file ships with the code)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    game_version = str(doc["game_version"])
    nodes: list[UniverseNode] = []
    _walk(doc["locations"], None, game_version, nodes)
    codes = [n.code for n in nodes]
    if len(codes) != len(set(codes)):
        raise ValueError("universe codes must be unique")
    return UniverseData(game_version, tuple(nodes))


def ensure_universe(session: Session, path: Path = UNIVERSE_FILE) -> int:
    """Insert missing universe nodes and bring changed ones up to date; return rows touched.

    Flushes only: the caller owns the transaction. Safe to call repeatedly (a second call
    with an unchanged file touches nothing).
    """
    data = load_universe(path)
    existing = {
        loc.code: loc
        for loc in session.scalars(
            select(Location).where(
                Location.code.is_not(None),
                Location.organization_id.is_(None),
                Location.owner_user_id.is_(None),
            )
        )
    }
    touched = 0
    for node in data.nodes:  # parents come first, so their ids are known
        parent_id = existing[node.parent_code].id if node.parent_code else None
        loc = existing.get(node.code)
        if loc is None:
            loc = Location(
                code=node.code, name=node.name, kind=node.kind, parent_id=parent_id, meta=node.meta
            )
            session.add(loc)
            session.flush()
            existing[node.code] = loc
            touched += 1
        elif (loc.name, loc.kind, loc.parent_id, loc.meta) != (
            node.name,
            node.kind,
            parent_id,
            node.meta,
        ):
            loc.name, loc.kind, loc.parent_id, loc.meta = node.name, node.kind, parent_id, node.meta
            touched += 1
    session.flush()
    return touched


def universe_id(session: Session, code: str) -> Any:
    """The id of the universe node ``code`` (KeyError when it is not loaded)."""
    loc_id = session.scalar(select(Location.id).where(Location.code == code))
    if loc_id is None:
        raise KeyError(code)
    return loc_id
