"""HTTP routes for the universe, org locations and personal locations.

Org and personal locations are one set of routes (:func:`_location_routes`) registered for
both owners (``api.core.owner_routes``). Not ``from __future__ import annotations``: the
routes' ``Annotated`` dependencies are read from the builder's closure.
"""

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from api.core.db import DbSession
from api.core.deps import CurrentUser
from api.core.owner_routes import OwnerRoutes, owner_routes
from api.core.pagination import Page, PageParams, Paging
from api.core.permissions import Action
from api.core.readcache import cached_answer
from api.core.tenancy import Owner
from api.locations import service
from api.locations.schemas import (
    LocationCreate,
    LocationFilters,
    LocationNode,
    LocationOut,
    LocationUpdate,
)
from api.locations.service import MAX_DEPTH, PATH_SEPARATOR
from models.inventory import LOCATION_KINDS

router = APIRouter(tags=["locations"])

Kind = Literal[LOCATION_KINDS]  # type: ignore[valid-type]
Kinds = Annotated[list[Kind] | None, Query(alias="kind", description="Filter by kind")]
Depth = Annotated[int, Query(ge=0, le=MAX_DEPTH, description="How many levels below")]


def _page(rows: list[dict[str, Any]], total: int, page: PageParams) -> Page[LocationOut]:
    return page.page([service.to_out(row) for row in rows], total)


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
        return service.build_tree(service.tree_rows(session, None, kinds=kind or ()))
    rows, total = service.list_locations(session, None, page, LocationFilters(kinds=kind or ()))
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


def _location_routes(scope: OwnerRoutes) -> None:
    """The location routes of one owner kind (org or personal)."""
    read = Annotated[Owner, Depends(scope.read)]
    write = Annotated[Owner, Depends(scope.write)]
    many, one = f"{scope.prefix}/locations", f"{scope.prefix}/locations/{{location_id}}"
    # An org works inside the universe; a person mostly lists their own few places.
    universe_by_default = scope.kind == "org"

    @router.get(many, name=f"list_{scope.name}_locations", response_model=Page[LocationOut],
                summary=scope.say("The universe plus the org's own locations",
                                  "Your personal locations (and the universe)"))
    def list_locations(
        request: Request,
        session: DbSession,
        page: Paging,
        owner: read,
        kind: Kinds = None,
        parent_id: Annotated[uuid.UUID | None, Query(description="Only direct children")] = None,
        include_universe: bool = universe_by_default,
    ) -> Response:
        """Flat, paged, ordered by path; ``include_universe`` adds the shared universe (by
        default for an org, not for your personal ones)."""
        filters = LocationFilters(kind or (), parent_id, owned_only=not include_universe)

        def build() -> Page[LocationOut]:
            rows, total = service.list_locations(session, owner, page, filters)
            return _page(rows, total, page)

        return cached_answer(request, owner.id, build)

    @router.post(many, name=f"create_{scope.name}_location", status_code=status.HTTP_201_CREATED,
                 summary=scope.say("Create an org location (hangar, base, storage)",
                                   "Create a personal location"))
    def create_location(
        body: LocationCreate, session: DbSession, owner: write, response: Response
    ) -> LocationOut:
        """Hang a new hangar, base or storage under a universe node or one of the owner's."""
        loc = service.create_location(session, owner, body)
        response.headers["Location"] = scope.url(owner, f"/locations/{loc.id}")
        return service.to_out(loc, service.path_of(session, loc.id))

    @router.get(one, name=f"get_{scope.name}_location",
                summary=scope.say("One location with its path", "One of your locations"))
    def get_location(location_id: uuid.UUID, session: DbSession, owner: read) -> LocationOut:
        """A universe node or one of the owner's locations, with its path; for an org also
        (read-only) a member's location holding stock shared with the org."""
        loc = service.get_readable(session, owner, location_id)
        return service.to_out(loc, service.path_of(session, loc.id))

    @router.patch(one, name=f"update_{scope.name}_location",
                  summary=scope.say("Edit an org location", "Edit a personal location"))
    def update_location(
        location_id: uuid.UUID, body: LocationUpdate, session: DbSession, owner: write
    ) -> LocationOut:
        """Rename, move (no cycles) or set the trip cost; universe nodes are read-only (403)."""
        loc = service.update_location(session, owner, location_id, body)
        return service.to_out(loc, service.path_of(session, loc.id))

    @router.delete(one, name=f"delete_{scope.name}_location",
                   status_code=status.HTTP_204_NO_CONTENT,
                   summary=scope.say("Delete an empty org location",
                                     "Delete an empty personal location"))
    def delete_location(location_id: uuid.UUID, session: DbSession, owner: write) -> Response:
        """409 while stock, ships, crafts, history or sub-locations are there."""
        service.delete_location(session, owner, location_id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @router.get(f"{one}/subtree", name=f"{scope.name}_subtree", summary="A location and below")
    def subtree(
        location_id: uuid.UUID, session: DbSession, owner: read, depth: Depth = MAX_DEPTH
    ) -> list[LocationOut]:
        """Everything the owner can see below a location (ship grids parked there included)."""
        rows = service.subtree(session, owner, location_id, depth)
        return [service.to_out(loc, depth=d) for loc, d in rows]

    @router.get(f"{one}/ancestors", name=f"{scope.name}_ancestors",
                summary="Path to a location")
    def ancestors(location_id: uuid.UUID, session: DbSession, owner: read) -> list[LocationOut]:
        """Root first, ending with the location itself."""
        return [service.to_out(loc) for loc in service.ancestors(session, owner, location_id)]


for _scope in owner_routes(Action.INVENTORY_READ, Action.INVENTORY_WRITE):
    _location_routes(_scope)
