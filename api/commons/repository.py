"""Commons queries. The public visibility rule lives here, in :func:`public_blueprint_clause`.

A shared blueprint row (``organization_id`` NULL) is public and plannable when it is not a
superseded or taken-down version and the org has not hidden its entity. Rows without any
version record (seeded catalogue data loaded after the migration) count as current.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, text, union_all, update
from sqlalchemy.orm import Session

from api.core.filters import where_given
from models.accounts import User
from models.commons import (
    CommonsAction,
    CommonsEntity,
    CommonsHidden,
    CommonsSubmission,
    CommonsVersion,
    PlatformRole,
)
from models.inventory import Item, ItemAlias, Location
from models.planning import Blueprint


def public_blueprint_clause(org_id: uuid.UUID | None) -> ColumnElement[bool]:
    """The one public rule for blueprints: shared, current (not superseded or taken down) and,
    for an org, not hidden by it."""
    retired = exists().where(CommonsVersion.blueprint_id == Blueprint.id,
                             CommonsVersion.status != "current")
    clause = and_(Blueprint.organization_id.is_(None), ~retired)
    if org_id is None:
        return clause
    hidden = exists().where(
        CommonsVersion.blueprint_id == Blueprint.id,
        CommonsHidden.entity_id == CommonsVersion.entity_id,
        CommonsHidden.organization_id == org_id,
    )
    return and_(clause, ~hidden)


def public_item_ids(session: Session, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """The subset of ``ids`` naming public (shared catalogue) items."""
    if not ids:
        return set()
    return set(session.scalars(
        select(Item.id).where(Item.id.in_(ids), Item.organization_id.is_(None))))


def versions_of_blueprints(
    session: Session, blueprint_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, CommonsVersion]:
    """The published version record of each blueprint row that has one."""
    if not blueprint_ids:
        return {}
    rows = session.scalars(select(CommonsVersion).where(
        CommonsVersion.blueprint_id.in_(blueprint_ids)))
    return {v.blueprint_id: v for v in rows if v.blueprint_id is not None}


# -- roles ---------------------------------------------------------------------------------------

def roles_of(session: Session, user_id: uuid.UUID) -> set[str]:
    """The user's platform roles."""
    return set(session.scalars(select(PlatformRole.role).where(PlatformRole.user_id == user_id)))


def user_by_name(session: Session, username: str) -> User | None:
    """A user by username (the admin command's argument)."""
    return session.scalar(select(User).where(User.username == username))


def moderator_ids(session: Session) -> list[uuid.UUID]:
    """Every user holding a platform role (the live queue's audience)."""
    return list(session.scalars(select(PlatformRole.user_id).distinct()))


def _locked(lock: bool) -> bool | None:
    # Session.get skips its identity-map shortcut only when FOR UPDATE is asked for (not
    # None), so a locking read always reaches the database and waits for the row lock.
    return True if lock else None


# -- submissions ---------------------------------------------------------------------------------

def get_submission(session: Session, submission_id: uuid.UUID, *,
                   lock: bool = False) -> CommonsSubmission | None:
    """One submission (row-locked for a decision when ``lock``)."""
    return session.get(CommonsSubmission, submission_id, with_for_update=_locked(lock))


def claim_submission(session: Session, submission_id: uuid.UUID, status: str,
                     when: datetime) -> bool:
    """Move a pending submission to ``status`` atomically; False when someone else decided it
    first (two moderators approving at once publish one version)."""
    result = session.execute(
        update(CommonsSubmission)
        .where(CommonsSubmission.id == submission_id, CommonsSubmission.status == "pending")
        .values(status=status, decided_at=when, updated_at=when)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def list_submissions(session: Session, *, submitter_id: uuid.UUID | None = None,
                     status: str | None = None, limit: int = 100,
                     offset: int = 0) -> tuple[list[CommonsSubmission], int]:
    """Submissions, oldest first (the queue), filtered by submitter and status."""
    stmt = select(CommonsSubmission)
    stmt = where_given(stmt, (CommonsSubmission.submitter_id, submitter_id),
                       (CommonsSubmission.status, status))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(CommonsSubmission.created_at, CommonsSubmission.id)
                           .limit(limit).offset(offset))
    return list(rows), total


