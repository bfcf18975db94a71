"""Market listings and their trust.

Reliability is derived, never stored: a Beta(PRIOR_ACCURATE, PRIOR_INACCURATE) prior updated
by the members' votes, each weighted ``0.5 ** (age / HALF_LIFE)`` so old reports fade:

    reliability = (4 + Σ w·[accurate]) / (4 + 1 + Σ w)

With no votes a listing is trusted at the prior mean 0.8; a run of fresh "inaccurate" votes
drives it towards 0 (never to 0: the engine needs reliability > 0), fresh "accurate" towards 1.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from api.core.errors import Forbidden, InvalidInput, NotFound
from api.items import service as items
from api.names import service as names
from api.sources import repository
from api.sources.schemas import SourceIn, SourceOut, VoteIn
from models.planning import ResourceSource, SourceVerification

# Reads with no rule beyond tenant scoping, which the repository's statement owns: the
# router reaches them here, so it never imports the repository.
list_sources = repository.list_sources

PRIOR_ACCURATE = 4.0
PRIOR_INACCURATE = 1.0
HALF_LIFE_DAYS = 14.0
# Votes older than this weigh under 0.1 % and are not read at all.
HORIZON = timedelta(days=HALF_LIFE_DAYS * 10)


def reliability_from_votes(votes: Iterable[tuple[bool, datetime]], now: datetime) -> float:
    """The documented formula over (accurate, when) votes."""
    good, total = PRIOR_ACCURATE, PRIOR_ACCURATE + PRIOR_INACCURATE
    for accurate, when in votes:
        age_days = max(0.0, (now - when).total_seconds() / 86400)
        weight = 0.5 ** (age_days / HALF_LIFE_DAYS)
        total += weight
        if accurate:
            good += weight
    return good / total


def describe(session: Session, sources: Sequence[ResourceSource]) -> list[SourceOut]:
    """Response bodies of listings: reliability, item name and unit, location name and path."""
    rel = reliabilities(session, [s.id for s in sources])
    found = names.resolve(session, items=(s.item_id for s in sources),
                          locations=(s.location_id for s in sources))
    return [
        SourceOut.model_validate({
            **{c: getattr(src, c) for c in ("id", "organization_id", "item_id", "location_id",
                                             "quality", "holder_name", "last_verified_at",
                                             "verified_by", "created_at", "updated_at")},
            "item_name": found.item(src.item_id), "item_unit": found.unit(src.item_id),
            "location_name": found.location(src.location_id),
            "location_path": found.path(src.location_id),
            "price": float(src.price),
            "available": None if src.available is None else float(src.available),
            "lot_size": None if src.lot_size is None else float(src.lot_size),
            "reliability": rel[src.id][0],
            "votes": rel[src.id][1],
        })
        for src in sources
    ]


def reliabilities(session: Session, source_ids: Iterable[uuid.UUID],
                  now: datetime | None = None) -> dict[uuid.UUID, tuple[float, int]]:
    """(reliability, vote count within the horizon) per listing."""
    now = now or datetime.now(UTC)
    ids = set(source_ids)
    by_source: dict[uuid.UUID, list[tuple[bool, datetime]]] = {i: [] for i in ids}
    for source_id, accurate, when in repository.votes_since(session, ids, now - HORIZON):
        by_source[source_id].append((accurate, when))
    return {i: (reliability_from_votes(v, now), len(v)) for i, v in by_source.items()}


def _dec(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _check_refs(session: Session, org_id: uuid.UUID, data: SourceIn) -> None:
    unit = repository.visible_item_unit(session, org_id, data.item_id)
    if unit is None:
        raise InvalidInput("Unknown item", field="item_id", record=f"item/{data.item_id}")
    # The planning problem refuses a fractional box of a piece item, and one such listing
    # would make every plan of the org invalid: refuse it here, naming the field.
    items.require_whole_pieces(session, [(data.item_id, data.lot_size, "lot_size"),
                                         (data.item_id, data.available, "available")])
    if not repository.location_visible(session, org_id, data.location_id):
        raise InvalidInput("Unknown location", field="location_id",
                           record=f"location/{data.location_id}")


def create_source(session: Session, org_id: uuid.UUID, user_id: uuid.UUID,
                  data: SourceIn) -> ResourceSource:
    """Add an org listing (verified now by its author)."""
    _check_refs(session, org_id, data)
    now = datetime.now(UTC)
    src = ResourceSource(organization_id=org_id, item_id=data.item_id,
                         location_id=data.location_id, price=_dec(data.price),
                         available=_dec(data.available), lot_size=_dec(data.lot_size),
                         quality=data.quality,
                         holder_name=data.holder_name, created_by=user_id,
                         last_verified_at=now, verified_by=user_id)
    session.add(src)
    session.flush()
    return src


def get_source(session: Session, org_id: uuid.UUID, source_id: uuid.UUID) -> ResourceSource:
    """A visible listing or 404."""
    src = repository.get(session, org_id, source_id)
    if src is None:
        raise NotFound("source", source_id)
    return src


def _own(session: Session, org_id: uuid.UUID, source_id: uuid.UUID) -> ResourceSource:
    src = get_source(session, org_id, source_id)
    if src.organization_id != org_id:
        raise Forbidden("Shared listings are read-only", record=f"source/{source_id}")
    return src


def update_source(session: Session, org_id: uuid.UUID, user_id: uuid.UUID,
                  source_id: uuid.UUID, data: SourceIn) -> ResourceSource:
    """Replace an org listing's figures (counts as a fresh verification)."""
    src = _own(session, org_id, source_id)
    _check_refs(session, org_id, data)
    src.item_id, src.location_id = data.item_id, data.location_id
    src.price, src.available = _dec(data.price), _dec(data.available)  # type: ignore[assignment]
    src.lot_size = _dec(data.lot_size)
    src.quality, src.holder_name = data.quality, data.holder_name
    src.last_verified_at, src.verified_by = datetime.now(UTC), user_id
    session.flush()
    return src


def delete_source(session: Session, org_id: uuid.UUID, source_id: uuid.UUID) -> None:
    """Delete an org listing."""
    session.delete(_own(session, org_id, source_id))
    session.flush()


def vote(session: Session, org_id: uuid.UUID, user_id: uuid.UUID, source_id: uuid.UUID,
         data: VoteIn) -> SourceVerification:
    """Record a vote; a second vote by the same member on the same UTC day is a 409 (the
    database's unique constraint decides, so concurrent double votes cannot both land)."""
    src = get_source(session, org_id, source_id)
    now = datetime.now(UTC)
    row = SourceVerification(source_id=src.id, user_id=user_id, was_accurate=data.accurate,
                             day=now.date(), note=data.note, created_at=now)
    session.add(row)
    session.flush()
    if data.accurate:
        src.last_verified_at, src.verified_by = now, user_id
        session.flush()
    return row


def all_sources(session: Session, org_id: uuid.UUID) -> Sequence[ResourceSource]:
    """Every listing the org may buy from, cheapest first (the planner's market snapshot)."""
    return repository.all_sources(session, org_id)
