"""Error tracking with the Sentry SDK (Sentry or self-hosted GlitchTip), off without a DSN."""

from __future__ import annotations

import logging

from api.core.settings import Settings

logger = logging.getLogger(__name__)


def init_error_tracking(settings: Settings, *, release: str = "quartermaster@0.1.0") -> bool:
    """Initialise the Sentry SDK when ``QM_SENTRY_DSN`` is set; True when it was.

    Without a DSN nothing is imported or patched: the SDK stays entirely out of the process.
    Personal data is not sent (the SDK's default): no client addresses, cookies or users.
    """
    if not settings.sentry_dsn:
        return False
    import sentry_sdk

    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        environment=settings.environment,
        release=release,
        traces_sample_rate=settings.sentry_traces_sample_rate,
    )
    logger.info("error tracking on", extra={"environment": settings.environment})
    return True