def count_open_submissions(session: Session, submitter_id: uuid.UUID) -> int:
    """Submissions of a user still awaiting a decision or their edit (the quota)."""
    return session.scalar(select(func.count()).where(
        CommonsSubmission.submitter_id == submitter_id,
        CommonsSubmission.status.in_(("pending", "changes_requested")))) or 0


def actions_of(session: Session,
               submission_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[CommonsAction]]:
    """The moderation logs of several submissions, oldest first, in one query."""
    out: dict[uuid.UUID, list[CommonsAction]] = {i: [] for i in submission_ids}
    if submission_ids:
        stmt = (select(CommonsAction).where(CommonsAction.submission_id.in_(submission_ids))
                .order_by(CommonsAction.created_at, CommonsAction.id))
        for action in session.scalars(stmt):
            out[action.submission_id].append(action)  # type: ignore[index]
    return out


def handles(session: Session, user_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Usernames of some users."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(user_ids)))
    return {row[0]: row[1] for row in rows}


# -- entities ------------------------------------------------------------------------------------

def get_entity(session: Session, entity_id: uuid.UUID, *,
               lock: bool = False) -> CommonsEntity | None:
    """One public entity (row-locked when ``lock``: versions are numbered under it)."""
    return session.get(CommonsEntity, entity_id, with_for_update=_locked(lock))


def current_version(session: Session, entity_id: uuid.UUID) -> CommonsVersion | None:
    """The entity's current version record."""
    return session.scalar(select(CommonsVersion).where(
        CommonsVersion.entity_id == entity_id, CommonsVersion.status == "current"))


def versions(session: Session, entity_id: uuid.UUID) -> list[CommonsVersion]:
    """Every version of an entity, oldest first."""
    return list(session.scalars(select(CommonsVersion).where(
        CommonsVersion.entity_id == entity_id).order_by(CommonsVersion.version)))


def similar_entities(session: Session, kind: str, norm: str,
                     limit: int = 5) -> list[tuple[CommonsEntity, float]]:
    """Published entities of ``kind`` whose normalised name or an alias resembles ``norm``:
    ``pg_trgm`` similarity on PostgreSQL, difflib's ratio over candidates on SQLite."""
    base = select(CommonsEntity).where(CommonsEntity.kind == kind,
                                       CommonsEntity.status == "published")
    if session.get_bind().dialect.name == "postgresql":
        score = func.similarity(CommonsEntity.norm_name, norm)
        rows = session.execute(
            select(CommonsEntity, score).where(
                CommonsEntity.kind == kind, CommonsEntity.status == "published",
                or_(CommonsEntity.norm_name.op("%")(norm),
                    CommonsEntity.search_text.ilike(f"%{_escape_like(norm)}%", escape="\\")))
            .order_by(score.desc()).limit(limit * 4)).all()
        candidates = [row[0] for row in rows]
    else:
        first = norm[:3]
        candidates = list(session.scalars(base.where(or_(
            CommonsEntity.norm_name.like(f"{_escape_like(first)}%", escape="\\"),
            CommonsEntity.search_text.ilike(f"%{_escape_like(norm)}%", escape="\\"),
            func.length(CommonsEntity.norm_name) < 40)).limit(2000)))
    from difflib import SequenceMatcher  # scoring is the same on both backends from here

    def score_of(entity: CommonsEntity) -> float:
        names = [entity.norm_name, *(_norm_alias(a) for a in entity.aliases or [])]
        return max(SequenceMatcher(None, norm, n).ratio() for n in names)

    scored = sorted(((e, score_of(e)) for e in candidates), key=lambda p: -p[1])
    return [(e, s) for e, s in scored if s >= 0.6][:limit]


def _norm_alias(alias: str) -> str:
    import re
    import unicodedata
    ascii_ = unicodedata.normalize("NFKD", alias).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", ascii_).strip()


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(session: Session, query: str, *, kind: str | None = None,
           limit: int = 50) -> list[CommonsEntity]:
    """Full-text search over names, aliases and tags of published entities (PostgreSQL
    ``tsvector``, SQLite FTS5), best match first; prefix matching on the last word."""
    words = [w for w in _norm_alias(query).split() if w]
    if not words:
        return []
    filters = [CommonsEntity.status == "published"]
    if kind is not None:
        filters.append(CommonsEntity.kind == kind)
    if session.get_bind().dialect.name == "postgresql":
        tsquery = " & ".join(f"{w}:*" for w in words)
        vector = func.to_tsvector(text("'simple'"), CommonsEntity.search_text)
        q = func.to_tsquery(text("'simple'"), tsquery)
        stmt = (select(CommonsEntity).where(vector.op("@@")(q), *filters)
                .order_by(func.ts_rank(vector, q).desc(), CommonsEntity.name).limit(limit))
        return list(session.scalars(stmt))
    match = " ".join(f'"{w}"*' for w in words)
    ids = select(text("entity_id")).select_from(text("commons_fts")).where(
        text("commons_fts MATCH :m")).order_by(text("rank")).limit(limit * 4)
    rows = session.scalars(select(CommonsEntity).where(
        CommonsEntity.id.in_(ids), *filters).order_by(CommonsEntity.name).limit(limit)
                           .params(m=match))
    return list(rows)


def list_entities(session: Session, kind: str, *, limit: int = 100,
                  offset: int = 0) -> tuple[list[CommonsEntity], int]:
    """Published entities of one kind in name order, and the total."""
    stmt = select(CommonsEntity).where(CommonsEntity.kind == kind,
                                       CommonsEntity.status == "published")
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(CommonsEntity.name, CommonsEntity.id)
                           .limit(limit).offset(offset))
    return list(rows), total


