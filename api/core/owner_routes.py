"""One set of routes served for both kinds of owner: an org and the caller.

Locations and ships are owned by an org (``/orgs/{org_id}/…``, members by role) or by one
user (``/users/me/…``). A domain router writes each route once, in a function of an
:class:`OwnerRoutes`, and registers it for both (:func:`owner_routes`); only the path prefix,
the dependency that names the owner and a few words differ.

Not ``from __future__ import annotations``: the routes are defined inside a function, and
FastAPI reads their ``Annotated`` dependencies at definition time, which needs the closure's
variables, not names looked up later in the module.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends

from api.core.deps import CurrentUser, OrgAccess, org_member
from api.core.permissions import Action
from api.core.tenancy import Owner

API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class OwnerRoutes:
    """Where one owner kind's routes live and how a request names its owner."""

    kind: Literal["org", "user"]
    # Path prefix under /api/v1: "/orgs/{org_id}" or "/users/me".
    prefix: str
    # The word route names carry ("list_org_ships", "list_my_ships"): operation ids stay put.
    name: str
    read: Callable[..., Owner]
    write: Callable[..., Owner]

    def say(self, org: str, user: str) -> str:
        """The words for this owner kind (a route summary written for both)."""
        return org if self.kind == "org" else user

    def url(self, owner: Owner, tail: str) -> str:
        """The absolute URL of ``tail`` under this owner (a ``Location`` header)."""
        base = f"/orgs/{owner.id}" if self.kind == "org" else "/users/me"
        return f"{API_PREFIX}{base}{tail}"


def _org_owner(action: Action) -> Callable[..., Owner]:
    member = org_member(action=action)

    def org_owner(access: Annotated[OrgAccess, Depends(member)]) -> Owner:
        return Owner.org(access.org_id)

    return org_owner


def _caller(user: CurrentUser) -> Owner:
    return Owner.user(user.id)


def owner_routes(read: Action, write: Action) -> tuple[OwnerRoutes, OwnerRoutes]:
    """The org's routes (``read``/``write`` per the permission matrix) and the caller's own."""
    return (
        OwnerRoutes("org", "/orgs/{org_id}", "org", _org_owner(read), _org_owner(write)),
        OwnerRoutes("user", "/users/me", "my", _caller, _caller),
    )
