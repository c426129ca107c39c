"""No mass assignment: extra fields in a form or API body never reach the database.

Every form a resident can submit (and the API's create/patch bodies) gets the same
smuggled fields on top of valid input: a role, verified and active flags, an
organization, an attendance mark, another person's id. The request must do its
normal job, and the columns those fields name must be exactly as before.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from matchmaker.db import db, utcnow
from matchmaker.models import Opportunity, Organization, Signup, User
from tests.security.conftest import ORG_A, ORG_B, RESIDENT, db_state

#: Tables no resident form may touch (the forms below each name what they may change).
GUARDED = ("users", "memberships", "organizations", "signups", "invitations", "api_tokens",
           "login_sessions", "opportunities", "occurrences")


def smuggled(world) -> dict:
    """Fields an attacker adds to a form, aimed at roles, flags and other people's rows."""
    other, org_b = world.users["other"].id, world.ids["org_b"]
    when = "2020-01-01T00:00:00"
    return {"role": "admin", "is_admin": "y", "admin": "1", "verified": "y",
            "email_verified_at": when, "is_verified": "1", "is_active": "0", "active": "0",
            "user_id": other, "id": other, "owner_id": other, "signup_id": world.ids[
                "signup_other"], "organization_id": org_b, "organization": org_b,
            "membership": "owner", "membership_role": "owner", "attendance": "attended",
            "attended": "y", "status": "confirmed", "checked_in_at": when,
            "verified_at": when, "verified_by_id": other, "failed_logins": "0",
            "calendar_feed_version": "99", "password_hash": "x",
            "email": "taken-over@example.org"}


def guarded(except_tables=()) -> dict:
    state = db_state(db.session)
    return {t: state[t] for t in GUARDED if t not in except_tables}


def post(world, actor: str, path: str, data: dict):
    client = world.clients[actor]
    return client.post(path, data={"csrf_token": world.csrf[actor], **data})


def user_row(user_id: int) -> tuple:
    db.session.expire_all()
    u = db.session.get(User, user_id)
    return (u.email, u.role, u.email_verified_at, u.is_active, u.calendar_feed_version)


PROFILE = {
    "causes": ["food-security"], "timezone": "America/New_York",
    "windows-0-weekday": "5", "windows-0-start": "09:00", "windows-0-end": "12:00",
    "home": "Park Slope", "travel_radius_km": "3", "weekly_hours": "1.5",
    "max_commitments_per_week": "2", "social_format": "small_group", "is_adult": "y",
}


def test_profile_form(world):
    before = guarded()
    resp = post(world, RESIDENT, "/profile/", {**PROFILE, **smuggled(world)})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
    assert guarded() == before


def test_email_settings_form(world):
    before = guarded()
    resp = post(world, RESIDENT, "/me/emails", {
        "digest_frequency": "weekly", "digest_weekday": "2", "digest_hour": "9",
        **smuggled(world)})
    assert resp.status_code == 303
    assert guarded() == before


def test_register_form(world):
    from matchmaker.auth.services import find_user_by_email

    before = guarded(except_tables=("users", "login_sessions"))
    others = {a: user_row(u.id) for a, u in world.users.items()}
    data = {**smuggled(world), "display_name": "Mallory", "email": "mallory@example.org",
            "password": "a long enough password", "confirm": "a long enough password"}
    resp = post(world, "anonymous", "/register", data)
    assert resp.status_code == 302
    user = find_user_by_email(db.session, "mallory@example.org")
    assert (user.role, user.email_verified_at, user.is_active) == ("resident", None, True)
    assert guarded(except_tables=("users", "login_sessions")) == before
    assert {a: user_row(u.id) for a, u in world.users.items()} == others


def test_change_password_form(world):
    before = user_row(world.users[RESIDENT].id)
    resp = post(world, RESIDENT, "/account/password", {
        **smuggled(world), "current_password": "correct horse battery staple",
        "password": "another good password", "confirm": "another good password"})
    assert resp.status_code == 302
    assert user_row(world.users[RESIDENT].id) == before


def test_sign_up_form(world):
    """Organizer B signs up to A's date: the row is theirs, unmarked, like anyone's."""
    occurrence = world.ids["occurrence"]
    # a sign-up writes its row and the date's seat counter, nothing else
    before = guarded(except_tables=("signups", "occurrences"))
    other_signup = _signup_row(world.ids["signup_other"])
    resp = post(world, ORG_B, f"/occurrences/{occurrence}/signup", smuggled(world))
    assert resp.status_code == 302
    signup = db.session.scalar(select(Signup).where(
        Signup.occurrence_id == occurrence, Signup.user_id == world.users[ORG_B].id))
    assert signup is not None and signup.attendance is None
    assert _signup_row(world.ids["signup_other"]) == other_signup
    assert guarded(except_tables=("signups", "occurrences")) == before


def _signup_row(signup_id: int) -> tuple:
    db.session.expire_all()
    s = db.session.get(Signup, signup_id)
    return (s.user_id, s.occurrence_id, s.status, s.attendance, s.attendance_marked_at)


