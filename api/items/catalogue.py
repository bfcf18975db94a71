"""The shared item catalogue: loaded from ``catalogue.yaml`` by :func:`ensure_catalogue`.

Idempotent and keyed by ``code`` (``ore.<name>``, ``refined.<name>``, ...), like the universe:
a new game patch is a data edit, and nothing is deleted because stock and blueprints point at
items. Shared items are read-only through the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.inventory import Item, ItemAlias

CATALOGUE_FILE = Path(__file__).with_name("catalogue.yaml")
ALIAS_SOURCE = "catalogue"


@dataclass(frozen=True)
class CatalogueItem:
    """One shared item of the data file."""

    code: str
    name: str
    unit: str
    volume_scu: Decimal
    category: str
    subcategory: str | None = None
    aliases: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-")


@lru_cache(maxsize=4)
def load_catalogue(path: Path = CATALOGUE_FILE) -> tuple[str, tuple[CatalogueItem, ...]]:
    """Parse the data file: ``(game_version, items)``; each ore yields an ore and a refined item."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    version = str(doc["game_version"])
    items: list[CatalogueItem] = []
    for ore in doc.get("ores", []):
        name, tier = str(ore["name"]), str(ore["tier"])
        aliases = tuple(str(a) for a in ore.get("aliases", []))
        meta = {"game_version": version, "tier": tier}
        items.append(
            CatalogueItem(
                f"ore.{_slug(name)}",
                f"{name} (Ore)",
                "scu",
                Decimal(1),
                "ore",
                tier,
                tuple(f"{a} (Ore)" for a in aliases),
                {**meta, "refines_to": f"refined.{_slug(name)}"},
            )
        )
        items.append(
            CatalogueItem(
                f"refined.{_slug(name)}", name, "scu", Decimal(1), "refined", tier, aliases, meta
            )
        )
    for raw in doc.get("items", []):
        items.append(
            CatalogueItem(
                code=str(raw["code"]),
                name=str(raw["name"]),
                unit=str(raw["unit"]),
                volume_scu=Decimal(str(raw["volume_scu"])),
                category=str(raw["category"]),
                subcategory=raw.get("subcategory"),
                aliases=tuple(str(a) for a in raw.get("aliases", [])),
                meta={"game_version": version},
            )
        )
    codes = [i.code for i in items]
    if len(codes) != len(set(codes)):
        raise ValueError("catalogue codes must be unique")
    return version, tuple(items)


def ensure_catalogue(session: Session, path: Path = CATALOGUE_FILE) -> int:
    """Insert missing shared items and aliases, update changed ones; return rows touched.

    Flushes only. A second call with an unchanged file touches nothing.
    """
    _version, entries = load_catalogue(path)
    existing = {
        item.code: item
        for item in session.scalars(
            select(Item).where(Item.organization_id.is_(None), Item.code.is_not(None))
        )
    }
    aliases: set[tuple[Any, str]] = (
        {(a.item_id, a.alias.lower()) for a in session.scalars(select(ItemAlias))}
        if existing
        else set()
    )
    touched = 0
    for entry in entries:
        item = existing.get(entry.code)
        values = (entry.name, entry.unit, entry.volume_scu, entry.category, entry.subcategory)
        if item is None:
            item = Item(
                code=entry.code,
                name=entry.name,
                unit=entry.unit,
                volume_scu=entry.volume_scu,
                category=entry.category,
                subcategory=entry.subcategory,
                meta=entry.meta,
            )
            session.add(item)
            session.flush()
            touched += 1
        elif (
            item.name,
            item.unit,
            Decimal(item.volume_scu or 0),
            item.category,
            item.subcategory,
        ) != values or item.meta != entry.meta:
            item.name, item.unit, item.volume_scu = entry.name, entry.unit, entry.volume_scu
            item.category, item.subcategory, item.meta = (
                entry.category,
                entry.subcategory,
                entry.meta,
            )
            touched += 1
        for alias in entry.aliases:
            if (item.id, alias.lower()) not in aliases:
                session.add(ItemAlias(item_id=item.id, alias=alias, source=ALIAS_SOURCE))
                aliases.add((item.id, alias.lower()))
                touched += 1
    session.flush()
    return touched


def item_id_by_code(session: Session, code: str) -> Any:
    """The id of the shared item ``code`` (KeyError when it is not loaded)."""
    item_id = session.scalar(select(Item.id).where(Item.code == code))
    if item_id is None:
        raise KeyError(code)
    return item_id
