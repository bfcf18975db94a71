"""Helpers shared by the catalogue tests (locations, ships, items, seed)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

import api.app as api_app
from api.core.db import Database
from api.core.settings import Settings
from api.locations.universe import ensure_universe, universe_id

# The catalogue routers; tests mount only these so a sibling package's router that is being
# rewritten at the same moment cannot break them (their integration runs in the full suite).
CATALOGUE_ROUTERS = ["api.locations.router", "api.ships.router", "api.items.router"]


def catalogue_app(
    settings: Settings,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    extra: tuple[str, ...] = (),
) -> Any:
    """An app with the catalogue routers (plus ``extra``) mounted."""
    import importlib

    routers = []
    for module in [*CATALOGUE_ROUTERS, *extra]:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError:
            continue  # not written yet
        routers.append(module)
    monkeypatch.setattr(api_app, "ROUTER_MODULES", routers)
    return api_app.create_app(settings, database)


def universe_loc_id(session: Session, code: str) -> str:
    """The id (as a string) of the universe node ``code``, loading the universe if needed."""
    ensure_universe(session)
    loc_id = str(universe_id(session, code))
    # End the transaction: an open SQLite read snapshot could not write after the API has.
    session.commit()
    return loc_id
