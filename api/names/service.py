"""Resolve the display names of a response's ids in a handful of queries (one per kind)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.orm import Session

from api.core.kept import kept
from api.items.service import names_of as item_names
from api.locations.service import paths_of
from api.names import repository

V = TypeVar("V")


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
    """Names of the given ids; kinds with no id cost no query, and names already looked up
    are kept while their tables are unchanged (read-only: callers never change them)."""
    return Names(
        items=_kept(session, "item-names", items, item_names),
        locations=paths_of(session, _ids(locations)),  # kept by the locations repository
        people=_kept(session, "person-names", people, repository.person_names),
        orgs=_kept(session, "org-names", orgs, repository.org_names),
        sources=_kept(session, "source-names", sources, repository.source_names),
    )


def _kept(session: Session, kind: str, ids: Iterable[uuid.UUID | None],
          lookup: Callable[[Session, Collection[uuid.UUID]], dict[uuid.UUID, V]]
          ) -> dict[uuid.UUID, V]:
    wanted = frozenset(_ids(ids))
    if not wanted:
        return {}
    return kept(session, (kind, wanted), lambda: lookup(session, wanted))
