"""All queries of the orgs package. Membership rows are always read through
:func:`_members`, which scopes them to one organisation."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from models.accounts import User
from models.integrations import Integration
from models.inventory import Item, ItemHistory, ItemStock, Location, Ship, StockReservation
from models.orgs import Organization, OrganizationInvitation, OrganizationMember
from models.planning import Blueprint, BlueprintIngredient, Craft, Goal, GoalTarget


def _members(org_id: uuid.UUID) -> Select[OrganizationMember]:
    # The one readable statement for memberships: always inside one org.
    return select(OrganizationMember).where(OrganizationMember.organization_id == org_id)


def org_by_id(session: Session, org_id: uuid.UUID) -> Organization | None:
    """The organisation (callers reach it only through a checked membership)."""
    return session.get(Organization, org_id)


def org_name_taken(session: Session, name: str, *, exclude: uuid.UUID | None = None) -> bool:
    """True when another org has ``name`` (case-insensitive)."""
    stmt = select(Organization.id).where(func.lower(Organization.name) == name.lower())
    if exclude is not None:
        stmt = stmt.where(Organization.id != exclude)
    return session.scalar(stmt.limit(1)) is not None


def orgs_of_user(session: Session, user_id: uuid.UUID) -> list[tuple[Organization, str]]:
    """The user's organisations with their role, by name."""
    stmt = (
        select(Organization, OrganizationMember.role)
        .join(OrganizationMember, OrganizationMember.organization_id == Organization.id)
        .where(OrganizationMember.user_id == user_id)
        .order_by(Organization.name)
    )
    return [(org, role) for org, role in session.execute(stmt).all()]


