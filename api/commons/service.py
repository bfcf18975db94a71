"""Commons rules: submit, review, publish immutable versions, take down; keep public data from
harming any org's planning (the org's own data wins, the public record is left out, with a
warning).
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from api.blueprints.service import bom_cycles, engine_blueprint, refining_blueprint_in
from api.commons import repository
from api.commons.cache import bust_after_commit
from api.commons.schemas import (
    DATA_MODELS,
    ActionOut,
    BlueprintData,
    DecisionIn,
    ResubmitIn,
    SubmissionIn,
    SubmissionOut,
)
from api.core.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests
from api.live.hub import announce, announce_access_changed, announce_commons
from api.notifications.service import notify
from api.orgs.service import is_member
from models.commons import CommonsAction, CommonsEntity, CommonsSubmission, CommonsVersion
from models.inventory import Item, Location
from models.planning import Blueprint, BlueprintIngredient

MODERATION_ROLES = frozenset({"curator", "moderator"})
QUOTA_RETRY_AFTER = 3600  # seconds: open submissions free up as moderators decide them

list_entities = repository.list_entities
search = repository.search


def normalise(name: str) -> str:
    """Lower-case ASCII words: "Quantainium (Raw)" -> "quantainium raw"."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _now() -> datetime:
    return datetime.now(UTC)


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``{key: [old, new]}`` for every key whose value differs."""
    return {k: [old.get(k), new.get(k)] for k in sorted(set(old) | set(new))
            if old.get(k) != new.get(k)}


# -- validation ----------------------------------------------------------------------------------

def _validated(session: Session, kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    """The submission's data checked against its kind (422 naming ``data.<field>``), with
    every reference public."""
    try:
        data: BaseModel = DATA_MODELS[kind].model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(["data", *(str(p) for p in first["loc"])])
        raise InvalidInput(first["msg"], field=field) from None
    if isinstance(data, BlueprintData):
        return _blueprint_data(session, data)
    out = data.model_dump(mode="json")
    if kind == "location" and out.get("parent_id"):
        parent = session.get(Location, uuid.UUID(out["parent_id"]))
        if parent is None or parent.organization_id is not None or parent.owner_user_id:
            raise InvalidInput("A public location's parent must be a public location",
                               field="data.parent_id", record=f"location/{out['parent_id']}")
    return out


def _blueprint_data(session: Session, data: BlueprintData) -> dict[str, Any]:
    if data.refining is not None:
        derived = refining_blueprint_in(data.refining)
        body = derived.model_dump(mode="json", exclude={"is_public", "code"})
    else:
        if data.output_item_id is None or data.output_quantity is None or not data.name:
            missing = next(f for f in ("name", "output_item_id", "output_quantity")
                           if not getattr(data, f))
            raise InvalidInput("Field required", field=f"data.{missing}")
        body = data.model_dump(mode="json", exclude={"refining", "aliases", "tags"})
    body["aliases"], body["tags"] = data.aliases, data.tags
    out_id = uuid.UUID(body["output_item_id"])
    wanted = {out_id} | {uuid.UUID(i["item_id"]) for i in body["ingredients"]}
    public = repository.public_item_ids(session, wanted)
    # A public record may reference only public records.
    if out_id not in public:
        raise InvalidInput("A public blueprint's output must be a public item",
                           field="data.output_item_id", record=f"item/{out_id}")
    for k, ing in enumerate(body["ingredients"]):
        if uuid.UUID(ing["item_id"]) not in public:
            raise InvalidInput("A public blueprint's ingredients must be public items",
                               field=f"data.ingredients.{k}.item_id",
                               record=f"item/{ing['item_id']}")
        if ing["item_id"] == body["output_item_id"]:
            raise InvalidInput("A blueprint cannot use its own output as an ingredient",
                               field=f"data.ingredients.{k}.item_id")
    return body


def _check_change(kind: str, base: dict[str, Any], data: dict[str, Any]) -> None:
    """A change to a published item keeps its unit: the shared item row is updated in place
    (every org's stock, history and recipes point at it), and stock counted in SCU cannot
    become a count of pieces. Name, category, volume and description may change."""
    if kind == "item" and base.get("unit") and data.get("unit") != base["unit"]:
        raise InvalidInput(f"A published item's unit stays {base['unit']}; submit a new item "
                           "instead", field="data.unit")


def _duplicates(session: Session, kind: str, name: str, aliases: Sequence[str],
                exclude: uuid.UUID | None) -> list[dict[str, Any]]:
    hints: dict[uuid.UUID, dict[str, Any]] = {}
    for probe in [name, *aliases]:
        norm = normalise(probe)
        if not norm:
            continue
        for entity, score in repository.similar_entities(session, kind, norm):
            if entity.id == exclude:
                continue
            best = hints.get(entity.id)
            if best is None or score > best["score"]:
                hints[entity.id] = {"entity_id": str(entity.id), "name": entity.name,
                                    "score": round(score, 3), "matched": probe}
    return sorted(hints.values(), key=lambda h: -h["score"])[:5]


def _name_of(kind: str, data: dict[str, Any]) -> str:
    return str(data.get("name") or kind)


# -- submissions ---------------------------------------------------------------------------------

def submit(session: Session, user_id: uuid.UUID, body: SubmissionIn, *,
           max_open: int) -> CommonsSubmission:
    """File a submission (pending review); 429 past the user's open-submission quota."""
    open_now = repository.count_open_submissions(session, user_id)
    if open_now >= max_open:
        raise TooManyRequests(
            f"You have {open_now} submissions awaiting review (at most {max_open}); "
            "retry when moderators have decided some",
            retry_after=QUOTA_RETRY_AFTER, limit="commons_max_open_submissions_per_user",
            open=open_now, max_open=max_open)
    base: dict[str, Any] = {}
    if body.entity_id is not None:
        entity = repository.get_entity(session, body.entity_id)
        if entity is None or entity.status != "published":
            raise NotFound("commons entity", body.entity_id)
        if entity.kind != body.kind:
            raise InvalidInput(f"Entity {entity.id} is a {entity.kind}", field="kind",
                               record=f"commons/{entity.id}")
        current = repository.current_version(session, entity.id)
        base = current.data if current else {}
    if body.organization_id is not None and not is_member(session, body.organization_id,
                                                          user_id):
        # Unknown and not-yours read the same: no probing which org ids exist.
        raise InvalidInput("You are not a member of this organisation",
                           field="organization_id", record=f"org/{body.organization_id}")
    data = _validated(session, body.kind, body.data)
    _check_change(body.kind, base, data)
    sub = CommonsSubmission(
        id=uuid.uuid4(), kind=body.kind, entity_id=body.entity_id, data=data,
        source_ref=body.source_ref, submitter_id=user_id, anonymous=body.anonymous,
        organization_id=body.organization_id, status="pending",
        duplicates=_duplicates(session, body.kind, _name_of(body.kind, data),
                               data.get("aliases", []), body.entity_id))
    session.add(sub)
    session.flush()
    _log(session, sub, user_id, "submit", None, diff(base, data))
    _announce(session, sub, "submit")
    return sub


def _log(session: Session, sub: CommonsSubmission | None, actor: uuid.UUID | None, action: str,
         notes: str | None, change: dict[str, Any],
         entity_id: uuid.UUID | None = None) -> None:
    session.add(CommonsAction(submission_id=sub.id if sub else None,
                              entity_id=entity_id or (sub.entity_id if sub else None),
                              actor_id=actor, action=action, notes=notes, diff=change))
    session.flush()


def _announce(session: Session, sub: CommonsSubmission, action: str, *,
              decided: bool = False) -> None:
    """The moderation queue's live event for ``sub`` (after commit); a decision also goes to
    its submitter. It never names the submitter, who may have chosen to be anonymous."""
    announce_commons(session, {
        "type": "commons.submission", "action": action, "submission_id": str(sub.id),
        "kind": sub.kind, "name": _name_of(sub.kind, sub.data), "status": sub.status,
        "entity_id": str(sub.entity_id) if sub.entity_id else None,
    }, submitter_id=sub.submitter_id if decided else None)


def get_submission(session: Session, user_id: uuid.UUID,
                   submission_id: uuid.UUID) -> CommonsSubmission:
    """A submission its submitter or a moderator may read, else 404."""
    sub = repository.get_submission(session, submission_id)
    if sub is None or (sub.submitter_id != user_id and not is_moderator(session, user_id)):
        raise NotFound("submission", submission_id)
    return sub


def resubmit(session: Session, user_id: uuid.UUID, submission_id: uuid.UUID,
             body: ResubmitIn) -> CommonsSubmission:
    """The submitter's edit after "request changes": back to pending, the diff logged."""
    sub = repository.get_submission(session, submission_id, lock=True)
    if sub is None or sub.submitter_id != user_id:
        raise NotFound("submission", submission_id)
    if sub.status != "changes_requested":
        raise Conflict(f"Submission is {sub.status}; only one with changes requested can be "
                       "resubmitted", record=f"submission/{sub.id}")
    data = _validated(session, sub.kind, body.data)
    if sub.entity_id is not None:
        current = repository.current_version(session, sub.entity_id)
        _check_change(sub.kind, current.data if current else {}, data)
    change = diff(sub.data, data)
    sub.data = data
    if body.source_ref:
        sub.source_ref = body.source_ref
    sub.status, sub.decided_at = "pending", None
    sub.duplicates = _duplicates(session, sub.kind, _name_of(sub.kind, data),
                                 data.get("aliases", []), sub.entity_id)
    session.flush()
    _log(session, sub, user_id, "resubmit", body.notes, change)
    _announce(session, sub, "resubmit")
    return sub


def is_moderator(session: Session, user_id: uuid.UUID) -> bool:
    """True for curators and moderators."""
    return bool(repository.roles_of(session, user_id) & MODERATION_ROLES)


def require_moderator(session: Session, user_id: uuid.UUID) -> None:
    """403 unless the user holds a platform moderation role (no org role grants one)."""
    if not is_moderator(session, user_id):
        raise Forbidden("Only commons curators and moderators may do this",
                        required_role="curator or moderator")


_STATUS_OF = {"approve": "approved", "reject": "rejected",
              "request_changes": "changes_requested", "merge": "merged"}


def decide(session: Session, moderator_id: uuid.UUID, submission_id: uuid.UUID,
           body: DecisionIn) -> CommonsSubmission:
    """Approve (publish), reject, request changes or merge into an existing entity.

    The pending -> decided step is one conditional UPDATE: of two moderators deciding at once,
    one wins and the other gets 409, so an approval publishes exactly one version."""
    sub = repository.get_submission(session, submission_id)
    if sub is None:
        raise NotFound("submission", submission_id)
    require_moderator(session, moderator_id)
    target: CommonsEntity | None = None
    if body.action == "merge":
        if body.merge_into is None:
            raise InvalidInput("merge needs merge_into", field="merge_into")
        target = repository.get_entity(session, body.merge_into, lock=True)
        if target is None or target.kind != sub.kind:
            raise InvalidInput("Unknown entity of this kind", field="merge_into",
                               record=f"commons/{body.merge_into}")
    if not repository.claim_submission(session, sub.id, _STATUS_OF[body.action], _now()):
        session.refresh(sub)
        raise Conflict(f"Submission is already {sub.status}", record=f"submission/{sub.id}",
                       status=sub.status)
    session.refresh(sub)
    change: dict[str, Any] = {}
    if body.action == "approve":
        version = publish(session, sub, moderator_id)
        change = {"version": [None, version.version]}
    elif target is not None:
        name = _name_of(sub.kind, sub.data)
        new_aliases = [a for a in [name, *sub.data.get("aliases", [])]
                       if normalise(a) != target.norm_name and a not in target.aliases]
        target.aliases = [*target.aliases, *new_aliases]
        target.search_text = _search_text(target.name, target.aliases, target.tags)
        sub.entity_id = target.id
        change = {"aliases": [None, new_aliases]}
        bust_after_commit(session)
    session.flush()
    _log(session, sub, moderator_id, body.action, body.notes, change)
    _announce(session, sub, body.action, decided=True)
    name = _name_of(sub.kind, sub.data)
    notify(session, [sub.submitter_id], "commons.decision",
           f"Your commons submission {name!r}: {body.action}",
           data={"submission_id": str(sub.id), "action": body.action, "notes": body.notes})
    if sub.organization_id is not None:
        # An org event (after commit): the org's live feed and webhooks hear the decision.
        announce(session, sub.organization_id, {
            "type": "commons.decision", "submission_id": str(sub.id), "kind": sub.kind,
            "name": name, "action": body.action, "status": sub.status, "notes": body.notes,
            "entity_id": str(sub.entity_id) if sub.entity_id else None})
    return sub


def _search_text(name: str, aliases: Sequence[str], tags: Sequence[str]) -> str:
    return " ".join([name, *aliases, *tags])


def publish(session: Session, sub: CommonsSubmission, moderator_id: uuid.UUID) -> CommonsVersion:
    """Publish the submission's data as a new entity (v1) or the entity's next version."""
    data = sub.data
    name = _name_of(sub.kind, data)
    if sub.entity_id is None:
        entity = CommonsEntity(id=uuid.uuid4(), kind=sub.kind, name=name,
                               norm_name=normalise(name), current_version=1)
        session.add(entity)
        number = 1
    else:
        locked = repository.get_entity(session, sub.entity_id, lock=True)
        if locked is None or locked.status != "published":
            raise Conflict("The entity was taken down meanwhile", record=f"commons/{sub.entity_id}")
        entity = locked
        previous = repository.current_version(session, entity.id)
        if previous is not None:
            previous.status = "superseded"
        number = entity.current_version + 1
        entity.current_version = number
        entity.name, entity.norm_name = name, normalise(name)
    entity.aliases = list(data.get("aliases", []))
    entity.tags = list(data.get("tags", []))
    entity.search_text = _search_text(name, entity.aliases, entity.tags)
    session.flush()
    version = CommonsVersion(entity_id=entity.id, version=number, data=data, status="current",
                             submission_id=sub.id, published_by=moderator_id)
    if sub.kind == "blueprint":
        version.blueprint_id = _blueprint_row(session, data, sub.submitter_id).id
    elif sub.kind == "item":
        entity.item_id = _item_row(session, entity.item_id, data).id
    elif sub.kind == "location":
        entity.location_id = _location_row(session, entity.location_id, data).id
    session.add(version)
    sub.entity_id = entity.id
    session.flush()
    bust_after_commit(session)
    return version


def _dec(value: float) -> Decimal:
    return Decimal(str(value))


def _blueprint_row(session: Session, data: dict[str, Any],
                   author: uuid.UUID | None) -> Blueprint:
    """A new shared row per version, never edited: crafts and plans pin it."""
    bp = Blueprint(
        id=uuid.uuid4(), organization_id=None, created_by=author, name=data["name"],
        description=data.get("description"), kind=data.get("kind", "craft"),
        output_item_id=uuid.UUID(data["output_item_id"]),
        output_quantity=_dec(data["output_quantity"]), minutes=_dec(data.get("minutes", 0)),
        run_cost=_dec(data.get("run_cost", 0)),
        ingredients=[BlueprintIngredient(position=k, item_id=uuid.UUID(i["item_id"]),
                                         quantity=_dec(i["quantity"]),
                                         min_quality=i.get("min_quality", 0))
                     for k, i in enumerate(data.get("ingredients", []))])
    session.add(bp)
    session.flush()
    return bp


def _item_row(session: Session, item_id: uuid.UUID | None, data: dict[str, Any]) -> Item:
    """The shared item an item entity publishes, updated in place (stock points at it)."""
    item = session.get(Item, item_id) if item_id else None
    if item is None:
        item = Item(id=uuid.uuid4(), organization_id=None)
        session.add(item)
    item.name, item.unit = data["name"], data.get("unit", "scu")
    item.category = data.get("category") or "misc"
    item.description = data.get("description")
    volume = data.get("volume_scu")
    item.volume_scu = _dec(volume) if volume is not None else None
    session.flush()
    return item


def _location_row(session: Session, location_id: uuid.UUID | None,
                  data: dict[str, Any]) -> Location:
    loc = session.get(Location, location_id) if location_id else None
    if loc is None:
        loc = Location(id=uuid.uuid4())
        session.add(loc)
    loc.name, loc.kind = data["name"], data.get("kind", "station")
    loc.parent_id = uuid.UUID(data["parent_id"]) if data.get("parent_id") else None
    session.flush()
    return loc


def takedown(session: Session, moderator_id: uuid.UUID, entity_id: uuid.UUID,
             reason: str) -> CommonsEntity:
    """Unpublish an entity: gone from lists and new plans; pinned crafts and stored plan
    snapshots keep the version they used."""
    entity = repository.get_entity(session, entity_id)
    if entity is None:
        raise NotFound("commons entity", entity_id)
    require_moderator(session, moderator_id)
    entity = repository.get_entity(session, entity_id, lock=True) or entity
    if entity.status == "taken_down":
        raise Conflict("Already taken down", record=f"commons/{entity_id}")
    entity.status, entity.takedown_reason = "taken_down", reason
    current = repository.current_version(session, entity.id)
    if current is not None:
        current.status = "taken_down"
    session.flush()
    bust_after_commit(session)
    _log(session, None, moderator_id, "takedown", reason, {"status": ["published", "taken_down"]},
         entity_id=entity.id)
    announce_commons(session, {"type": "commons.entity", "action": "takedown",
                               "entity_id": str(entity.id), "kind": entity.kind,
                               "name": entity.name, "reason": reason})
    return entity


def get_entity(session: Session, entity_id: uuid.UUID) -> CommonsEntity:
    """A published entity or 404."""
    entity = repository.get_entity(session, entity_id)
    if entity is None or entity.status != "published":
        raise NotFound("commons entity", entity_id)
    return entity


def entity_versions(session: Session, entity_id: uuid.UUID) -> list[CommonsVersion]:
    """Every version of a published entity."""
    return repository.versions(session, get_entity(session, entity_id).id)


def current_version(session: Session, entity: CommonsEntity) -> CommonsVersion | None:
    """The entity's current version."""
    return repository.current_version(session, entity.id)


def set_hidden(session: Session, org_id: uuid.UUID, entity_id: uuid.UUID,
               hidden: bool) -> None:
    """Hide (or show again) a public entity from the org's lists and plans."""
    from models.commons import CommonsHidden

    entity = get_entity(session, entity_id)
    row = repository.hidden_row(session, org_id, entity.id)
    if hidden and row is None:
        session.add(CommonsHidden(organization_id=org_id, entity_id=entity.id))
    elif not hidden and row is not None:
        session.delete(row)
    session.flush()


def submissions(session: Session, user_id: uuid.UUID, *, mine: bool, status: str | None,
                limit: int, offset: int) -> tuple[list[CommonsSubmission], int]:
    """The user's own submissions, or (moderators) the queue."""
    if not mine:
        require_moderator(session, user_id)
    return repository.list_submissions(session, submitter_id=user_id if mine else None,
                                       status=status, limit=limit, offset=offset)


def attribution(session: Session, subs: Sequence[CommonsSubmission]) -> dict[uuid.UUID, str]:
    """Submission id -> submitter handle, or "anonymous" (chosen, or the account is gone)."""
    names = repository.handles(session, {s.submitter_id for s in subs
                                         if s.submitter_id and not s.anonymous})
    return {s.id: names.get(s.submitter_id, "anonymous") if s.submitter_id else "anonymous"
            for s in subs}


def _ids_in(value: Any, found: set[uuid.UUID]) -> None:
    """Collect every string in a JSON value that is a UUID."""
    if isinstance(value, dict):
        for v in value.values():
            _ids_in(v, found)
    elif isinstance(value, list):
        for v in value:
            _ids_in(v, found)
    elif isinstance(value, str) and len(value) == 36:
        with contextlib.suppress(ValueError):
            found.add(uuid.UUID(value))


def describe_submissions(session: Session,
                         subs: Sequence[CommonsSubmission]) -> list[SubmissionOut]:
    """Response bodies for submissions with their moderation logs (so a submitter reads the
    moderator's notes in a list) and ``labels``: the names of the items, locations and
    entities their data and diffs name by id, so a reviewer reads "Quantanium", not a UUID.
    A fixed number of queries, whatever the number of submissions."""
    handles = attribution(session, subs)
    logs = repository.actions_of(session, [s.id for s in subs])
    actors = repository.handles(session, {a.actor_id for log in logs.values() for a in log
                                           if a.actor_id})
    named: dict[uuid.UUID, set[uuid.UUID]] = {}
    for sub in subs:
        named[sub.id] = set()
        for value in [sub.data, *(action.diff for action in logs[sub.id])]:
            _ids_in(value, named[sub.id])
    names = repository.names_of(session, set().union(*named.values()))
    return [SubmissionOut(
        id=sub.id, kind=sub.kind, entity_id=sub.entity_id, data=sub.data,
        source_ref=sub.source_ref, submitter=handles[sub.id], status=sub.status,
        duplicates=sub.duplicates, created_at=sub.created_at, decided_at=sub.decided_at,
        actions=[ActionOut(action=a.action, actor=_actor(sub, a, actors), notes=a.notes,
                           diff=a.diff, created_at=a.created_at) for a in logs[sub.id]],
        labels={str(i): names[i] for i in sorted(named[sub.id], key=str) if i in names},
    ) for sub in subs]


def _actor(sub: CommonsSubmission, action: CommonsAction, handles: dict[uuid.UUID, str]) -> str:
    """Who took a logged action: a handle, or "anonymous" for a submitter who chose so (or a
    deleted account)."""
    if action.actor_id is None or (action.actor_id == sub.submitter_id and sub.anonymous):
        return "anonymous"
    return handles.get(action.actor_id, "anonymous")


# -- planning isolation --------------------------------------------------------------------------

def plannable(session: Session, org_id: uuid.UUID,
              rows: Sequence[Blueprint]) -> tuple[list[Blueprint], dict[str, Any]]:
    """The blueprints an org's plan may use, and what the snapshot records about the commons.

    The org's own data wins: a public blueprint that duplicates one of the org's (same output
    and name) or closes a bill-of-materials cycle (through the org's recipes or other public
    ones) is left out of this problem, with a warning; the plan still solves. The kept public
    rows are pinned versions: ``versions`` names the entity and version of each."""
    own = [bp for bp in rows if bp.organization_id == org_id]
    public = [bp for bp in rows if bp.organization_id != org_id]
    warnings: list[dict[str, Any]] = []
    own_keys = {(bp.output_item_id, normalise(bp.name)) for bp in own}
    kept: list[Blueprint] = []
    for bp in public:
        if (bp.output_item_id, normalise(bp.name)) in own_keys:
            warnings.append({"blueprint_id": str(bp.id), "name": bp.name, "reason": "duplicate",
                             "detail": "duplicates one of the org's own blueprints"})
        else:
            kept.append(bp)
    public_ids = {str(bp.id) for bp in kept}
    while True:
        engine_bps = [engine_blueprint(bp) for bp in [*own, *kept]]
        offending = {bp_id for cycle in bom_cycles(engine_bps) for bp_id in cycle
                     if bp_id in public_ids}
        if not offending:
            break
        for bp in [b for b in kept if str(b.id) in offending]:
            warnings.append({"blueprint_id": str(bp.id), "name": bp.name, "reason": "cycle",
                             "detail": "closes a bill-of-materials cycle with the org's data"})
        kept = [b for b in kept if str(b.id) not in offending]
        public_ids -= offending
    pinned = repository.versions_of_blueprints(session, [bp.id for bp in kept])
    info = {"versions": {str(bp_id): {"entity_id": str(v.entity_id), "version": v.version}
                         for bp_id, v in pinned.items()},
            "warnings": warnings}
    return [*own, *kept], info


def publish_reference_data(session: Session) -> int:
    """Publish, as version 1, every shared catalogue item and universe node that the loaded
    reference data holds and no commons entity publishes yet (rows loaded after migration
    0008 published the ones that existed then); return how many. Idempotent: a second call
    publishes nothing. Later catalogue edits still update the shared rows in place -- the
    reference files are their source, not a submission."""
    published = 0
    for item, aliases in repository.unpublished_shared_items(session):
        data = {"name": item.name, "unit": item.unit, "category": item.category,
                "volume_scu": float(item.volume_scu) if item.volume_scu is not None else None,
                "description": item.description, "aliases": aliases}
        _publish_v1(session, "item", item.name, data, aliases, item_id=item.id)
        published += 1
    for loc in repository.unpublished_universe(session):
        data = {"name": loc.name, "kind": loc.kind,
                "parent_id": str(loc.parent_id) if loc.parent_id else None}
        _publish_v1(session, "location", loc.name, data, [], location_id=loc.id)
        published += 1
    if published:
        session.flush()
        bust_after_commit(session)
    return published


def _publish_v1(session: Session, kind: str, name: str, data: dict[str, Any],
                aliases: list[str], **link: uuid.UUID) -> None:
    entity = CommonsEntity(id=uuid.uuid4(), kind=kind, name=name, norm_name=normalise(name),
                           aliases=aliases, tags=[], current_version=1, status="published",
                           search_text=_search_text(name, aliases, []), **link)
    session.add(entity)
    session.add(CommonsVersion(entity_id=entity.id, version=1, data=data, status="current"))


def grant_role(session: Session, username: str, role: str, *, revoke: bool = False) -> bool:
    """Grant (or revoke) a platform role; the admin command's rule. True when it changed."""
    from models.commons import PLATFORM_ROLES, PlatformRole

    if role not in PLATFORM_ROLES:
        raise InvalidInput(f"Role is one of {', '.join(PLATFORM_ROLES)}", field="role")
    user = repository.user_by_name(session, username)
    if user is None:
        raise NotFound("user", username)
    has = role in repository.roles_of(session, user.id)
    if revoke and has:
        repository.delete_role(session, user.id, role)
    elif not revoke and not has:
        session.add(PlatformRole(user_id=user.id, role=role))
    session.flush()
    # An open commons socket subscribed to the moderation queue re-checks the role.
    announce_access_changed(session, [user.id])
    return has == revoke
