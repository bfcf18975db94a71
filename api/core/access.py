"""The organisation-access dependencies several routers share, declared once.

Each alias is ``Annotated[OrgAccess, Depends(org_member(action=...))]`` for one action of the
permission matrix (:mod:`api.core.permissions`). Declaring it once also gives every route the
same dependency callable, so FastAPI caches one membership check per request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.core.deps import OrgAccess, org_member
from api.core.permissions import Action

InventoryReader = Annotated[OrgAccess, Depends(org_member(action=Action.INVENTORY_READ))]
"""A member who may read the org's inventory (stock, items, locations, plans…)."""

InventoryWriter = Annotated[OrgAccess, Depends(org_member(action=Action.INVENTORY_WRITE))]
"""A member who may change the org's stock."""

ItemsManager = Annotated[OrgAccess, Depends(org_member(action=Action.ITEMS_MANAGE))]
"""A member who may create and change the org's private items (and so import them)."""
