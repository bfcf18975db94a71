"""Reference data every org reads: the shared universe tree and the item catalogue.

Loaded from their data files (``api/locations/universe.yaml``, ``api/items/catalogue.yaml``)
idempotently, once per app start-up by the app's lifespan (:func:`load_reference_data`), so
no request waits for it and no router depends on it. Workers, loaders and tests that need the
rows without an app call :func:`ensure_reference_data` in their own transaction.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.commons.service import publish_reference_data
from api.core.db import Database
from api.items.catalogue import ensure_catalogue
from api.locations.universe import ensure_universe


def ensure_reference_data(session: Session) -> int:
    """Load the universe and the shared catalogue and publish what is new of them in the
    commons as version 1 (flush only); return rows touched."""
    touched = ensure_universe(session) + ensure_catalogue(session)
    return touched + publish_reference_data(session)


def load_reference_data(database: Database) -> int:
    """:func:`ensure_reference_data` in its own transaction, tolerating a concurrent loader
    (two processes starting at once)."""
    try:
        with database.session_scope() as session:
            return ensure_reference_data(session)
    except IntegrityError:
        # Another process inserted the same codes first; what is left is at most an update.
        with database.session_scope() as session:
            return ensure_reference_data(session)
