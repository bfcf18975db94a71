"""The organisation-access dependencies several routers share, declared once.

Each alias is ``Annotated[OrgAccess, Depends(org_member(action=...))]`` for one action of the
permission matrix (:mod:`api.core.permissions`). Declaring it once also gives every route the
same dependency callable, so FastAPI caches one membership check per request.

:data:`InventoryList` gathers what a paged list of an org's records needs (the reader's
access, the session and the page) into one :class:`OrgList` parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from api.core.db import DbSession
from api.core.deps import OrgAccess, org_member
from api.core.pagination import PageParams, Paging
from api.core.permissions import Action

InventoryReader = Annotated[OrgAccess, Depends(org_member(action=Action.INVENTORY_READ))]
"""A member who may read the org's inventory (stock, items, locations, plans…)."""

InventoryWriter = Annotated[OrgAccess, Depends(org_member(action=Action.INVENTORY_WRITE))]
"""A member who may change the org's stock."""

StockWriter = Annotated[OrgAccess, Depends(org_member(action=Action.INVENTORY_WRITE,
                                                     shared_copies=True))]
"""An :data:`InventoryWriter` for the stock routes, which only read who the caller is: their
writes may reuse a verified caller (see ``shared_copies`` in :func:`api.core.deps.org_member`)."""

ItemsManager = Annotated[OrgAccess, Depends(org_member(action=Action.ITEMS_MANAGE))]
"""A member who may create and change the org's private items (and so import them)."""


@dataclass(frozen=True)
class OrgList:
    """A paged list request of an org's records: who asks, in which session, which page."""

    access: OrgAccess
    session: Session
    page: PageParams


async def inventory_list(access: InventoryReader, session: DbSession, page: Paging) -> OrgList:
    """Dependency: the :class:`OrgList` of an inventory reader (``async``: it only gathers,
    and a sync dependency would cost a threadpool hop per request)."""
    return OrgList(access, session, page)


InventoryList = Annotated[OrgList, Depends(inventory_list)]
"""A paged list of the org's inventory records (the ``limit`` / ``offset`` query)."""
