"""Query shapes several repositories share, written once.

* :func:`stamp_unset`: one conditional ``UPDATE`` that sets a time column only where it is
  still NULL (revoke tokens, mark notifications read). Being one statement, two concurrent
  requests cannot both stamp a row, and the row count says how many this call changed.
* :class:`OrgRecords`: the two reads every org-scoped table answers through its readable
  statement (the one tenant-scoping place of its repository): one record by id, where another
  org's id reads as missing, and a page, oldest first.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from api.core.pagination import PageParams, fetch_page

M = TypeVar("M")


def stamp_unset(
    session: Session,
    column: InstrumentedAttribute[datetime | None],
    at: datetime,
    *where: ColumnElement[bool],
) -> int:
    """``UPDATE … SET column = at WHERE column IS NULL AND where…``; how many rows changed."""
    result = session.execute(
        update(column.class_)
        .where(column.is_(None), *where)
        .values({column.key: at})
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


@dataclass(frozen=True)
class OrgRecords(Generic[M]):
    """One org-scoped table seen through its repository's readable statement."""

    readable: Callable[[uuid.UUID], Select[M]]
    id_column: InstrumentedAttribute[uuid.UUID]
    created_column: InstrumentedAttribute[Any]

    def get(self, session: Session, org_id: uuid.UUID, record_id: uuid.UUID) -> M | None:
        """The org's record ``record_id``, or None (also for another org's id)."""
        return session.scalar(self.readable(org_id).where(self.id_column == record_id))

    def page(self, session: Session, org_id: uuid.UUID, page: PageParams) -> tuple[list[M], int]:
        """A page of the org's records, oldest first (ties by id), and the total."""
        stmt = self.readable(org_id).order_by(self.created_column, self.id_column)
        return fetch_page(session, stmt, page, scalars=True)
