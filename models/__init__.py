"""SQLAlchemy models. Importing this package registers every table on ``Base.metadata``."""

from models.accounts import (
    EmailVerificationToken,
    PasswordResetToken,
    PersonalAccessToken,
    RefreshToken,
    User,
)
from models.analytics import AnalyticsConsent, UsageEvent
from models.base import Base
from models.commons import (
    CommonsAction,
    CommonsEntity,
    CommonsHidden,
    CommonsSubmission,
    CommonsVersion,
    PlatformRole,
)
from models.integrations import Integration, IntegrationLog, WebhookDelivery
from models.inventory import (
    IdempotencyKey,
    Item,
    ItemAlias,
    ItemHistory,
    ItemStock,
    Location,
    Ship,
    StockReservation,
)
from models.jobs import ImportJob, OutboundEmail, OutboxJob
from models.notifications import Notification, NotificationPreference
from models.orgs import Organization, OrganizationInvitation, OrganizationMember
from models.planning import (
    Blueprint,
    BlueprintIngredient,
    Craft,
    CraftIngredient,
    Goal,
    GoalTarget,
    Plan,
    PlanVariant,
    ResourceSource,
    SourceVerification,
)

__all__ = [
    "AnalyticsConsent",
    "Base",
    "Blueprint",
    "BlueprintIngredient",
    "CommonsAction",
    "CommonsEntity",
    "CommonsHidden",
    "CommonsSubmission",
    "CommonsVersion",
    "Craft",
    "CraftIngredient",
    "EmailVerificationToken",
    "Goal",
    "GoalTarget",
    "IdempotencyKey",
    "ImportJob",
    "Integration",
    "IntegrationLog",
    "Item",
    "ItemAlias",
    "ItemHistory",
    "ItemStock",
    "Location",
    "Notification",
    "NotificationPreference",
    "Organization",
    "OrganizationInvitation",
    "OrganizationMember",
    "OutboundEmail",
    "OutboxJob",
    "PasswordResetToken",
    "PersonalAccessToken",
    "Plan",
    "PlanVariant",
    "PlatformRole",
    "RefreshToken",
    "ResourceSource",
    "Ship",
    "SourceVerification",
    "StockReservation",
    "UsageEvent",
    "User",
    "WebhookDelivery",
]
