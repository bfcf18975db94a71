"""All queries of the auth package. Credentials are scoped to their user in every statement."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from api.core.queries import stamp_unset
from models.accounts import (
    EmailVerificationToken,
    PasswordResetToken,
    PersonalAccessToken,
    RefreshToken,
    User,
)
from models.integrations import Integration
from models.inventory import IdempotencyKey, ItemHistory, ItemStock, Location, Ship
from models.orgs import Organization, OrganizationMember

# --- users ---------------------------------------------------------------------------------


def user_by_id(session: Session, user_id: uuid.UUID) -> User | None:
    """The user with ``user_id`` (including deleted ones; callers check ``deleted_at``)."""
    return session.get(User, user_id)


def user_by_login(session: Session, login: str) -> User | None:
    """The live user whose username or email matches ``login`` case-insensitively."""
    login = login.strip().lower()
    return session.scalar(
        select(User).where(
            or_(func.lower(User.username) == login, User.email == login),
            User.deleted_at.is_(None),
        )
    )


def username_taken(session: Session, username: str, *, exclude: uuid.UUID | None = None) -> bool:
    """True when another account already uses ``username`` (case-insensitive)."""
    stmt = select(User.id).where(func.lower(User.username) == username.lower())
    if exclude is not None:
        stmt = stmt.where(User.id != exclude)
    return session.scalar(stmt.limit(1)) is not None


def email_taken(session: Session, email: str, *, exclude: uuid.UUID | None = None) -> bool:
    """True when another account already uses ``email`` (stored lower-cased)."""
    stmt = select(User.id).where(User.email == email.lower())
    if exclude is not None:
        stmt = stmt.where(User.id != exclude)
    return session.scalar(stmt.limit(1)) is not None


# --- refresh tokens ------------------------------------------------------------------------


def refresh_token_by_hash(session: Session, token_hash: str) -> RefreshToken | None:
    """The refresh token stored under ``token_hash``."""
    return session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash))


def mark_refresh_used(session: Session, token_id: uuid.UUID, now: datetime) -> bool:
    """Atomically claim a refresh token for rotation; False when it was already used/revoked.

    One conditional UPDATE, so two concurrent refreshes with the same token cannot both win.
    """
    return stamp_unset(
        session, RefreshToken.used_at, now,
        RefreshToken.id == token_id, RefreshToken.revoked_at.is_(None),
    ) == 1


def revoke_family(session: Session, user_id: uuid.UUID, family_id: uuid.UUID, now: datetime) -> int:
    """Revoke every live token of one family; returns how many were revoked."""
    return stamp_unset(
        session, RefreshToken.revoked_at, now,
        RefreshToken.user_id == user_id, RefreshToken.family_id == family_id,
    )


def revoke_all_families(session: Session, user_id: uuid.UUID, now: datetime) -> int:
    """Revoke every live refresh token of the user."""
    return stamp_unset(session, RefreshToken.revoked_at, now, RefreshToken.user_id == user_id)


# --- personal access tokens ----------------------------------------------------------------


def _pats(user_id: uuid.UUID) -> Select[PersonalAccessToken]:
    # The one readable statement: a user only ever sees their own tokens.
    return select(PersonalAccessToken).where(PersonalAccessToken.user_id == user_id)


def list_pats(session: Session, user_id: uuid.UUID) -> Sequence[PersonalAccessToken]:
    """The user's personal access tokens, newest first."""
    stmt = _pats(user_id).order_by(PersonalAccessToken.created_at.desc(), PersonalAccessToken.id)
    return session.scalars(stmt).all()


def get_pat(session: Session, user_id: uuid.UUID, pat_id: uuid.UUID) -> PersonalAccessToken | None:
    """One of the user's tokens; None for unknown ids and other users' tokens."""
    return session.scalar(_pats(user_id).where(PersonalAccessToken.id == pat_id))


def count_live_pats(session: Session, user_id: uuid.UUID) -> int:
    """How many unrevoked tokens the user has (a cap keeps the table bounded)."""
    stmt = (
        select(func.count())
        .select_from(PersonalAccessToken)
        .where(PersonalAccessToken.user_id == user_id, PersonalAccessToken.revoked_at.is_(None))
    )
    return int(session.scalar(stmt) or 0)


# --- account deletion ----------------------------------------------------------------------


def owned_orgs_blocking_deletion(session: Session, user_id: uuid.UUID) -> list[Organization]:
    """Orgs where the user is the only owner and other members remain."""
    mine = select(OrganizationMember.organization_id).where(
        OrganizationMember.user_id == user_id, OrganizationMember.role == "owner"
    )
    other_owners = select(OrganizationMember.organization_id).where(
        OrganizationMember.role == "owner", OrganizationMember.user_id != user_id
    )
    others = select(OrganizationMember.organization_id).where(OrganizationMember.user_id != user_id)
    stmt = (
        select(Organization)
        .where(
            Organization.id.in_(mine),
            Organization.id.not_in(other_owners),
            Organization.id.in_(others),
        )
        .order_by(Organization.name)
    )
    return list(session.scalars(stmt).all())


def orgs_with_sole_member(session: Session, user_id: uuid.UUID) -> list[uuid.UUID]:
    """Orgs whose only member is the user (deleted with the account)."""
    mine = select(OrganizationMember.organization_id).where(OrganizationMember.user_id == user_id)
    others = select(OrganizationMember.organization_id).where(OrganizationMember.user_id != user_id)
    stmt = select(Organization.id).where(Organization.id.in_(mine), Organization.id.not_in(others))
    return list(session.scalars(stmt).all())


