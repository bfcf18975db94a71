"""The optional filters of list endpoints, written once.

A list endpoint takes filters that are each either given or not (``?status=…&plan_id=…``);
a repository narrows its readable statement by the given ones. :func:`where_given` is that
step: ``column == value`` for every pair whose value is not ``None``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select

S = TypeVar("S", bound=Select[Any])


def where_given(stmt: S, *filters: tuple[ColumnElement[Any] | Any, object | None]) -> S:
    """``stmt`` narrowed by ``column == value`` for each ``(column, value)`` given (not None)."""
    for column, value in filters:
        if value is not None:
            stmt = stmt.where(column == value)
    return stmt
