"""The transactional job outbox: jobs written in the transaction that creates their work.

A row is inserted in the same transaction as the plan or variant it solves, so a committed
request always leaves either a message on the broker or a row here; the relay
(:mod:`api.core.outbox`) sends rows and deletes them. Nothing else reads the table.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAt, UUIDPrimaryKey, check_in

JOB_KINDS = ("solve_plan", "solve_variant")


class OutboxJob(UUIDPrimaryKey, CreatedAt, Base):
    """One job not yet handed to the broker: ``kind`` of job for the record ``ref_id``."""

    __tablename__ = "job_outbox"
    __table_args__ = (
        check_in("kind", JOB_KINDS),
        Index("ix_job_outbox_created_at", "created_at"),
    )

    kind: Mapped[str] = mapped_column(String(32))
    ref_id: Mapped[uuid.UUID]
    # Failed hand-overs so far and the last error: what an operator looks at when Redis is down.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
