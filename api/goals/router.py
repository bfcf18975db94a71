"""HTTP routes for goals: ``/orgs/{org_id}/goals``."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from api.core.access import InventoryReader
from api.core.db import DbSession, writes_when_read
from api.core.deps import OrgAccess, org_member
from api.core.pagination import Page, Paging
from api.core.permissions import Action
from api.goals import service
from api.goals.schemas import GoalIn, GoalOut
from models.planning import Goal

router = APIRouter(tags=["goals"])

Writer = Annotated[OrgAccess, Depends(org_member(action=Action.GOALS_WRITE))]


def _one(session: DbSession, goal: Goal) -> GoalOut:
    return service.to_out(goal, service.refresh(session, [goal])[goal.id])


@router.get("/orgs/{org_id}/goals", response_model=Page[GoalOut], summary="The org's goals")
@writes_when_read
def list_goals(
    access: InventoryReader,
    session: DbSession,
    page: Paging,
    status_: Annotated[Literal["active", "completed", "cancelled"] | None,
                       Query(alias="status")] = None,
) -> Page[GoalOut]:
    """Goals with computed progress; met active goals are completed on the way."""
    goals, total = service.list_goals(session, access.org_id, status=status_, page=page)
    progress = service.refresh(session, goals)
    return page.page_of(goals, total, lambda g: service.to_out(g, progress[g.id]))


@router.post("/orgs/{org_id}/goals", response_model=GoalOut, status_code=status.HTTP_201_CREATED,
             summary="Create a goal")
def create_goal(access: Writer, session: DbSession, body: GoalIn, response: Response) -> GoalOut:
    """Create a goal with its targets; progress is computed, never typed in."""
    goal = service.create_goal(session, access.org_id, access.user.id, body)
    response.headers["Location"] = f"/api/v1/orgs/{access.org_id}/goals/{goal.id}"
    return _one(session, goal)


@router.get("/orgs/{org_id}/goals/{goal_id}", response_model=GoalOut, summary="One goal")
@writes_when_read
def get_goal(access: InventoryReader, session: DbSession, goal_id: uuid.UUID) -> GoalOut:
    """A goal and its progress."""
    return _one(session, service.get_goal(session, access.org_id, goal_id))


@router.put("/orgs/{org_id}/goals/{goal_id}", response_model=GoalOut, summary="Replace a goal")
def update_goal(access: Writer, session: DbSession, goal_id: uuid.UUID, body: GoalIn) -> GoalOut:
    """Replace name, due date and targets."""
    return _one(session, service.update_goal(session, access.org_id, goal_id, body))


@router.post("/orgs/{org_id}/goals/{goal_id}/cancel", response_model=GoalOut,
             summary="Cancel a goal")
def cancel_goal(access: Writer, session: DbSession, goal_id: uuid.UUID) -> GoalOut:
    """Cancel the goal."""
    return _one(session, service.cancel_goal(session, access.org_id, goal_id))
