"""How a response model is built from a stored record — the one way (docs/api-shapes.md,
"Outputs").

``XOut.model_validate(record)`` when the record's attributes are the output (the schema has
``from_attributes``); otherwise ``XOut.model_validate({**columns_of(record), <derived
fields>})``. Whatever needs the session or other rows (names, progress, paths) is built by the
domain service's ``to_out`` (one record) or ``describe_*`` (a batch, one query per kind), never
in a router and never by listing columns by hand.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Label

from models.base import Base


def columns_of(record: Base) -> dict[str, Any]:
    """A mapped record's column attributes by name: the base of its response model."""
    return {attr.key: getattr(record, attr.key) for attr in record.__mapper__.column_attrs}


def output_columns(model: type[Base]) -> list[Label[Any]]:
    """A model's columns labelled by attribute name, for a Core select whose rows are the
    output's base.

    Hot list reads select these instead of the entity and run them on the session's
    connection: a row's ``_mapping`` is then the same dict :func:`columns_of` gives, without
    the ORM building and tracking an object per row.
    """
    return [getattr(model, attr.key).label(attr.key) for attr in model.__mapper__.column_attrs]
