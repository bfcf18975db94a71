"""Service configuration: one pydantic-settings class read from ``QM_*`` variables and ``.env``.

Every field here is listed in ``.env.sample`` at the repository root; keep the two in step.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_SECRET_KEY = "dev-insecure-change-me-0123456789abcdef"
# The largest request body the API reads (the biggest real ones, a plan with 500 demands or a
# what-if with 20 variants, are well under 200 KiB); deploy/nginx/nginx.conf matches it.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_FRONTEND_DIST = Path(__file__).resolve().parents[2] / "frontend" / "dist"


class Settings(BaseSettings):
    """All runtime configuration of the Quartermaster service."""

    model_config = SettingsConfigDict(
        env_prefix="QM_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    environment: Literal["development", "production", "test"] = "development"
    # Embedded default: a SQLite file under var/, created on first use.
    database_url: str = "sqlite:///var/quartermaster.db"
    # None means the embedded in-process broker and pub/sub (no Redis server needed).
    redis_url: str | None = None
    # How often the job outbox relay retries while the broker is unreachable (and looks for
    # rows other processes left); a job written while Redis is up is sent at once anyway.
    outbox_poll_seconds: float = Field(default=2.0, gt=0, le=300)
    # The app loads the shared universe and item catalogue at start-up (api/reference.py).
    # False leaves the tables as they are: the test suite builds its own items and places.
    load_reference_data: bool = True
    # Plan workers (workers/broker.py, docs/planning.md): a solving worker refreshes its
    # heartbeat this often; a plan whose heartbeat is older than plan_stale_seconds is taken
    # back by the reaper, which looks every reaper_interval_seconds.
    plan_heartbeat_seconds: float = Field(default=5.0, gt=0, le=3600)
    plan_stale_seconds: float = Field(default=60.0, gt=0, le=86400)
    reaper_interval_seconds: float = Field(default=15.0, gt=0, le=3600)
    # Dramatiq's Redis key prefix: separates deployments (and test runs) sharing one Redis.
    dramatiq_namespace: str = Field(default="dramatiq", min_length=1, max_length=100)
    secret_key: str = DEV_SECRET_KEY
    jwt_algorithm: Literal["HS256"] = "HS256"
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Reads reuse a verified caller (token, user, membership) this long while no change
    # listener vouches for it (SQLite, a listener down or behind); at most 1 second so a
    # revocation elsewhere still wins within a second; 0 turns it off. With a listener that
    # hears every change, until access changes anywhere (api/core/authcache.py).
    auth_cache_seconds: float = Field(default=1.0, ge=0, le=1)
    # Keep answers of hot reads until a table they read changes (PostgreSQL only; every
    # process hears every commit through LISTEN/NOTIFY; api/core/readcache.py).
    read_cache: bool = True
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    # Comma-separated in the environment; NoDecode stops pydantic-settings expecting JSON.
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["http://localhost:5173", "http://127.0.0.1:8000"]
    )
    log_level: str = "INFO"
    log_json: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    db_pool_size: int = Field(default=10, ge=1)
    db_echo: bool = False
    # SQLite (embedded): how long a writer queues for the one write lock before its request
    # answers 503 busy (a large import holds the lock until it commits).
    sqlite_busy_seconds: float = Field(default=10.0, gt=0, le=300)
    # Request bodies above this many bytes answer 413 before they are parsed.
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1024)
    # File uploads (POST …/imports) may be this large: the import's 20 MiB file cap plus the
    # multipart envelope. nginx's imports location matches it.
    max_upload_bytes: int = Field(default=21 * 1024 * 1024, ge=1024)
    # /docs, /redoc and /openapi.json; None = on, except in production.
    api_docs: bool | None = None
    # Open live sockets re-check their access this often even without an access-change
    # message (a backstop: the message normally closes them within milliseconds).
    live_recheck_seconds: float = Field(default=30.0, gt=0, le=3600)
    # An org invitation not accepted or declined within this many days lapses.
    invitation_days: int = Field(default=7, ge=1, le=90)
    # The built web UI served at "/" (``make run`` builds it); missing means a "not built" page.
    frontend_dist: Path = DEFAULT_FRONTEND_DIST

    # Outgoing email (docs/notifications.md). No smtp_host = no email at all (the embedded
    # default): password reset links cannot be sent and email notifications are skipped.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "quartermaster@localhost"
    smtp_starttls: bool = True
    # The UI's public address, for links in emails (…/reset-password?token=…).
    public_url: str = "http://127.0.0.1:8000"
    password_reset_minutes: int = 30
    email_verification_hours: int = Field(default=48, gt=0, le=24 * 30)
    # When true, notification emails go only to verified addresses (reset links always go).
    require_verified_email: bool = False
    # An active goal's creator is told (goal.due_soon) once when its due date is this close;
    # the workers' reaper loop looks every reaper_interval_seconds.
    goal_due_soon_hours: float = Field(default=24.0, gt=0, le=24 * 90)

    # Rate limits ("N/second|minute|hour|day", or "N/15 minutes"): moving windows counted in
    # rate_limit_storage_url (default: Redis when redis_url is set, else this process' memory).
    # "client" is the caller's address (uvicorn resolves X-Forwarded-For from trusted proxies);
    # "account" is the authenticated user, or for login the account named by the username.
    rate_limit_enabled: bool = True
    rate_limit_storage_url: str | None = None
    rate_limit_password_reset_per_client: str = "5/hour"
    rate_limit_key_prefix: str = "qm-limits"
    rate_limit_login_per_client: str = "30/minute"
    # Wrong passwords: per account and client (a guesser locks only itself out), and per
    # account from anywhere (a distributed guesser); both windows slide, so nothing is forever.
    rate_limit_login_failures_per_account_client: str = "5/15 minutes"
    rate_limit_login_failures_per_account: str = "50/hour"
    rate_limit_register_per_client: str = "10/hour"
    rate_limit_refresh_per_client: str = "60/minute"
    rate_limit_refresh_per_account: str = "30/minute"
    rate_limit_plans_per_account: str = "30/minute"
    rate_limit_plans_per_client: str = "60/minute"
    rate_limit_writes_per_account: str = "300/minute"
    rate_limit_writes_per_client: str = "600/minute"
    # The commons (docs/commons.md): submissions per user, public reads per client, and how
    # many of a user's submissions may await a decision or their edit at once.
    rate_limit_commons_submissions_per_account: str = "30/hour"
    rate_limit_public_reads_per_client: str = "300/minute"
    commons_max_open_submissions_per_user: int = Field(default=20, ge=1)
    # Seconds a public read answer is cached (dropped at once when something is published).
    commons_cache_ttl_seconds: float = Field(default=30, ge=0)
    # Argon2 is CPU- and memory-heavy: at most this many hashes/verifications at once per
    # process; a request waits this long for a slot, then gets 503 with Retry-After.
    password_hash_concurrency: int = Field(default=2, ge=1, le=64)
    password_hash_wait_seconds: float = Field(default=2.0, ge=0, le=60)
    # Per org: plans queued or solving, and what-if variants queued or solving (429 beyond).
    plan_max_active_per_org: int = Field(default=10, ge=1)
    whatif_max_active_per_org: int = Field(default=50, ge=1)
    # Import files with more rows than this are applied by a worker (202 + a job to follow)
    # rather than inside the request (docs/import-export.md, "Large files").
    import_inline_rows: int = Field(default=5000, ge=0)

    # Outbound webhooks (docs/webhooks.md). Fernet keys (comma-separated, newest first: the
    # first encrypts, all decrypt, so a key can be rotated) for the endpoint secrets at rest;
    # empty = one key derived from secret_key.
    webhook_encryption_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Hosts, IP addresses or networks (CIDR) an endpoint may use even though they are private,
    # loopback or link-local (comma-separated), e.g. "127.0.0.1,hooks.internal".
    webhook_allow_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Any private address allowed: None = only with QM_ENVIRONMENT=development.
    webhook_allow_private: bool | None = None
    # One attempt: connect + read limit; redirects are never followed.
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # Attempts per delivery (the first included), retried with exponential backoff and
    # jitter: about base * 2^(n-1) seconds before attempt n+1, at most backoff_max_seconds.
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)
    webhook_backoff_base_seconds: float = Field(default=10.0, gt=0, le=3600)
    webhook_backoff_max_seconds: float = Field(default=3600.0, gt=0, le=86400)
    # Failed attempts in a row after which an endpoint is switched off (admins are told).
    webhook_disable_after_failures: int = Field(default=20, ge=1, le=1000)
    # After a secret rotation the old secret keeps signing for this long.
    webhook_secret_grace_hours: float = Field(default=24.0, ge=0, le=24 * 30)
    # Endpoints per org.
    webhook_max_endpoints_per_org: int = Field(default=20, ge=1, le=1000)
    # A delivery due this long without being attempted (its message was lost: broker down,
    # worker killed) is sent again by the reaper loop.
    webhook_sweep_after_seconds: float = Field(default=60.0, gt=0, le=86400)

    # Operations (docs/operations.md). /metrics is off (404) until a token is set; scrapers
    # then send "Authorization: Bearer <token>".
    metrics_token: str | None = Field(default=None, min_length=16)
    # Worker processes have no HTTP server: with a port set, `python -m workers` serves its
    # own counters and histograms (solve times, webhook failures) there, without a token, so
    # bind it to a private network only. None = not served.
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # Error tracking with the Sentry SDK (Sentry or self-hosted GlitchTip): off without a DSN.
    sentry_dsn: str | None = None
    sentry_traces_sample_rate: float = Field(default=0.0, ge=0, le=1)
    # /ready answers 503 when Redis is configured and no worker heart-beat within
    # plan_stale_seconds (plans would queue forever); false reports it without failing.
    ready_requires_workers: bool = True
    # Analytics (docs/analytics.md): client addresses are stored only as HMAC-SHA256 with
    # this salt; empty derives one from secret_key. Events older than the retention go.
    analytics_ip_salt: str = ""
    analytics_retention_days: int = Field(default=365, ge=1, le=3650)

    @field_validator("cors_origins", "webhook_encryption_keys", "webhook_allow_hosts",
                     mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    @field_validator(
        "rate_limit_login_per_client",
        "rate_limit_login_failures_per_account_client",
        "rate_limit_login_failures_per_account",
        "rate_limit_register_per_client",
        "rate_limit_password_reset_per_client",
        "rate_limit_refresh_per_client",
        "rate_limit_refresh_per_account",
        "rate_limit_plans_per_account",
        "rate_limit_plans_per_client",
        "rate_limit_writes_per_account",
        "rate_limit_writes_per_client",
        "rate_limit_commons_submissions_per_account",
        "rate_limit_public_reads_per_client",
    )
    @classmethod
    def _valid_limit(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(f"not a rate limit like '30/minute': {value!r}") from exc
        return value

    @field_validator("redis_url", "api_docs", "webhook_allow_private", "metrics_token",
                     "sentry_dsn", "worker_metrics_port", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        # An empty QM_REDIS_URL= / QM_API_DOCS= in .env means "the default", not bad input.
        return None if value == "" else value

    @field_validator("database_url")
    @classmethod
    def _normalise_db_url(cls, value: str) -> str:
        # Accept the common postgres:// spellings but always drive psycopg 3.
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @model_validator(mode="after")
    def _refuse_dev_secret(self) -> Settings:
        # Anyone who read this repository could sign tokens: refuse to start, not warn.
        if self.environment == "production" and self.secret_key in (DEV_SECRET_KEY, ""):
            raise ValueError(
                "QM_SECRET_KEY is the development default (or empty) with "
                "QM_ENVIRONMENT=production; set a long random secret, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return self

    @property
    def docs_enabled(self) -> bool:
        """True when the API docs and the OpenAPI schema are served."""
        return self.api_docs if self.api_docs is not None else self.environment != "production"

    @property
    def webhook_private_allowed(self) -> bool:
        """True when webhook endpoints may resolve to any private or loopback address."""
        if self.webhook_allow_private is not None:
            return self.webhook_allow_private
        return self.environment == "development"

    @property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
