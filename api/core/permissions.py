"""The one place that says which organisation role may do what.

``org_member(min_role=...)`` / ``org_member(action=...)`` in :mod:`api.core.deps` enforce it;
``docs/permissions.md`` is rendered from :data:`MATRIX` (a test keeps them equal).
"""

from __future__ import annotations

from enum import StrEnum

from models.orgs import ROLES


class Role(StrEnum):
    """Organisation roles, highest first."""

    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


assert tuple(r.value for r in Role) == ROLES, "models.orgs.ROLES and Role must agree"

# Higher rank = more rights; every right of a lower role is included in the higher ones.
ROLE_RANK: dict[Role, int] = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


class Action(StrEnum):
    """Actions on an organisation's data."""

    ORG_READ = "org.read"
    ORG_UPDATE = "org.update"
    ORG_DELETE = "org.delete"
    MEMBERS_READ = "members.read"
    MEMBERS_MANAGE = "members.manage"
    INVENTORY_READ = "inventory.read"
    INVENTORY_WRITE = "inventory.write"
    ITEMS_MANAGE = "items.manage"
    BLUEPRINTS_WRITE = "blueprints.write"
    CRAFTS_WRITE = "crafts.write"
    GOALS_WRITE = "goals.write"
    SOURCES_WRITE = "sources.write"
    PLANS_REQUEST = "plans.request"
    PLANS_APPLY = "plans.apply"
    INTEGRATIONS_MANAGE = "integrations.manage"
    ANALYTICS_READ = "analytics.read"


# action -> (minimum role, description)
MATRIX: dict[Action, tuple[Role, str]] = {
    Action.ORG_READ: (Role.VIEWER, "See the organisation, its live updates"),
    Action.ORG_UPDATE: (Role.ADMIN, "Rename, edit the description"),
    Action.ORG_DELETE: (Role.OWNER, "Delete the organisation and all its data"),
    Action.MEMBERS_READ: (Role.VIEWER, "List members and roles"),
    Action.MEMBERS_MANAGE: (
        Role.ADMIN,
        "Invite (never as `owner`), list/revoke invitations, remove members, change roles "
        "(only owners grant, change or remove `owner`)",
    ),
    Action.INVENTORY_READ: (
        Role.VIEWER,
        "Locations, ships, stock, reservations, history, where-is queries",
    ),
    Action.INVENTORY_WRITE: (
        Role.MEMBER,
        "Adjust, transfer, reserve/release stock; manage org locations and ships",
    ),
    Action.ITEMS_MANAGE: (
        Role.ADMIN, "Create/edit org-private items and aliases; set stock watch thresholds"),
    Action.BLUEPRINTS_WRITE: (Role.MEMBER, "Create/edit org blueprints"),
    Action.CRAFTS_WRITE: (Role.MEMBER, "Create, start, complete, cancel crafts"),
    Action.GOALS_WRITE: (Role.MEMBER, "Create/edit/cancel goals"),
    Action.SOURCES_WRITE: (Role.MEMBER, "Add market listings, vote on their accuracy"),
    Action.PLANS_REQUEST: (Role.MEMBER, "Request plans and what-if variants"),
    Action.PLANS_APPLY: (Role.ADMIN, "Apply a plan (creates crafts and reservations)"),
    Action.INTEGRATIONS_MANAGE: (Role.ADMIN, "Configure integrations and webhooks"),
    Action.ANALYTICS_READ: (Role.ADMIN, "See the org analytics dashboard and blueprint statistics"),
}

assert set(MATRIX) == set(Action), "every action needs a row in MATRIX"


def role_at_least(role: str | Role, minimum: str | Role) -> bool:
    """True when ``role`` has every right of ``minimum``."""
    return ROLE_RANK[Role(role)] >= ROLE_RANK[Role(minimum)]


def min_role_for(action: Action) -> Role:
    """The lowest role allowed to perform ``action``."""
    return MATRIX[action][0]


def can(role: str | Role, action: Action) -> bool:
    """True when a member with ``role`` may perform ``action``."""
    return role_at_least(role, min_role_for(action))


def can_assign_role(actor: str | Role, current: str | Role | None, new: str | Role | None) -> bool:
    """Whether ``actor`` may move a member from ``current`` to ``new`` (None = not a member).

    Admins manage members, admins and viewers; anything touching ``owner`` (granting it,
    changing or removing an owner) needs an owner. The last-owner rule is the service's.
    """
    if not can(actor, Action.MEMBERS_MANAGE):
        return False
    touches_owner = Role.OWNER in {Role(r) for r in (current, new) if r is not None}
    return Role(actor) == Role.OWNER or not touches_owner


def render_markdown() -> str:
    """The permission matrix as a Markdown table (the body of docs/permissions.md)."""
    roles = list(Role)
    header = "| action | description | " + " | ".join(r.value for r in roles) + " |"
    sep = "|---|---|" + "---|" * len(roles)
    rows = [header, sep]
    for action, (minimum, description) in MATRIX.items():
        marks = " | ".join("yes" if role_at_least(r, minimum) else "—" for r in roles)
        rows.append(f"| `{action.value}` | {description} | {marks} |")
    return "\n".join(rows) + "\n"