def delete_personal_data(session: Session, user_id: uuid.UUID) -> None:
    """Delete the user's own records: stock, history of personal stock, ships, locations,
    integrations, credentials, idempotency keys and memberships.

    Org history rows the user acted on stay; their ``actor_id`` keeps pointing at the
    anonymised account row, which no longer identifies anyone.
    """
    # Personal (not org) history first: it names the user's own holdings.
    session.execute(
        delete(ItemHistory).where(
            ItemHistory.owner_user_id == user_id, ItemHistory.organization_id.is_(None)
        )
    )
    session.execute(delete(ItemStock).where(ItemStock.owner_user_id == user_id))
    session.execute(delete(Ship).where(Ship.owner_user_id == user_id))
    # Personal locations may nest (a storage unit inside a hangar): delete leaves first.
    while True:
        children = select(Location.parent_id).where(
            Location.parent_id.is_not(None), Location.owner_user_id == user_id
        )
        result = session.execute(
            delete(Location).where(Location.owner_user_id == user_id, Location.id.not_in(children))
        )
        if not getattr(result, "rowcount", 0):
            break
    session.execute(delete(Integration).where(Integration.user_id == user_id))
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.user_id == user_id))
    session.execute(delete(RefreshToken).where(RefreshToken.user_id == user_id))
    session.execute(delete(PersonalAccessToken).where(PersonalAccessToken.user_id == user_id))
    session.execute(delete(OrganizationMember).where(OrganizationMember.user_id == user_id))


def personal_locations_in_use(session: Session, user_id: uuid.UUID) -> list[Location]:
    """The user's locations that hold records of others (org stock or history, other
    owners' sub-locations); deleting the account would orphan those."""
    personal = select(Location.id).where(Location.owner_user_id == user_id)
    stock = select(ItemStock.location_id).where(
        ItemStock.location_id.in_(personal),
        or_(ItemStock.owner_user_id.is_(None), ItemStock.owner_user_id != user_id),
    )
    history = select(ItemHistory.location_id).where(
        ItemHistory.location_id.in_(personal), ItemHistory.organization_id.is_not(None)
    )
    children = select(Location.parent_id).where(
        Location.parent_id.in_(personal),
        or_(Location.owner_user_id.is_(None), Location.owner_user_id != user_id),
    )
    stmt = (
        select(Location)
        .where(Location.id.in_(stock.union(history, children)))
        .order_by(Location.name)
    )
    return list(session.scalars(stmt).all())


# Personal records in the GDPR export, with the columns never exported (credentials).
_EXPORTED: tuple[tuple[str, type[Any], Any, frozenset[str]], ...] = (
    ("memberships", OrganizationMember, OrganizationMember.user_id, frozenset()),
    ("personal_access_tokens", PersonalAccessToken, PersonalAccessToken.user_id,
     frozenset({"token_hash"})),
    ("locations", Location, Location.owner_user_id, frozenset()),
    ("ships", Ship, Ship.owner_user_id, frozenset()),
    ("stock", ItemStock, ItemStock.owner_user_id, frozenset()),
    ("integrations", Integration, Integration.user_id, frozenset({"secret"})),
)


def personal_records(session: Session, user_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    """Every personal row of the user, by kind, each as its columns (credentials left out),
    plus the history of personal stock."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, model, owner, hidden in _EXPORTED:
        columns = [c for c in sa_inspect(model).columns if c.key not in hidden]
        rows = session.scalars(select(model).where(owner == user_id)).all()
        out[name] = [{c.key: getattr(row, c.key) for c in columns} for row in rows]
    history = session.scalars(
        select(ItemHistory).where(ItemHistory.owner_user_id == user_id,
                                  ItemHistory.organization_id.is_(None))
    ).all()
    columns = list(sa_inspect(ItemHistory).columns)
    out["stock_history"] = [{c.key: getattr(row, c.key) for c in columns} for row in history]
    return out


def delete_orgs(session: Session, org_ids: list[uuid.UUID]) -> None:
    """Delete organisations; their data goes by ``ON DELETE CASCADE``."""
    if org_ids:
        session.execute(delete(Organization).where(Organization.id.in_(org_ids)))


def user_by_email(session: Session, email: str) -> User | None:
    """The active account with this email (case-insensitive), or None."""
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


_Link = TypeVar("_Link", PasswordResetToken, EmailVerificationToken)


def _spend_link(session: Session, model: type[_Link], token_hash: str,
                now: datetime) -> _Link | None:
    """Spend an unexpired, unused emailed link in one conditional UPDATE; its row or None.

    Of two concurrent uses exactly one matches the ``used_at IS NULL`` row."""
    row = session.scalar(select(model).where(model.token_hash == token_hash))
    if row is None:
        return None
    result = session.execute(
        update(model)
        .where(model.id == row.id, model.used_at.is_(None), model.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return row if result.rowcount == 1 else None  # type: ignore[attr-defined]


def use_reset_token(session: Session, token_hash: str, now: datetime) -> uuid.UUID | None:
    """Spend a reset link; its user, or None (unknown, expired, used, or lost a race)."""
    row = _spend_link(session, PasswordResetToken, token_hash, now)
    return row.user_id if row is not None else None


def spend_open_reset_tokens(session: Session, user_id: uuid.UUID, now: datetime) -> None:
    """Void the user's other outstanding links once one of them has been used."""
    session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user_id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )


def use_verification_token(session: Session, token_hash: str,
                           now: datetime) -> EmailVerificationToken | None:
    """Spend a verification link; its row (user and address), or None."""
    return _spend_link(session, EmailVerificationToken, token_hash, now)
