"""Request and response bodies for webhook endpoints and their deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

# What an endpoint can subscribe to (docs/webhooks.md lists each payload's ``data``).
EventType = Literal["stock.changed", "plan.done", "plan.failed", "plan.applied",
                    "craft.started", "craft.completed", "goal.completed", "commons.decision"]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
# Sent only by "send test event", whatever the subscription.
TEST_EVENT = "webhook.test"
MAX_URL_LENGTH = 2000


class WebhookIn(BaseModel):
    """Create an endpoint."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Discord bot", "url": "https://bot.example.org/qm",
                                         "events": ["plan.done", "plan.failed"]}]},
    )

    name: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=8, max_length=MAX_URL_LENGTH)
    events: list[EventType] = Field(min_length=1, max_length=len(EVENT_TYPES))
    description: str | None = Field(default=None, max_length=500)


class WebhookPatch(BaseModel):
    """Change an endpoint; ``enabled: true`` switches a disabled one back on."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    url: str | None = Field(default=None, min_length=8, max_length=MAX_URL_LENGTH)
    events: list[EventType] | None = Field(default=None, min_length=1,
                                           max_length=len(EVENT_TYPES))
    description: str | None = Field(default=None, max_length=500)
    enabled: bool | None = None


class WebhookOut(BaseModel):
    """An endpoint as the API shows it: never its secret."""

    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    url: str
    events: list[str]
    description: str | None
    enabled: bool
    consecutive_failures: int
    disabled_at: datetime | None
    disabled_reason: str | None
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookOut):
    """The answer to a create: the only time the signing secret is shown."""

    secret: str = Field(description="The whsec_ signing secret; shown once, store it now")


class SecretRotated(BaseModel):
    """A new signing secret (shown once); the old one signs too until the given time."""

    secret: str
    previous_secret_expires_at: datetime | None


class AttemptOut(BaseModel):
    """One HTTP attempt of a delivery."""

    attempt: int | None
    at: datetime
    success: bool
    status_code: int | None
    latency_ms: int | None
    response_excerpt: str | None
    error: str | None


class DeliveryOut(BaseModel):
    """One event for one endpoint and where its delivery stands."""

    id: uuid.UUID
    webhook_id: uuid.UUID
    message_id: str = Field(description="The webhook-id header: the same for every attempt")
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class DeliveryDetail(DeliveryOut):
    """A delivery with its payload and every attempt, oldest first."""

    payload: dict[str, object]
    attempt_log: list[AttemptOut]
