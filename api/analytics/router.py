"""HTTP routes for analytics: a user's consent, an org's dashboard and blueprint statistics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.analytics import service
from api.analytics.schemas import BlueprintStat, ConsentIn, ConsentOut, DashboardOut
from api.core.db import DbSession, writes_when_read
from api.core.deps import AppSettings, CurrentUser, OrgAccess, org_member
from api.core.permissions import Action

router = APIRouter(tags=["analytics"])

Admin = Annotated[OrgAccess, Depends(org_member(action=Action.ANALYTICS_READ))]


@router.get("/users/me/analytics/consent", response_model=ConsentOut,
            summary="Your analytics consent and its history")
def get_consent(user: CurrentUser, session: DbSession) -> ConsentOut:
    """Off until you grant it; every grant and revocation is listed with its time."""
    return service.get_consent(session, user.id)


@router.put("/users/me/analytics/consent", response_model=ConsentOut,
            summary="Grant or revoke analytics consent")
def put_consent(body: ConsentIn, user: CurrentUser, session: DbSession) -> ConsentOut:
    """Revoking deletes every usage event recorded about you, in the same transaction."""
    return service.set_consent(session, user.id, body.granted)


@router.get("/orgs/{org_id}/analytics/dashboard", response_model=DashboardOut,
            summary="Org analytics dashboard (admins)")
@writes_when_read
def get_dashboard(
    access: Admin,
    session: DbSession,
    settings: AppSettings,
    weeks: Annotated[int, Query(ge=1, le=104, description="ISO weeks to cover")] = 12,
) -> DashboardOut:
    """Crafts completed, goals completed, plans solved and their cost per week; goal
    completion; most used blueprints; consented members' usage."""
    return service.dashboard(session, settings, access.org_id, weeks)


@router.get("/orgs/{org_id}/analytics/blueprints", response_model=list[BlueprintStat],
            summary="Blueprint usage statistics (admins)")
def get_blueprint_stats(access: Admin, session: DbSession) -> list[BlueprintStat]:
    """Per blueprint: crafts, runs, success rate and mean craft time, most runs first."""
    return service.blueprint_stats(session, access.org_id)
