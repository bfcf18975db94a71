"""HTTP routes of organisations and their members (``/orgs``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from api.core.db import DbSession
from api.core.deps import Auth, OrgAccess, org_member
from api.core.permissions import Action
from api.orgs import service
from api.orgs.schemas import MemberAdd, MemberOut, MemberPatch, OrgCreate, OrgOut, OrgPatch

_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "Not authenticated"},
    403: {"description": "Your role (or token scope) does not allow this"},
    404: {"description": "No such organisation, or you are not a member of it"},
}

router = APIRouter(prefix="/orgs", tags=["orgs"], responses=_RESPONSES)

CanRead = Annotated[OrgAccess, Depends(org_member(action=Action.ORG_READ))]
CanUpdate = Annotated[OrgAccess, Depends(org_member(action=Action.ORG_UPDATE))]
CanDelete = Annotated[OrgAccess, Depends(org_member(action=Action.ORG_DELETE))]
CanReadMembers = Annotated[OrgAccess, Depends(org_member(action=Action.MEMBERS_READ))]
CanManageMembers = Annotated[OrgAccess, Depends(org_member(action=Action.MEMBERS_MANAGE))]
# Leaving needs only membership; a token still needs org:read to act on the org at all.
IsMember = Annotated[OrgAccess, Depends(org_member(action=Action.ORG_READ))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create an organisation",
    responses={409: {"description": "Name taken"}},
)
def create_org(
    body: OrgCreate,
    session: DbSession,
    auth: Auth,
) -> OrgOut:
    """Create an organisation; the caller becomes its owner."""
    return service.create_org(session, auth.user, body)


@router.get("", summary="My organisations")
def list_orgs(
    session: DbSession, auth: Auth
) -> list[OrgOut]:
    """The organisations the caller belongs to, with the caller's role."""
    return service.list_my_orgs(session, auth.user)


@router.get("/{org_id}", summary="An organisation")
def get_org(org_id: uuid.UUID, access: CanRead, session: DbSession) -> OrgOut:
    """The organisation (members only)."""
    return service.get_org(session, access)


@router.patch("/{org_id}", summary="Rename or re-describe an organisation")
def update_org(org_id: uuid.UUID, body: OrgPatch, access: CanUpdate, session: DbSession) -> OrgOut:
    """Change name or description (admin or owner)."""
    return service.update_org(session, access, body)


@router.delete(
    "/{org_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an organisation"
)
def delete_org(org_id: uuid.UUID, access: CanDelete, session: DbSession) -> Response:
    """Delete the organisation and all of its data (owner only)."""
    service.delete_org(session, access)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{org_id}/members", summary="Members and roles")
def list_members(org_id: uuid.UUID, access: CanReadMembers, session: DbSession) -> list[MemberOut]:
    """Every member with their role."""
    return service.list_members(session, access)


@router.post(
    "/{org_id}/members",
    status_code=status.HTTP_201_CREATED,
    summary="Add a member",
    responses={409: {"description": "Already a member"}},
)
def add_member(
    org_id: uuid.UUID, body: MemberAdd, access: CanManageMembers, session: DbSession
) -> MemberOut:
    """Add an existing user by username with a role (only owners grant ``owner``)."""
    return service.add_member(session, access, body.username, body.role)


@router.patch(
    "/{org_id}/members/{user_id}",
    summary="Change a member's role or stock reliability",
    responses={409: {"description": "Would leave the org without an owner"}},
)
def change_role(
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    body: MemberPatch,
    access: CanManageMembers,
    session: DbSession,
) -> MemberOut:
    """Change a member's role (only owners change or grant ``owner``; the last owner stays)
    and/or the reliability of their shared stock in plans."""
    return service.update_member(session, access, user_id, body)


@router.delete(
    "/{org_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a member",
    responses={409: {"description": "Would leave the org without an owner"}},
)
def remove_member(
    org_id: uuid.UUID, user_id: uuid.UUID, access: CanManageMembers, session: DbSession
) -> Response:
    """Remove a member (admins and owners; only owners remove owners). Members leave with
    ``POST /orgs/{org_id}/leave``."""
    service.remove_member(session, access, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{org_id}/leave",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Leave an organisation",
    responses={409: {"description": "You are the last owner"}},
)
def leave(org_id: uuid.UUID, access: IsMember, session: DbSession) -> Response:
    """Leave the organisation; the last owner must hand over ownership first."""
    service.leave(session, access)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
