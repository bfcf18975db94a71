"""HTTP routes of the commons: submissions and moderation (``/commons``), the org's hide
switch, and the public read API without authentication (``/public``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel

from api.commons import service
from api.commons.cache import CACHE
from api.commons.schemas import (
    DecisionIn,
    EntityOut,
    EntityPage,
    HiddenOut,
    ResubmitIn,
    SubmissionIn,
    SubmissionOut,
    SubmissionPage,
    TakedownIn,
    VersionOut,
)
from api.core.db import DbSession
from api.core.deps import CurrentUser, OrgAccess, org_member
from api.core.pagination import MAX_OFFSET
from api.core.permissions import Action
from api.core.ratelimit import limit
from models.commons import CommonsEntity, CommonsSubmission

router = APIRouter(tags=["commons"])

Limit = Annotated[int, Query(alias="limit", ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
T = TypeVar("T")

Writer = Annotated[OrgAccess, Depends(org_member(action=Action.BLUEPRINTS_WRITE))]
PublicRead = Depends(limit("public_reads_per_client"))
# After CurrentUser in the signature: per-account limits key on the authenticated user.
Submitting = Depends(limit("commons_submissions_per_account"))


def _sub_out(session: DbSession, sub: CommonsSubmission) -> SubmissionOut:
    return service.describe_submissions(session, [sub])[0]


def _entity_out(session: DbSession, entity: CommonsEntity) -> EntityOut:
    version = service.current_version(session, entity)
    return EntityOut(
        id=entity.id, kind=entity.kind, name=entity.name, aliases=entity.aliases,
        tags=entity.tags, status=entity.status, version=entity.current_version,
        data=version.data if version else {},
        blueprint_id=version.blueprint_id if version else None, item_id=entity.item_id,
        takedown_reason=entity.takedown_reason)


# -- submissions and moderation ------------------------------------------------------------------

@router.post("/commons/submissions", response_model=SubmissionOut,
             status_code=status.HTTP_201_CREATED,
             summary="Submit a new public entity or a change to one (reviewed before publishing)")
def submit(request: Request, user: CurrentUser, _: Annotated[None, Submitting],
           session: DbSession, body: SubmissionIn) -> SubmissionOut:
    """Any user may submit; nothing is public until a curator or moderator approves it.
    429 with ``Retry-After`` past the rate limit or the open-submission quota."""
    settings = request.app.state.settings
    sub = service.submit(session, user.id, body,
                         max_open=settings.commons_max_open_submissions_per_user)
    return _sub_out(session, sub)


@router.get("/commons/submissions", response_model=SubmissionPage,
            summary="My submissions, or (moderators) the moderation queue")
def list_submissions(
    user: CurrentUser, session: DbSession,
    scope: Literal["mine", "queue"] = "mine",
    status_: Annotated[str | None, Query(alias="status")] = None,
    limit_: Annotated[int, Query(alias="limit", ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> SubmissionPage:
    """``scope=queue`` (curators/moderators) lists everyone's, oldest first."""
    rows, total = service.submissions(session, user.id, mine=scope == "mine", status=status_,
                                      limit=limit_, offset=offset)
    return SubmissionPage(items=service.describe_submissions(session, rows), total=total)


@router.get("/commons/submissions/{submission_id}", response_model=SubmissionOut,
            summary="A submission with its moderation log and duplicate hints")
def get_submission(submission_id: uuid.UUID, user: CurrentUser,
                   session: DbSession) -> SubmissionOut:
    """Its submitter and moderators may read it; anyone else gets 404."""
    return _sub_out(session, service.get_submission(session, user.id, submission_id))


@router.put("/commons/submissions/{submission_id}", response_model=SubmissionOut,
            summary="Edit and resubmit after a moderator requested changes")
def resubmit(submission_id: uuid.UUID, user: CurrentUser, session: DbSession,
             body: ResubmitIn) -> SubmissionOut:
    """Back to pending; the change is logged as a diff."""
    return _sub_out(session, service.resubmit(session, user.id, submission_id, body))


