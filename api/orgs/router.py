"""HTTP routes of organisations and their members (``/orgs``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status

from api.core.db import DbSession
from api.core.deps import AppSettings, Auth, OrgAccess, org_member
from api.core.permissions import Action
from api.core.routing import RouteDecorator, no_content
from api.orgs import schemas, service

_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "Not authenticated"},
    403: {"description": "Your role (or token scope) does not allow this"},
    404: {"description": "No such organisation, or you are not a member of it"},
}

orgs_router = APIRouter(prefix="/orgs", tags=["orgs"], responses=_RESPONSES)

CanRead = Annotated[OrgAccess, Depends(org_member(action=Action.ORG_READ))]
CanUpdate = Annotated[OrgAccess, Depends(org_member(action=Action.ORG_UPDATE))]
CanDelete = Annotated[OrgAccess, Depends(org_member(action=Action.ORG_DELETE))]
CanReadMembers = Annotated[OrgAccess, Depends(org_member(action=Action.MEMBERS_READ))]
CanManageMembers = Annotated[OrgAccess, Depends(org_member(action=Action.MEMBERS_MANAGE))]
# Leaving needs only membership; a token still needs org:read to act on the org at all.
IsMember = Annotated[OrgAccess, Depends(org_member(action=Action.ORG_READ))]


def _creates(path: str, summary: str, clash: str) -> RouteDecorator:
    """Register a ``POST`` that creates a record (201), refused with 409 on ``clash``."""
    return orgs_router.post(path, status_code=status.HTTP_201_CREATED, summary=summary,
                            responses={409: {"description": clash}})


@_creates("", "Create an organisation", "Name taken")
def create_org(body: schemas.OrgCreate, session: DbSession, auth: Auth) -> schemas.OrgOut:
    """Create an organisation; the caller becomes its owner."""
    return service.create_org(session, auth.user, body)


@orgs_router.get("", summary="My organisations")
def list_orgs(
    session: DbSession, auth: Auth
) -> list[schemas.OrgOut]:
    """The organisations the caller belongs to, with the caller's role."""
    return service.list_my_orgs(session, auth.user)


@orgs_router.get("/{org_id}", summary="An organisation")
def get_org(org_id: uuid.UUID, access: CanRead, session: DbSession) -> schemas.OrgOut:
    """The organisation (members only)."""
    return service.get_org(session, access)


@orgs_router.patch("/{org_id}", summary="Rename or re-describe an organisation")
def update_org(
    org_id: uuid.UUID, body: schemas.OrgPatch, access: CanUpdate, session: DbSession
) -> schemas.OrgOut:
    """Change name or description (admin or owner)."""
    return service.update_org(session, access, body)


@no_content(orgs_router.delete, "/{org_id}", summary="Delete an organisation")
def delete_org(org_id: uuid.UUID, access: CanDelete, session: DbSession) -> None:
    """Delete the organisation and all of its data (owner only)."""
    service.delete_org(session, access)


@orgs_router.get("/{org_id}/members", summary="Members and roles")
def list_members(
    org_id: uuid.UUID, access: CanReadMembers, session: DbSession
) -> list[schemas.MemberOut]:
    """Every member with their role."""
    return service.list_members(session, access)


@_creates("/{org_id}/invitations", "Invite someone (by username or email)",
          "Already a member, or a pending invitation exists")
def invite(
    org_id: uuid.UUID,
    body: schemas.InvitationCreate,
    access: CanManageMembers,
    session: DbSession,
    settings: AppSettings,
) -> schemas.InvitationOut:
    """Invite a username or email address to join with a role (``admin``, ``member`` or
    ``viewer``; owners are made from members). They join only by accepting it
    (``POST /users/me/invitations/{id}/accept``). The answer never says whether an account
    with that username or email exists."""
    return service.invite(session, access, body, valid_days=settings.invitation_days)


@orgs_router.get("/{org_id}/invitations", summary="The organisation's invitations")
def list_invitations(
    org_id: uuid.UUID,
    access: CanManageMembers,
    session: DbSession,
    include_closed: bool = False,
) -> list[schemas.InvitationOut]:
    """Pending invitations, newest first; ``include_closed`` adds accepted, declined, revoked
    and expired ones."""
    return service.list_invitations(session, access, include_closed=include_closed)


@no_content(orgs_router.delete, "/{org_id}/invitations/{invitation_id}",
            summary="Revoke a pending invitation",
            responses={409: {"description": "No longer pending"}})
def revoke_invitation(
    org_id: uuid.UUID, invitation_id: uuid.UUID, access: CanManageMembers, session: DbSession
) -> None:
    """Withdraw an invitation that was not accepted or declined yet."""
    service.revoke_invitation(session, access, invitation_id)


@orgs_router.patch(
    "/{org_id}/members/{user_id}",
    summary="Change a member's role or stock reliability",
    responses={409: {"description": "Would leave the org without an owner"}},
)
def change_role(
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    body: schemas.MemberPatch,
    access: CanManageMembers,
    session: DbSession,
) -> schemas.MemberOut:
    """Change a member's role (only owners change or grant ``owner``; the last owner stays)
    and/or the reliability of their shared stock in plans."""
    return service.update_member(session, access, user_id, body)


@no_content(orgs_router.delete, "/{org_id}/members/{user_id}", summary="Remove a member",
            responses={409: {"description": "Would leave the org without an owner"}})
def remove_member(
    org_id: uuid.UUID, user_id: uuid.UUID, access: CanManageMembers, session: DbSession
) -> None:
    """Remove a member (admins and owners; only owners remove owners). Members leave with
    ``POST /orgs/{org_id}/leave``."""
    service.remove_member(session, access, user_id)


@no_content(orgs_router.post, "/{org_id}/leave", summary="Leave an organisation",
            responses={409: {"description": "You are the last owner"}})
def leave(org_id: uuid.UUID, access: IsMember, session: DbSession) -> None:
    """Leave the organisation; the last owner must hand over ownership first."""
    service.leave(session, access)


invitations_router = APIRouter(
    prefix="/users/me/invitations", tags=["orgs"], responses={401: _RESPONSES[401]}
)


@invitations_router.get("", summary="My pending invitations")
def my_invitations(
    session: DbSession, auth: Auth
) -> list[schemas.MyInvitationOut]:
    """Pending invitations addressed to your username or email, with the org and inviter."""
    return service.my_invitations(session, auth.user)


def _answer(verb: str, summary: str, conflict: str, **route: Any) -> RouteDecorator:
    """Register ``POST /users/me/invitations/{invitation_id}/<verb>``: only the invitee
    answers (anyone else's invitation is a 404), and only while it is pending (409)."""
    return invitations_router.post(
        f"/{{invitation_id}}/{verb}", summary=summary, **route,
        responses={404: {"description": "No such invitation addressed to you"},
                   409: {"description": conflict}},
    )


@_answer("accept", "Accept an invitation (join the organisation)",
         "No longer pending, or already a member")
def accept_invitation(invitation_id: uuid.UUID, session: DbSession, auth: Auth) -> schemas.OrgOut:
    """Join the organisation with the invitation's role; returns the org as you now see it."""
    return service.accept_invitation(session, auth.user, invitation_id)


@_answer("decline", "Decline an invitation", "No longer pending",
         status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def decline_invitation(invitation_id: uuid.UUID, session: DbSession, auth: Auth) -> None:
    """Say no; the org's admins see the invitation as declined."""
    service.decline_invitation(session, auth.user, invitation_id)


router = APIRouter()
router.include_router(orgs_router)
router.include_router(invitations_router)
