"""RFC 9457 problem documents for every error the API returns.

Raise a :class:`ProblemError` subclass from services or routers; :func:`install_error_handlers`
turns it, request validation errors, database integrity errors and anything unexpected into
``application/problem+json``. A 500 never carries internal details.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.core.constraints import constraint_name, describe
from api.core.db import sqlite_busy
from api.core.logging import get_request_id

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "/problems/"


def problem_type(slug: str) -> str:
    """The ``type`` URI of a problem kind (documented in docs/platform.md)."""
    return PROBLEM_TYPE_BASE + slug


class FieldError(dict[str, Any]):
    """One entry of a problem's ``errors`` list: ``field``, ``loc``, ``message``, ``record``."""

    def __init__(
        self,
        message: str,
        field: str | None = None,
        loc: list[str | int] | None = None,
        record: str | None = None,
    ) -> None:
        entry: dict[str, Any] = {"message": message}
        if field is not None:
            entry["field"] = field
        if loc is not None:
            entry["loc"] = loc
        elif field is not None:
            entry["loc"] = field.split(".")
        if record is not None:
            entry["record"] = record
        super().__init__(entry)


class ProblemError(Exception):
    """Base of our domain errors; each maps to one HTTP status and problem ``type``."""

    status: int = 400
    title: str = "Bad request"
    slug: str = "bad-request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors or []
        self.headers = headers or {}
        # Extension members (RFC 9457 §3.2), e.g. ``item_id`` or ``available``.
        self.extra = extra


class BadRequest(ProblemError):  # noqa: N818 - short names read well at raise sites
    """400: the request is malformed in a way validation did not catch."""


class InvalidInput(ProblemError):  # noqa: N818 - short names read well at raise sites
    """422: well-formed but semantically invalid input; name the field."""

    status = 422
    title = "Invalid input"
    slug = "invalid-input"

    def __init__(
        self, detail: str, *, field: str | None = None, record: str | None = None, **extra: Any
    ) -> None:
        errors = [FieldError(detail, field=field, record=record)] if field or record else None
        super().__init__(detail, errors=errors, **extra)


class Unauthorized(ProblemError):  # noqa: N818 - short names read well at raise sites
    """401: missing, malformed, expired or revoked credentials."""

    status = 401
    title = "Unauthorized"
    slug = "unauthorized"

    def __init__(self, detail: str = "Authentication required", **extra: Any) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"}, **extra)


class Forbidden(ProblemError):  # noqa: N818 - short names read well at raise sites
    """403: a member of the org whose role does not allow the action (never for outsiders)."""

    status = 403
    title = "Forbidden"
    slug = "forbidden"


class NotFound(ProblemError):  # noqa: N818 - short names read well at raise sites
    """404: the record does not exist *or belongs to another tenant* (never leak which)."""

    status = 404
    title = "Not found"
    slug = "not-found"

    def __init__(
        self, resource: str, record_id: object = None, detail: str | None = None, **extra: Any
    ) -> None:
        record = f"{resource}/{record_id}" if record_id is not None else resource
        super().__init__(
            detail or f"{resource} not found",
            errors=[FieldError(f"{resource} not found", record=record)],
            **extra,
        )


class Conflict(ProblemError):  # noqa: N818 - short names read well at raise sites
    """409: the request conflicts with the current state (duplicate, wrong status...)."""

    status = 409
    title = "Conflict"
    slug = "conflict"


class InsufficientStock(Conflict):
    """409: a stock change would leave quantity below reserved or below zero."""

    title = "Insufficient stock"
    slug = "insufficient-stock"


class TooManyRequests(ProblemError):  # noqa: N818 - short names read well at raise sites
    """429: a rate limit or a per-org cap was reached; ``Retry-After`` says when to retry."""

    status = 429
    title = "Too many requests"
    slug = "rate-limited"

    def __init__(self, detail: str, *, retry_after: int, limit: str, **extra: Any) -> None:
        retry = max(1, int(retry_after))
        super().__init__(detail, headers={"Retry-After": str(retry)}, limit=limit,
                         retry_after=retry, **extra)


