"""Account and credential rules. Services only flush; the request owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from api.auth import repository as repo
from api.auth.schemas import PatCreateIn, RegisterIn, TokenPair, UserPatch
from api.core.authcache import forget_users
from api.core.db import after_commit
from api.core.errors import Conflict, FieldError, InvalidInput, NotFound, Unauthorized
from api.core.ratelimit import LoginAttempts, RateLimiter
from api.core.security import (
    FAMILY_CLAIM,
    PAT_PREFIX,
    REFRESH_PREFIX,
    create_access_token,
    hash_password,
    hash_token,
    new_opaque_token,
    password_needs_rehash,
    verify_password,
)
from api.core.settings import Settings
from api.live.hub import announce_access_changed
from api.notifications.mail import Mailer, forget_mail_to, mail_after_commit
from models.accounts import (
    EmailVerificationToken,
    PasswordResetToken,
    PersonalAccessToken,
    RefreshToken,
    User,
)

# A user with hundreds of live tokens is a leak waiting to happen; keep the table bounded.
MAX_LIVE_PATS = 50
# Passwords nobody should be allowed to pick even when long enough.
_COMMON_PASSWORDS = frozenset(
    {
        "password123",
        "password1234",
        "1234567890",
        "12345678910",
        "qwertyuiop",
        "starcitizen",
        "starcitizen1",
        "letmein1234",
        "iloveyou123",
        "passwordpassword",
    }
)


def _now() -> datetime:
    return datetime.now(UTC)


def _conflict(detail: str, field: str) -> Conflict:
    # Duplicates name the field (in ``errors`` and as an extension member) but never echo
    # the other account's data.
    return Conflict(detail, errors=[FieldError(detail, field=field)], field=field)


def check_password_policy(password: str, *, username: str, email: str | None) -> None:
    """Refuse weak passwords (length is checked by the schema) with a 422 naming the field."""
    lowered = password.lower()
    if lowered in _COMMON_PASSWORDS:
        raise InvalidInput("This password is too common", field="password")
    if len(set(password)) < 4:
        raise InvalidInput("The password needs at least 4 different characters", field="password")
    if username.lower() in lowered:
        raise InvalidInput("The password must not contain the username", field="password")
    if email and email.split("@")[0].lower() in lowered and len(email.split("@")[0]) >= 4:
        raise InvalidInput("The password must not contain the email address", field="password")


def register(session: Session, data: RegisterIn, settings: Settings) -> User:
    """Create an account; 409 naming ``username`` or ``email`` when already taken."""
    check_password_policy(data.password, username=data.username, email=data.email)
    if repo.username_taken(session, data.username):
        raise _conflict("This username is taken", "username")
    if repo.email_taken(session, data.email):
        raise _conflict("An account with this email exists", "email")
    user = User(
        username=data.username,
        email=data.email,
        display_name=data.display_name,
        password_hash=hash_password(data.password, settings),
        consent_data_collection=data.consent_data_collection,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, login: str, password: str, settings: Settings,
                 attempts: LoginAttempts | None = None) -> User:
    """The user for a username/email and password; one vague 401 for every failure.

    With ``attempts``, wrong passwords are counted per account (the user's id, so username and
    email spellings share one count; the normalised login when no such user) and a locked
    account answers 429 before any Argon2 work.
    """
    user = repo.user_by_login(session, login[:254])
    account = str(user.id) if user is not None else "login:" + login[:254].strip().lower()
    if attempts is not None:
        attempts.check(account)
    if user is None or not user.is_active:
        verify_password(password, None, settings)  # same cost as a real check
        if attempts is not None:
            attempts.failed(account)
        raise Unauthorized("Wrong username or password")
    if not verify_password(password, user.password_hash, settings):
        if attempts is not None:
            attempts.failed(account)
        raise Unauthorized("Wrong username or password")
    if attempts is not None:
        attempts.succeeded(account)
    assert user.password_hash is not None
    if password_needs_rehash(user.password_hash, settings):
        user.password_hash = hash_password(password, settings)
    return user


def _access_token(
    user_id: uuid.UUID, settings: Settings, family_id: uuid.UUID
) -> tuple[str, int]:
    # iat_ms lets a token minted just after a password change outlive the cut-off while
    # older tokens from the same second do not (see api.core.deps._authenticate_jwt).
    # fid names the refresh family (the login session): logging that session out closes
    # live sockets opened with its access tokens (api.live.router).
    issued_ms = int(_now().timestamp() * 1000)
    token = create_access_token(
        user_id, settings, {"iat_ms": issued_ms, FAMILY_CLAIM: str(family_id)}
    )
    return token.token, settings.access_token_minutes * 60


def _new_refresh(
    session: Session,
    user: User,
    settings: Settings,
    family_id: uuid.UUID,
    user_agent: str | None,
) -> tuple[RefreshToken, str]:
    token, digest = new_opaque_token(REFRESH_PREFIX)
    row = RefreshToken(
        user_id=user.id,
        family_id=family_id,
        token_hash=digest,
        expires_at=_now() + timedelta(days=settings.refresh_token_days),
        user_agent=(user_agent or None) and user_agent[:300],
    )
    session.add(row)
    session.flush()
    return row, token


def _pair(access: tuple[str, int], refresh: str, settings: Settings) -> TokenPair:
    return TokenPair(
        access_token=access[0],
        expires_in=access[1],
        refresh_token=refresh,
        refresh_expires_in=settings.refresh_token_days * 86400,
    )


def issue_tokens(
    session: Session, user: User, settings: Settings, user_agent: str | None = None
) -> TokenPair:
    """A new session: an access token and the first refresh token of a new family."""
    family_id = uuid.uuid4()
    _, refresh = _new_refresh(session, user, settings, family_id, user_agent)
    return _pair(_access_token(user.id, settings, family_id), refresh, settings)


@dataclass(frozen=True)
class RefreshOutcome:
    """Either a new token pair, or ``reuse`` set when a used token was replayed.

    Reuse is returned, not raised: the family's revocation must be committed, and raising
    would roll the request's transaction back.
    """

    tokens: TokenPair | None = None
    reuse: bool = False


def refresh(
    session: Session, token: str, settings: Settings, user_agent: str | None = None,
    limiter: RateLimiter | None = None,
) -> RefreshOutcome:
    """Rotate a refresh token. A replayed (already used or revoked) token revokes its family.

    With ``limiter``, rotations count per account (``refresh_per_account``); over the limit
    is a 429 before the token is used, so the client can retry with the same token."""
    if not token.startswith(REFRESH_PREFIX):
        raise Unauthorized("Invalid refresh token")
    row = repo.refresh_token_by_hash(session, hash_token(token))
    if row is None:
        raise Unauthorized("Invalid refresh token")
    now = _now()
    if row.used_at is not None or row.revoked_at is not None:
        repo.revoke_family(session, row.user_id, row.family_id, now)
        announce_access_changed(session, [row.user_id])
        return RefreshOutcome(reuse=True)
    if row.expires_at <= now:
        raise Unauthorized("Refresh token expired")
    if limiter is not None:
        limiter.hit("refresh_per_account", str(row.user_id))
    user = repo.user_by_id(session, row.user_id)
    if user is None or not user.is_active or user.deleted_at is not None:
        raise Unauthorized("Account disabled")
    if not repo.mark_refresh_used(session, row.id, now):
        # Lost a race with a concurrent refresh of the same token: that is a replay too.
        repo.revoke_family(session, row.user_id, row.family_id, now)
        announce_access_changed(session, [row.user_id])
        return RefreshOutcome(reuse=True)
    new_row, new_token = _new_refresh(session, user, settings, row.family_id, user_agent)
    row.replaced_by_id = new_row.id
    row.used_at = now
    session.flush()
    return RefreshOutcome(
        tokens=_pair(_access_token(user.id, settings, row.family_id), new_token, settings)
    )


def logout(session: Session, token: str, *, all_sessions: bool = False) -> None:
    """Revoke the refresh token's family, or every session of its user when ``all_sessions``.

    Logging out everywhere also moves ``tokens_valid_after`` so access tokens stop at once.
    """
    row = (
        repo.refresh_token_by_hash(session, hash_token(token))
        if token.startswith(REFRESH_PREFIX)
        else None
    )
    if row is None:
        raise Unauthorized("Invalid refresh token")
    now = _now()
    if all_sessions:
        user = repo.user_by_id(session, row.user_id)
        repo.revoke_all_families(session, row.user_id, now)
        if user is not None:
            user.tokens_valid_after = now
    else:
        repo.revoke_family(session, row.user_id, row.family_id, now)
    announce_access_changed(session, [row.user_id])
    session.flush()


def update_me(session: Session, user: User, data: UserPatch) -> User:
    """Change email, display name or consent; 409 when the email belongs to another account."""
    fields = data.model_fields_set
    if "email" in fields:
        if data.email is None:
            raise InvalidInput("The email cannot be removed", field="email")
        if repo.email_taken(session, data.email, exclude=user.id):
            raise _conflict("An account with this email exists", "email")
        if data.email != user.email:
            user.email_verified_at = None  # a new address is unverified until its link is used
        user.email = data.email
    if "display_name" in fields:
        user.display_name = data.display_name
    if "consent_data_collection" in fields:
        if data.consent_data_collection is None:
            raise InvalidInput("Consent must be true or false", field="consent_data_collection")
        user.consent_data_collection = data.consent_data_collection
    session.flush()
    _refresh_cached(session, user.id)
    return user


def _refresh_cached(session: Session, user_id: uuid.UUID) -> None:
    # The verified-caller cache (api/core/authcache.py) holds the account for up to a second:
    # once this commits, the next read sees the change instead of the cached copy.
    after_commit(session, lambda: forget_users([user_id]))


def change_password(
    session: Session, user: User, current: str, new: str, settings: Settings
) -> TokenPair:
    """Verify the current password, store the new hash, end every session, return a new one."""
    if not verify_password(current, user.password_hash, settings):
        raise InvalidInput("The current password is wrong", field="current_password")
    if current == new:
        raise InvalidInput(
            "The new password must differ from the current one", field="new_password"
        )
    try:
        check_password_policy(new, username=user.username, email=user.email)
    except InvalidInput as exc:
        raise InvalidInput(exc.detail, field="new_password") from exc
    now = _now()
    user.password_hash = hash_password(new, settings)
    user.tokens_valid_after = now
    repo.revoke_all_families(session, user.id, now)
    announce_access_changed(session, [user.id])
    session.flush()
    return issue_tokens(session, user, settings)


def export_account(session: Session, user: User) -> dict[str, Any]:
    """GDPR access: everything held about the user, as one JSON-ready document (the
    account, personal records, consent and usage analytics). Credentials are left out."""
    from fastapi.encoders import jsonable_encoder

    # Imported here like the orgs helpers below: analytics depends on users, not back.
    from api.analytics.service import export_for_user

    account = {c: getattr(user, c) for c in (
        "id", "username", "email", "display_name", "consent_data_collection", "is_active",
        "created_at", "updated_at")}
    document = {
        "format": "quartermaster-account-export/1",
        "exported_at": _now(),
        "account": account,
        **repo.personal_records(session, user.id),
        "analytics": export_for_user(session, user.id),
    }
    encoded: dict[str, Any] = jsonable_encoder(document)
    return encoded


def delete_account(session: Session, user: User, password: str, settings: Settings) -> None:
    """GDPR erasure: delete the user's own data and anonymise the account row.

    Refused (409, naming the org) while the user is the last owner of an org that has other
    members; orgs where the user is the only member are deleted with the account. Org history
    keeps ``actor_id`` pointing at the anonymised row.
    """
    if not verify_password(password, user.password_hash, settings):
        raise InvalidInput("The password is wrong", field="password")
    blocking = repo.owned_orgs_blocking_deletion(session, user.id)
    if blocking:
        org = blocking[0]
        raise Conflict(
            f"You are the last owner of '{org.name}', which has other members: "
            "make someone else an owner or delete the organisation first",
            errors=[FieldError("last owner", record=f"organization/{org.id}")],
            organization_id=str(org.id),
            organization=org.name,
            organizations=[str(o.id) for o in blocking],
        )
    in_use = repo.personal_locations_in_use(session, user.id)
    if in_use:
        loc = in_use[0]
        raise Conflict(
            f"Your location '{loc.name}' holds other owners' stock or locations; "
            "move them out first",
            errors=[FieldError("in use", record=f"location/{loc.id}")],
            location_id=str(loc.id),
        )
    # Imported here: orgs depends on auth's users, not the other way round at import time.
    from api.analytics.service import erase_for_user as erase_analytics
    from api.orgs.repository import delete_org_data
    from api.orgs.service import part_everywhere

    for org_id in repo.orgs_with_sole_member(session, user.id):
        delete_org_data(session, org_id)
    # The remaining orgs get the member's shared stock released and recorded before the
    # personal rows (and, by cascade, the reservations of them) are deleted.
    part_everywhere(session, user.id)
    repo.delete_personal_data(session, user.id)
    erase_analytics(session, user.id)
    if user.email:
        forget_mail_to(session, user.email)
    now = _now()
    user.username = f"deleted-{user.id.hex}"[:64]
    user.email = None
    user.display_name = None
    user.password_hash = None
    user.consent_data_collection = False
    user.is_active = False
    user.tokens_valid_after = now
    user.deleted_at = now
    user.anonymised_at = now
    announce_access_changed(session, [user.id])
    session.flush()


def create_pat(session: Session, user: User, data: PatCreateIn) -> tuple[PersonalAccessToken, str]:
    """Create a personal access token; returns the row and the token (shown once)."""
    if repo.count_live_pats(session, user.id) >= MAX_LIVE_PATS:
        raise _conflict(f"At most {MAX_LIVE_PATS} live tokens; revoke one first", "name")
    token, digest = new_opaque_token(PAT_PREFIX)
    pat = PersonalAccessToken(
        user_id=user.id,
        name=data.name,
        token_prefix=token[: len(PAT_PREFIX) + 4],
        token_hash=digest,
        scopes=sorted(set(data.scopes)),
        expires_at=(
            _now() + timedelta(days=data.expires_in_days) if data.expires_in_days else None
        ),
    )
    session.add(pat)
    session.flush()
    return pat, token


def list_pats(session: Session, user: User) -> Sequence[PersonalAccessToken]:
    """The user's personal access tokens (hashes only; never the tokens)."""
    return repo.list_pats(session, user.id)


