"""``Idempotency-Key`` for mutating calls: a retried request applies once.

The key row (``idempotency_keys``) is written in the *same transaction* as the change it
guards, so either both exist or neither does:

* :func:`claim` inserts ``(user_id, key)`` with ``INSERT … ON CONFLICT DO NOTHING``. On
  PostgreSQL a concurrent retry with the same key blocks on our uncommitted row (unique
  index) until we commit, then sees the stored response; on SQLite writers are serialised.
  A rolled-back request leaves no key, so the client may simply retry.
* :func:`complete` stores the response status and body on the claimed row.
* Same user + key + same method/path/body → the stored response is replayed (header
  ``Idempotent-Replayed: true``); same key with a different body → 422.

Routers build an :class:`IdempotentPost` (:meth:`IdempotentPost.of`, the header declared
with :data:`IdempotencyKeyHeader`) and call it with the service call: it runs
:func:`run_idempotent`, which wraps all three steps around that call.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api.core.errors import InvalidInput
from models.inventory import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
REPLAY_HEADER = "Idempotent-Replayed"

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        max_length=MAX_KEY_LENGTH,
        description=(
            "Optional client-chosen key (1-200 printable characters). A retry with the same "
            "key and body replays the first response instead of applying the change again."
        ),
        examples=["3f1c2a9e-adjust-ore-0001"],
    ),
]


@dataclass(frozen=True)
class StoredResponse:
    """A response recorded for a key, replayed on a retry."""

    status: int
    body: Any


def request_hash(method: str, path: str, payload: Any) -> str:
    """SHA-256 of the canonical JSON of the request (method, path and parsed body)."""
    canonical = json.dumps(
        {"method": method, "path": path, "body": jsonable_encoder(payload)},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _validate_key(key: str) -> None:
    if not key or not key.isprintable() or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            f"{HEADER} must be 1-{MAX_KEY_LENGTH} printable characters", field=HEADER
        )


def claim(
    session: Session, *, user_id: uuid.UUID, key: str, method: str, path: str, digest: str
) -> StoredResponse | None:
    """Claim ``key`` for this request, or return the response stored by an earlier one.

    Returns ``None`` when the key is new (the caller now performs the change and calls
    :func:`complete`). Raises 422 when the key was used for a different request.
    """
    _validate_key(key)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    row_id = uuid.uuid4()
    stmt = (
        insert(IdempotencyKey)
        .values(
            id=row_id, user_id=user_id, key=key, method=method, path=path, request_hash=digest
        )
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(IdempotencyKey.id)
    )
    inserted = session.execute(stmt).scalar_one_or_none()
    if inserted is not None:
        return None
    existing = session.execute(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    ).scalar_one()
    if existing.request_hash != digest:
        raise InvalidInput(
            f"This {HEADER} was already used for a different request", field=HEADER
        )
    # A committed key always carries its response (both are written in one transaction).
    return StoredResponse(existing.response_status or 200, existing.response_body)


def complete(session: Session, *, user_id: uuid.UUID, key: str, status: int, body: Any) -> None:
    """Store the response for a claimed key (same transaction as the change)."""
    row = session.execute(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    ).scalar_one()
    row.response_status = status
    row.response_body = body
    session.flush()


def run_idempotent(
    session: Session,
    *,
    user_id: uuid.UUID,
    key: str | None,
    method: str,
    path: str,
    payload: Any,
    status: int,
    call: Callable[[], BaseModel],
) -> Response:
    """Run ``call`` once per ``key``: claim, call, store; or replay the stored response.

    Without a key the call simply runs. The returned JSON response has ``status``.
    """
    if key is None:
        return Response(call().model_dump_json(by_alias=True), status_code=status,
                        media_type="application/json")
    digest = request_hash(method, path, payload)
    stored = claim(session, user_id=user_id, key=key, method=method, path=path, digest=digest)
    if stored is not None:
        return JSONResponse(stored.body, status_code=stored.status, headers={REPLAY_HEADER: "true"})
    # What jsonable_encoder would give, without its second pass over the dumped dict.
    body = call().model_dump(mode="json", by_alias=True)
    complete(session, user_id=user_id, key=key, status=status, body=body)
    return JSONResponse(body, status_code=status)


@dataclass(frozen=True)
class IdempotentPost:
    """One ``POST`` guarded by its ``Idempotency-Key`` header: what :func:`run_idempotent`
    needs from the request (:meth:`of`)."""

    session: Session
    key: str | None
    path: str

    def __call__(self, user_id: uuid.UUID, call: Callable[[], BaseModel], *,
                 payload: Any = None, status: int = 200) -> Response:
        """Run ``call`` once per key for ``user_id`` (see :func:`run_idempotent`);
        ``payload`` is the request body (None for body-less actions)."""
        return run_idempotent(self.session, user_id=user_id, key=self.key, method="POST",
                              path=self.path, payload=payload, status=status, call=call)


    @classmethod
    def of(cls, request: Request, session: Session, key: str | None) -> IdempotentPost:
        """The request's POST with its ``Idempotency-Key`` value (declare the header with
        :data:`IdempotencyKeyHeader` on the route's dependency, so OpenAPI shows it)."""
        # The scope's path, not request.url: building a URL object (it scans the headers for
        # the host) cost a stock write about 2 % of its CPU for one string.
        return cls(session, key, request.scope["path"])
