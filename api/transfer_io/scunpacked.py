"""Crafting blueprints in the shape scunpacked-data publishes, as our blueprint rows.

scunpacked-data writes game records as "standardised" JSON objects with PascalCase keys
(``ClassName``, ``Name``...). A crafting blueprint record there carries the item it creates
(``Output``), the craft time, and its requirements grouped in tiers; each requirement is a
resource counted in SCU (``StandardCargoUnits``, optionally with a minimum quality) or an
item counted in pieces (``Count``)::

    {"ClassName": "BP_CRAFT_behr_rifle_ballistic_01", "Name": "P4-AR Rifle",
     "CraftTimeSeconds": 150, "Output": {"Name": "P4-AR Rifle", "Quantity": 1},
     "Tiers": [{"Tier": 1, "Requirements": [
         {"Kind": "Resource", "Name": "Aluminum", "StandardCargoUnits": 0.04},
         {"Kind": "Item", "Name": "Hadanite", "Count": 7, "MinQuality": 1}]}]}

The file is an array of such records, or ``{"Blueprints": [...]}``. Each record becomes one
row of the ``blueprints`` layout, so names resolve, errors are reported and the apply is
idempotent exactly as for our own files. Only the first tier is the recipe: later tiers are
the game's upgrades of the same item, which the planner has no use for.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from api.core.errors import InvalidInput
from api.transfer_io.schemas import Row
from models.base import QUANTITY_SCALE

WRAPPERS = ("Blueprints", "blueprints")


def _bad(number: int, field: str, reason: str) -> InvalidInput:
    return InvalidInput(f"Blueprint {number}: {reason}", field=field, record=f"row {number}")


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    text = str(value).strip()
    return text or None


def _number(number: int, field: str, value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _bad(number, field, f"{field} must be a number")
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise _bad(number, field, f"{field} must be a number, not {value!r}") from exc


def _requirement(number: int, index: int, req: Any) -> str:
    """One requirement as an ingredient of our layout: ``<quantity> <item>[ q>=<min>]``."""
    field = f"Tiers[0].Requirements[{index}]"
    if not isinstance(req, dict):
        raise _bad(number, field, "a requirement is an object")
    name = _text(req.get("Name")) or _text(req.get("ClassName"))
    if name is None:
        raise _bad(number, f"{field}.Name", "a requirement names its resource or item")
    scu = _number(number, f"{field}.StandardCargoUnits", req.get("StandardCargoUnits"))
    count = _number(number, f"{field}.Count", req.get("Count"))
    quantity = scu if scu is not None else count
    if quantity is None:
        raise _bad(number, field, "a requirement has StandardCargoUnits or Count")
    floor = _number(number, f"{field}.MinQuality", req.get("MinQuality"))
    suffix = f" q>={int(floor)}" if floor else ""
    return f"{format(quantity.normalize(), 'f')} {name}{suffix}"


def _minutes(seconds: Decimal) -> str:
    # Stored with QUANTITY_SCALE decimals: rounded the same way here, so 95 s re-imports as
    # unchanged instead of differing from the stored 1.583333 in the last digit.
    return format((seconds / 60).quantize(Decimal(1).scaleb(-QUANTITY_SCALE)).normalize(), "f")


def _row(number: int, record: Any) -> dict[str, str | None]:
    if not isinstance(record, dict):
        raise _bad(number, "file", "a blueprint record is an object")
    output = record.get("Output")
    if not isinstance(output, dict):
        raise _bad(number, "Output", "a crafting blueprint names its Output")
    tiers = record.get("Tiers")
    if not isinstance(tiers, list) or not tiers or not isinstance(tiers[0], dict):
        raise _bad(number, "Tiers", "a crafting blueprint has at least one tier")
    requirements = tiers[0].get("Requirements")
    if not isinstance(requirements, list):
        raise _bad(number, "Tiers[0].Requirements", "a tier lists its requirements")
    seconds = _number(number, "CraftTimeSeconds", record.get("CraftTimeSeconds"))
    quantity = _number(number, "Output.Quantity", output.get("Quantity"))
    return {
        "name": _text(record.get("Name")) or _text(record.get("ClassName")),
        "kind": "craft",
        "output": _text(output.get("Name")) or _text(output.get("ClassName")),
        "output_quantity": format(quantity if quantity is not None else Decimal(1), "f"),
        "minutes": None if seconds is None else _minutes(seconds),
        "run_cost": None,
        "ingredients": "; ".join(_requirement(number, i, r) for i, r in enumerate(requirements)),
        "description": _text(record.get("Category")),
    }


def blueprint_rows(parsed: Any) -> list[Row]:
    """The records of a parsed scunpacked blueprint file as rows of the blueprint layout.

    A record that is not shaped like a crafting blueprint is a 422 naming its position and
    the key; values (unknown items, bad quantities) are left to the row checks.
    """
    if isinstance(parsed, dict):
        parsed = next((parsed[w] for w in WRAPPERS if isinstance(parsed.get(w), list)), parsed)
    if not isinstance(parsed, list):
        raise InvalidInput('A scunpacked blueprint file is an array of blueprint records '
                           '(or {"Blueprints": [...]})', field="file")
    return [(number, _row(number, record)) for number, record in enumerate(parsed, start=1)]
