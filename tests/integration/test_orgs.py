"""Organizations over HTTP (and their services): create, public page, edit, co-organizers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from matchmaker.db import utcnow
from matchmaker.models import Invitation, Membership, Organization, Role
from matchmaker.orgs import services
from tests.conftest import PASSWORD

VALID = {
    "name": "Park Slope Food Pantry",
    "summary": "We share groceries with neighbours every Saturday morning.",
    "description": "",
    "area": "Park Slope, Brooklyn",
    "website": "https://pantry.example.org",
    "contact_email": "hello@pantry.example.org",
}


@pytest.fixture
def app_config(app_config, request):
    """Tests that ask for ``smtp_sink`` send through that real SMTP server."""
    if "smtp_sink" in request.fixturenames:
        app_config["SMTP_URL"] = request.getfixturevalue("smtp_sink").url
    return app_config


def _create(post_form, **changes):
    return post_form("/organizations/new", {**VALID, **changes})


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _path(url: str) -> str:
    return url.replace("http://localhost", "")


def _invite(post_form, org, email):
    return post_form(f"/organizations/{org.slug}/team/invite", {"email": email},
                     page=f"/organizations/{org.slug}/team")


def _invitation_link(outbox, email: str) -> str:
    msg = [m for m in outbox.messages if m["To"] == email][-1]
    return _path(next(u for u in outbox.links(msg) if "/organizations/invitations/" in u))


# --- creating ------------------------------------------------------------------------------

def test_create_makes_the_user_owner_and_organizer(client, post_form, session, make_user,
                                                   login_as):
    user = make_user(email="ada@example.org")
    login_as(user)
    form = client.get("/organizations/new").get_data(as_text=True)
    assert 'value="ada@example.org"' in form  # contact email suggested
    resp = _create(post_form, description="Line one\nline two\n\n\n\nSecond <b>para</b>")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/organizations/park-slope-food-pantry"
    org = session.scalar(select(Organization))
    assert org.name == "Park Slope Food Pantry"
    assert org.description == "Line one\nline two\n\nSecond <b>para</b>"
    assert org.contact_email == "hello@pantry.example.org"
    assert org.verified_at is None
    [m] = org.memberships
    assert (m.user_id, m.role) == (user.id, "owner")
    session.refresh(user)
    assert user.role == Role.ORGANIZER

    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Park Slope Food Pantry" in page and "Not yet verified" in page
    assert "Line one<br>line two" in page
    assert "Second &lt;b&gt;para&lt;/b&gt;" in page and "<b>para" not in page
    assert "Edit this page" in page
    assert "hello@pantry.example.org" not in page  # the contact email is not public


def test_admin_who_creates_an_organization_stays_admin(client, post_form, session, make_user,
                                                       login_as):
    admin = make_user(role=Role.ADMIN)
    login_as(admin)
    assert _create(post_form).status_code == 302
    session.refresh(admin)
    assert admin.role == Role.ADMIN


def test_create_needs_sign_in_and_a_confirmed_email(client, post_form, session, make_user,
                                                    login_as):
    resp = client.get("/organizations/new")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/login?next=/organizations/new"
    login_as(make_user(verified=False))
    resp = client.get("/organizations/new")
    assert resp.status_code == 403
    assert "confirm your email" in resp.get_data(as_text=True)
    assert post_form("/organizations/new", VALID, page="/organizations/").status_code == 403
    assert _count(session, Organization) == 0


@pytest.mark.parametrize("changes, message", [
    ({"name": ""}, "Please give the organization"),
    ({"name": "   "}, "Please give the organization"),
    ({"name": "x"}, "2 to 120 characters"),
    ({"name": "n" * 121}, "2 to 120 characters"),
    ({"name": "PARK slope   food PANTRY"}, "already an organization called"),
    ({"summary": ""}, "a sentence or two"),
    ({"summary": "s" * 281}, "280 characters or fewer"),
    ({"description": "d" * 5001}, "5000 characters or fewer"),
    ({"area": ""}, "which town or neighbourhood"),
    ({"area": "a" * 121}, "120 characters or fewer"),
    ({"area": "12 Main Street, Brooklyn"}, "not a street address"),
    ({"area": "Park Slope, Apt 4"}, "not a street address"),
    ({"website": "ftp://files.example.org"}, "https:// or http://"),
    ({"website": "javascript:alert(1)"}, "https:// or http://"),
    ({"website": "https://"}, "does not look right"),
    ({"website": "https://exa mple.org"}, "cannot contain spaces"),
    ({"website": "https://bank.example@evil.example"}, "without a user name"),
    ({"website": "https://example.org:99999"}, "does not look right"),
    ({"website": "https://" + "a" * 300 + ".org"}, "too long"),
    ({"contact_email": ""}, "email address we can reach"),
    ({"contact_email": "not-an-email"}, "like name@example.org"),
    ({"contact_email": "x" * 250 + "@example.org"}, "too long"),
])
def test_create_bad_input_is_400_next_to_the_field_and_writes_nothing(
        client, post_form, session, make_user, make_org, login_as, changes, message):
    make_org("Park Slope Food Pantry")
    user = make_user()
    login_as(user)
    before = (_count(session, Organization), _count(session, Membership))
    resp = _create(post_form, name=changes.get("name", "Sunset Park Garden"),
                   **{k: v for k, v in changes.items() if k != "name"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    field = next(iter(changes))
    error = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', body, re.DOTALL)
    assert error, f"no error next to {field}"
    assert message in error.group(1).replace("&#39;", "'")
    assert (_count(session, Organization), _count(session, Membership)) == before
    session.refresh(user)
    assert user.role == Role.RESIDENT


def test_website_is_normalised(client, post_form, session, make_user, login_as):
    login_as(make_user())
    assert _create(post_form, website="www.Pantry.example.org/about").status_code == 302
    org = session.scalar(select(Organization))
    assert org.website == "https://www.pantry.example.org/about"


@pytest.mark.parametrize("raw, clean", [
    ("", ""),
    ("example.org", "https://example.org"),
    ("HTTP://Example.ORG/Path?q=1", "http://example.org/Path?q=1"),
    ("https://münchen.example/", "https://münchen.example/"),
    ("https://localhost:8080/x", "https://localhost:8080/x"),
])
def test_normalize_website_accepts(raw, clean):
    assert services.normalize_website(raw) == clean


@pytest.mark.parametrize("raw", [
    "mailto:a@example.org", "data:text/html,hi", "//example.org", "https://-bad-.org",
    "http://exa_mple.org", "https://example", "file:///etc/passwd", "example",
])
def test_normalize_website_refuses(raw):
    with pytest.raises(ValueError):
        services.normalize_website(raw)


def test_service_refuses_duplicate_names_in_any_case_or_spacing(session, make_user):
    owner = make_user()
    services.create_organization(session, owner, name="Café  Garden", summary="s", area="Queens")
    for clash in ("café garden", " CAFÉ GARDEN ", "Café Garden"):
        with pytest.raises(services.OrgError) as info:
            services.create_organization(session, owner, name=clash, summary="s", area="Queens")
        assert info.value.field == "name"
    assert _count(session, Organization) == 1


def test_slugs_are_unique_and_avoid_fixed_pages(client, session, make_user):
    owner = make_user()

    def create(name):
        return services.create_organization(session, owner, name=name, summary="s", area="Bronx")

    assert create("Food Pantry").slug == "food-pantry"
    assert create("Food Pantry!").slug == "food-pantry-2"
    assert create("food-pantry?").slug == "food-pantry-3"
    assert create("Food Pantry Bronx").slug == "food-pantry-bronx"
    assert create("Mine").slug == "mine-2"
    assert create("New").slug == "new-2"
    assert create("東京ボランティア").slug == "organization"
    assert create("ソウル").slug == "organization-2"
    session.commit()
    assert client.get("/organizations/mine-2").status_code == 200
    # The slug stays when the name changes, so old links keep working.
    org = services.get_by_slug(session, "food-pantry")
    services.update_organization(session, org, name="Bronx Food Share", summary="s", area="Bronx")
    assert org.slug == "food-pantry"


# --- public pages ----------------------------------------------------------------------------

def test_public_page_shows_verified_or_not(client, make_org):
    checked = make_org("Checked Garden", verified=True)
    new = make_org("New Garden")
    page = client.get(f"/organizations/{checked.slug}").get_data(as_text=True)
    assert "Verified by matchmaker" in page and "Not yet verified" not in page
    assert "has checked that this organization is real" in page
    page = client.get(f"/organizations/{new.slug}").get_data(as_text=True)
    assert "Not yet verified" in page and "✓ Verified by matchmaker" not in page
    assert "has not yet checked" in page
    assert "Edit this page" not in page  # anonymous visitors get no tools
    assert client.get("/organizations/no-such-org").status_code == 404


def test_public_list_labels_and_paginates_without_js(client, make_org, make_user):
    owner = make_user()
    make_org("Aardvark Helpers", owner=owner, verified=True)
    for n in range(24):
        make_org(f"Group {n:02d}", owner=owner)
    first = client.get("/organizations/")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert html.count('class="card org-card"') == 20
    assert html.index("Aardvark Helpers") < html.index("Group 00")  # verified first
    assert html.count("badge badge-ok org-badge") == 1
    assert html.count("badge badge-warn org-badge") == 19
    assert 'href="/organizations/?page=2"' in html and "Page 1 of 2" in html
    second = client.get("/organizations/?page=2").get_data(as_text=True)
    assert second.count('class="card org-card"') == 5
    assert 'href="/organizations/?page=1"' in second
    assert client.get("/organizations/?page=3").status_code == 404
    assert client.get("/organizations/?page=0").status_code == 404


def test_empty_list_is_fine(client):
    resp = client.get("/organizations/")
    assert resp.status_code == 200
    assert "No organizations yet" in resp.get_data(as_text=True)


# --- editing ---------------------------------------------------------------------------------

def _edit_data(org, **changes):
    return {"name": org.name, "summary": "New summary.", "description": "More.",
            "area": "Gowanus", "website": "", "contact_email": "team@example.org", **changes}


def test_edit_sets_reminder_times_and_refuses_bad_ones(client, post_form, session, make_user,
                                                      make_org, login_as):
    owner = make_user()
    org = make_org("Reminder Crew", owner=owner)
    login_as(owner)
    url = f"/organizations/{org.slug}/edit"
    resp = post_form(url, {**_edit_data(org), "reminder_early_hours": "48",
                           "reminder_late_minutes": "0"})
    assert resp.status_code == 302
    session.refresh(org)
    assert (org.reminder_early_hours, org.reminder_late_minutes) == (48, 0)
    resp = post_form(url, {**_edit_data(org), "reminder_early_hours": "999",
                           "reminder_late_minutes": "60"})
    assert resp.status_code == 400 and "from 0 to 168" in resp.get_data(as_text=True)
    session.refresh(org)
    assert (org.reminder_early_hours, org.reminder_late_minutes) == (48, 0)  # nothing half-written


def test_edit_permissions(app, client, post_form, session, make_user, make_org, login_as):
    owner = make_user()
    org = make_org("Gowanus Garden", owner=owner)
    co = make_user()
    session.add(Membership(organization=org, user=co, role="organizer"))
    session.commit()
    other_organizer = make_user(role=Role.ORGANIZER)
    make_org("Other Group", owner=other_organizer)
    resident = make_user()
    admin = make_user(role=Role.ADMIN)
    url = f"/organizations/{org.slug}/edit"

    resp = client.get(url)
    assert resp.status_code == 302 and resp.headers["Location"] == f"/login?next={url}"
    resp = client.post(url, data=_edit_data(org))
    assert resp.status_code in (302, 400)  # no CSRF token: refused either way
    for outsider in (other_organizer, resident, admin):
        login_as(outsider)
        assert client.get(url).status_code == 403
        assert post_form(url, _edit_data(org, summary="Hacked"), page="/organizations/"
                         ).status_code == 403
    for member, summary in ((owner, "By the owner."), (co, "By a co-organizer.")):
        login_as(member)
        assert client.get(url).status_code == 200
        resp = post_form(url, _edit_data(org, summary=summary))
        assert resp.status_code == 302
        session.refresh(org)
        assert org.summary == summary
    # Renaming keeps the slug; a clash with another organization is refused.
    resp = post_form(url, _edit_data(org, name="GOWANUS garden and friends"))
    assert resp.status_code == 302 and resp.headers["Location"] == "/organizations/gowanus-garden"
    resp = post_form(url, _edit_data(org, name="other GROUP"))
    assert resp.status_code == 400
    assert "already an organization called" in resp.get_data(as_text=True).replace("&#39;", "'")
    session.refresh(org)
    assert org.name == "GOWANUS garden and friends"


def test_my_organizations_lists_mine_with_links(client, session, make_user, make_org, login_as):
    user = make_user()
    login_as(user)
    html = client.get("/organizations/mine").get_data(as_text=True)
    assert "do not run any organizations" in html and "/organizations/new" in html
    mine = make_org("Mine Garden", owner=user, verified=True)
    theirs = make_org("Their Garden")
    session.add(Membership(organization=theirs, user=user, role="organizer"))
    make_org("Not Mine")
    session.commit()
    html = client.get("/organizations/mine").get_data(as_text=True)
    assert "Mine Garden" in html and "Their Garden" in html and "Not Mine" not in html
    assert f"/organizations/{mine.slug}/edit" in html
    assert f"/organizations/{theirs.slug}/team" in html
    assert "You are the owner" in html and "You are a co-organizer" in html
    assert "Verified by matchmaker" in html and "Not yet verified" in html


# --- invitations -----------------------------------------------------------------------------

def test_invitation_full_flow(app, client, post_form, session, make_user, make_org, login_as,
                              outbox):
    owner = make_user(display_name="Olive")
    org = make_org("Red Hook Readers", owner=owner)
    login_as(owner)
    resp = _invite(post_form, org, "  Co@Example.org ")
    assert resp.status_code == 302
    [msg] = outbox.messages
    assert msg["To"] == "co@example.org"
    assert msg["Subject"] == "Olive invites you to help run Red Hook Readers"
    assert msg.get_body(("html",)) is not None
    text = outbox.text_of(msg)
    assert "works once, until" in text
    link = _invitation_link(outbox, "co@example.org")
    inv = session.scalar(select(Invitation))
    assert inv.sent_at is not None and inv.email == "co@example.org"
    assert (inv.expires_at - utcnow()) > timedelta(days=6, hours=23)
    assert "co@example.org" in client.get(f"/organizations/{org.slug}/team").get_data(
        as_text=True)

    # Not signed in: sign in first, then come back to the invitation.
    client.post("/logout", data={"csrf_token": re.search(
        r'name="csrf_token" value="([^"]+)"',
        client.get("/organizations/").get_data(as_text=True)).group(1)})
    resp = client.get(link)
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/login?next={link}"
    invitee = make_user(email="co@example.org", display_name="Cora", verified=False)
    resp = post_form(resp.headers["Location"], {"email": "co@example.org", "password": PASSWORD,
                                                "next": link})
    assert resp.status_code == 302 and resp.headers["Location"] == link

    page = client.get(link)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Olive invites you to help run" in html and "Red Hook Readers" in html
    assert "Accept the invitation" in html and "Not yet verified" in html

    resp = post_form(link, {})
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/organizations/{org.slug}/team"
    membership = services.membership_of(session, org, invitee)
    assert membership is not None and membership.role == "organizer"
    session.refresh(invitee)
    session.refresh(inv)
    assert invitee.role == Role.ORGANIZER
    assert invitee.is_verified  # the link went to that mailbox
    assert inv.accepted_at is not None and inv.accepted_by_id == invitee.id
    # The new co-organizer can edit the page now.
    assert client.get(f"/organizations/{org.slug}/edit").status_code == 200

    # Single use: the same link is refused, and nothing more is written.
    again = client.get(link)
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)
    assert post_form(link, {}, page="/organizations/").status_code == 410
    assert _count(session, Membership) == 2


def test_wrong_account_cannot_accept(client, post_form, session, make_user, make_org, login_as,
                                     outbox):
    owner = make_user()
    org = make_org("Bushwick Bikes", owner=owner)
    login_as(owner)
    _invite(post_form, org, "invited@example.org")
    client.get(f"/organizations/{org.slug}/team")  # the browser shows (and clears) the flash
    link = _invitation_link(outbox, "invited@example.org")
    login_as(make_user(email="someone.else@example.org"))
    resp = client.get(link)
    assert resp.status_code == 403
    html = resp.get_data(as_text=True)
    assert "sign in with the invited email address" in html.lower()
    assert "i•••@example.org" in html and "invited@example.org" not in html
    assert post_form(link, {}, page="/organizations/").status_code == 403
    assert _count(session, Membership) == 1
    assert session.scalar(select(Invitation)).accepted_at is None
    # The invited address is compared without regard to case.
    login_as(make_user(email="INVITED@Example.org"))
    assert post_form(link, {}).status_code == 302


def test_expired_invitation_is_410(client, post_form, session, make_user, make_org, login_as,
                                   outbox):
    owner = make_user()
    org = make_org("Flatbush Friends", owner=owner)
    login_as(owner)
    _invite(post_form, org, "late@example.org")
    link = _invitation_link(outbox, "late@example.org")
    late = make_user(email="late@example.org")
    with time_machine.travel(utcnow() + timedelta(days=6, hours=23)):
        login_as(late)
        assert client.get(link).status_code == 200
    with time_machine.travel(utcnow() + timedelta(days=7, minutes=1)):
        login_as(late)
        resp = client.get(link)
        assert resp.status_code == 410
        assert "has expired" in resp.get_data(as_text=True)
        assert post_form(link, {}, page="/organizations/").status_code == 410
    assert _count(session, Membership) == 1


def test_forged_or_tampered_links_are_400(app, client, make_user, make_org, login_as, session):
    org = make_org("Astoria Aid")
    inv = services.invite(session, org, make_user(), "x@example.org")
    session.commit()
    invitee = make_user(email="x@example.org")
    login_as(invitee)
    good = services.invitation_token(inv)
    for bad in ("not-a-token", good[:-3] + "abc", good + "x"):
        resp = client.get(f"/organizations/invitations/{bad}")
        assert resp.status_code == 400
        assert "does not work" in resp.get_data(as_text=True)
    assert client.get(f"/organizations/invitations/{good}").status_code == 200
    # A token signed with another key is forged too.
    app.config["SECRET_KEY"] = "another-key"
    login_as(invitee)  # the old session cookie died with the old key
    assert client.get(f"/organizations/invitations/{good}").status_code == 400


def test_revoke_invitation(client, post_form, session, make_user, make_org, login_as, outbox):
    owner = make_user()
    org = make_org("Harlem Helpers", owner=owner)
    login_as(owner)
    _invite(post_form, org, "maybe@example.org")
    link = _invitation_link(outbox, "maybe@example.org")
    inv = session.scalar(select(Invitation))
    resp = post_form(f"/organizations/{org.slug}/invitations/{inv.id}/revoke", {},
                     page=f"/organizations/{org.slug}/team")
    assert resp.status_code == 302
    session.refresh(inv)
    assert inv.revoked_at is not None
    team = client.get(f"/organizations/{org.slug}/team").get_data(as_text=True)
    assert "withdrawn" in team  # the flash says so
    assert "maybe@example.org" not in client.get(f"/organizations/{org.slug}/team").get_data(
        as_text=True)
    login_as(make_user(email="maybe@example.org"))
    resp = client.get(link)
    assert resp.status_code == 410 and "withdrawn" in resp.get_data(as_text=True)
    # After withdrawing, the same address can be invited again.
    login_as(owner)
    assert _invite(post_form, org, "maybe@example.org").status_code == 302


def test_resend_gives_a_fresh_week_and_sends_again(client, post_form, session, make_user,
                                                   make_org, login_as, outbox):
    owner = make_user()
    org = make_org("Inwood Walkers", owner=owner)
    login_as(owner)
    _invite(post_form, org, "slow@example.org")
    inv = session.scalar(select(Invitation))
    with time_machine.travel(utcnow() + timedelta(days=5)):
        login_as(owner)
        resp = post_form(f"/organizations/{org.slug}/invitations/{inv.id}/resend", {},
                         page=f"/organizations/{org.slug}/team")
        assert resp.status_code == 302
    assert len(outbox.messages) == 2
    session.refresh(inv)
    assert inv.expires_at - utcnow() > timedelta(days=11)


def test_sending_twice_sends_once(app, session, make_user, make_org, outbox):
    from matchmaker.orgs.emails import send_invitation

    org = make_org("Sunnyside Soup")
    inv = services.invite(session, org, make_user(), "once@example.org")
    session.commit()
    send_invitation(inv.id)
    send_invitation(inv.id)
    assert len(outbox.messages) == 1
    services.revoke_invitation(session, org, inv)
    inv.sent_at = None
    session.commit()
    send_invitation(inv.id)  # withdrawn meanwhile: nothing goes out
    assert len(outbox.messages) == 1


@pytest.mark.parametrize("email, message", [
    ("", "Please enter the email address"),
    ("nope", "like name@example.org"),
    ("owner@example.org", "You already help to run"),
    ("CO@example.org", "co@example.org already helps to run"),
    ("pending@example.org", "already has an invitation waiting"),
    ("PENDING@Example.org", "already has an invitation waiting"),
])
def test_invite_refusals_are_400_and_send_nothing(client, post_form, session, make_user,
                                                  make_org, login_as, outbox, email, message):
    owner = make_user(email="owner@example.org")
    org = make_org("Dumbo Dogs", owner=owner)
    session.add(Membership(organization=org, user=make_user(email="co@example.org"),
                           role="organizer"))
    services.invite(session, org, owner, "pending@example.org")
    session.commit()
    login_as(owner)
    resp = _invite(post_form, org, email)
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    error = re.search(r'<p class="error" id="email-error">(.*?)</p>', html, re.DOTALL)
    assert error and message in error.group(1)
    assert _count(session, Invitation) == 1
    assert outbox.messages == []


def test_co_organizers_may_invite_but_outsiders_may_not(client, post_form, session, make_user,
                                                        make_org, login_as, outbox):
    org = make_org("Chelsea Choir")
    co = make_user()
    session.add(Membership(organization=org, user=co, role="organizer"))
    session.commit()
    login_as(co)
    assert _invite(post_form, org, "friend@example.org").status_code == 302
    assert len(outbox.messages) == 1
    outsider = make_user()
    login_as(outsider)
    assert client.get(f"/organizations/{org.slug}/team").status_code == 403
    resp = post_form(f"/organizations/{org.slug}/team/invite", {"email": "another@example.org"},
                     page="/organizations/")
    assert resp.status_code == 403
    inv = session.scalar(select(Invitation))
    resp = post_form(f"/organizations/{org.slug}/invitations/{inv.id}/revoke", {},
                     page="/organizations/")
    assert resp.status_code == 403
    assert _count(session, Invitation) == 1
    anon = client.application.test_client()
    resp = anon.get(f"/organizations/{org.slug}/team")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_invitation_of_another_organization_is_404(client, post_form, session, make_user,
                                                   make_org, login_as):
    owner = make_user()
    mine = make_org("Mine Group", owner=owner)
    theirs = make_org("Their Group")
    inv = services.invite(session, theirs, theirs.memberships[0].user, "x@example.org")
    session.commit()
    login_as(owner)
    resp = post_form(f"/organizations/{mine.slug}/invitations/{inv.id}/revoke", {},
                     page="/organizations/")
    assert resp.status_code == 404
    session.refresh(inv)
    assert inv.revoked_at is None


def test_owner_removes_co_organizer_and_members_can_leave(client, post_form, session, make_user,
                                                          make_org, login_as):
    owner = make_user()
    org = make_org("Kensington Kitchen", owner=owner)
    co1, co2 = make_user(), make_user()
    for u in (co1, co2):
        u.role = Role.ORGANIZER
        session.add(Membership(organization=org, user=u, role="organizer"))
    session.commit()
    m1 = services.membership_of(session, org, co1)
    owner_m = services.membership_of(session, org, owner)
    team = f"/organizations/{org.slug}/team"

    # A co-organizer cannot remove anyone.
    login_as(co2)
    resp = post_form(f"/organizations/{org.slug}/members/{m1.id}/remove", {}, page=team)
    assert resp.status_code == 403
    resp = post_form(f"/organizations/{org.slug}/members/{owner_m.id}/remove", {}, page=team)
    assert resp.status_code == 403

    # The owner can remove a co-organizer, who becomes a resident again.
    login_as(owner)
    resp = post_form(f"/organizations/{org.slug}/members/{m1.id}/remove", {}, page=team)
    assert resp.status_code == 302
    assert services.membership_of(session, org, co1) is None
    session.refresh(co1)
    assert co1.role == Role.RESIDENT
    # ... but not the owner, and the (only) owner cannot leave.
    resp = post_form(f"/organizations/{org.slug}/members/{owner_m.id}/remove", {}, page=team)
    assert resp.status_code == 302
    resp = post_form(f"/organizations/{org.slug}/leave", {}, page=team, follow_redirects=True)
    assert "you cannot leave" in resp.get_data(as_text=True)
    assert services.membership_of(session, org, owner) is not None

    # A co-organizer can leave.
    login_as(co2)
    resp = post_form(f"/organizations/{org.slug}/leave", {}, page=team)
    assert resp.status_code == 302 and resp.headers["Location"] == "/organizations/mine"
    assert services.membership_of(session, org, co2) is None
    assert client.get(team).status_code == 403


def test_member_services_refuse_removing_owners(session, make_user, make_org):
    owner = make_user()
    org = make_org("Owner Test", owner=owner)
    owner_m = services.membership_of(session, org, owner)
    with pytest.raises(services.OrgError, match="cannot be removed"):
        services.remove_member(session, org, owner_m, by=owner_m)
    with pytest.raises(services.OrgError, match="cannot leave"):
        services.leave(session, org, owner_m)
    # A second owner makes leaving possible.
    second = make_user()
    session.add(Membership(organization=org, user=second, role="owner"))
    session.flush()
    services.leave(session, org, owner_m)
    assert services.membership_of(session, org, owner) is None


def test_accepting_a_second_organization_keeps_admin_role(session, make_user, make_org):
    admin = make_user(email="boss@example.org", role=Role.ADMIN)
    org = make_org("Admin Helps Too")
    inv = services.invite(session, org, org.memberships[0].user, "boss@example.org")
    services.accept_invitation(session, services.invitation_token(inv), admin)
    assert admin.role == Role.ADMIN
    assert services.membership_of(session, org, admin).role == "organizer"


def test_my_organizations_shows_invitations_waiting_for_me(client, post_form, session,
                                                           make_user, make_org, login_as):
    org = make_org("Waiting Room Choir")
    services.invite(session, org, org.memberships[0].user, "me@example.org")
    session.commit()
    me = make_user(email="me@example.org")
    login_as(me)
    html = client.get("/organizations/mine").get_data(as_text=True)
    assert "Invitations waiting for you" in html and "Waiting Room Choir" in html
    link = re.search(r'href="(/organizations/invitations/[^"]+)"', html).group(1)
    assert post_form(link, {}).status_code == 302
    assert services.membership_of(session, org, me) is not None


def test_invitation_email_through_a_real_smtp_server(client, post_form, session, make_user,
                                                     make_org, login_as, smtp_sink):
    owner = make_user(display_name="Sam")
    org = make_org("Ridgewood Repair Cafe", owner=owner)
    login_as(owner)
    assert _invite(post_form, org, "fixer@example.org").status_code == 302
    [msg] = smtp_sink.messages
    assert msg["To"] == "fixer@example.org"
    assert msg["Subject"] == "Sam invites you to help run Ridgewood Repair Cafe"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    link = re.search(r"http://localhost(/organizations/invitations/\S+)", text).group(1)
    assert link in html
    assert session.scalar(select(Invitation)).sent_at is not None
    login_as(make_user(email="fixer@example.org"))
    assert client.get(link).status_code == 200


def test_a_lost_race_on_the_name_is_the_same_clear_error(client, post_form, session, make_user,
                                                         make_org, login_as, monkeypatch):
    """Two people creating the same name at once: the database's unique key decides."""
    make_org("Park Slope Food Pantry")
    user = make_user()
    login_as(user)
    monkeypatch.setattr(services, "_name_taken", lambda *a, **k: False)  # the check passed ...
    before = (_count(session, Organization), _count(session, Membership))
    resp = _create(post_form, name="park slope FOOD pantry")  # ... but the row is there now
    assert resp.status_code == 400
    assert "already an organization called" in resp.get_data(as_text=True).replace("&#39;", "'")
    assert (_count(session, Organization), _count(session, Membership)) == before
    session.refresh(user)
    assert user.role == Role.RESIDENT
