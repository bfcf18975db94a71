"""Resolve the display names of a response's ids in a handful of queries (one per kind)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from api.items.service import names_of as item_names
from api.locations.service import paths_of
from api.names import repository


@dataclass(frozen=True)
class Names:
    """Names looked up for a set of ids; a missing id reads as None."""

    items: dict[uuid.UUID, tuple[str, str]] = field(default_factory=dict)
    locations: dict[uuid.UUID, tuple[str, str]] = field(default_factory=dict)
    people: dict[uuid.UUID, str] = field(default_factory=dict)
    orgs: dict[uuid.UUID, str] = field(default_factory=dict)
    sources: dict[uuid.UUID, str] = field(default_factory=dict)

    def item(self, item_id: uuid.UUID | None) -> str | None:
        """The item's name."""
        found = self.items.get(item_id) if item_id else None
        return found[0] if found else None

    def unit(self, item_id: uuid.UUID | None) -> str | None:
        """The unit the item is counted in (``scu`` or ``piece``)."""
        found = self.items.get(item_id) if item_id else None
        return found[1] if found else None

    def location(self, location_id: uuid.UUID | None) -> str | None:
        """The location's own name."""
        found = self.locations.get(location_id) if location_id else None
        return found[0] if found else None

    def path(self, location_id: uuid.UUID | None) -> str | None:
        """The location's full path from its root."""
        found = self.locations.get(location_id) if location_id else None
        return found[1] if found else None

    def person(self, user_id: uuid.UUID | None) -> str | None:
        """A user's display name (or username)."""
        return self.people.get(user_id) if user_id else None

    def owner(self, org_id: uuid.UUID | None, user_id: uuid.UUID | None) -> str | None:
        """Who holds a row: the org's name, else the member's name."""
        if org_id is not None:
            return self.orgs.get(org_id)
        return self.person(user_id)

    def source(self, source_id: uuid.UUID | None) -> str | None:
        """A market listing's readable name."""
        return self.sources.get(source_id) if source_id else None


def _ids(values: Iterable[uuid.UUID | None]) -> set[uuid.UUID]:
    return {v for v in values if v is not None}


def resolve(
    session: Session,
    *,
    items: Iterable[uuid.UUID | None] = (),
    locations: Iterable[uuid.UUID | None] = (),
    people: Iterable[uuid.UUID | None] = (),
    orgs: Iterable[uuid.UUID | None] = (),
    sources: Iterable[uuid.UUID | None] = (),
) -> Names:
    """Names of the given ids; kinds with no id cost no query."""
    return Names(
        items=item_names(session, _ids(items)),
        locations=paths_of(session, _ids(locations)),
        people=repository.person_names(session, _ids(people)),
        orgs=repository.org_names(session, _ids(orgs)),
        sources=repository.source_names(session, _ids(sources)),
    )
