"""Organisation and membership rules (roles from api.core.permissions; last-owner rule here)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.orm import Session

from api.core.deps import OrgAccess
from api.core.errors import Conflict, FieldError, Forbidden, NotFound
from api.core.permissions import Role, can_assign_role
from api.live.hub import announce, announce_access_changed
from api.orgs import repository as repo
from api.orgs.schemas import MemberOut, MemberPatch, OrgCreate, OrgOut, OrgPatch
from api.stock import service as stock_service
from models.accounts import User
from models.orgs import Organization, OrganizationMember


def _name_conflict(name: str) -> Conflict:
    detail = f"An organisation named '{name}' exists"
    return Conflict(detail, errors=[FieldError(detail, field="name")], field="name")


def _out(org: Organization, role: str, count: int) -> OrgOut:
    return OrgOut(
        id=org.id,
        name=org.name,
        description=org.description,
        created_at=org.created_at,
        role=Role(role).value,
        member_count=count,
        member_stock_reliability=float(org.member_stock_reliability),
    )


def create_org(session: Session, user: User, data: OrgCreate) -> OrgOut:
    """Create an organisation with the caller as its owner; 409 when the name is taken."""
    if repo.org_name_taken(session, data.name):
        raise _name_conflict(data.name)
    org = Organization(name=data.name, description=data.description, created_by=user.id)
    session.add(org)
    session.flush()
    session.add(OrganizationMember(organization_id=org.id, user_id=user.id, role=Role.OWNER.value))
    session.flush()
    return _out(org, Role.OWNER, 1)


def list_my_orgs(session: Session, user: User) -> list[OrgOut]:
    """The caller's organisations with their role in each."""
    rows = repo.orgs_of_user(session, user.id)
    counts = repo.member_counts(session, [org.id for org, _ in rows])
    return [_out(org, role, counts.get(org.id, 0)) for org, role in rows]


def _org(session: Session, access: OrgAccess) -> Organization:
    org = repo.org_by_id(session, access.org_id)
    if org is None:  # deleted concurrently
        raise NotFound("organization", access.org_id)
    return org


def get_org(session: Session, access: OrgAccess) -> OrgOut:
    """The organisation in the path, as its member sees it."""
    org = _org(session, access)
    return _out(org, access.role, repo.member_counts(session, [org.id]).get(org.id, 0))


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


def add_member(session: Session, access: OrgAccess, username: str, role: str) -> MemberOut:
    """Add an existing user by username; 404 for unknown users, 409 when already a member."""
    _forbid_role_change(access, None, role)
    user = repo.user_by_username(session, username)
    if user is None:
        raise NotFound("user", username)
    if repo.get_member(session, access.org_id, user.id) is not None:
        detail = f"'{user.username}' is already a member"
        raise Conflict(detail, errors=[FieldError(detail, field="username")], field="username")
    member = OrganizationMember(organization_id=access.org_id, user_id=user.id, role=role)
    session.add(member)
    session.flush()
    return _member_out(member, user)


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
