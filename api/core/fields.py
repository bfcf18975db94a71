"""Field types shared by every request body and query parameter that carries a number or a
datetime, so one rule holds on every route instead of a validator per schema.

- Numbers are JSON numbers or plain decimal strings: Python's ``float``/``Decimal`` (and so
  pydantic) accept digit separators, ``"1_000"`` would silently become 1000.
- A positive quantity that is stored is at least the database's resolution
  (``QUANTITY_SCALE`` decimals): ``1e-300`` would round to 0 and trip a CHECK constraint.
- Datetimes are normalised to UTC while validating (naive ones are taken as UTC, as
  ``models.base.UTCDateTime`` does): one that overflows there (``0001-01-01T00:00:00+14:00``)
  is a 422 naming the field, not an ``OverflowError`` in the database layer.

NUL bytes in text are refused before validation, for every field at once, by
:class:`api.core.guard.RequestGuardMiddleware`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from models.base import QUANTITY_SCALE

# The smallest positive quantity a Numeric(20, QUANTITY_SCALE) column keeps.
QUANTITY_STEP = 10.0**-QUANTITY_SCALE


def _plain_number(value: object) -> object:
    if isinstance(value, str) and "_" in value:
        raise ValueError("write the number without digit separators ('_')")
    return value


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("datetime is out of range once converted to UTC") from None


Number = Annotated[float, BeforeValidator(_plain_number), Field(allow_inf_nan=False)]
"""A finite float from a JSON number or a plain decimal string."""

Quantity = Annotated[Number, Field(ge=QUANTITY_STEP)]
"""A positive quantity that is stored (at least one step of the database's scale)."""

DecimalNumber = Annotated[Decimal, BeforeValidator(_plain_number)]
"""An exact decimal from a JSON number or a plain decimal string."""

UtcDateTime = Annotated[datetime, AfterValidator(_to_utc)]
"""A datetime, returned as an aware UTC datetime; naive input is taken as UTC."""
