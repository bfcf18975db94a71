"""Job dispatch as the API sees it: a small interface, implemented outside ``api``.

``api`` must not import ``workers`` (workers build on api). Routers and services therefore
talk to a :class:`JobDispatcher` found on ``app.state.jobs``; the composition root
(:func:`api.app.create_app`, :mod:`api.cli`) installs the Dramatiq implementation from
``workers.broker`` — a Redis broker in production, an in-process worker when embedded.

Request code gets :data:`Jobs`: an :class:`api.core.outbox.OutboxJobs` bound to the request's
session, whose enqueues are outbox rows committed (or rolled back) with the request and
relayed to ``app.state.jobs`` by ``app.state.outbox`` after the commit. A rolled-back request
sends nothing; a committed one is never lost when the broker is unreachable.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Protocol, runtime_checkable

from fastapi import Depends, Request

from api.core.db import DbSession
from api.core.errors import ProblemError
from api.core.outbox import OutboxJobs, OutboxRelay


@runtime_checkable
class JobDispatcher(Protocol):
    """Where background jobs go: one message per plan solve, what-if variant, import or email."""

    def enqueue_plan(self, plan_id: uuid.UUID) -> None:
        """Queue the solve of one plan."""

    def enqueue_variants(self, variant_ids: Sequence[uuid.UUID]) -> None:
        """Queue one solve message per what-if variant (workers take them in parallel)."""

    def enqueue_import(self, job_id: uuid.UUID) -> None:
        """Queue one background import (an ``import_jobs`` row)."""

    def enqueue_email(self, email_id: uuid.UUID) -> None:
        """Queue the sending of one stored email (an ``outbound_emails`` row)."""


class JobsUnavailable(ProblemError):  # noqa: N818 - short names read well at raise sites
    """No job dispatcher is installed (an app built without the worker wiring)."""

    status = 503
    slug = "jobs-unavailable"
    title = "Background jobs unavailable"


def get_jobs(request: Request, session: DbSession) -> JobDispatcher:
    """Enqueue into the request's transaction (the outbox); 503 when the app has no queue."""
    relay: OutboxRelay | None = getattr(request.app.state, "outbox", None)
    if relay is None or getattr(request.app.state, "jobs", None) is None:
        raise JobsUnavailable("This server has no job queue configured")
    return OutboxJobs(session, relay)


Jobs = Annotated[JobDispatcher, Depends(get_jobs)]
