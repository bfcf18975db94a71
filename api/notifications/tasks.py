"""Periodic notification work, run by every worker's reaper loop (``workers/broker.py``)."""

from __future__ import annotations

from datetime import UTC, datetime

from api.core.db import Database
from api.core.settings import Settings
from api.notifications import service


def remind_due_goals(database: Database, settings: Settings) -> int:
    """Tell creators of goals due within ``goal_due_soon_hours`` (each goal once); how many.

    Its own transaction: the claim, the notifications and their emails commit together. It
    begins as a reader (workers look every few seconds; most looks find nothing): on SQLite a
    write refused for having read first fails this pass, and the next one claims the goals.
    """
    with database.session_scope(writes=False) as session:
        return service.tell_goals_due_soon(session, datetime.now(UTC),
                                           settings.goal_due_soon_hours)
