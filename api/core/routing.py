"""Route registration shapes that many routers share.

:func:`no_content` registers an action that answers ``204 No Content``: the endpoint does its
work and returns ``None``, instead of every router building the empty response by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Response, status

Endpoint = Callable[..., Any]
# What a router's ``get``/``post``… returns: the decorator that registers an endpoint.
RouteDecorator = Callable[[Endpoint], Endpoint]


def no_content(
    register: Callable[..., RouteDecorator], path: str, **route: Any
) -> RouteDecorator:
    """``register(path, **route)`` (a router's ``post``, ``delete``…) for a route whose
    endpoint returns None and which answers 204 with no body.

    The plain ``Response`` class, not JSON: an empty 204 carries no ``Content-Type``.
    """
    return register(
        path, status_code=status.HTTP_204_NO_CONTENT, response_class=Response, **route
    )