def member_counts(session: Session, org_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Number of members per org."""
    if not org_ids:
        return {}
    stmt = (
        select(OrganizationMember.organization_id, func.count())
        .where(OrganizationMember.organization_id.in_(org_ids))
        .group_by(OrganizationMember.organization_id)
    )
    return {org_id: int(n) for org_id, n in session.execute(stmt).all()}


def list_members(session: Session, org_id: uuid.UUID) -> list[tuple[OrganizationMember, User]]:
    """Members of one org with their accounts, owners first then by username."""
    stmt = (
        _members(org_id)
        .add_columns(User)
        .join(User, User.id == OrganizationMember.user_id)
        .order_by(User.username)
    )
    return [(m, u) for m, u in session.execute(stmt).all()]


def get_member(
    session: Session, org_id: uuid.UUID, user_id: uuid.UUID, *, lock: bool = False
) -> OrganizationMember | None:
    """One membership of the org; None when ``user_id`` is not a member of it."""
    stmt = _members(org_id).where(OrganizationMember.user_id == user_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def memberships_of_user(session: Session, user_id: uuid.UUID) -> list[OrganizationMember]:
    """Every membership of one user (their own rows only), by org id."""
    stmt = (
        select(OrganizationMember)
        .where(OrganizationMember.user_id == user_id)
        .order_by(OrganizationMember.organization_id)
    )
    return list(session.scalars(stmt))


def lock_owners(session: Session, org_id: uuid.UUID) -> list[uuid.UUID]:
    """Lock the org's owner memberships (in id order) and return the owners' user ids.

    Taken before any change that could remove an owner, so two owners demoting each other
    concurrently cannot leave the org without one (PostgreSQL; SQLite serialises writers).
    """
    stmt = (
        _members(org_id)
        .where(OrganizationMember.role == "owner")
        .order_by(OrganizationMember.id)
        .with_for_update()
    )
    return [m.user_id for m in session.scalars(stmt).all()]


def user_by_username(session: Session, username: str) -> User | None:
    """A live account by username (case-insensitive)."""
    return session.scalar(
        select(User).where(
            func.lower(User.username) == username.strip().lower(),
            User.deleted_at.is_(None),
            User.is_active.is_(True),
        )
    )


# --- invitations ---------------------------------------------------------------------------


def _invitations(org_id: uuid.UUID) -> Select[OrganizationInvitation]:
    # The readable statement for an org's admins: its own invitations only.
    return select(OrganizationInvitation).where(OrganizationInvitation.organization_id == org_id)


def _addressed_to(username: str, email: str | None) -> ColumnElement[bool]:
    # Addresses are stored lower-cased, as typed; an anonymised account (no email, a
    # ``deleted-…`` username) matches nothing anyone typed.
    by_name = OrganizationInvitation.invitee_username == username.lower()
    if email is None:
        return by_name
    return or_(by_name, OrganizationInvitation.invitee_email == email.lower())


def _pending(now: datetime) -> ColumnElement[bool]:
    return and_(
        OrganizationInvitation.accepted_at.is_(None),
        OrganizationInvitation.declined_at.is_(None),
        OrganizationInvitation.revoked_at.is_(None),
        OrganizationInvitation.expires_at > now,
    )


def list_invitations(
    session: Session, org_id: uuid.UUID, now: datetime, *, include_closed: bool
) -> list[OrganizationInvitation]:
    """The org's invitations, newest first (only pending ones unless ``include_closed``)."""
    stmt = _invitations(org_id)
    if not include_closed:
        stmt = stmt.where(_pending(now))
    stmt = stmt.order_by(OrganizationInvitation.created_at.desc(), OrganizationInvitation.id)
    return list(session.scalars(stmt.limit(500)))


def get_invitation(
    session: Session, org_id: uuid.UUID, invitation_id: uuid.UUID
) -> OrganizationInvitation | None:
    """One of the org's invitations."""
    return session.scalar(_invitations(org_id).where(OrganizationInvitation.id == invitation_id))


def pending_invitation_exists(
    session: Session, org_id: uuid.UUID, now: datetime, *, username: str | None,
    email: str | None,
) -> bool:
    """True when the org already has a pending invitation for this address."""
    address = (OrganizationInvitation.invitee_username == username if username is not None
               else OrganizationInvitation.invitee_email == email)
    stmt = _invitations(org_id).where(address, _pending(now)).with_only_columns(
        OrganizationInvitation.id)
    return session.scalar(stmt.limit(1)) is not None


def member_with_username(session: Session, org_id: uuid.UUID, username: str) -> bool:
    """True when a member of the org has this username (the org's admins see them anyway)."""
    stmt = (
        _members(org_id)
        .join(User, User.id == OrganizationMember.user_id)
        .where(func.lower(User.username) == username.lower())
        .with_only_columns(OrganizationMember.id)
    )
    return session.scalar(stmt.limit(1)) is not None


def my_pending_invitations(
    session: Session, username: str, email: str | None, now: datetime
) -> list[tuple[OrganizationInvitation, str, str | None]]:
    """Pending invitations addressed to the caller, with org name and inviter's username."""
    inviter = User.__table__.alias("inviter")
    stmt = (
        select(OrganizationInvitation, Organization.name, inviter.c.username)
        .join(Organization, Organization.id == OrganizationInvitation.organization_id)
        .outerjoin(inviter, inviter.c.id == OrganizationInvitation.invited_by)
        .where(_addressed_to(username, email), _pending(now))
        .order_by(OrganizationInvitation.created_at.desc(), OrganizationInvitation.id)
    )
    return [(inv, name, by) for inv, name, by in session.execute(stmt.limit(500)).all()]


def my_invitation(
    session: Session, invitation_id: uuid.UUID, username: str, email: str | None
) -> OrganizationInvitation | None:
    """An invitation addressed to the caller (any state); None for anyone else's."""
    return session.scalar(
        select(OrganizationInvitation).where(
            OrganizationInvitation.id == invitation_id, _addressed_to(username, email)
        ).execution_options(populate_existing=True)
    )


def close_invitation(
    session: Session, invitation_id: uuid.UUID, now: datetime, **outcome: object
) -> bool:
    """Set the outcome of a still-pending invitation, once; False when it was not pending.

    One conditional UPDATE, so two accepts (or an accept racing a revoke) cannot both win.
    """
    result = session.execute(
        update(OrganizationInvitation)
        .where(OrganizationInvitation.id == invitation_id, _pending(now))
        .values(**outcome)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def delete_org_data(session: Session, org_id: uuid.UUID) -> None:
    """Delete an organisation and everything that belongs to it.

    Done in dependency order because several foreign keys are ``RESTRICT`` (history and
    stock point at items and locations; crafts at blueprints and locations; location trees
    at their parents), and PostgreSQL does not order cascades within one statement.
    Members' personal stock at the org's locations or of its private items goes too: those
    rows cannot exist without the location or item.
    """
    org_locations = select(Location.id).where(Location.organization_id == org_id)
    org_items = select(Item.id).where(Item.organization_id == org_id)
    touching = or_(
        ItemStock.organization_id == org_id,
        ItemStock.location_id.in_(org_locations),
        ItemStock.item_id.in_(org_items),
    )
    stocks = select(ItemStock.id).where(touching)
    session.execute(
        delete(ItemHistory).where(
            or_(
                ItemHistory.organization_id == org_id,
                ItemHistory.location_id.in_(org_locations),
                ItemHistory.item_id.in_(org_items),
                ItemHistory.stock_id.in_(stocks),
            )
        )
    )
    session.execute(
        delete(StockReservation).where(
            or_(StockReservation.organization_id == org_id, StockReservation.stock_id.in_(stocks))
        )
    )
    session.execute(delete(ItemStock).where(touching))
    org_crafts = select(Craft.id).where(Craft.organization_id == org_id)
    session.execute(delete(StockReservation).where(StockReservation.craft_id.in_(org_crafts)))
    session.execute(delete(Craft).where(Craft.organization_id == org_id))
    goals = select(Goal.id).where(Goal.organization_id == org_id)
    session.execute(delete(GoalTarget).where(GoalTarget.goal_id.in_(goals)))
    session.execute(delete(Goal).where(Goal.organization_id == org_id))
    blueprints = select(Blueprint.id).where(Blueprint.organization_id == org_id)
    session.execute(
        delete(BlueprintIngredient).where(BlueprintIngredient.blueprint_id.in_(blueprints))
    )
    session.execute(delete(Blueprint).where(Blueprint.organization_id == org_id))
    session.execute(delete(Ship).where(Ship.organization_id == org_id))
    # Other owners' locations hanging under the org's ones move up to the universe root.
    session.execute(
        update(Location)
        .where(
            Location.parent_id.in_(org_locations),
            or_(Location.organization_id.is_(None), Location.organization_id != org_id),
        )
        .values(parent_id=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Location)
        .where(Location.organization_id == org_id)
        .values(parent_id=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(Location).where(Location.organization_id == org_id))
    session.execute(delete(Item).where(Item.organization_id == org_id))
    session.execute(delete(Integration).where(Integration.organization_id == org_id))
    session.execute(delete(Organization).where(Organization.id == org_id))
    session.expire_all()
