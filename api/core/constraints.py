"""Database constraints in words: what a 409 says when a constraint, not a service, caught it.

Services check the rules first; these sentences are for what slips past them (races, a rule
a service forgot). Problem documents never show the internal constraint name.
``tests/api/test_platform.py`` checks that every named constraint of the models is listed.
"""

from __future__ import annotations

import re

from sqlalchemy import UniqueConstraint

from models import Base

# Constraint name -> (request field it is about, or None; the sentence shown).
CONSTRAINTS: dict[str, tuple[str | None, str]] = {
    "uq_users_email": ("email", "An account with this email address already exists."),
    "uq_users_username": ("username", "This username is taken."),
    "uq_idempotency_keys_user_id_key": (
        "Idempotency-Key", "This idempotency key is already being used by another request."),
    "uq_organizations_name": ("name", "An organisation with this name already exists."),
    "uq_personal_access_tokens_token_hash": (None, "A token collision occurred; try again."),
    "uq_refresh_tokens_token_hash": (None, "A token collision occurred; try again."),
    "ck_goals_status_valid": ("status", "The goal status is not one of the allowed values."),
    "ck_integrations_kind_valid": ("kind", "The integration kind is not one of the allowed "
                                           "values."),
    "ck_integrations_one_owner": (None, "An integration belongs to an org or to a user, "
                                        "not both."),
    "ck_integrations_failures_nonneg": (None, "A failure count cannot be negative."),
    "ck_items_volume_nonneg": ("volume_scu", "An item's volume cannot be negative."),
    "ck_items_unit_valid": ("unit", "The unit must be 'scu' or 'piece'."),
    "ck_usage_events_kind_valid": ("kind", "The usage event kind is not one of the allowed "
                                   "values."),
    "uq_items_code": ("code", "An item with this code already exists."),
    "uq_items_organization_id_name": ("name", "The org already has an item with this name."),
    "uq_items_shared_name": ("name", "A catalogue item already has this name."),
    "ck_locations_kind_valid": ("kind", "The location kind is not one of the allowed values."),
    "ck_locations_trip_cost_nonneg": ("trip_cost", "A trip cost cannot be negative."),
    "ck_locations_not_own_parent": ("parent_id", "A location cannot be its own parent."),
    "ck_locations_one_owner": (None, "A location belongs to an org or to a user, not both."),
    "uq_locations_code": ("code", "A location with this code already exists."),
    "ck_organization_members_role_valid": ("role", "The role is not one of the allowed "
                                                   "values."),
    "ck_organization_invitations_role_valid": (
        "role", "An invitation's role must be admin, member or viewer (never owner)."),
    "ck_organization_invitations_one_invitee": (
        "username", "An invitation is addressed to exactly one of a username or an email."),
    "ck_organization_invitations_one_outcome": (
        None, "The invitation was already accepted, declined or revoked."),
    "uq_organization_members_organization_id_user_id": (
        "username", "This user is already a member of the org."),
    "ck_plans_status_valid": ("status", "The plan status is not one of the allowed values."),
    "ck_plans_attempts_nonneg": (None, "A plan's attempt count cannot be negative."),
    "ck_blueprints_run_cost_nonneg": ("run_cost", "A run cost cannot be negative."),
    "ck_blueprints_output_positive": (
        "output_quantity", "The output quantity must be at least 0.000001."),
    "ck_blueprints_minutes_nonneg": ("minutes", "A blueprint's minutes cannot be negative."),
    "uq_blueprints_code": ("code", "A blueprint with this code already exists."),
    "ck_blueprints_kind_valid": ("kind", "The blueprint kind must be 'craft' or 'refine'."),
    "ck_goal_targets_quantity_positive": (
        "targets", "A target quantity must be at least 0.000001."),
    "uq_goal_targets_goal_id_item_id_min_quality": (
        "targets", "The goal lists the same item at the same minimum quality twice."),
    "ck_goal_targets_min_quality_range": ("targets", "A minimum quality must be 0 to 1000."),
    "ck_integration_logs_status_valid": (None, "The log status is not one of the allowed "
                                               "values."),
    "uq_item_aliases_item_id_alias": ("aliases", "The item already has this alias."),
    "ck_item_stocks_reserved_nonneg": ("quantity", "Reserved stock cannot be negative."),
    "ck_item_stocks_quantity_covers_reserved": (
        "quantity", "Stock cannot fall below what is reserved."),
    "uq_item_stocks_item_id_location_id_quality_organization_id": (
        None, "The org already holds this item at this location and quality; adjust it."),
    "uq_item_stocks_item_id_location_id_quality_owner_user_id": (
        None, "You already hold this item at this location and quality; adjust it."),
    "ck_item_stocks_share_user_only": (None, "Only personal stock can be shared with an org."),
    "ck_item_stocks_one_owner": (None, "Stock belongs to an org or to a user, not both."),
    "ck_item_stocks_quality_range": ("quality", "Quality must be 0 to 1000."),
    "ck_plan_variants_attempts_nonneg": (None, "A variant's attempt count cannot be negative."),
    "uq_plan_variants_plan_id_name": ("variants", "Two what-if variants have the same name."),
    "ck_plan_variants_status_valid": ("status", "The variant status is not one of the allowed "
                                                "values."),
    "ck_resource_sources_price_nonneg": ("price", "A price cannot be negative."),
    "ck_resource_sources_lot_size_positive": (
        "lot_size", "A lot size must be at least 0.000001."),
    "ck_resource_sources_quality_range": ("quality", "Quality must be 0 to 1000."),
    "ck_resource_sources_available_nonneg": ("available", "Availability cannot be negative."),
    "ck_ships_one_owner": (None, "A ship belongs to an org or to a user, not both."),
    "ck_ships_capacity_nonneg": ("cargo_capacity_scu", "Cargo capacity cannot be negative."),
    "uq_ships_cargo_location_id": (None, "This cargo hold already belongs to another ship."),
    "ck_webhook_deliveries_attempts_nonneg": (None, "A delivery's attempt count cannot be "
                                                    "negative."),
    "ck_webhook_deliveries_status_valid": (None, "The delivery status is not one of the "
                                                 "allowed values."),
    "uq_blueprint_ingredients_blueprint_id_position": (
        "ingredients", "Two ingredient lines share a position."),
    "ck_blueprint_ingredients_position_nonneg": (
        "ingredients", "An ingredient position cannot be negative."),
    "ck_blueprint_ingredients_min_quality_range": (
        "ingredients", "A minimum quality must be 0 to 1000."),
    "ck_blueprint_ingredients_quantity_positive": (
        "ingredients", "An ingredient quantity must be at least 0.000001."),
    "ck_crafts_runs_positive": ("runs", "A craft needs at least one run."),
    "ck_crafts_runs_completed_range": ("runs", "Completed runs must be 0 to the craft's runs."),
    "ck_crafts_status_valid": ("status", "The craft status is not one of the allowed values."),
    "uq_source_verification_log_source_id_user_id_day": (
        None, "You have already voted on this listing today; vote again tomorrow."),
    "ck_craft_ingredients_required_nonneg": (None, "A required quantity cannot be negative."),
    "ck_craft_ingredients_reserved_nonneg": (None, "A reserved quantity cannot be negative."),
    "ck_craft_ingredients_consumed_nonneg": (None, "A consumed quantity cannot be negative."),
    "ck_craft_ingredients_min_quality_range": (None, "A minimum quality must be 0 to 1000."),
    "uq_craft_ingredients_craft_id_position": (None, "Two craft inputs share a position."),
    "ck_stock_reservations_quantity_positive": (
        "quantity", "A reservation must be at least 0.000001."),
    "ck_stock_reservations_one_outcome": (
        None, "A reservation is either released or consumed, not both."),
    "ck_item_history_kind_valid": (None, "The history kind is not one of the allowed values."),
    "ck_job_outbox_kind_valid": (None, "The job kind is not one of the allowed values."),
    "ck_import_jobs_status_valid": (None, "The import job status is not one of the allowed "
                                    "values."),
    "ck_organizations_member_stock_reliability_range": (
        "member_stock_reliability", "Member stock reliability must be above 0 and at most 1."),
    "ck_organization_members_stock_reliability_range": (
        "stock_reliability", "Stock reliability must be above 0 and at most 1."),
    # The commons (docs/commons.md)
    "ck_platform_roles_role_valid": ("role", "The platform role must be curator or moderator."),
    "uq_platform_roles_user_id_role": ("role", "The user already holds this platform role."),
    "ck_commons_entities_kind_valid": (
        "kind", "The kind must be item, blueprint, location or tag."),
    "ck_commons_entities_status_valid": (
        None, "The public entity status is not one of the allowed values."),
    "ck_commons_entities_version_positive": (
        None, "A public entity's current version starts at 1."),
    "uq_commons_entities_item_id": ("item_id", "This item is already a public entity."),
    "uq_commons_entities_location_id": (
        "location_id", "This location is already a public entity."),
    "ck_commons_versions_status_valid": (
        None, "The version status is not one of the allowed values."),
    "ck_commons_versions_version_positive": (None, "Version numbers start at 1."),
    "uq_commons_versions_entity_id_version": (
        None, "This version of the public entity was already published."),
    "uq_commons_versions_blueprint_id": (
        "blueprint_id", "This blueprint is already a published version."),
    "ck_commons_submissions_kind_valid": (
        "kind", "The kind must be item, blueprint, location or tag."),
    "ck_commons_submissions_status_valid": (
        None, "The submission status is not one of the allowed values."),
    "ck_commons_actions_action_valid": (
        None, "The moderation action is not one of the allowed values."),
    "uq_commons_hidden_organization_id_entity_id": (
        "entity_id", "This public entity is already hidden for the organisation."),
    "ck_notifications_kind_valid": (
        "kind", "The notification kind is not one of the allowed values."),
    "ck_notification_preferences_kind_valid": (
        "kind", "The notification kind is not one of the allowed values."),
    "uq_stock_watches_organization_id_item_id": (
        "item_id", "The organisation already watches this item; change its threshold instead."),
    "ck_stock_watches_threshold_positive": ("threshold", "The threshold must be above zero."),
    "uq_password_reset_tokens_token_hash": (
        "token", "This reset link was already issued; ask for a new one."),
    "uq_email_verification_tokens_token_hash": (
        "token", "This verification link was already issued; ask for a new one."),
}
FALLBACK = (None, "The request conflicts with existing data.")
# SQLite names CHECK constraints in its message but lists only table.column for UNIQUE ones.
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w., ]+)")


