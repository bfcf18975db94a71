"""HTTP routes for the universe, org locations and personal locations."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from api.core.db import DbSession
from api.core.deps import CurrentUser, OrgAccess, org_member
from api.core.httpcache import conditional_json
from api.core.pagination import Page, PageParams, Paging
from api.core.permissions import Action
from api.locations import service
from api.locations.schemas import (
    LocationCreate,
    LocationNode,
    LocationOut,
    LocationUpdate,
)
from api.locations.service import MAX_DEPTH, PATH_SEPARATOR, Owner
from models.inventory import LOCATION_KINDS, Location

router = APIRouter(tags=["locations"])

Kind = Literal[LOCATION_KINDS]  # type: ignore[valid-type]
Kinds = Annotated[list[Kind] | None, Query(alias="kind", description="Filter by kind")]
Depth = Annotated[int, Query(ge=0, le=MAX_DEPTH, description="How many levels below")]
OrgRead = Annotated[OrgAccess, Depends(org_member(action=Action.INVENTORY_READ))]
OrgWrite = Annotated[OrgAccess, Depends(org_member(action=Action.INVENTORY_WRITE))]


def _page(rows: list[tuple[Location, str, int]], total: int, page: PageParams) -> Page[LocationOut]:
    return page.page([service.to_out(loc, path, depth) for loc, path, depth in rows], total)


# --- the shared universe (read-only) ---------------------------------------------------------


@router.get(
    "/universe/locations",
    summary="The shared universe tree (flat and paginated, or as a nested tree)",
    response_model=Page[LocationOut] | list[LocationNode],
)
def list_universe(
    session: DbSession,
    page: Paging,
    user: CurrentUser,
    kind: Kinds = None,
    format: Annotated[Literal["flat", "tree"], Query(description="flat (paged) or tree")] = "flat",
) -> Page[LocationOut] | list[LocationNode]:
    """Systems, planets, Lagrange points, stations and cities with their paths.

    ``format=tree`` nests the whole (bounded) universe and ignores paging.
    """
    if format == "tree":
        rows, _ = service.list_locations(session, None, kinds=kind or ())
        return service.build_tree(rows)
    rows, total = service.list_locations(session, None, kinds=kind or (), page=page)
    return _page(rows, total, page)


@router.get("/universe/locations/{location_id}", summary="One universe node with its path")
def get_universe_location(
    location_id: uuid.UUID, session: DbSession, user: CurrentUser
) -> LocationOut:
    """A universe node."""
    chain = service.ancestors(session, None, location_id)
    return service.to_out(chain[-1], PATH_SEPARATOR.join(c.name for c in chain))


@router.get("/universe/locations/{location_id}/subtree", summary="A universe node and below")
def universe_subtree(
    location_id: uuid.UUID, session: DbSession, user: CurrentUser, depth: Depth = MAX_DEPTH
) -> list[LocationOut]:
    """The node and its universe descendants (depth relative to the node)."""
    return [
        service.to_out(loc, depth=d)
        for loc, d in service.subtree(session, None, location_id, depth)
    ]


@router.get("/universe/locations/{location_id}/ancestors", summary="Path to a universe node")
def universe_ancestors(
    location_id: uuid.UUID, session: DbSession, user: CurrentUser
) -> list[LocationOut]:
    """Root first, ending with the node itself."""
    return [service.to_out(loc) for loc in service.ancestors(session, None, location_id)]


# --- org locations ---------------------------------------------------------------------------


@router.get("/orgs/{org_id}/locations", summary="The universe plus the org's own locations",
            response_model=Page[LocationOut])
def list_org_locations(
    request: Request,
    session: DbSession,
    page: Paging,
    access: OrgRead,
    kind: Kinds = None,
    parent_id: Annotated[uuid.UUID | None, Query(description="Only direct children")] = None,
    include_universe: bool = True,
) -> Response:
    """Flat, paged, ordered by path; ``include_universe=false`` lists only the org's own."""
    rows, total = service.list_locations(
        session,
        Owner.org(access.org_id),
        include_universe=include_universe,
        kinds=kind or (),
        parent_id=parent_id,
        page=page,
    )
    return conditional_json(request, _page(rows, total, page))


@router.post(
    "/orgs/{org_id}/locations",
    status_code=status.HTTP_201_CREATED,
    summary="Create an org location (hangar, base, storage)",
)
def create_org_location(
    body: LocationCreate, session: DbSession, access: OrgWrite, response: Response
) -> LocationOut:
    """Hang a new org location under a universe node or another org location."""
    loc = service.create_location(session, Owner.org(access.org_id), body)
    response.headers["Location"] = f"/api/v1/orgs/{access.org_id}/locations/{loc.id}"
    return service.to_out(loc, service.path_of(session, loc.id))