def revoke_pat(session: Session, user: User, pat_id: uuid.UUID) -> None:
    """Revoke one of the user's tokens; 404 for unknown ids and other users' tokens."""
    pat = repo.get_pat(session, user.id, pat_id)
    if pat is None:
        raise NotFound("personal_access_token", pat_id)
    if pat.revoked_at is None:
        pat.revoked_at = _now()
        announce_access_changed(session, [user.id])
    session.flush()


RESET_PREFIX = "qm_reset_"


def request_password_reset(session: Session, email: str, settings: Settings,
                           mailer: Mailer | None) -> None:
    """Email a single-use reset link to the account with ``email``, if there is one.

    The caller answers the same whatever happens here, so nobody learns which addresses have
    accounts. Only the token's SHA-256 is stored; the link carries the token itself.
    """
    user = repo.user_by_email(session, email)
    if user is None or not user.is_active or user.email is None:
        return
    token, token_hash = new_opaque_token(RESET_PREFIX)
    session.add(PasswordResetToken(
        user_id=user.id, token_hash=token_hash,
        expires_at=_now() + timedelta(minutes=settings.password_reset_minutes)))
    session.flush()
    link = f"{settings.public_url.rstrip('/')}/reset-password?token={token}"
    mail_after_commit(
        session, mailer, settings, user.email, "Reset your Quartermaster password",
        f"Someone asked to reset the password of {user.username}.\n\n"
        f"Open this link within {settings.password_reset_minutes} minutes to choose a new "
        f"one (it works once):\n{link}\n\nIf it was not you, ignore this email.\n")


