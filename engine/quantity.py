"""Quantities as people read them: ``25 SCU``, ``1 piece``, ``0.04 SCU``, ``1,250 SCU``.

The one formatting function for every message and table that prints a quantity, in the
engine and in the service (which stores quantities as ``Numeric(20, 6)``, so a raw value
reads ``25.000000``).
"""

from __future__ import annotations

from contextlib import suppress
from decimal import Decimal, InvalidOperation

# The service keeps six decimals; finer digits of a float are solver round-off.
DECIMALS = 6

_UNIT_LABELS = {"scu": ("SCU", "SCU"), "piece": ("piece", "pieces")}


def format_quantity(
    value: float | int | Decimal, unit: str | None = None, *, decimals: int = DECIMALS
) -> str:
    """``value`` rounded to ``decimals`` places without trailing zeros, thousands grouped,
    followed by its unit when given (``scu`` reads ``SCU``; ``piece`` reads ``piece`` for
    exactly one and ``pieces`` otherwise; any other unit is printed as given)."""
    # str() of a float is its shortest round-trip spelling, not its binary expansion.
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if number.is_finite():
        # More digits than the decimal context holds: print the number as it is.
        with suppress(InvalidOperation):
            number = number.quantize(Decimal(1).scaleb(-decimals))
        text = f"{number:,f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        if text == "-0":
            text = "0"
    else:
        text = str(value)
    if unit is None:
        return text
    singular, plural = _UNIT_LABELS.get(str(unit).lower(), (str(unit), str(unit)))
    return f"{text} {singular if abs(number) == 1 else plural}"
