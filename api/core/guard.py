"""Checks every request makes before any route sees it: body size and NUL bytes.

- A body larger than ``Settings.max_body_bytes`` answers 413, judged on ``Content-Length``
  when sent and counted while reading otherwise (chunked bodies), before anything parses it.
  File uploads (``POST …/orgs/{org}/imports``) get ``Settings.max_upload_bytes`` instead: an
  import file may be 20 MiB (a 100,000-row stock file is about 7 MiB).
- A NUL byte (``\\u0000``) in the path, a query parameter, or any string or key of a JSON or
  form body answers 422 naming the field. No text in this API may hold one, and PostgreSQL
  text columns refuse them: checking here covers every field of every route at once, rather
  than a validator on each schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.core.errors import FieldError, payload_too_large, validation_problem

NUL = "\x00"
NUL_MESSAGE = "must not contain a NUL (\\u0000) character"
# Enough to name the fields at fault without echoing a whole hostile document.
MAX_REPORTED = 20
# The routes that take a file upload, and so the larger body limit.
UPLOAD_PATH = re.compile(r"^/api/v1/orgs/[^/]+/imports/?$")


def _nul_locs(value: Any, loc: list[str | int]) -> Iterator[list[str | int]]:
    """Locations of the strings (and keys) under ``value`` that contain a NUL."""
    if isinstance(value, str):
        if NUL in value:
            yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                yield [*loc, key.replace(NUL, "\\u0000")]
            else:
                yield from _nul_locs(item, [*loc, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_locs(item, [*loc, index])


def _pairs_with_nul(pairs: list[tuple[str, str]], where: str) -> list[list[str | int]]:
    return [[where, key.replace(NUL, "\\u0000")] for key, value in pairs
            if NUL in key or NUL in value]


def _body_nul_locs(body: bytes, content_type: str) -> list[list[str | int]]:
    if content_type.startswith("application/x-www-form-urlencoded"):
        text = body.decode("utf-8", errors="replace")
        return _pairs_with_nul(parse_qsl(text, keep_blank_values=True), "body")
    # JSON can only carry a NUL as the escape \u0000 (a raw one is malformed JSON, which
    # the route reports itself), so most bodies are never parsed twice.
    if b"\\u0000" not in body or "json" not in content_type:
        return []
    try:
        document = json.loads(body)
    except ValueError:
        return []  # malformed: the route's own validation answers it
    return list(_nul_locs(document, ["body"]))


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


class RequestGuardMiddleware:
    """Refuses oversized bodies (413) and NUL bytes anywhere in the input (422)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int,
                 max_upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max(max_upload_bytes or 0, max_body_bytes)

    def _limit(self, scope: Scope) -> int:
        if scope.get("method") == "POST" and UPLOAD_PATH.match(scope.get("path", "")):
            return self.max_upload_bytes
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        locs: list[list[str | int]] = []
        if NUL in scope.get("path", ""):
            locs.append(["path"])
        locs += _pairs_with_nul(parse_qsl(query, keep_blank_values=True), "query")
        if scope["type"] == "websocket":
            if locs:
                # Before accept, a close is refused as HTTP 403 by the server.
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        if locs:
            await self._reject(scope, send, locs)
            return
        limit = self._limit(scope)
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > limit:
            await payload_too_large(Request(scope), limit)(scope, receive, send)
            return
        body, more = await self._read_body(receive, limit)
        if more:
            await payload_too_large(Request(scope), limit)(scope, receive, send)
            return
        locs = _body_nul_locs(body, _header(scope, b"content-type").lower())
        if locs:
            await self._reject(scope, send, locs)
            return
        await self.app(scope, self._replay(body, receive), send)

    @staticmethod
    async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
        """The whole body, or what was read when it passed the limit (then ``True``)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks), False  # client gone: the route sees an empty body
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return b"", True
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), False

    @staticmethod
    def _replay(body: bytes, receive: Receive) -> Receive:
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # later reads wait for the disconnect, as usual

        return replay

    @staticmethod
    async def _reject(scope: Scope, send: Send, locs: list[list[str | int]]) -> None:
        errors = [FieldError(NUL_MESSAGE, loc=loc) for loc in locs[:MAX_REPORTED]]
        response = validation_problem(Request(scope), errors)

        async def no_body() -> Message:
            return {"type": "http.disconnect"}

        await response(scope, no_body, send)
