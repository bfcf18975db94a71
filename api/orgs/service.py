"""Organisation and membership rules (roles from api.core.permissions; last-owner rule here)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from api.core.deps import OrgAccess
from api.core.errors import Conflict, FieldError, Forbidden, NotFound
from api.core.outputs import columns_of
from api.core.permissions import Role, can_assign_role
from api.live.hub import announce, announce_access_changed
from api.orgs import repository as repo
from api.orgs.schemas import (
    InvitationCreate,
    InvitationOut,
    MemberOut,
    MemberPatch,
    MyInvitationOut,
    OrgCreate,
    OrgOut,
    OrgPatch,
)
from api.stock import service as stock_service
from models.accounts import User
from models.orgs import Organization, OrganizationInvitation, OrganizationMember


def _name_conflict(name: str) -> Conflict:
    detail = f"An organisation named '{name}' exists"
    return Conflict(detail, errors=[FieldError(detail, field="name")], field="name")


def to_out(org: Organization, role: str, count: int) -> OrgOut:
    """The response model of an org with the caller's ``role`` and its member ``count``."""
    return OrgOut.model_validate({
        **columns_of(org), "role": Role(role).value, "member_count": count,
        "member_stock_reliability": float(org.member_stock_reliability),
    })


def create_org(session: Session, user: User, data: OrgCreate) -> OrgOut:
    """Create an organisation with the caller as its owner; 409 when the name is taken."""
    if repo.org_name_taken(session, data.name):
        raise _name_conflict(data.name)
    org = Organization(name=data.name, description=data.description, created_by=user.id)
    session.add(org)
    session.flush()
    session.add(OrganizationMember(organization_id=org.id, user_id=user.id, role=Role.OWNER.value))
    session.flush()
    return to_out(org, Role.OWNER, 1)


def list_my_orgs(session: Session, user: User) -> list[OrgOut]:
    """The caller's organisations with their role in each."""
    rows = repo.orgs_of_user(session, user.id)
    counts = repo.member_counts(session, [org.id for org, _ in rows])
    return [to_out(org, role, counts.get(org.id, 0)) for org, role in rows]


def _org(session: Session, access: OrgAccess) -> Organization:
    org = repo.org_by_id(session, access.org_id)
    if org is None:  # deleted concurrently
        raise NotFound("organization", access.org_id)
    return org


def get_org(session: Session, access: OrgAccess) -> OrgOut:
    """The organisation in the path, as its member sees it."""
    org = _org(session, access)
    return to_out(org, access.role, repo.member_counts(session, [org.id]).get(org.id, 0))


def update_org(session: Session, access: OrgAccess, data: OrgPatch) -> OrgOut:
    """Rename or re-describe the organisation."""
    org = _org(session, access)
    fields = data.model_fields_set
    if "name" in fields and data.name is not None and data.name != org.name:
        if repo.org_name_taken(session, data.name, exclude=org.id):
            raise _name_conflict(data.name)
        org.name = data.name
    if "description" in fields:
        org.description = data.description
    if data.member_stock_reliability is not None:
        org.member_stock_reliability = Decimal(str(data.member_stock_reliability))
    session.flush()
    return get_org(session, access)


def delete_org(session: Session, access: OrgAccess) -> None:
    """Delete the organisation and all its data; its members' live sockets close."""
    org = _org(session, access)
    announce_access_changed(session, [m.user_id for m, _ in repo.list_members(session, org.id)])
    repo.delete_org_data(session, org.id)


def list_members(session: Session, access: OrgAccess) -> list[MemberOut]:
    """Members of the organisation and their roles."""
    return [
        MemberOut(
            user_id=u.id,
            username=u.username,
            display_name=u.display_name,
            role=m.role,
            joined_at=m.joined_at,
            stock_reliability=_reliability(m),
        )
        for m, u in repo.list_members(session, access.org_id)
    ]


def _member_out(member: OrganizationMember, user: User) -> MemberOut:
    return MemberOut(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=member.role,
        joined_at=member.joined_at,
        stock_reliability=_reliability(member),
    )


def _reliability(member: OrganizationMember) -> float | None:
    return None if member.stock_reliability is None else float(member.stock_reliability)


def _forbid_role_change(access: OrgAccess, current: str | None, new: str | None) -> None:
    if not can_assign_role(access.role, current, new):
        raise Forbidden(
            "Only owners grant, change or remove the owner role",
            required_role=Role.OWNER.value,
            role=access.role.value,
        )


def _ensure_not_last_owner(session: Session, org_id: uuid.UUID, user_id: uuid.UUID) -> None:
    owners = repo.lock_owners(session, org_id)
    if owners == [user_id]:
        detail = "The last owner cannot leave, be removed or be demoted; make another owner first"
        raise Conflict(
            detail,
            errors=[FieldError(detail, record=f"organization_member/{user_id}")],
            organization_id=str(org_id),
        )