def test_i_did_it_form(world):
    """"I did it" on a small act marks only that act, only as done, only for its owner."""
    act = db.session.get(Opportunity, world.ids["published"])
    act.kind = "small_act"
    act.occurrences[0].starts_at = utcnow() - timedelta(days=1)
    db.session.commit()
    mine, other = world.ids["signup_mine"], world.ids["signup_other"]
    before_other = _signup_row(other)
    before = guarded(except_tables=("signups",))
    resp = post(world, RESIDENT, f"/me/signups/{mine}/done",
                {**smuggled(world), "attendance": "no_show"})
    assert resp.status_code == 303
    assert _signup_row(other) == before_other
    assert _signup_row(mine)[3] == "attended"  # what "I did it" means, whatever was sent
    assert guarded(except_tables=("signups",)) == before


def test_organization_edit_form_cannot_verify(world):
    """An organizer edits their page; verification stays an admin's act."""
    org_id = world.ids["org_a"]
    before = guarded(except_tables=("organizations",))
    resp = post(world, ORG_A, f"/organizations/{world.objects['of A']['slug']}/edit", {
        **smuggled(world), "name": "Org A Pantry", "summary": "We share groceries.",
        "description": "", "area": "Brooklyn", "website": "",
        "contact_email": "owner-a@example.org",
        "reminder_early_hours": "24", "reminder_late_minutes": "120", "buddy_enabled": "y"})
    assert resp.status_code == 302, re.findall(r'class="error"[^>]*>([^<]+)<',
                                               resp.get_data(as_text=True))
    db.session.expire_all()
    org = db.session.get(Organization, org_id)
    assert org.verified_at is None and org.verified_by_id is None
    assert guarded(except_tables=("organizations",)) == before


def test_api_sign_up_body(world):
    opp = world.ids["published"]
    before_other = _signup_row(world.ids["signup_other"])
    resp = world.clients["anonymous"].post(
        f"/api/v1/opportunities/{opp}/signups", headers=world.bearer[ORG_B],
        json={"user_id": world.users["other"].id, "attendance": "attended",
              "status": "confirmed", "checked_in_at": "2020-01-01T00:00:00Z", "id": 1})
    assert resp.status_code == 201, resp.json
    signup = db.session.get(Signup, resp.json["id"])
    assert signup.user_id == world.users[ORG_B].id and signup.attendance is None
    assert _signup_row(world.ids["signup_other"]) == before_other


def test_api_opportunity_bodies(world):
    """Create and change through the API: the organization and status are not fields."""
    from tests.security.test_authorization_matrix import _new_opportunity

    extra = {"organization_id": world.ids["org_b"], "status": "published", "id": 1,
             "published_at": "2020-01-01T00:00:00Z", "created_by_id": world.users["other"].id}
    client, bearer = world.clients["anonymous"], world.bearer[ORG_A]
    resp = client.post("/api/v1/opportunities", headers=bearer,
                       json={**_new_opportunity(world), **extra})
    assert resp.status_code in (201, 422), resp.json
    if resp.status_code == 201:
        opp = db.session.get(Opportunity, resp.json["id"])
        assert (opp.organization_id, opp.status) == (world.ids["org_a"], "draft")
    draft = world.ids["draft"]
    resp = client.patch(f"/api/v1/opportunities/{draft}", headers=bearer,
                        json={"title": "Renamed draft", **extra})
    db.session.expire_all()
    opp = db.session.get(Opportunity, draft)
    assert resp.status_code in (200, 422), resp.json
    assert (opp.organization_id, opp.status) == (world.ids["org_a"], "draft")


def test_ids_in_fields_cannot_reach_another_organizations_rows(world):
    """Organizer B names A's sign-ups and A's group in fields of B's own forms: nothing of
    A's changes (attendance marks only B's date's roster; a group must be B's own)."""
    from tests.security.conftest import add_opportunity
    from tests.security.test_authorization_matrix import _new_opportunity

    org_b = db.session.get(Organization, world.ids["org_b"])
    occ_b = add_opportunity(db.session, org_b, "B's own date").occurrences[0]
    db.session.commit()
    a_signups = [_signup_row(world.ids[k]) for k in ("signup_mine", "signup_other")]
    resp = post(world, ORG_B, f"/organizations/{org_b.slug}/occurrences/{occ_b.id}/attendance",
                {"mark": "attended",
                 "signup": [str(world.ids["signup_mine"]), str(world.ids["signup_other"])]})
    assert resp.status_code == 302
    assert [_signup_row(world.ids[k]) for k in ("signup_mine", "signup_other")] == a_signups

    count = len(db.session.scalars(select(Opportunity.id)).all())
    resp = world.clients["anonymous"].post(
        "/api/v1/opportunities", headers=world.bearer[ORG_B],
        json={**_new_opportunity(world), "organization": org_b.id,
              "group_id": world.ids["group"]})
    assert resp.status_code == 422 and "group_id" in resp.json["error"]["fields"], resp.json
    assert len(db.session.scalars(select(Opportunity.id)).all()) == count
