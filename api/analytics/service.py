"""Analytics rules: consent gates every event; revocation and erasure delete them; the org
dashboard and blueprint statistics are derived from the org's own records on request."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from api.analytics import repository
from api.analytics.schemas import (
    BlueprintStat,
    ConsentOut,
    ConsentRecordOut,
    DashboardOut,
    GoalSummary,
    UsageEventOut,
    WeekPoint,
)
from api.core import authcache
from api.core.db import after_commit
from api.core.settings import Settings
from models.analytics import USAGE_KINDS, AnalyticsConsent, UsageEvent

# The wording of docs/analytics.md "What is collected"; bump it when that changes, so a
# record shows which text each user agreed to.
POLICY_VERSION = "2026-12-03"
TOP_BLUEPRINTS = 10


def _now() -> datetime:
    return datetime.now(UTC)


def ip_salt(settings: Settings) -> bytes:
    """The secret salt for client addresses: QM_ANALYTICS_IP_SALT, else derived from the
    secret key (so a deployment without one still never stores a guessable hash)."""
    if settings.analytics_ip_salt:
        return settings.analytics_ip_salt.encode()
    return hmac.new(settings.secret_key.encode(), b"qm-analytics-ip", hashlib.sha256).digest()


def hash_ip(address: str | None, salt: bytes) -> str | None:
    """HMAC-SHA256 of the client address: counts distinct clients, reveals no address
    (a plain hash of an IPv4 address is reversed by trying all 2^32)."""
    if not address:
        return None
    return hmac.new(salt, address.encode(), hashlib.sha256).hexdigest()


def _consent_out(history: list[AnalyticsConsent], deleted: int = 0) -> ConsentOut:
    return ConsentOut(
        granted=bool(history) and history[-1].granted,
        policy_version=POLICY_VERSION,
        history=[ConsentRecordOut(granted=c.granted, recorded_at=c.recorded_at,
                                  policy_version=c.policy_version) for c in history],
        events_deleted=deleted,
    )


def get_consent(session: Session, user_id: uuid.UUID) -> ConsentOut:
    """The user's current choice (off until a grant is recorded) and its history."""
    return _consent_out(repository.consent_history(session, user_id))


def set_consent(session: Session, user_id: uuid.UUID, granted: bool) -> ConsentOut:
    """Record a grant or revocation (a repeat of the current choice records nothing).

    Revoking deletes every usage event of the user in the same transaction. The user row is
    written first: its lock makes an event being recorded concurrently either finish before
    (and be deleted here) or see the revocation (and write nothing).
    """
    repository.set_consent_flag(session, user_id, granted)
    # Cached callers carry the old flag for up to a second; the middleware's quick check
    # reads it, so drop them here (other processes' caches lapse within that second).
    after_commit(session, lambda: authcache.forget_users([user_id]))
    history = repository.consent_history(session, user_id)
    current = bool(history) and history[-1].granted
    deleted = 0
    if not granted:
        deleted = repository.delete_user_events(session, user_id)
    if current != granted or not history:
        record = AnalyticsConsent(user_id=user_id, granted=granted, recorded_at=_now(),
                                  policy_version=POLICY_VERSION)
        session.add(record)
        session.flush()
        history.append(record)
    return _consent_out(history, deleted)


def record_event(session: Session, settings: Settings, *, user_id: uuid.UUID,
                 organization_id: uuid.UUID | None, kind: str, route: str,
                 address: str | None) -> bool:
    """Write one usage event if the user consents now; True when written.

    Also drops the user's events past the retention period, so an active user's history
    never outgrows it (the dashboard prunes org-wide).
    """
    if kind not in USAGE_KINDS:
        raise ValueError(f"unknown usage event kind {kind!r}")
    now = _now()
    expired = now - timedelta(days=settings.analytics_retention_days)
    # SQLite: a transaction that reads and then writes fails at once when another wrote in
    # between (a page's parallel requests do), so there the write comes first and takes the
    # database's write lock, queueing the others. PostgreSQL keeps the consent row lock
    # first, the order a revocation takes too.
    write_first = session.get_bind().dialect.name == "sqlite"
    if write_first:
        repository.delete_user_events(session, user_id, before=expired)
    if not repository.lock_consent_flag(session, user_id):
        return False
    if not write_first:
        repository.delete_user_events(session, user_id, before=expired)
    session.add(UsageEvent(user_id=user_id, organization_id=organization_id, kind=kind,
                           route=route[:200], ip_hash=hash_ip(address, ip_salt(settings)),
                           occurred_at=now))
    session.flush()
    return True


def export_for_user(session: Session, user_id: uuid.UUID) -> dict[str, Any]:
    """Everything analytics holds about the user, for the GDPR export."""
    consent = get_consent(session, user_id)
    events = [UsageEventOut.model_validate(e, from_attributes=True)
              for e in repository.user_events(session, user_id)]
    return {"consent": consent.model_dump(mode="json", exclude={"events_deleted"}),
            "usage_events": [e.model_dump(mode="json") for e in events]}


