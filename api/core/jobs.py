"""Job dispatch as the API sees it: a small interface, implemented outside ``api``.

``api`` must not import ``workers`` (workers build on api). Routers and services therefore
talk to a :class:`JobDispatcher` found on ``app.state.jobs``; the composition root
(:func:`api.app.create_app`, :mod:`api.cli`) installs the Dramatiq implementation from
``workers.broker`` — a Redis broker in production, an in-process worker when embedded.
Enqueue only from :func:`api.core.db.after_commit` hooks, so a rolled-back request sends
nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Protocol, runtime_checkable

from fastapi import Depends, Request

from api.core.errors import ProblemError


@runtime_checkable
class JobDispatcher(Protocol):
    """Where background jobs go: one message per plan solve or what-if variant."""

    def enqueue_plan(self, plan_id: uuid.UUID) -> None:
        """Queue the solve of one plan."""

    def enqueue_variants(self, variant_ids: Sequence[uuid.UUID]) -> None:
        """Queue one solve message per what-if variant (workers take them in parallel)."""


class JobsUnavailable(ProblemError):  # noqa: N818 - short names read well at raise sites
    """No job dispatcher is installed (an app built without the worker wiring)."""

    status = 503
    slug = "jobs-unavailable"
    title = "Background jobs unavailable"


def get_jobs(request: Request) -> JobDispatcher:
    """The app's dispatcher (``app.state.jobs``); 503 when the app was built without one."""
    jobs = getattr(request.app.state, "jobs", None)
    if jobs is None:
        raise JobsUnavailable("This server has no job queue configured")
    dispatcher: JobDispatcher = jobs
    return dispatcher


Jobs = Annotated[JobDispatcher, Depends(get_jobs)]
