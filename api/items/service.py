"""Item rules: the shared catalogue is read-only; orgs manage their private items and aliases."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from api.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from api.core.outputs import columns_of
from api.items import repository as repo
from api.items.schemas import AliasCreate, AliasOut, ItemCreate, ItemOut, ItemUpdate
from models.inventory import Item, ItemAlias

# Reads with no rule beyond tenant scoping, which the repository's statement owns: the
# router reaches them here, so it never imports the repository.
list_items = repo.list_items


# (name, unit) of many items in one query, for the names shown next to ids.
names_of = repo.units_of

# An item counted in pieces (a rifle, a component) exists only in whole units.
PIECE_UNIT = "piece"


def require_whole_pieces(
    session: Session, quantities: Iterable[tuple[uuid.UUID, Decimal | float | None, str]]
) -> None:
    """THE whole-pieces rule: 422 naming ``field`` when a piece item gets a fractional
    quantity. ``quantities`` are (item id, quantity, field name) triples; whole or missing
    quantities cost no query, so hot paths with whole numbers pay nothing."""
    fractional = [
        (item_id, Decimal(str(qty)), field)
        for item_id, qty, field in quantities
        if qty is not None and Decimal(str(qty)) != Decimal(str(qty)).to_integral_value()
    ]
    if not fractional:
        return
    items = repo.units_of(session, {item_id for item_id, _, _ in fractional})
    for item_id, qty, field in fractional:
        name, unit = items.get(item_id, ("", ""))
        if unit == PIECE_UNIT:
            raise InvalidInput(
                f"{name} is counted in whole pieces; {qty.normalize():f} is not a whole number",
                field=field, record=f"item/{item_id}",
            )


def visible_ids(session: Session, org_id: uuid.UUID, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """The subset of ``ids`` naming items the org may use: shared or its own (the one item
    rule, ``api.items.scoping``); what a request names and is not here is an unknown item."""
    return repo.visible_ids(session, org_id, ids)


def to_out(columns: Mapping[str, Any], aliases: Iterable[Mapping[str, Any]]) -> ItemOut:
    """The response body of one item from its columns (an ORM record's :func:`columns_of` or
    a Core row's mapping) and its aliases' columns."""
    return ItemOut.model_validate({
        **columns,
        "shared": columns["organization_id"] is None,
        "aliases": [AliasOut.model_validate(a) for a in aliases],
        "meta": dict(columns["meta"] or {}),
    })


def to_outs(session: Session, items: Sequence[Item | Mapping[str, Any]]) -> list[ItemOut]:
    """Response bodies for items -- records, or the column mappings of a list page -- with
    their aliases fetched in one query."""
    rows = [columns_of(i) if isinstance(i, Item) else i for i in items]
    aliases = repo.aliases_for(session, [r["id"] for r in rows])
    return [to_out(r, aliases.get(r["id"], [])) for r in rows]


def get_item(session: Session, org_id: uuid.UUID | None, item_id: uuid.UUID) -> Item:
    """A visible item; 404 for unknown ids and other orgs' private items."""
    item = repo.get_visible(session, org_id, item_id)
    if item is None:
        raise NotFound("item", item_id)
    return item


def get_private(session: Session, org_id: uuid.UUID, item_id: uuid.UUID) -> Item:
    """An org-private item the org may change; 403 for shared items."""
    item = get_item(session, org_id, item_id)
    if item.organization_id is None:
        raise Forbidden("Shared catalogue items are read-only", record=f"item/{item_id}")
    return item


def create_item(session: Session, org_id: uuid.UUID, data: ItemCreate) -> Item:
    """Create an org-private item with its aliases."""
    if repo.name_taken(session, org_id, data.name):
        raise Conflict("The org already has an item with this name", field="name")
    item = Item(
        name=data.name,
        unit=data.unit,
        volume_scu=data.volume_scu,
        category=data.category,
        subcategory=data.subcategory,
        description=data.description,
        organization_id=org_id,
        meta={},
    )
    session.add(item)
    session.flush()
    seen: set[str] = set()
    for alias in data.aliases:
        if alias.lower() not in seen:
            seen.add(alias.lower())
            session.add(ItemAlias(item_id=item.id, alias=alias, source="user"))
    session.flush()
    return item


def update_item(session: Session, org_id: uuid.UUID, item_id: uuid.UUID, data: ItemUpdate) -> Item:
    """Change an org-private item (null values for name/unit/category are ignored)."""
    item = get_private(session, org_id, item_id)
    if data.name is not None and repo.name_taken(session, org_id, data.name, exclude=item.id):
        raise Conflict("The org already has an item with this name", field="name")
    for field in ("name", "unit", "category"):
        value = getattr(data, field)
        if field in data.model_fields_set and value is not None:
            setattr(item, field, value)
    for field in ("volume_scu", "subcategory", "description"):
        if field in data.model_fields_set:
            setattr(item, field, getattr(data, field))
    session.flush()
    return item


def delete_item(session: Session, org_id: uuid.UUID, item_id: uuid.UUID) -> None:
    """Delete an org-private item nothing uses; 409 while stock or blueprints refer to it."""
    item = get_private(session, org_id, item_id)
    used = repo.references(session, item.id)
    if used:
        raise Conflict(
            "The item is in use by stock or blueprints", record=f"item/{item_id}", references=used
        )
    session.delete(item)
    session.flush()


def add_alias(
    session: Session, org_id: uuid.UUID, item_id: uuid.UUID, data: AliasCreate
) -> ItemAlias:
    """Add an alias to an org-private item; 409 when it already has it."""
    item = get_private(session, org_id, item_id)
    if repo.alias_exists(session, item.id, data.alias):
        raise Conflict("The item already has this alias", field="alias")
    alias = ItemAlias(item_id=item.id, alias=data.alias, source=data.source)
    session.add(alias)
    session.flush()
    return alias


def delete_alias(
    session: Session, org_id: uuid.UUID, item_id: uuid.UUID, alias_id: uuid.UUID
) -> None:
    """Remove an alias from an org-private item."""
    item = get_private(session, org_id, item_id)
    alias = repo.get_alias(session, item.id, alias_id)
    if alias is None:
        raise NotFound("alias", alias_id)
    session.delete(alias)
    session.flush()
