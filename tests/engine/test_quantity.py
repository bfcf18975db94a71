"""Quantities as people read them: one format for messages and tables (issue 12 item 6)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.problem import Unit
from engine.quantity import format_quantity


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (Decimal("25.000000"), "scu", "25 SCU"),  # as the database returns it
        (Decimal("0.040000"), "scu", "0.04 SCU"),
        (3, "piece", "3 pieces"),
        (1, Unit.PIECE, "1 piece"),
        (Decimal("1.000000"), "piece", "1 piece"),
        (-1, "piece", "-1 piece"),
        (0, "piece", "0 pieces"),
        (Decimal("0"), "scu", "0 SCU"),
        (1250000.5, Unit.SCU, "1,250,000.5 SCU"),
        (0.1 + 0.2, None, "0.3"),  # float round-off is not a digit anyone wants
        (0.0599999999, "scu", "0.06 SCU"),
        (-1e-7, None, "0"),  # rounds to zero without a sign
        (Decimal("1E+3"), None, "1,000"),
        (7, "crates", "7 crates"),  # an unknown unit is printed as given
    ],
)
def test_format_quantity(value: float | Decimal, unit: str | None, text: str) -> None:
    assert format_quantity(value, unit) == text


def test_more_decimals_on_request_and_huge_or_odd_values_survive() -> None:
    assert format_quantity(0.3000000012, decimals=9) == "0.300000001"
    assert format_quantity(1e30) == "1,000,000,000,000,000,000,000,000,000,000"
    assert format_quantity(float("inf"), "scu") == "inf SCU"


def test_whole_number_rounding_forgives_float_noise_only() -> None:
    from engine.tolerances import WHOLE, ceil_whole, floor_whole

    assert ceil_whole(0.1 * 3 / 0.3) == 1          # 1.0000000000000002 is one run, not two
    assert floor_whole(2.9999999999) == 3
    assert ceil_whole(3 + 10 * WHOLE) == 4          # real excess still rounds up
    assert floor_whole(3 - 10 * WHOLE) == 2
