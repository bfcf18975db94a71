"""Helpers shared by the catalogue tests (locations, ships, items, seed)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from api.locations.universe import ensure_universe, universe_id


def universe_loc_id(session: Session, code: str) -> str:
    """The id (as a string) of the universe node ``code``, loading the universe if needed."""
    ensure_universe(session)
    loc_id = str(universe_id(session, code))
    # End the transaction: an open SQLite read snapshot could not write after the API has.
    session.commit()
    return loc_id