@router.get("/orgs/{org_id}/locations/{location_id}", summary="One location with its path")
def get_org_location(location_id: uuid.UUID, session: DbSession, access: OrgRead) -> LocationOut:
    """A universe node, one of the org's locations, or (read-only) a member's location
    holding stock shared with the org."""
    loc = service.get_readable(session, Owner.org(access.org_id), location_id)
    return service.to_out(loc, service.path_of(session, loc.id))


@router.patch("/orgs/{org_id}/locations/{location_id}", summary="Edit an org location")
def update_org_location(
    location_id: uuid.UUID, body: LocationUpdate, session: DbSession, access: OrgWrite
) -> LocationOut:
    """Rename, move (no cycles) or set the trip cost; universe nodes are read-only (403)."""
    loc = service.update_location(session, Owner.org(access.org_id), location_id, body)
    return service.to_out(loc, service.path_of(session, loc.id))


@router.delete(
    "/orgs/{org_id}/locations/{location_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an empty org location",
)
def delete_org_location(location_id: uuid.UUID, session: DbSession, access: OrgWrite) -> Response:
    """409 while stock, ships, crafts, history or sub-locations are there."""
    service.delete_location(session, Owner.org(access.org_id), location_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/orgs/{org_id}/locations/{location_id}/subtree", summary="A location and below")
def org_subtree(
    location_id: uuid.UUID, session: DbSession, access: OrgRead, depth: Depth = MAX_DEPTH
) -> list[LocationOut]:
    """Everything the org can see below a location (ship grids parked there included)."""
    rows = service.subtree(session, Owner.org(access.org_id), location_id, depth)
    return [service.to_out(loc, depth=d) for loc, d in rows]


@router.get("/orgs/{org_id}/locations/{location_id}/ancestors", summary="Path to a location")
def org_ancestors(location_id: uuid.UUID, session: DbSession, access: OrgRead) -> list[LocationOut]:
    """Root first, ending with the location itself."""
    return [
        service.to_out(loc)
        for loc in service.ancestors(session, Owner.org(access.org_id), location_id)
    ]


# --- personal locations ----------------------------------------------------------------------


@router.get("/users/me/locations", summary="Your personal locations (and the universe)")
def list_my_locations(
    session: DbSession,
    page: Paging,
    user: CurrentUser,
    kind: Kinds = None,
    parent_id: Annotated[uuid.UUID | None, Query(description="Only direct children")] = None,
    include_universe: bool = False,
) -> Page[LocationOut]:
    """Flat, paged, ordered by path; only your own unless ``include_universe=true``."""
    rows, total = service.list_locations(
        session,
        Owner.user(user.id),
        include_universe=include_universe,
        kinds=kind or (),
        parent_id=parent_id,
        page=page,
    )
    return _page(rows, total, page)


@router.post(
    "/users/me/locations",
    status_code=status.HTTP_201_CREATED,
    summary="Create a personal location",
)
def create_my_location(
    body: LocationCreate, session: DbSession, user: CurrentUser, response: Response
) -> LocationOut:
    """A personal hangar, base or storage under a universe node or one of yours."""
    loc = service.create_location(session, Owner.user(user.id), body)
    response.headers["Location"] = f"/api/v1/users/me/locations/{loc.id}"
    return service.to_out(loc, service.path_of(session, loc.id))


@router.get("/users/me/locations/{location_id}", summary="One of your locations")
def get_my_location(location_id: uuid.UUID, session: DbSession, user: CurrentUser) -> LocationOut:
    """A universe node or one of your locations, with its path."""
    loc = service.get_visible(session, Owner.user(user.id), location_id)
    return service.to_out(loc, service.path_of(session, loc.id))


@router.patch("/users/me/locations/{location_id}", summary="Edit a personal location")
def update_my_location(
    location_id: uuid.UUID, body: LocationUpdate, session: DbSession, user: CurrentUser
) -> LocationOut:
    """Rename, move or set the trip cost."""
    loc = service.update_location(session, Owner.user(user.id), location_id, body)
    return service.to_out(loc, service.path_of(session, loc.id))


@router.delete(
    "/users/me/locations/{location_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an empty personal location",
)
def delete_my_location(location_id: uuid.UUID, session: DbSession, user: CurrentUser) -> Response:
    """409 while anything is there."""
    service.delete_location(session, Owner.user(user.id), location_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/users/me/locations/{location_id}/subtree", summary="A location and below")
def my_subtree(
    location_id: uuid.UUID, session: DbSession, user: CurrentUser, depth: Depth = MAX_DEPTH
) -> list[LocationOut]:
    """Everything you can see below a location."""
    rows = service.subtree(session, Owner.user(user.id), location_id, depth)
    return [service.to_out(loc, depth=d) for loc, d in rows]


@router.get("/users/me/locations/{location_id}/ancestors", summary="Path to a location")
def my_ancestors(
    location_id: uuid.UUID, session: DbSession, user: CurrentUser
) -> list[LocationOut]:
    """Root first, ending with the location itself."""
    return [
        service.to_out(loc) for loc in service.ancestors(session, Owner.user(user.id), location_id)
    ]
