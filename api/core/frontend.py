"""Serve the built web UI (``frontend/dist``) at ``/`` next to the API.

Hashed files under ``/assets/`` are immutable and cached for a year; every other path that is
not the API, the docs or a platform route answers ``index.html`` so client-side routes
(``/orgs/…/plans/…``) survive a reload. ``index.html`` itself is never cached, so a new build
is picked up at once. Without a build, ``/`` says how to make one instead of a bare 404.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.types import Receive, Scope, Send

# Paths the UI fallback must never swallow: an unknown /api/… route is a 404 problem document.
RESERVED_PREFIXES = (
    "api/", "docs", "redoc", "openapi.json", "static-offline-docs/", "health", "ready",
)
IMMUTABLE = "public, max-age=31536000, immutable"
# The UI loads only its own files; React and the chart/graph libraries set style attributes,
# hence 'unsafe-inline' for styles only. connect-src covers the API and the org WebSocket.
UI_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
NO_CACHE = "no-cache"

NOT_BUILT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Quartermaster: UI not built</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto">
<h1>Quartermaster</h1>
<p>The API is running, but the web UI has not been built yet.</p>
<p>Build it with <code>make run</code>
(or <code>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</code>) and reload this page.
Meanwhile the API and its documentation are at <a href="/docs">/docs</a>.</p>
</body></html>
"""


def _inside(root: Path, candidate: Path) -> bool:
    try:
        candidate.relative_to(root)
    except ValueError:
        return False
    return True


def mount_frontend(app: FastAPI, dist: Path) -> None:
    """Serve the UI from ``app``'s router fallback: whatever no route matches.

    Not a catch-all route, so routes added later (tests add some) still match first, and an
    unknown ``/api/…`` path keeps its 404 problem document.
    """
    root = dist.resolve()
    not_found = app.router.not_found

    def respond(path: str) -> Response | None:
        if path.startswith(RESERVED_PREFIXES):
            return None
        index = root / "index.html"
        if not index.is_file():
            return HTMLResponse(
                NOT_BUILT_PAGE, status_code=503,
                headers={"Cache-Control": NO_CACHE, "Content-Security-Policy": UI_CSP},
            )
        if path:
            target = (root / path).resolve()
            if _inside(root, target) and target.is_file():
                cache = IMMUTABLE if path.startswith("assets/") else NO_CACHE
                return FileResponse(
                    target, headers={"Cache-Control": cache, "Content-Security-Policy": UI_CSP}
                )
            if path.startswith("assets/"):
                # A missing hashed asset is an old build's file: 404, not the app shell.
                return None
        return FileResponse(
            index, headers={"Cache-Control": NO_CACHE, "Content-Security-Policy": UI_CSP}
        )

    async def ui(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            response = respond(scope["path"].lstrip("/"))
            if response is not None:
                await response(scope, receive, send)
                return
        await not_found(scope, receive, send)

    app.router.default = ui