def erase_for_user(session: Session, user_id: uuid.UUID) -> None:
    """Account erasure: the user's usage events and consent records go."""
    repository.delete_user_events(session, user_id)
    repository.delete_user_consents(session, user_id)
    repository.set_consent_flag(session, user_id, False)


def _week(at: datetime) -> date:
    day = at.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def _rate(good: int, bad: int) -> float | None:
    return round(good / (good + bad), 4) if good + bad else None


def blueprint_stats(session: Session, org_id: uuid.UUID) -> list[BlueprintStat]:
    """Per blueprint the org has crafted: crafts, runs, success rate, mean craft time;
    most runs first."""
    acc: dict[uuid.UUID, dict[str, Any]] = {}
    for bp_id, name, status, runs, done_runs, started, completed, _ in \
            repository.org_craft_rows(session, org_id):
        row = acc.setdefault(bp_id, {"name": name, "crafts": 0, "runs": 0, "runs_completed": 0,
                                     "completed": 0, "cancelled": 0, "minutes": []})
        row["crafts"] += 1
        row["runs"] += runs
        row["runs_completed"] += done_runs
        if status == "completed":
            row["completed"] += 1
            if started is not None and completed is not None:
                row["minutes"].append((completed - started).total_seconds() / 60)
        elif status == "cancelled":
            row["cancelled"] += 1
    stats = [BlueprintStat(
        blueprint_id=bp_id, name=r["name"], crafts=r["crafts"], runs=r["runs"],
        runs_completed=r["runs_completed"], completed=r["completed"], cancelled=r["cancelled"],
        success_rate=_rate(r["completed"], r["cancelled"]),
        mean_craft_minutes=(round(sum(r["minutes"]) / len(r["minutes"]), 2)
                            if r["minutes"] else None),
    ) for bp_id, r in acc.items()]
    return sorted(stats, key=lambda s: (-s.runs, s.name, str(s.blueprint_id)))


def _plan_numbers(document: dict[str, Any] | None) -> tuple[float, float | None]:
    """A solved plan's objective, and its saving against the baseline when it carries one."""
    doc = document or {}
    objective = float(doc.get("objective") or 0.0)
    baseline = (doc.get("baseline") or {}).get("objective")
    return objective, (float(baseline) - objective if baseline is not None else None)


def _goal_summary(rows: Iterable[Any]) -> GoalSummary:
    counts: Counter[str] = Counter()
    on_time = 0
    for status, _created, completed, due in rows:
        counts[status] += 1
        if status == "completed" and completed is not None and (due is None or completed <= due):
            on_time += 1
    return GoalSummary(total=sum(counts.values()), active=counts["active"],
                       completed=counts["completed"], cancelled=counts["cancelled"],
                       completed_on_time=on_time,
                       completion_rate=_rate(counts["completed"], counts["cancelled"]))


def dashboard(session: Session, settings: Settings, org_id: uuid.UUID,
              weeks: int) -> DashboardOut:
    """The admin dashboard over the last ``weeks`` ISO weeks (the current one included)."""
    now = _now()
    repository.delete_events_before(
        session, now - timedelta(days=settings.analytics_retention_days))
    first = _week(now) - timedelta(weeks=weeks - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    points = {first + timedelta(weeks=i): WeekPoint(week=first + timedelta(weeks=i))
              for i in range(weeks)}
    craft_rows = repository.org_craft_rows(session, org_id)
    for row in craft_rows:
        if row.status == "completed" and row.completed_at is not None \
                and row.completed_at >= since:
            points[_week(row.completed_at)].crafts_completed += 1
    goal_rows = repository.org_goal_rows(session, org_id)
    for goal in goal_rows:
        if goal.completed_at is not None and goal.completed_at >= since:
            points[_week(goal.completed_at)].goals_completed += 1
    for finished, document, _applied in repository.org_finished_plans(session, org_id, since):
        if finished is None:
            continue
        point = points[_week(finished)]
        objective, saving = _plan_numbers(document)
        point.plans_solved += 1
        point.plan_cost = round(point.plan_cost + objective, 4)
        if saving is not None:
            point.plan_savings = round((point.plan_savings or 0.0) + saving, 4)
    users: dict[date, set[uuid.UUID]] = {}
    kinds: Counter[str] = Counter()
    for occurred, kind, user_id in repository.org_event_rows(session, org_id, since):
        points[_week(occurred)].usage_events += 1
        users.setdefault(_week(occurred), set()).add(user_id)
        kinds[kind] += 1
    for week, who in users.items():
        points[week].active_users = len(who)
    return DashboardOut(
        organization_id=org_id,
        weeks=[points[w] for w in sorted(points)],
        goals=_goal_summary(goal_rows),
        top_blueprints=blueprint_stats(session, org_id)[:TOP_BLUEPRINTS],
        usage_by_kind={k: kinds[k] for k in USAGE_KINDS},
    )
