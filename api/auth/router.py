"""HTTP routes of accounts and authentication: ``/auth/*`` and ``/users/me*``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import JSONResponse

from api.auth import service
from api.auth.schemas import (
    AccountExport,
    DeleteAccountIn,
    LogoutIn,
    PasswordChangeIn,
    PatCreatedOut,
    PatCreateIn,
    PatOut,
    RefreshIn,
    RegisterIn,
    ResetIn,
    ResetRequestedOut,
    ResetRequestIn,
    ScopeOut,
    TokenPair,
    UserOut,
    UserPatch,
    VerificationSentOut,
    VerifyEmailIn,
)
from api.core.db import DbSession
from api.core.deps import AppSettings, Auth, CurrentUser
from api.core.errors import Forbidden, problem_response
from api.core.ratelimit import LoginAttempts, client_key, get_limiter, limit
from api.core.routing import RouteDecorator, no_content
from api.core.scopes import SCOPES
from api.notifications.mail import Mailer, email_enabled
from models.accounts import User

_AUTH_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "Missing, invalid, expired or revoked credentials"}
}
_LIMITED: dict[int | str, dict[str, str]] = {
    429: {"description": "Rate limit reached (problem document, Retry-After)"},
    503: {"description": "Every password-hashing slot busy (Retry-After)"},
}

auth_router = APIRouter(prefix="/auth", tags=["auth"])
users_router = APIRouter(prefix="/users", tags=["users"], responses=_AUTH_RESPONSES)


def interactive_user(auth: Auth) -> User:
    """The caller, who must have logged in (JWT): personal access tokens cannot manage the
    account or mint more tokens, so a leaked script token cannot take the account over."""
    if auth.method != "jwt":
        raise Forbidden("This needs a login session, not a personal access token")
    return auth.user


InteractiveUser = Annotated[User, Depends(interactive_user)]
# Asking for an emailed link and using one draw on one budget per client, so neither can be
# used to probe accounts or flood an inbox faster than the other allows.
EmailLinkLimited = Annotated[None, Depends(limit("password_reset_per_client"))]


def _user_agent(request: Request) -> str | None:
    return request.headers.get("user-agent")


@auth_router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    summary="Create an account",
    responses={409: {"description": "Username or email taken (names the field)"}, **_LIMITED},
)
def register(
    body: RegisterIn,
    session: DbSession,
    settings: AppSettings,
    _limited: Annotated[None, Depends(limit("register_per_client"))],
) -> UserOut:
    """Register with a username, email and password (10-128 characters)."""
    return UserOut.model_validate(service.register(session, body, settings))


@auth_router.post(
    "/token",
    summary="Log in (OAuth2 password flow)",
    responses={**_AUTH_RESPONSES, **_LIMITED},
)
def token(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    username: Annotated[str, Form(min_length=1, max_length=254, description="Username or email")],
    password: Annotated[str, Form(min_length=1, max_length=128)],
    grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
    scope: Annotated[str, Form(max_length=200)] = "",
) -> TokenPair:
    """Exchange username (or email) and password for an access token and a refresh token.

    429 (``Retry-After``) after too many attempts from this client, or too many wrong
    passwords for the account (from this client, or from anywhere); the windows slide, so a
    lock ends by itself.
    """
    limiter = get_limiter(request)
    limiter.hit("login_per_client", client_key(request))
    user = service.authenticate(session, username, password, settings,
                                LoginAttempts(limiter, client_key(request)))
    return service.issue_tokens(session, user, settings, _user_agent(request))


@auth_router.post(
    "/refresh",
    response_model=TokenPair,
    summary="Rotate a refresh token",
    responses={401: {"description": "Invalid, expired or replayed refresh token"},
               429: _LIMITED[429]},
)
def refresh(
    request: Request,
    body: RefreshIn,
    session: DbSession,
    settings: AppSettings,
    _limited: Annotated[None, Depends(limit("refresh_per_client"))],
) -> TokenPair | JSONResponse:
    """Trade a refresh token (single use) for a new pair in the same family.

    Presenting a token that was already used revokes the whole family: both the thief's and
    the user's copies stop working and the user must log in again.
    """
    outcome = service.refresh(session, body.refresh_token, settings, _user_agent(request),
                              get_limiter(request))
    if outcome.reuse or outcome.tokens is None:
        # Returned rather than raised so the family revocation is committed.
        return problem_response(
            request,
            401,
            "Unauthorized",
            "refresh-token-reuse",
            "Refresh token reuse detected; every session of this login was revoked",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return outcome.tokens


@no_content(auth_router.post, "/logout", summary="Log out (revoke a session or all sessions)",
            responses=_AUTH_RESPONSES)
def logout(body: LogoutIn, session: DbSession) -> None:
    """Revoke the refresh token's family; ``all_sessions`` also ends every other session and
    invalidates access tokens already issued."""
    service.logout(session, body.refresh_token, all_sessions=body.all_sessions)


def _mailer(request: Request) -> Mailer | None:
    jobs = getattr(request.app.state, "jobs", None)
    return jobs if isinstance(jobs, Mailer) else None


@auth_router.post(
    "/password-reset/request",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Email a password reset link",
    responses=_LIMITED,
)
def request_password_reset(
    body: ResetRequestIn,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    _limited: EmailLinkLimited,
) -> ResetRequestedOut:
    """Always 202 with the same body: whether the address has an account is never revealed.
    ``email_enabled`` is false when this server has no SMTP relay (no link is ever sent)."""
    service.request_password_reset(session, body.email, settings, _mailer(request))
    return ResetRequestedOut(
        detail="If an account has this address, a reset link is on its way",
        email_enabled=email_enabled(settings))


def _use_emailed_token(path: str, summary: str, invalid: str) -> RouteDecorator:
    """Register a ``POST`` that spends a single-use emailed token: 204 when it worked, 422
    (``invalid`` says why) when the token cannot be used, and the link rate limit."""
    return no_content(auth_router.post, path, summary=summary,
                      responses={422: {"description": invalid}, **_LIMITED})


@_use_emailed_token("/password-reset", "Set a new password with an emailed reset token",
                    "Token invalid, expired or used; or a weak password")
def reset_password(
    body: ResetIn, session: DbSession, settings: AppSettings, _limited: EmailLinkLimited
) -> None:
    """Use a reset link once: sets the password and ends every session of the account."""
    service.reset_password(session, body.token, body.new_password, settings)


@_use_emailed_token("/verify-email", "Verify an email address with an emailed token",
                    "Token invalid, expired, used, or for an old address")
def verify_email(body: VerifyEmailIn, session: DbSession, _limited: EmailLinkLimited) -> None:
    """Use a verification link once (no sign-in needed: the token is the proof)."""
    service.verify_email(session, body.token)


@auth_router.get("/scopes", summary="Personal access token scopes")
def scopes() -> list[ScopeOut]:
    """The scopes a personal access token may carry."""
    return [ScopeOut(name=k, description=v) for k, v in SCOPES.items()]


@users_router.get("/me", summary="The current user")
def get_me(user: CurrentUser) -> UserOut:
    """The caller's account (any credential)."""
    return UserOut.model_validate(user)


