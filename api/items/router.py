"""HTTP routes for the shared catalogue and org-private items."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status

from api.core.access import InventoryReader, ItemsManager
from api.core.db import DbSession
from api.core.deps import CurrentUser
from api.core.pagination import Page, Paging
from api.core.readcache import EVERYONE, cached_answer
from api.items import service
from api.items.schemas import AliasCreate, AliasOut, ItemCreate, ItemOut, ItemQuery, ItemUpdate

router = APIRouter(tags=["items"])

Filters = Annotated[ItemQuery, Query()]


@router.get("/items", summary="The shared item catalogue", response_model=Page[ItemOut])
def list_shared_items(
    request: Request,
    session: DbSession,
    page: Paging,
    user: CurrentUser,
    query: Filters,
) -> Response:
    """Ores, refined materials, crafting materials and parts; read-only."""
    def build() -> Page[ItemOut]:
        items, total = service.list_items(session, None, query, page)
        return page.page(service.to_outs(session, items), total)

    return cached_answer(request, EVERYONE, build)


@router.get("/items/{item_id}", summary="One shared item")
def get_shared_item(item_id: uuid.UUID, session: DbSession, user: CurrentUser) -> ItemOut:
    """A shared catalogue item with its aliases."""
    return service.to_outs(session, [service.get_item(session, None, item_id)])[0]


@router.get("/orgs/{org_id}/items", summary="Shared and org-private items; name/alias lookup",
            response_model=Page[ItemOut])
def list_org_items(
    request: Request,
    session: DbSession,
    page: Paging,
    access: InventoryReader,
    query: Filters,
    scope: Annotated[Literal["all", "shared", "org"], Query()] = "all",
) -> Response:
    """``match=Quantainium`` finds Quantanium through its alias."""
    def build() -> Page[ItemOut]:
        items, total = service.list_items(session, access.org_id, query, page, scope=scope)
        return page.page(service.to_outs(session, items), total)

    return cached_answer(request, access.org_id, build)


@router.post(
    "/orgs/{org_id}/items", status_code=status.HTTP_201_CREATED, summary="Add a private item"
)
def create_org_item(
    body: ItemCreate, session: DbSession, access: ItemsManager, response: Response
) -> ItemOut:
    """Visible to this org only."""
    item = service.create_item(session, access.org_id, body)
    response.headers["Location"] = f"/api/v1/orgs/{access.org_id}/items/{item.id}"
    return service.to_outs(session, [item])[0]


@router.get("/orgs/{org_id}/items/{item_id}", summary="One shared or org-private item")
def get_org_item(item_id: uuid.UUID, session: DbSession, access: InventoryReader) -> ItemOut:
    """404 for other orgs' private items."""
    return service.to_outs(session, [service.get_item(session, access.org_id, item_id)])[0]


@router.patch("/orgs/{org_id}/items/{item_id}", summary="Edit a private item")
def update_org_item(
    item_id: uuid.UUID, body: ItemUpdate, session: DbSession, access: ItemsManager
) -> ItemOut:
    """Shared items are read-only (403)."""
    item = service.update_item(session, access.org_id, item_id, body)
    return service.to_outs(session, [item])[0]


@router.delete(
    "/orgs/{org_id}/items/{item_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an unused private item",
)
def delete_org_item(item_id: uuid.UUID, session: DbSession, access: ItemsManager) -> Response:
    """409 while stock or blueprints use it."""
    service.delete_item(session, access.org_id, item_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/orgs/{org_id}/items/{item_id}/aliases",
    status_code=status.HTTP_201_CREATED,
    summary="Add an alias to a private item",
)
def add_alias(
    item_id: uuid.UUID, body: AliasCreate, session: DbSession, access: ItemsManager
) -> AliasOut:
    """Shared items' aliases come from the catalogue file (403 here)."""
    alias = service.add_alias(session, access.org_id, item_id, body)
    return AliasOut(id=alias.id, alias=alias.alias, source=alias.source)


@router.delete(
    "/orgs/{org_id}/items/{item_id}/aliases/{alias_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an alias from a private item",
)
def delete_alias(
    item_id: uuid.UUID, alias_id: uuid.UUID, session: DbSession, access: ItemsManager
) -> Response:
    """404 for unknown aliases."""
    service.delete_alias(session, access.org_id, item_id, alias_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
