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

from models.base import Base


def columns_of(record: Base) -> dict[str, Any]:
    """A mapped record's column attributes by name: the base of its response model."""
    return {attr.key: getattr(record, attr.key) for attr in record.__mapper__.column_attrs}
