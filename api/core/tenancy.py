"""Who owns a record: an organisation or one user. The one owner type of every domain.

Locations, ships and stock rows each belong to exactly one of the two (their tables carry
``organization_id`` and ``owner_user_id``, one of them set). The predicates that read those
columns live with their domain (``api.locations.scoping``, ``api.items.scoping``); this module
only names the owner and the id a statement binds.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import BindParameter

# An id, or a bind parameter standing for one in a statement built once (the hot paths).
Id = uuid.UUID | BindParameter[uuid.UUID]


@dataclass(frozen=True, slots=True)
class Owner:
    """Who a location, ship or stock row belongs to: an organisation or a single user."""

    kind: Literal["org", "user"]
    id: uuid.UUID

    @classmethod
    def org(cls, org_id: uuid.UUID) -> Owner:
        """An organisation owner."""
        return cls("org", org_id)

    @classmethod
    def user(cls, user_id: uuid.UUID) -> Owner:
        """A personal owner."""
        return cls("user", user_id)

    @classmethod
    def of(cls, organization_id: uuid.UUID | None, owner_user_id: uuid.UUID | None) -> Owner:
        """The owner a row's two columns name (the user's when both are given)."""
        if owner_user_id is not None:
            return cls.user(owner_user_id)
        if organization_id is None:
            raise ValueError("a record is owned by an organisation or a user")
        return cls.org(organization_id)

    @property
    def organization_id(self) -> uuid.UUID | None:
        """The value of a row's ``organization_id`` column for this owner."""
        return self.id if self.kind == "org" else None

    @property
    def owner_user_id(self) -> uuid.UUID | None:
        """The value of a row's ``owner_user_id`` column for this owner."""
        return self.id if self.kind == "user" else None