def reset_password(session: Session, token: str, new: str, settings: Settings) -> None:
    """Set a new password with a reset token: single use, unexpired; ends every session."""
    now = _now()
    user_id = repo.use_reset_token(session, hash_token(token), now)
    user = repo.user_by_id(session, user_id) if user_id is not None else None
    if user is None or not user.is_active:
        raise InvalidInput("This reset link is invalid, expired or already used",
                           field="token")
    try:
        check_password_policy(new, username=user.username, email=user.email)
    except InvalidInput as exc:
        raise InvalidInput(exc.detail, field="new_password") from exc
    user.password_hash = hash_password(new, settings)
    user.tokens_valid_after = now
    repo.revoke_all_families(session, user.id, now)
    repo.spend_open_reset_tokens(session, user.id, now)
    announce_access_changed(session, [user.id])
    session.flush()


VERIFY_PREFIX = "qm_verify_"


def request_email_verification(session: Session, user: User, settings: Settings,
                               mailer: Mailer | None) -> None:
    """Email a single-use link that verifies the user's current address (422 without one)."""
    if user.email is None:
        raise InvalidInput("Add an email address first", field="email")
    token, token_hash = new_opaque_token(VERIFY_PREFIX)
    session.add(EmailVerificationToken(
        user_id=user.id, email=user.email, token_hash=token_hash,
        expires_at=_now() + timedelta(hours=settings.email_verification_hours)))
    session.flush()
    link = f"{settings.public_url.rstrip('/')}/verify-email?token={token}"
    mail_after_commit(
        session, mailer, settings, user.email, "Confirm your Quartermaster email address",
        f"Open this link within {settings.email_verification_hours} hours to confirm that "
        f"{user.email} belongs to {user.username} (it works once):\n{link}\n\n"
        "If you did not ask for it, ignore this email.\n")


def verify_email(session: Session, token: str) -> None:
    """Use a verification link once: the address it was sent to becomes verified, if it is
    still the account's address (a changed email voids older links)."""
    row = repo.use_verification_token(session, hash_token(token), _now())
    user = repo.user_by_id(session, row.user_id) if row is not None else None
    if row is None or user is None or not user.is_active or user.email != row.email:
        raise InvalidInput("This verification link is invalid, expired, used, or for an "
                           "address the account no longer has", field="token")
    user.email_verified_at = _now()
    session.flush()
    _refresh_cached(session, user.id)