def _unique_by_columns() -> dict[str, str]:
    """``"table.col, table.col"`` (SQLite's spelling) -> unique constraint or index name."""
    out: dict[str, str] = {}
    for table in Base.metadata.tables.values():
        groups = [(c.name, list(c.columns)) for c in table.constraints
                  if isinstance(c, UniqueConstraint)]
        groups += [(i.name, list(i.columns)) for i in table.indexes if i.unique]
        for name, columns in groups:
            if isinstance(name, str):
                out[", ".join(f"{table.name}.{col.name}" for col in columns)] = name
    return out


_UNIQUE_BY_COLUMNS = _unique_by_columns()


def constraint_name(error: BaseException) -> str | None:
    """The name of the constraint a DBAPI error reports (PostgreSQL or SQLite), if any."""
    diag = getattr(error, "diag", None)  # psycopg exposes the violated constraint
    name = getattr(diag, "constraint_name", None)
    if name:
        return str(name)
    message = str(error)
    if match := _SQLITE_CHECK.search(message):
        return match.group(1)
    if match := _SQLITE_UNIQUE.search(message):
        return _UNIQUE_BY_COLUMNS.get(match.group(1).strip())
    return None


def describe(name: str | None) -> tuple[str | None, str]:
    """(field, sentence) for a constraint name; a neutral sentence for unknown ones."""
    return CONSTRAINTS.get(name or "", FALLBACK)