@router.post("/commons/submissions/{submission_id}/decision", response_model=SubmissionOut,
             summary="Approve, reject, request changes or merge (curators/moderators)")
def decide(submission_id: uuid.UUID, user: CurrentUser, session: DbSession,
           body: DecisionIn) -> SubmissionOut:
    """409 when the submission was already decided (by a concurrent moderator, say)."""
    return _sub_out(session, service.decide(session, user.id, submission_id, body))


@router.post("/commons/entities/{entity_id}/takedown", response_model=EntityOut,
             summary="Unpublish a public entity with a reason (curators/moderators)")
def takedown(entity_id: uuid.UUID, user: CurrentUser, session: DbSession,
             body: TakedownIn) -> EntityOut:
    """Gone from lists and new plans; running crafts and stored plans keep their version."""
    return _entity_out(session, service.takedown(session, user.id, entity_id, body.reason))


class HiddenIn(BaseModel):
    """Hide a public entity from the org's lists and plans, or show it again."""

    hidden: bool


@router.put("/orgs/{org_id}/commons/hidden/{entity_id}", response_model=HiddenOut,
            summary="Hide (or show again) a public blueprint in this org")
def set_hidden(entity_id: uuid.UUID, access: Writer, session: DbSession,
               body: HiddenIn) -> HiddenOut:
    """An org that does not want a public blueprint hides it; its plans leave it out."""
    service.set_hidden(session, access.org_id, entity_id, body.hidden)
    return HiddenOut(entity_id=entity_id, hidden=body.hidden)


# -- public read API (no authentication) ---------------------------------------------------------

def _cached(request: Request, compute: Callable[[], T]) -> T:
    ttl = request.app.state.settings.commons_cache_ttl_seconds
    # Keyed by app too: each app (one per test, one per process in production) its own data.
    key = f"{id(request.app)}:{request.url.path}?{request.url.query}"
    return CACHE.get_or_compute(key, ttl, compute)


def _page(request: Request, session: DbSession, kind: str, limit_: int,
          offset: int) -> EntityPage:
    def compute() -> EntityPage:
        rows, total = service.list_entities(session, kind, limit=limit_, offset=offset)
        return EntityPage(items=[_entity_out(session, e) for e in rows], total=total)

    return _cached(request, compute)




def _lister(kind: str) -> Callable[..., EntityPage]:
    def list_public(request: Request, session: DbSession, limit_: Limit = 50,
                    offset: Offset = 0) -> EntityPage:
        """No authentication; rate limited per client."""
        return _page(request, session, kind, limit_, offset)

    list_public.__name__ = f"public_{kind}s"
    return list_public


for _kind, _summary in [("item", "Published public items"),
                        ("blueprint", "Published public blueprints"),
                        ("location", "Published public locations"),
                        ("tag", "The public tag taxonomy")]:
    router.add_api_route(f"/public/{_kind}s", _lister(_kind), methods=["GET"],
                         response_model=EntityPage, dependencies=[PublicRead],
                         summary=_summary)


@router.get("/public/search", response_model=list[EntityOut], dependencies=[PublicRead],
            summary="Full-text search over public names, aliases and tags")
def public_search(
    request: Request,
    session: DbSession,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    kind: Literal["item", "blueprint", "location", "tag"] | None = None,
    limit_: Annotated[int, Query(alias="limit", ge=1, le=100)] = 20,
) -> list[EntityOut]:
    """"quant" finds Quantanium by its name or its aliases; best match first."""
    return _cached(request, lambda: [
        _entity_out(session, e) for e in service.search(session, q, kind=kind, limit=limit_)])


@router.get("/public/entities/{entity_id}/versions", response_model=list[VersionOut],
            dependencies=[PublicRead], summary="Every version of a public entity")
def public_versions(entity_id: uuid.UUID, session: DbSession) -> list[VersionOut]:
    """Versions are immutable; the current one is ``status: current``."""
    return [VersionOut(version=v.version, status=v.status, data=v.data,
                       blueprint_id=v.blueprint_id, created_at=v.created_at)
            for v in service.entity_versions(session, entity_id)]
