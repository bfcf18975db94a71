"""HTTP routes for outbound webhooks: ``/orgs/{org_id}/webhooks`` (org admins)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from api.core.db import DbSession
from api.core.deps import AppSettings, OrgAccess, org_member
from api.core.pagination import Page, Paging
from api.core.permissions import Action
from api.webhooks import service
from api.webhooks.schemas import (
    DeliveryDetail,
    DeliveryOut,
    SecretRotated,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
)

router = APIRouter(tags=["webhooks"])

Manager = Annotated[OrgAccess, Depends(org_member(action=Action.INTEGRATIONS_MANAGE))]
BASE = "/orgs/{org_id}/webhooks"


@router.get(BASE, response_model=Page[WebhookOut], summary="The org's webhook endpoints")
def list_webhooks(access: Manager, session: DbSession, page: Paging) -> Page[WebhookOut]:
    """Endpoints with their subscriptions and health; secrets are never shown."""
    rows, total = service.list_endpoints(session, access.org_id, page)
    return page.page_of(rows, total, service.describe)


@router.post(BASE, response_model=WebhookCreated, status_code=status.HTTP_201_CREATED,
             summary="Create a webhook endpoint")
def create_webhook(access: Manager, session: DbSession, settings: AppSettings, body: WebhookIn,
                   response: Response) -> WebhookCreated:
    """Create an endpoint; the answer carries its signing secret, shown this once only.

    A URL resolving to a private, loopback or link-local address is refused (422, field
    ``url``) unless the server allows it."""
    endpoint, secret = service.create(session, settings, access.org_id, body)
    response.headers["Location"] = f"/api/v1/orgs/{access.org_id}/webhooks/{endpoint.id}"
    return WebhookCreated(**service.describe(endpoint).model_dump(), secret=secret)


@router.get(BASE + "/{webhook_id}", response_model=WebhookOut, summary="One webhook endpoint")
def get_webhook(access: Manager, session: DbSession, webhook_id: uuid.UUID) -> WebhookOut:
    """An endpoint (without its secret)."""
    return service.describe(service.get(session, access.org_id, webhook_id))


@router.patch(BASE + "/{webhook_id}", response_model=WebhookOut,
              summary="Change a webhook endpoint")
def update_webhook(access: Manager, session: DbSession, settings: AppSettings,
                   webhook_id: uuid.UUID, body: WebhookPatch) -> WebhookOut:
    """Change name, URL, events or description; ``enabled: true`` re-enables a disabled one."""
    return service.describe(service.update(session, settings, access.org_id, webhook_id, body))


@router.delete(BASE + "/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete a webhook endpoint")
def delete_webhook(access: Manager, session: DbSession, webhook_id: uuid.UUID) -> Response:
    """Delete the endpoint, its deliveries and their log."""
    service.delete(session, access.org_id, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(BASE + "/{webhook_id}/rotate-secret", response_model=SecretRotated,
             summary="Rotate the signing secret")
def rotate_secret(access: Manager, session: DbSession, settings: AppSettings,
                  webhook_id: uuid.UUID) -> SecretRotated:
    """A new secret (shown once); the old one keeps signing alongside it for the grace period."""
    endpoint, secret = service.rotate_secret(session, settings, access.org_id, webhook_id)
    return SecretRotated(secret=secret,
                         previous_secret_expires_at=endpoint.previous_secret_expires_at)


@router.post(BASE + "/{webhook_id}/test", response_model=DeliveryOut,
             status_code=status.HTTP_202_ACCEPTED, summary="Send a test event")
def send_test(access: Manager, session: DbSession, webhook_id: uuid.UUID) -> DeliveryOut:
    """Queue a ``webhook.test`` event; follow it in the delivery log."""
    return service.describe_delivery(service.send_test(session, access.org_id, webhook_id))


@router.get(BASE + "/{webhook_id}/deliveries", response_model=Page[DeliveryOut],
            summary="An endpoint's deliveries")
def list_deliveries(
    access: Manager, session: DbSession, page: Paging, webhook_id: uuid.UUID,
    status_: Annotated[Literal["pending", "delivered", "failed"] | None,
                       Query(alias="status")] = None,
) -> Page[DeliveryOut]:
    """Deliveries, newest first."""
    rows, total = service.list_deliveries(session, access.org_id, webhook_id, status_, page)
    return page.page_of(rows, total, service.describe_delivery)


@router.get(BASE + "/{webhook_id}/deliveries/{delivery_id}", response_model=DeliveryDetail,
            summary="One delivery with its attempts")
def get_delivery(access: Manager, session: DbSession, webhook_id: uuid.UUID,
                 delivery_id: uuid.UUID) -> DeliveryDetail:
    """The payload and every attempt (status code, latency, response excerpt, error)."""
    return service.delivery_detail(session, access.org_id, webhook_id, delivery_id)


@router.post(BASE + "/{webhook_id}/deliveries/{delivery_id}/redeliver",
             response_model=DeliveryOut, status_code=status.HTTP_202_ACCEPTED,
             summary="Deliver again")
def redeliver(access: Manager, session: DbSession, webhook_id: uuid.UUID,
              delivery_id: uuid.UUID) -> DeliveryOut:
    """Send the delivery again now, with the same ``webhook-id``."""
    return service.describe_delivery(
        service.redeliver(session, access.org_id, webhook_id, delivery_id))
