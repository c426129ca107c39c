"""Platform admin: the organization verification list and its buttons."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from matchmaker.db import utcnow
from matchmaker.models import Role
from matchmaker.orgs import services


def _press(post_form, org, action, page="/admin/organizations", **extra):
    return post_form(f"/admin/organizations/{org.id}/{action}", extra, page=page)


def test_admin_lists_waiting_organizations_first(client, make_user, make_org, login_as):
    owner = make_user(email="owner@example.org", display_name="Olive")
    with time_machine.travel(utcnow() - timedelta(days=3)):
        older = make_org("Older Waiting Group", owner=owner)
    make_org("Already Checked", verified=True)
    newer = make_org("Newer Waiting Group")
    login_as(make_user(role=Role.ADMIN))
    html = client.get("/admin/organizations").get_data(as_text=True)
    positions = [html.index(name) for name in
                 ("Older Waiting Group", "Newer Waiting Group", "Already Checked")]
    assert positions == sorted(positions)
    assert html.count("badge badge-warn org-badge") == 2
    assert html.count("badge badge-ok org-badge") == 1
    assert "owner@example.org" in html  # the admin can reach whoever runs it
    assert f"/admin/organizations/{older.id}/verify" in html
    assert f"/admin/organizations/{newer.id}/verify" in html

    only_waiting = client.get("/admin/organizations?show=unverified").get_data(as_text=True)
    assert "Older Waiting Group" in only_waiting and "Already Checked" not in only_waiting
    # An unknown filter falls back to all.
    assert "Already Checked" in client.get("/admin/organizations?show=zzz").get_data(
        as_text=True)


def test_admin_verifies_and_unverifies(client, post_form, session, make_user, make_org,
                                       login_as):
    org = make_org("Bed-Stuy Book Club")
    admin = make_user(role=Role.ADMIN, display_name="Ada")
    login_as(admin)
    resp = _press(post_form, org, "verify", next="/admin/organizations?show=unverified")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/admin/organizations?show=unverified"
    session.refresh(org)
    assert org.verified_at is not None and org.verified_by_id == admin.id
    first_verified_at = org.verified_at
    public = client.get(f"/organizations/{org.slug}").get_data(as_text=True)
    assert "✓ Verified by matchmaker" in public
    assert "verified" in client.get("/admin/organizations").get_data(as_text=True)

    # Pressing again changes nothing (a double click, or two admins at once).
    resp = _press(post_form, org, "verify", next="https://evil.example/")
    assert resp.headers["Location"] == "/admin/organizations"  # next= is validated
    session.refresh(org)
    assert org.verified_at == first_verified_at

    assert _press(post_form, org, "unverify").status_code == 302
    session.refresh(org)
    assert org.verified_at is None and org.verified_by_id is None
    assert "Not yet verified" in client.get(f"/organizations/{org.slug}").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.ORGANIZER])
def test_admin_pages_are_403_for_others(client, post_form, session, make_user, make_org,
                                        login_as, role):
    org = make_org("Tompkins Square Tidy")
    user = make_user(role=role)
    if role == Role.ORGANIZER:
        # Even the owner of the organization cannot verify it.
        org.memberships[0].user_id = user.id
        session.commit()
    login_as(user)
    assert client.get("/admin/organizations").status_code == 403
    for action in ("verify", "unverify"):
        assert _press(post_form, org, action, page="/organizations/").status_code == 403
    session.refresh(org)
    assert org.verified_at is None


def test_admin_pages_send_anonymous_visitors_to_sign_in(client, make_org):
    org = make_org("Anonymous Test")
    resp = client.get("/admin/organizations")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/login?next=/admin/organizations"
    resp = client.post(f"/admin/organizations/{org.id}/verify")
    assert resp.status_code in (302, 400)  # sign-in redirect, or refused for lack of CSRF
    assert org.verified_at is None


def test_unknown_organization_is_404(client, post_form, make_user, login_as):
    login_as(make_user(role=Role.ADMIN))
    resp = post_form("/admin/organizations/999999/verify", {}, page="/admin/organizations")
    assert resp.status_code == 404


def test_admin_list_paginates(client, session, make_user, make_org, login_as):
    owner = make_user()
    for n in range(55):
        make_org(f"Group {n:02d}", owner=owner)
    login_as(make_user(role=Role.ADMIN))
    html = client.get("/admin/organizations").get_data(as_text=True)
    assert html.count("badge badge-warn org-badge") == 50
    assert 'href="/admin/organizations?page=2&amp;show=all"' in html
    html = client.get("/admin/organizations?page=2&show=all").get_data(as_text=True)
    assert html.count("badge badge-warn org-badge") == 5
    assert client.get("/admin/organizations?page=3").status_code == 404


def test_verify_service_is_idempotent(session, make_user, make_org):
    org = make_org("Service Level")
    admin = make_user(role=Role.ADMIN)
    assert services.verify(session, org, admin) is True
    assert services.verify(session, org, make_user(role=Role.ADMIN)) is False
    assert org.verified_by_id == admin.id
    assert services.unverify(session, org) is True
    assert services.unverify(session, org) is False
