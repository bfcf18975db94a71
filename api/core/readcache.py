"""Answers of hot reads kept until a table they were read from changes.

The item list, the stock list, the location list, where-is and a plan are read far more often
than they change. :meth:`ReadCache.answer` builds such an answer once per caller and URL and
serves the same bytes (and ETag) again while the :class:`~api.core.changes.ChangeClock` says
none of the tables its statements named has changed since -- whoever changed them, in this
process or another (see :mod:`api.core.changes`).

What is not cached: authentication and access checks (the route's dependencies run on every
request, and the answer is keyed by its audience: the caller, the org, or everyone, as the
route says); anything while the clock is not
live (no change listener connected, or SQLite); bodies above :data:`MAX_BODY_BYTES`.
``organization_members`` and ``users`` are always among an answer's tables, so a change of
anyone's role or account drops it even when the read itself did not name them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi import Request, Response
from pydantic import BaseModel

from api.core.changes import ChangeClock
from api.core.httpcache import answer_bytes, conditional_json, etag_of
from api.core.kept import KeptValues

MAX_BODY_BYTES = 512 * 1024
ALWAYS_READ = frozenset({"organization_members", "users"})
# The audience of an answer that is the same for every signed-in caller (shared catalogue).
EVERYONE = uuid.UUID(int=0)

Body = tuple[bytes, str]  # the JSON and its ETag


class ReadCache:
    """Answers of hot reads by audience and URL, valid while their tables are unchanged."""

    def __init__(self, clock: ChangeClock) -> None:
        self.answers: KeptValues[Body] = KeptValues(clock, "answers")

    @property
    def clock(self) -> ChangeClock:
        """The clock that says whether an answer is still valid."""
        return self.answers.clock

    def answer(self, request: Request, audience: uuid.UUID,
               build: Callable[[], BaseModel]) -> Response:
        """The answer to ``request`` for ``audience``: kept bytes when still valid, else
        ``build()`` serialised (and kept); a 304 when ``If-None-Match`` matches either.

        ``audience`` is whose view the answer is: the caller's user id when it depends on who
        asks (their own stock), else the org's (or owner's) id, shared by all who may read it.
        """
        # From the scope: request.url would build a URL object (scanning the headers for the
        # host) on every hit, for two strings.
        key = (audience, request.scope["path"], request.scope.get("query_string", b""))
        body = self.answers.get(key)
        if body is None:
            def serialise() -> Body:
                content = build().model_dump_json().encode()
                return content, etag_of(content)

            body = self.answers.build(key, serialise, also_read=ALWAYS_READ,
                                      keep=lambda made: len(made[0]) <= MAX_BODY_BYTES)
        return answer_bytes(request, *body)


def read_cache(request: Request) -> ReadCache | None:
    """The app's cache of hot reads (None: not caching, e.g. on SQLite)."""
    cache: ReadCache | None = getattr(request.app.state, "read_cache", None)
    return cache


def cached_answer(request: Request, audience: uuid.UUID,
                  build: Callable[[], BaseModel]) -> Response:
    """``build()`` as JSON with an ETag, through the app's read cache when it has one
    (``audience``: see :meth:`ReadCache.answer`)."""
    cache = read_cache(request)
    if cache is None:
        return conditional_json(request, build())
    return cache.answer(request, audience, build)