@users_router.patch(
    "/me",
    summary="Update the current user",
    responses={409: {"description": "Email taken"}, 403: {"description": "PAT used"}},
)
def patch_me(body: UserPatch, user: InteractiveUser, session: DbSession) -> UserOut:
    """Change email, display name or the data-collection consent flag."""
    return UserOut.model_validate(service.update_me(session, user, body))


@users_router.post(
    "/me/email-verification",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Email a link that verifies your address",
    responses={403: {"description": "PAT used"},
               422: {"description": "The account has no email address"}, **_LIMITED},
)
def request_email_verification(
    request: Request,
    user: InteractiveUser,
    session: DbSession,
    settings: AppSettings,
    _limited: EmailLinkLimited,
) -> VerificationSentOut:
    """Send a single-use link to the account's current address; ``email_enabled`` is false
    when this server sends no email (nothing is sent)."""
    service.request_email_verification(session, user, settings, _mailer(request))
    return VerificationSentOut(detail="A verification link is on its way",
                               email_enabled=email_enabled(settings))


@users_router.post(
    "/me/password",
    summary="Change password",
    responses={403: {"description": "PAT used"}},
)
def change_password(
    request: Request,
    body: PasswordChangeIn,
    user: InteractiveUser,
    session: DbSession,
    settings: AppSettings,
) -> TokenPair:
    """Verify the current password and set a new one. Every refresh token and every access
    token issued before now stop working; the response is a fresh session for this client."""
    return service.change_password(
        session, user, body.current_password, body.new_password, settings
    )


@no_content(
    users_router.delete,
    "/me",
    summary="Delete the account (GDPR erasure)",
    responses={
        409: {"description": "Last owner of an org with other members (names the org)"},
        403: {"description": "PAT used"},
    },
)
def delete_me(
    body: DeleteAccountIn, user: InteractiveUser, session: DbSession, settings: AppSettings
) -> None:
    """Delete personal stock, locations, ships, tokens and memberships; anonymise the account.

    Org history keeps its rows with the actor anonymised.
    """
    service.delete_account(session, user, body.password, settings)


@users_router.get(
    "/me/export",
    summary="Download everything held about you (GDPR access)",
    responses={200: {"model": AccountExport}, 403: {"description": "PAT used"}},
)
def export_me(user: InteractiveUser, session: DbSession) -> JSONResponse:
    """Your account, memberships, token metadata, personal locations, ships, stock and its
    history, integrations (without secrets), analytics consent and usage events, as JSON."""
    return JSONResponse(
        service.export_account(session, user),
        headers={"Content-Disposition": 'attachment; filename="quartermaster-export.json"'},
    )


@users_router.post(
    "/me/tokens",
    status_code=status.HTTP_201_CREATED,
    summary="Create a personal access token (shown once)",
    responses={403: {"description": "PAT used"}},
)
def create_token(body: PatCreateIn, user: InteractiveUser, session: DbSession) -> PatCreatedOut:
    """Create a scoped token for scripts; the response is the only time ``token`` is shown."""
    pat, secret = service.create_pat(session, user, body)
    return PatCreatedOut.model_validate(
        {**PatOut.model_validate(pat).model_dump(), "token": secret}
    )


@users_router.get("/me/tokens", summary="List personal access tokens")
def list_tokens(user: InteractiveUser, session: DbSession) -> list[PatOut]:
    """The caller's tokens with prefix, scopes and usage; never the token itself."""
    return [PatOut.model_validate(p) for p in service.list_pats(session, user)]


@no_content(users_router.delete, "/me/tokens/{token_id}",
            summary="Revoke a personal access token",
            responses={404: {"description": "No such token of yours"}})
def revoke_token(token_id: uuid.UUID, user: InteractiveUser, session: DbSession) -> None:
    """Revoke one of the caller's tokens (idempotent)."""
    service.revoke_pat(session, user, token_id)


router = APIRouter()
router.include_router(auth_router)
router.include_router(users_router)
