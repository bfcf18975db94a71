"""Org events leave a transaction through ``announce()``: listeners run inside it, live
subscribers hear it only after commit, and a rollback publishes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from api.live import hub


@pytest.fixture
def recorded() -> Iterator[list[tuple[bool, dict[str, Any]]]]:
    seen: list[tuple[bool, dict[str, Any]]] = []

    def listener(session: Session, org_id: uuid.UUID | str, event: dict[str, Any]) -> None:
        seen.append((session.in_transaction(), event))

    hub.listen(listener)
    hub.listen(listener)  # registering twice must not call it twice
    yield seen
    hub._listeners.remove(listener)


def _published(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(hub, "publish",
                        lambda org_id, event, *, redis_url: sent.append(event))
    return sent


def test_listeners_run_in_the_transaction_and_publish_waits_for_commit(
        session: Session, recorded: list[tuple[bool, dict[str, Any]]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    sent = _published(monkeypatch)
    session.connection()  # open the transaction, as a service that wrote a row would have
    hub.announce(session, uuid.uuid4(), {"type": "stock.changed", "n": 1})
    assert recorded == [(True, {"type": "stock.changed", "n": 1})]
    assert sent == []
    session.commit()
    assert sent == [{"type": "stock.changed", "n": 1}]


def test_a_rolled_back_event_is_never_published(
        session: Session, recorded: list[tuple[bool, dict[str, Any]]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    sent = _published(monkeypatch)
    session.connection()
    hub.announce(session, uuid.uuid4(), {"type": "craft.status"})
    session.rollback()
    session.commit()
    assert len(recorded) == 1
    assert sent == []
