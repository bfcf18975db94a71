"""Background work: the transactional job outbox, and the import jobs it runs.

An outbox row is inserted in the same transaction as the plan, variant or import it runs, so
a committed request always leaves either a message on the broker or a row here; the relay
(:mod:`api.core.outbox`) sends rows and deletes them. Nothing else reads that table.

An :class:`OutboundEmail` is one email waiting to be sent: written in the transaction that
decided to send it (a password reset, a notification), relayed through the outbox like a job,
and deleted once the SMTP relay has taken it.

An :class:`ImportJob` holds an uploaded file too large to apply inside its request, its
progress and its outcome (docs/import-export.md, "Large files").
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAt, JSONType, Timestamps, UTCDateTime, UUIDPrimaryKey, check_in

JOB_KINDS = ("solve_plan", "solve_variant", "run_import", "send_email")
IMPORT_STATUSES = ("queued", "running", "done", "failed")


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


class OutboundEmail(UUIDPrimaryKey, CreatedAt, Base):
    """One plain-text email not yet accepted by the SMTP relay (deleted once it is)."""

    __tablename__ = "outbound_emails"

    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)


class ImportJob(UUIDPrimaryKey, Timestamps, Base):
    """One import run by a worker: the file, where it has got to, and its report.

    ``data`` is the upload as received (at most the import's 20 MiB cap); it is dropped once
    the job has finished, the report being what is kept. ``report`` is the
    :class:`api.transfer_io.schemas.ImportReport` as JSON (a failed dry run lists every bad
    row); ``error`` says why a job failed when no report could be made.
    """

    __tablename__ = "import_jobs"
    __table_args__ = (
        check_in("status", IMPORT_STATUSES),
        Index("ix_import_jobs_organization_id_created_at", "organization_id", "created_at"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    kind: Mapped[str] = mapped_column(String(32))
    format: Mapped[str] = mapped_column(String(8))
    apply: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16), default="queued", server_default="queued")
    phase: Mapped[str | None] = mapped_column(String(16), nullable=True)
    rows_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rows_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    data: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