def hidden_row(session: Session, org_id: uuid.UUID, entity_id: uuid.UUID) -> CommonsHidden | None:
    """The org's hide mark on an entity, if any."""
    return session.scalar(select(CommonsHidden).where(
        CommonsHidden.organization_id == org_id, CommonsHidden.entity_id == entity_id))


def delete_role(session: Session, user_id: uuid.UUID, role: str) -> None:
    """Remove one platform role of a user."""
    from sqlalchemy import delete

    session.execute(delete(PlatformRole).where(PlatformRole.user_id == user_id,
                                               PlatformRole.role == role))


def unpublished_shared_items(session: Session) -> list[tuple[Item, list[str]]]:
    """Shared catalogue items no commons entity publishes yet, with their aliases."""
    linked = select(CommonsEntity.item_id).where(CommonsEntity.item_id.is_not(None))
    items = list(session.scalars(select(Item).where(
        Item.organization_id.is_(None), Item.id.not_in(linked)).order_by(Item.name, Item.id)))
    aliases: dict[uuid.UUID, list[str]] = {}
    if items:
        stmt = (select(ItemAlias.item_id, ItemAlias.alias)
                .where(ItemAlias.item_id.in_([i.id for i in items])).order_by(ItemAlias.alias))
        for item_id, alias in session.execute(stmt):
            aliases.setdefault(item_id, []).append(alias)
    return [(item, aliases.get(item.id, [])) for item in items]


def unpublished_universe(session: Session) -> list[Location]:
    """Shared universe nodes no commons entity publishes yet, parents before children."""
    linked = select(CommonsEntity.location_id).where(CommonsEntity.location_id.is_not(None))
    return list(session.scalars(select(Location).where(
        Location.organization_id.is_(None), Location.owner_user_id.is_(None),
        Location.id.not_in(linked)).order_by(Location.name, Location.id)))


def names_of(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Names of the items, locations and commons entities among ``ids`` (one query)."""
    if not ids:
        return {}
    stmt = union_all(
        select(Item.id, Item.name).where(Item.id.in_(ids)),
        select(Location.id, Location.name).where(Location.id.in_(ids)),
        select(CommonsEntity.id, CommonsEntity.name).where(CommonsEntity.id.in_(ids)),
    )
    return {row[0]: row[1] for row in session.execute(stmt)}