class ServiceBusy(ProblemError):  # noqa: N818 - short names read well at raise sites
    """503: the server is saturated (e.g. every password-hashing slot is taken); retry soon."""

    status = 503
    title = "Service busy"
    slug = "busy"

    def __init__(self, detail: str, *, retry_after: int = 1) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})


def problem_response(
    request: Request,
    status: int,
    title: str,
    slug: str,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """Build an ``application/problem+json`` response."""
    body: dict[str, Any] = {
        "type": problem_type(slug),
        "title": title,
        "status": status,
        "detail": detail or title,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = errors
    request_id = get_request_id() or getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    if extra:
        # Extension members never override the standard ones.
        body.update({k: v for k, v in extra.items() if k not in body})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_CONTENT_TYPE)


def _loc_to_field(loc: tuple[str | int, ...] | list[str | int]) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(str(p) for p in parts) or str(loc[0] if loc else "")


async def _handle_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        request,
        exc.status,
        exc.title,
        exc.slug,
        exc.detail,
        [dict(e) for e in exc.errors],
        exc.headers,
        _jsonable(exc.extra),
    )


def _jsonable(extra: dict[str, Any]) -> dict[str, Any]:
    from fastapi.encoders import jsonable_encoder

    encoded: dict[str, Any] = jsonable_encoder(extra)
    return encoded


def validation_problem(request: Request, errors: list[FieldError]) -> JSONResponse:
    """The 422 ``validation-error`` problem document listing ``errors`` (each naming its field).

    An error given only a ``loc`` gets its ``field`` from it (``["body", "targets", 0, "note"]``
    names ``targets.0.note``), as FastAPI's own validation errors do.
    """
    entries = []
    for error in errors:
        entry = dict(error)
        if "field" not in entry and entry.get("loc"):
            entry["field"] = _loc_to_field(entry["loc"])
        entries.append(entry)
    fields = ", ".join(e["field"] for e in entries if e.get("field")) or "request"
    return problem_response(
        request, 422, "Invalid input", "validation-error", f"Invalid value for: {fields}", entries
    )


def payload_too_large(request: Request, limit: int) -> JSONResponse:
    """413: the body is over ``limit`` bytes; the connection is closed rather than drained."""
    return problem_response(
        request, 413, "Payload too large", "payload-too-large",
        f"The request body is larger than {limit} bytes", headers={"Connection": "close"},
        extra={"max_body_bytes": limit},
    )


async def _handle_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # The offending input is not echoed back: it may be a password or megabytes of junk.
    errors = [FieldError(str(err.get("msg", "invalid")), loc=list(err.get("loc", ())))
              for err in exc.errors()]
    return validation_problem(request, errors)


async def _handle_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    slug = {
        401: "unauthorized",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        409: "conflict",
        413: "payload-too-large",
    }.get(exc.status_code, "http-error")
    title = {404: "Not found", 405: "Method not allowed", 413: "Payload too large"}.get(
        exc.status_code, "HTTP error")
    detail = exc.detail if isinstance(exc.detail, str) else title
    return problem_response(
        request, exc.status_code, title, slug, detail, headers=getattr(exc, "headers", None)
    )


async def _handle_integrity(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IntegrityError)
    # A constraint caught what the service did not: a conflict with existing data, not a
    # server fault. The answer says it in words; the internal name only goes to the log.
    constraint = constraint_name(exc.orig) if exc.orig is not None else None
    logger.info("integrity error", extra={"constraint": constraint, "error": str(exc.orig)})
    field, sentence = describe(constraint)
    errors = [dict(FieldError(sentence, field=field))] if field else None
    return problem_response(request, 409, "Conflict", "conflict", sentence, errors)


async def _handle_operational(request: Request, exc: Exception) -> JSONResponse:
    if not sqlite_busy(exc):
        raise exc  # a fault: the catch-all answers 500 (503 for a lost connection)
    # The embedded database has one writer; a long one (a large import) can hold it past the
    # busy timeout. The transaction was rolled back, so a retry is safe.
    logger.warning("database busy: a write waited past the busy timeout")
    return problem_response(
        request,
        503,
        "Service busy",
        "busy",
        "The database is busy with another write; nothing was written: try again in a "
        "moment",
        headers={"Retry-After": "2"},
    )


