"""Reference data (universe, item catalogue) and the demo organisation.

* :func:`ensure_reference_data` loads the shared universe tree and item catalogue from their
  data files, idempotently. It runs from ``seed_demo`` and, once per app, before the first
  request to a catalogue route (:func:`reference_data_ready`), because the app factory has no
  start-up hook for domain packages. Call it yourself in workers or tests that need it.
* :func:`seed_demo` (contract in docs/platform.md) loads ``scenarios/demo-org.yaml``.
"""

from __future__ import annotations

import logging
import threading

from fastapi import Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.core.db import Database
from api.items.catalogue import ensure_catalogue
from api.locations.universe import ensure_universe

logger = logging.getLogger(__name__)

_load_lock = threading.Lock()


def ensure_reference_data(session: Session) -> int:
    """Load the universe and the shared catalogue (flush only); return rows touched."""
    return ensure_universe(session) + ensure_catalogue(session)


def load_reference_data(database: Database) -> int:
    """:func:`ensure_reference_data` in its own transaction, tolerating a concurrent loader."""
    try:
        with database.session_scope() as session:
            return ensure_reference_data(session)
    except IntegrityError:
        # Another process inserted the same codes first; what is left is at most an update.
        with database.session_scope() as session:
            return ensure_reference_data(session)


def reference_data_ready(request: Request) -> None:
    """Router dependency: make sure reference data is loaded, once per app instance.

    Runs in its own transaction before the request's session reads anything, so the request
    sees the rows on both backends.
    """
    state = request.app.state
    if getattr(state, "reference_data_loaded", False):
        return
    with _load_lock:
        if getattr(state, "reference_data_loaded", False):
            return
        touched = load_reference_data(state.db)
        if touched:
            logger.info("reference data loaded", extra={"rows": touched})
        state.reference_data_loaded = True
