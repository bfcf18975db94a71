"""HTTP routes for plans: request (202), read, download the snapshotted problem."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse

from api.core.access import InventoryReader
from api.core.db import DbSession
from api.core.deps import AppSettings, OrgAccess, org_member
from api.core.jobs import Jobs
from api.core.pagination import Page, Paging
from api.core.permissions import Action
from api.core.ratelimit import limit
from api.core.readcache import cached_answer
from api.plans import service
from api.plans.schemas import ApplyOut, PlanOut, PlanRequestIn, WhatIfIn, WhatIfOut

router = APIRouter(tags=["plans"])

Requester = Annotated[OrgAccess, Depends(org_member(action=Action.PLANS_REQUEST))]
Applier = Annotated[OrgAccess, Depends(org_member(action=Action.PLANS_APPLY))]
# After Requester in a signature: the per-account rule keys on the caller it authenticated.
PlanRateLimit = Annotated[None, Depends(limit("plans_per_account", "plans_per_client"))]
_LIMITED: dict[int | str, dict[str, str]] = {429: {
    "description": "Rate limit or the org's cap of queued/solving jobs reached "
                   "(problem document, Retry-After)"}}


@router.post("/orgs/{org_id}/plans", response_model=PlanOut,
             status_code=status.HTTP_202_ACCEPTED, summary="Request a plan (solved by a worker)",
             responses=_LIMITED)
def request_plan(access: Requester, _limited: PlanRateLimit, session: DbSession,
                 body: PlanRequestIn, response: Response, jobs: Jobs,
                 settings: AppSettings) -> PlanOut:
    """Snapshot the org's data as a problem, store it and queue the solve; poll ``Location``."""
    plan = service.request_plan(session, access.org_id, access.user.id, body, jobs.enqueue_plan,
                                max_active=settings.plan_max_active_per_org)
    response.headers["Location"] = service.plan_url(plan)
    return service.to_out(plan)


@router.get("/orgs/{org_id}/plans", response_model=Page[PlanOut], summary="The org's plans")
def list_plans(access: InventoryReader, session: DbSession, page: Paging) -> Page[PlanOut]:
    """Plans newest first (without the plan bodies; read one for those)."""
    rows, total = service.list_plans(session, access.org_id, page=page)
    return page.page_of(rows, total, lambda p: service.to_out(p, full=False))


@router.get("/orgs/{org_id}/plans/{plan_id}", response_model=PlanOut, summary="One plan")
def get_plan(request: Request, access: InventoryReader, session: DbSession, plan_id: uuid.UUID
             ) -> Response:
    """Status queued → solving → done | failed; the engine's plan and explanation when done."""
    return cached_answer(request, access.org_id, lambda: service.to_out(
        service.get_plan(session, access.org_id, plan_id), session=session))


@router.get("/orgs/{org_id}/plans/{plan_id}/problem", summary="Download the stored problem",
            response_description="quartermaster.problem/1 document")
def get_problem(access: InventoryReader, session: DbSession, plan_id: uuid.UUID) -> JSONResponse:
    """The exact problem the worker solved; ``quartermaster plan <file>`` reproduces it."""
    plan = service.get_plan(session, access.org_id, plan_id)
    return JSONResponse(plan.problem or {}, headers={
        "Content-Disposition": f'attachment; filename="problem-{plan.id}.json"'})


@router.post("/orgs/{org_id}/plans/{plan_id}/apply", response_model=ApplyOut,
             summary="Apply a done plan: crafts, reservations, shopping and trip lists")
def apply_plan(access: Applier, session: DbSession, plan_id: uuid.UUID) -> ApplyOut:
    """One transaction; 409 when already applied, not done, or stock changed since the
    snapshot (``changes`` lists row, item, location, snapshot vs now)."""
    return service.apply_plan(session, access.org_id, access.user.id, plan_id)


@router.post("/orgs/{org_id}/plans/{plan_id}/whatif", response_model=WhatIfOut,
             status_code=status.HTTP_202_ACCEPTED, summary="Queue what-if variants of a plan",
             responses=_LIMITED)
def request_whatif(access: Requester, _limited: PlanRateLimit, session: DbSession,
                   plan_id: uuid.UUID, body: WhatIfIn, jobs: Jobs, response: Response,
                   settings: AppSettings) -> WhatIfOut:
    """Each variant (engine change list) is stored and solved by a worker, warm-started from
    the base plan; poll ``Location`` for the side-by-side comparison."""
    service.request_variants(session, access.org_id, plan_id, body, jobs.enqueue_variants,
                             max_active=settings.whatif_max_active_per_org)
    response.headers["Location"] = f"/api/v1/orgs/{access.org_id}/plans/{plan_id}/whatif"
    return service.whatif_report(session, access.org_id, plan_id)


@router.get("/orgs/{org_id}/plans/{plan_id}/whatif", response_model=WhatIfOut,
            summary="What-if variants side by side")
def get_whatif(access: InventoryReader, session: DbSession, plan_id: uuid.UUID) -> WhatIfOut:
    """Per variant: status, objective and cost deltas against the base, lines that changed."""
    return service.whatif_report(session, access.org_id, plan_id)
