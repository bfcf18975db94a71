"""Password hashing (Argon2), JWT access tokens and opaque tokens (refresh, personal access)."""

from __future__ import annotations

import hashlib
import secrets
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from api.core.errors import ServiceBusy, Unauthorized
from api.core.settings import Settings

PAT_PREFIX = "qm_pat_"
REFRESH_PREFIX = "qm_rt_"
ACCESS_TOKEN_TYPE = "access"
# Access-token claim naming the refresh-token family (login session) it was issued with.
FAMILY_CLAIM = "fid"


@lru_cache(maxsize=2)
def _hasher(cheap: bool) -> PasswordHasher:
    # Tests hash hundreds of passwords; production uses argon2-cffi's RFC 9106 defaults.
    if cheap:
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


def password_hasher(settings: Settings) -> PasswordHasher:
    """The Argon2 hasher for this environment."""
    return _hasher(settings.environment == "test")


@lru_cache(maxsize=8)
def _hashing_slots(concurrency: int) -> threading.BoundedSemaphore:
    # One semaphore per process (per configured size), shared by every app in it.
    return threading.BoundedSemaphore(concurrency)


@contextmanager
def hashing_slot(settings: Settings) -> Iterator[None]:
    """Hold one of the ``password_hash_concurrency`` Argon2 slots of this process.

    A login flood must not occupy every core with Argon2 and starve other requests: excess
    callers wait up to ``password_hash_wait_seconds``, then get 503 with ``Retry-After``.
    """
    slots = _hashing_slots(settings.password_hash_concurrency)
    if not slots.acquire(timeout=settings.password_hash_wait_seconds):
        raise ServiceBusy("Too many password checks at once; retry in a moment", retry_after=1)
    try:
        yield
    finally:
        slots.release()


def hash_password(password: str, settings: Settings) -> str:
    """Argon2id hash of ``password`` (in a hashing slot)."""
    with hashing_slot(settings):
        return password_hasher(settings).hash(password)


def verify_password(password: str, password_hash: str | None, settings: Settings) -> bool:
    """True when ``password`` matches; False for a wrong password or a missing/corrupt hash."""
    with hashing_slot(settings):
        if not password_hash:
            # Spend comparable time so "no such user" is not distinguishable by timing.
            password_hasher(settings).hash(password)
            return False
        try:
            return password_hasher(settings).verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def password_needs_rehash(password_hash: str, settings: Settings) -> bool:
    """True when the hash was made with weaker parameters than the current ones."""
    return password_hasher(settings).check_needs_rehash(password_hash)


@dataclass(frozen=True)
class AccessToken:
    """An issued access token and its claims of interest."""

    token: str
    jti: str
    expires_at: datetime


def create_access_token(
    user_id: uuid.UUID, settings: Settings, extra_claims: dict[str, Any] | None = None
) -> AccessToken:
    """A signed HS256 JWT with ``sub``, ``iat``, ``exp``, ``jti`` and ``type=access``."""
    now = datetime.now(UTC)
    expires = now + timedelta(minutes=settings.access_token_minutes)
    jti = uuid.uuid4().hex
    claims: dict[str, Any] = {
        **(extra_claims or {}),
        "sub": str(user_id),
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": jti,
        "type": ACCESS_TOKEN_TYPE,
    }
    token = jwt.encode(claims, settings.secret_key, algorithm=settings.jwt_algorithm)
    return AccessToken(token=token, jti=jti, expires_at=expires)


def decode_access_token(
    token: str, settings: Settings, *, verify_exp: bool = True
) -> dict[str, Any]:
    """Verify signature, expiry and type; raise :class:`Unauthorized` otherwise.

    ``verify_exp=False`` is for re-checking a live WebSocket that was authenticated while
    the token was fresh: the socket outlives the token, revocation still applies.
    """
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[settings.jwt_algorithm],  # never trust the header's alg
            options={"require": ["sub", "exp", "iat", "jti", "type"], "verify_exp": verify_exp},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("Access token expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("Invalid access token") from exc
    if claims.get("type") != ACCESS_TOKEN_TYPE:
        raise Unauthorized("Not an access token")
    return claims


def hash_token(token: str) -> str:
    """SHA-256 hex digest of an opaque token (what is stored and looked up)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_opaque_token(prefix: str) -> tuple[str, str]:
    """A fresh random token with ``prefix`` and its hash: ``(token, sha256_hex)``.

    The token is shown to the user once; only the hash is stored. 256 bits of entropy make
    an unsalted fast hash safe here (unlike passwords).
    """
    token = prefix + secrets.token_urlsafe(32)
    return token, hash_token(token)