def _now() -> datetime:
    return datetime.now(UTC)


def _status(inv: OrganizationInvitation, now: datetime) -> str:
    if inv.accepted_at is not None:
        return "accepted"
    if inv.declined_at is not None:
        return "declined"
    if inv.revoked_at is not None:
        return "revoked"
    return "expired" if inv.expires_at <= now else "pending"


def _invitation_out(inv: OrganizationInvitation, now: datetime) -> InvitationOut:
    return InvitationOut(
        id=inv.id,
        organization_id=inv.organization_id,
        username=inv.invitee_username,
        email=inv.invitee_email,
        role=inv.role,
        status=_status(inv, now),
        invited_by=inv.invited_by,
        created_at=inv.created_at,
        expires_at=inv.expires_at,
    )


def invite(
    session: Session, access: OrgAccess, data: InvitationCreate, *, valid_days: int
) -> InvitationOut:
    """Invite a username or an email address to join with ``data.role`` (never owner).

    The answer is the same whether or not an account has that username or email: nothing is
    looked up except the org's own members (whom its admins can list anyway) and its
    pending invitations. 409 when the username is already a member or the address already
    has a pending invitation.
    """
    _forbid_role_change(access, None, data.role)
    username = data.username.lower() if data.username is not None else None
    email = data.email.lower() if data.email is not None else None
    field = "username" if username is not None else "email"
    if username is not None and repo.member_with_username(session, access.org_id, username):
        detail = f"'{data.username}' is already a member"
        raise Conflict(detail, errors=[FieldError(detail, field=field)], field=field)
    now = _now()
    if repo.pending_invitation_exists(session, access.org_id, now, username=username,
                                      email=email):
        detail = "A pending invitation for this address exists; revoke it first"
        raise Conflict(detail, errors=[FieldError(detail, field=field)], field=field)
    inv = OrganizationInvitation(
        organization_id=access.org_id,
        invitee_username=username,
        invitee_email=email,
        role=data.role,
        invited_by=access.user.id,
        created_at=now,
        expires_at=now + timedelta(days=valid_days),
    )
    session.add(inv)
    session.flush()
    return _invitation_out(inv, now)


def list_invitations(
    session: Session, access: OrgAccess, *, include_closed: bool
) -> list[InvitationOut]:
    """The org's invitations (pending only unless ``include_closed``)."""
    now = _now()
    rows = repo.list_invitations(session, access.org_id, now, include_closed=include_closed)
    return [_invitation_out(inv, now) for inv in rows]


def _not_pending(inv: OrganizationInvitation, now: datetime) -> Conflict:
    state = _status(inv, now)
    detail = f"The invitation is {state}, no longer pending"
    return Conflict(detail, errors=[FieldError(detail, record=f"organization_invitation/{inv.id}")],
                    status_of_invitation=state)


def revoke_invitation(session: Session, access: OrgAccess, invitation_id: uuid.UUID) -> None:
    """Withdraw a pending invitation (404 for other orgs' ids, 409 when no longer pending)."""
    inv = repo.get_invitation(session, access.org_id, invitation_id)
    if inv is None:
        raise NotFound("organization_invitation", invitation_id)
    now = _now()
    if not repo.close_invitation(session, inv.id, now, revoked_at=now):
        raise _not_pending(inv, now)
    session.flush()


def my_invitations(session: Session, user: User) -> list[MyInvitationOut]:
    """Pending invitations addressed to the caller's username or email."""
    rows = repo.my_pending_invitations(session, user.username, user.email, _now())
    return [
        MyInvitationOut(
            id=inv.id,
            organization_id=inv.organization_id,
            organization_name=name,
            role=inv.role,
            invited_by=by,
            created_at=inv.created_at,
            expires_at=inv.expires_at,
        )
        for inv, name, by in rows
    ]


def _mine(session: Session, user: User, invitation_id: uuid.UUID) -> OrganizationInvitation:
    inv = repo.my_invitation(session, invitation_id, user.username, user.email)
    if inv is None:  # someone else's, or no such id: the same answer
        raise NotFound("organization_invitation", invitation_id)
    return inv


def accept_invitation(session: Session, user: User, invitation_id: uuid.UUID) -> OrgOut:
    """Join the org with the invitation's role; 409 when it is no longer pending or the
    caller is already a member."""
    inv = _mine(session, user, invitation_id)
    now = _now()
    if repo.get_member(session, inv.organization_id, user.id) is not None:
        detail = "You are already a member of this organisation"
        record = f"organization/{inv.organization_id}"
        raise Conflict(detail, errors=[FieldError(detail, record=record)],
                       organization_id=str(inv.organization_id))
    if not repo.close_invitation(session, inv.id, now, accepted_at=now, accepted_by=user.id):
        raise _not_pending(inv, now)
    session.add(OrganizationMember(organization_id=inv.organization_id, user_id=user.id,
                                   role=inv.role))
    session.flush()
    org = repo.org_by_id(session, inv.organization_id)
    assert org is not None  # the invitation cascades away with its org
    return to_out(org, inv.role, repo.member_counts(session, [org.id]).get(org.id, 0))


