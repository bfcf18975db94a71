"""Issue 8.5: membership only by invitations the invitee accepts (both backends).

An owner could add anyone as owner without asking, then leave: the victim became the last
owner of an org they never joined and could not delete their account. The add-member route
also told which usernames exist.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from api.core.db import Database
from models.orgs import OrganizationInvitation
from tests.api.test_orgs import assert_problem, members_of
from tests.conftest import TEST_PASSWORD


def _invite(client: TestClient, org_id: uuid.UUID, headers: dict[str, str], **body: Any) -> Any:
    return client.post(f"/api/v1/orgs/{org_id}/invitations", json=body, headers=headers)


def test_no_one_is_added_without_consent(
    client: TestClient, session: Session, make_user: Any, make_org: Any
) -> None:
    owner, victim = make_user(), make_user()
    org = make_org(owner)
    base = f"/api/v1/orgs/{org.id}"
    # The old route is gone; inviting as owner is refused outright.
    added = client.post(f"{base}/members", headers=owner.headers,
                        json={"username": victim.user.username, "role": "owner"})
    assert added.status_code == 405
    refused = _invite(client, org.id, owner.headers, username=victim.user.username, role="owner")
    assert assert_problem(refused, 422)["errors"][0]["field"] == "role"
    # An invitation makes nobody a member; the owner leaving cannot strand the victim.
    made = _invite(client, org.id, owner.headers, username=victim.user.username, role="admin")
    assert made.status_code == 201, made.text
    assert members_of(session, org.id) == {owner.id: "owner"}
    gone = client.request("DELETE", "/api/v1/users/me", headers=victim.headers,
                          json={"password": TEST_PASSWORD})
    assert gone.status_code == 204, gone.text


def test_invitee_lists_accepts_and_joins(
    client: TestClient, session: Session, make_user: Any, make_org: Any
) -> None:
    owner, admin, guest, stranger = make_user(), make_user(), make_user(), make_user()
    org = make_org(owner, name=f"Haulers {uuid.uuid4().hex[:6]}", members={admin: "admin"})
    made = _invite(client, org.id, admin.headers, username=guest.user.username.upper(),
                   role="member")
    assert made.status_code == 201, made.text
    inv = made.json()
    assert (inv["status"], inv["role"], inv["invited_by"]) == ("pending", "member", str(admin.id))
    mine = client.get("/api/v1/users/me/invitations", headers=guest.headers).json()
    assert [(m["id"], m["organization_name"], m["invited_by"]) for m in mine] == \
        [(inv["id"], org.name, admin.user.username)]
    # Not addressed to them: the same 404 as an unknown id, nothing listed.
    assert client.get("/api/v1/users/me/invitations", headers=stranger.headers).json() == []
    for who, inv_id in ((stranger, inv["id"]), (guest, str(uuid.uuid4()))):
        assert_problem(client.post(f"/api/v1/users/me/invitations/{inv_id}/accept",
                                   headers=who.headers), 404)
    joined = client.post(f"/api/v1/users/me/invitations/{inv['id']}/accept",
                         headers=guest.headers)
    assert joined.status_code == 200, joined.text
    assert (joined.json()["id"], joined.json()["role"]) == (str(org.id), "member")
    session.expire_all()
    assert members_of(session, org.id)[guest.id] == "member"
    assert_problem(client.post(f"/api/v1/users/me/invitations/{inv['id']}/accept",
                               headers=guest.headers), 409)
    assert client.get("/api/v1/users/me/invitations", headers=guest.headers).json() == []
    listed = client.get(f"/api/v1/orgs/{org.id}/invitations?include_closed=true",
                        headers=owner.headers).json()
    assert [(i["id"], i["status"]) for i in listed] == [(inv["id"], "accepted")]
    assert client.get(f"/api/v1/orgs/{org.id}/invitations", headers=owner.headers).json() == []
    # Already a member: a new invitation for that username is refused (admins see members).
    again = _invite(client, org.id, owner.headers, username=guest.user.username)
    assert assert_problem(again, 409)["field"] == "username"
    # Members and viewers do not invite.
    assert_problem(_invite(client, org.id, guest.headers, username="someone"), 403)


def test_invitations_do_not_reveal_accounts(
    client: TestClient, make_user: Any, make_org: Any
) -> None:
    owner, known = make_user(), make_user()
    org = make_org(owner)
    answers = [
        _invite(client, org.id, owner.headers, username=known.user.username),
        _invite(client, org.id, owner.headers, username=f"ghost_{uuid.uuid4().hex[:8]}"),
        _invite(client, org.id, owner.headers, email=known.user.email),
        _invite(client, org.id, owner.headers, email=f"ghost-{uuid.uuid4().hex[:8]}@example.test"),
    ]
    assert [a.status_code for a in answers] == [201] * 4
    shapes = [
        {k: (v if k in ("role", "status", "organization_id", "invited_by") else type(v).__name__)
         for k, v in a.json().items() if k not in ("username", "email")}
        for a in answers
    ]
    assert all(shape == shapes[0] for shape in shapes), shapes
    # Only the address typed comes back, never the account it may belong to.
    assert str(known.id) not in "".join(a.text for a in answers)


def test_decline_revoke_expiry_and_duplicates(
    client: TestClient, session: Session, database: Database, make_user: Any, make_org: Any
) -> None:
    owner, guest = make_user(), make_user()
    org = make_org(owner)
    by_email = _invite(client, org.id, owner.headers, email=guest.user.email.upper()).json()
    dup = _invite(client, org.id, owner.headers, email=guest.user.email)
    assert assert_problem(dup, 409)["field"] == "email"
    by_name = _invite(client, org.id, owner.headers, username=guest.user.username,
                      role="viewer").json()
    mine = client.get("/api/v1/users/me/invitations", headers=guest.headers).json()
    assert {m["id"] for m in mine} == {by_email["id"], by_name["id"]}
    # Declined: gone from both lists, cannot be accepted afterwards.
    assert client.post(f"/api/v1/users/me/invitations/{by_email['id']}/decline",
                       headers=guest.headers).status_code == 204
    assert_problem(client.post(f"/api/v1/users/me/invitations/{by_email['id']}/accept",
                               headers=guest.headers), 409)
    # Revoked by an admin: the invitee can no longer accept it.
    assert client.delete(f"/api/v1/orgs/{org.id}/invitations/{by_name['id']}",
                         headers=owner.headers).status_code == 204
    assert_problem(client.delete(f"/api/v1/orgs/{org.id}/invitations/{by_name['id']}",
                                 headers=owner.headers), 409)
    body = assert_problem(client.post(f"/api/v1/users/me/invitations/{by_name['id']}/accept",
                                      headers=guest.headers), 409)
    assert body["status_of_invitation"] == "revoked"
    # Expired: not listed, not acceptable.
    late = _invite(client, org.id, owner.headers, username=guest.user.username).json()
    with database.session_scope() as s:
        s.execute(update(OrganizationInvitation)
                  .where(OrganizationInvitation.id == uuid.UUID(late["id"]))
                  .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert client.get("/api/v1/users/me/invitations", headers=guest.headers).json() == []
    body = assert_problem(client.post(f"/api/v1/users/me/invitations/{late['id']}/accept",
                                      headers=guest.headers), 409)
    assert body["status_of_invitation"] == "expired"
    statuses = {i["id"]: i["status"] for i in client.get(
        f"/api/v1/orgs/{org.id}/invitations?include_closed=true", headers=owner.headers).json()}
    assert statuses == {by_email["id"]: "declined", by_name["id"]: "revoked",
                        late["id"]: "expired"}
    assert members_of(session, org.id) == {owner.id: "owner"}


def test_invitation_bad_input(client: TestClient, make_user: Any, make_org: Any) -> None:
    owner = make_user()
    org = make_org(owner)
    for bad in [{}, {"username": "a", "email": "a@example.test"}, {"username": ""},
                {"email": "nope"}, {"username": "x", "role": "emperor"},
                {"username": "u" * 65}, {"username": "x", "extra": 1}]:
        assert_problem(_invite(client, org.id, owner.headers, **bad), 422)
    other = make_org(make_user())
    assert_problem(_invite(client, other.id, owner.headers, username="x"), 404)