async def _handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        logger.error("database connection lost", exc_info=exc)
        return problem_response(
            request,
            503,
            "Service unavailable",
            "unavailable",
            "The database is unavailable; retry later",
        )
    request_id = getattr(request.state, "request_id", None)
    logger.error("unhandled error", exc_info=exc, extra={"request_id": request_id})
    # This handler runs outside RequestContextMiddleware, so echo the id header here.
    return problem_response(
        request,
        500,
        "Internal server error",
        "internal-error",
        "An unexpected error occurred; quote the request id when reporting it",
        headers={"X-Request-ID": request_id} if request_id else None,
    )


class KeepConnectionAfterError:
    """The outermost ASGI layer: an exception whose 500 problem document was already sent
    stops here instead of reaching the server.

    Starlette's ``ServerErrorMiddleware`` re-raises after its handler (:func:`_handle_unexpected`,
    which logged it) has answered, and uvicorn then closes the transport, resetting the next
    request on that keep-alive connection: one failing request must not break another.
    ``reraise`` keeps the exception for test clients, which turn it into a traceback.
    """

    def __init__(self, app: ASGIApp, reraise: bool = False) -> None:
        self.app = app
        self.reraise = reraise

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        answered = False

        async def watch(message: Message) -> None:
            nonlocal answered
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                answered = True

        try:
            await self.app(scope, receive, watch)
        except Exception:
            if self.reraise or not answered:
                raise


class ProblemFieldError(BaseModel):
    """One field-level error inside a problem document."""

    model_config = ConfigDict(extra="allow")

    message: str
    field: str | None = None
    loc: list[str | int] | None = None
    record: str | None = None


class ProblemDocument(BaseModel):
    """An RFC 9457 problem document (``application/problem+json``), as every error returns."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"example": {
            "type": "/problems/validation-error", "title": "Request validation failed",
            "status": 422, "detail": "quantity: Input should be greater than 0",
            "instance": "/api/v1/orgs/…/stock/adjust", "request_id": "9f1c…",
            "errors": [{"field": "quantity", "loc": ["body", "quantity"],
                        "message": "Input should be greater than 0"}]}},
    )

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[ProblemFieldError] = Field(default_factory=list)


def document_problems_in_openapi(app: FastAPI) -> None:
    """Describe every 422 in the OpenAPI schema as the problem document the API really sends.

    FastAPI documents request-validation failures as ``HTTPValidationError`` in
    ``application/json``; our handler answers ``application/problem+json`` instead, and
    generated clients must see the truth.
    """

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, summary=app.summary,
                             description=app.description, routes=app.routes, tags=app.openapi_tags)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(ProblemDocument.model_json_schema(
            ref_template="#/components/schemas/{model}").pop("$defs", {}))
        components["ProblemDocument"] = ProblemDocument.model_json_schema(
            ref_template="#/components/schemas/{model}")
        problem = {PROBLEM_CONTENT_TYPE: {
            "schema": {"$ref": "#/components/schemas/ProblemDocument"}}}
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                response = operation.get("responses", {}).get("422") \
                    if isinstance(operation, dict) else None
                if response is not None:
                    response["content"] = problem
                    response["description"] = "Invalid input (problem document naming the field)"
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_error_handlers(app: FastAPI, reraise_unexpected: bool = False) -> None:
    """Register the problem-document handlers on ``app``.

    ``reraise_unexpected`` lets an unexpected exception reach the caller after its 500 answer
    (test clients show the traceback); servers keep the connection instead.
    """
    app.add_exception_handler(ProblemError, _handle_problem)
    app.add_exception_handler(RequestValidationError, _handle_validation)
    app.add_exception_handler(StarletteHTTPException, _handle_http)
    app.add_exception_handler(IntegrityError, _handle_integrity)
    app.add_exception_handler(OperationalError, _handle_operational)
    app.add_exception_handler(Exception, _handle_unexpected)
    build_stack = app.build_middleware_stack

    def build_shielded_stack() -> ASGIApp:
        return KeepConnectionAfterError(build_stack(), reraise=reraise_unexpected)

    # Starlette builds ServerErrorMiddleware as the outermost layer; the shield goes around it.
    app.build_middleware_stack = build_shielded_stack  # type: ignore[method-assign]
    if app.openapi_url:
        document_problems_in_openapi(app)