def decline_invitation(session: Session, user: User, invitation_id: uuid.UUID) -> None:
    """Say no to an invitation (409 when it is no longer pending)."""
    inv = _mine(session, user, invitation_id)
    now = _now()
    if not repo.close_invitation(session, inv.id, now, declined_at=now):
        raise _not_pending(inv, now)
    session.flush()


def _target(session: Session, access: OrgAccess, user_id: uuid.UUID) -> OrganizationMember:
    # Fixed lock order: the org's owner rows first, then the target's row. Locking the target
    # first would let two owners demoting each other deadlock on PostgreSQL.
    repo.lock_owners(session, access.org_id)
    member = repo.get_member(session, access.org_id, user_id, lock=True)
    if member is None:
        raise NotFound("organization_member", user_id)
    return member


def update_member(session: Session, access: OrgAccess, user_id: uuid.UUID,
                  data: MemberPatch) -> MemberOut:
    """Change a member's role and/or stock reliability (``stock_reliability: null`` returns
    the member to the org's figure)."""
    if data.role is not None:
        change_role(session, access, user_id, data.role)
    member = _target(session, access, user_id)
    if "stock_reliability" in data.model_fields_set:
        value = data.stock_reliability
        member.stock_reliability = None if value is None else Decimal(str(value))
        session.flush()
    return _member_out(member, _user(session, user_id))


def change_role(session: Session, access: OrgAccess, user_id: uuid.UUID, role: str) -> MemberOut:
    """Change a member's role (owner rules from ``can_assign_role``; last owner stays)."""
    member = _target(session, access, user_id)
    if member.role == role:
        return _member_out(member, _user(session, user_id))
    _forbid_role_change(access, member.role, role)
    if member.role == Role.OWNER.value:
        _ensure_not_last_owner(session, access.org_id, user_id)
    member.role = role
    announce_access_changed(session, [user_id])
    session.flush()
    return _member_out(member, _user(session, user_id))


def remove_member(session: Session, access: OrgAccess, user_id: uuid.UUID) -> None:
    """Remove a member (removing yourself is leaving: allowed for every role)."""
    if user_id == access.user.id:
        leave(session, access)
        return
    member = _target(session, access, user_id)
    _forbid_role_change(access, member.role, None)
    if member.role == Role.OWNER.value:
        _ensure_not_last_owner(session, access.org_id, user_id)
    _part(session, member, actor_id=access.user.id)


def leave(session: Session, access: OrgAccess) -> None:
    """Leave the organisation; the last owner must hand over first (409)."""
    member = _target(session, access, access.user.id)
    if member.role == Role.OWNER.value:
        _ensure_not_last_owner(session, access.org_id, access.user.id)
    _part(session, member, actor_id=access.user.id)


def part_everywhere(session: Session, user_id: uuid.UUID) -> None:
    """End every membership of a user whose account is being deleted, as leaving does:
    their shared stock is returned (the orgs' reservations of it released and recorded) and
    each org is told which crafts and plans lost inputs."""
    for member in repo.memberships_of_user(session, user_id):
        _part(session, member, actor_id=user_id)


def _part(session: Session, member: OrganizationMember, *, actor_id: uuid.UUID) -> None:
    """End a membership (leave or removal), in the caller's transaction.

    The member's stock shared with the org goes back to them (the org's reservations of it
    are released; ``stock.return_member_stock``), the org is told which crafts and plans lost
    inputs (live event ``member.left``), and the member's open live sockets close.
    """
    org_id, user_id = member.organization_id, member.user_id
    returned = stock_service.return_member_stock(
        session, org_id=org_id, user_id=user_id, actor_id=actor_id
    )
    session.delete(member)
    announce_access_changed(session, [user_id])
    announce(session, org_id, {
        "type": "member.left",
        "user_id": str(user_id),
        "removed_by": None if actor_id == user_id else str(actor_id),
        "returned_stock_ids": [str(i) for i in returned.stock_ids],
        "released_reservations": [
            {"reservation_id": str(x.reservation_id), "stock_id": str(x.stock_id),
             "item_id": str(x.item_id), "quantity": str(x.quantity),
             "craft_id": x.craft_id and str(x.craft_id), "plan_id": x.plan_id and str(x.plan_id)}
            for x in returned.lost
        ],
        "crafts_lost_inputs": sorted({str(x.craft_id) for x in returned.lost if x.craft_id}),
        "plans_lost_inputs": sorted({str(x.plan_id) for x in returned.lost if x.plan_id}),
    })
    session.flush()


def _user(session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user", user_id)
    return user


def is_member(session: Session, org_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """True when ``user_id`` belongs to the org (any role)."""
    return repo.get_member(session, org_id, user_id) is not None
