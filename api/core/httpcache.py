"""HTTP validation caching (ETag / ``If-None-Match``) for reads that rarely change.

:func:`conditional_json` serialises a response model once (no second validation pass by the
route's ``response_model``), tags it with a weak ETag of its bytes and answers ``304 Not
Modified`` without a body when the client already holds that version. The body still has to
be built (the tag is of the body, so every change -- a new item, a renamed location, a
membership that shows other rows -- changes it); what a 304 saves is the transfer and the
client's parsing, and serialising straight to bytes saves the second pass either way.

``Cache-Control: private, no-cache`` makes shared caches stay out (bodies depend on the
caller's org) and browsers revalidate every time; ``Vary: Authorization`` keeps two callers'
versions apart.
"""

from __future__ import annotations

import hashlib

from fastapi import Request, Response, status
from pydantic import BaseModel

CACHE_HEADERS = {"Cache-Control": "private, no-cache", "Vary": "Authorization"}


def etag_of(content: bytes) -> str:
    """A weak validator for ``content`` (equal bytes, equal tag)."""
    return 'W/"' + hashlib.blake2b(content, digest_size=16).hexdigest() + '"'


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    # Weak comparison (RFC 9110 13.1.2): W/ prefixes are ignored.
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def answer_bytes(request: Request, content: bytes, etag: str | None = None) -> Response:
    """JSON ``content`` with its ETag (computed unless given), or an empty 304 when
    ``If-None-Match`` matches it."""
    etag = etag or etag_of(content)
    headers = {**CACHE_HEADERS, "ETag": etag}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(content, media_type="application/json", headers=headers)


def conditional_json(request: Request, body: BaseModel) -> Response:
    """``body`` as JSON with an ETag, or an empty 304 when ``If-None-Match`` matches it."""
    return answer_bytes(request, body.model_dump_json().encode())
