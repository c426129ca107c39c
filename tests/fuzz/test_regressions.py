"""Inputs the fuzzers found that answered 500; each now gets a clear 4xx (or is ignored).

Most came from ``str.isdigit()``, which is true for "²" and "١٢٣" too, before an
``int()`` that refuses the first; the rest from ids past any INTEGER column
reaching the database (PostgreSQL: "integer out of range"; SQLite past 2**63).
"""

from __future__ import annotations

import pytest

from tests.fuzz.scene import sign_in
from tests.fuzz.targets import OPPORTUNITY


@pytest.mark.parametrize("path", ["/opportunities?page=%C2%B2", "/opportunities?page=%D9%A3"])
def test_browse_page_in_unicode_digits_is_a_400_with_a_message(client, path):
    resp = client.get(path)
    assert resp.status_code == 400
    assert "page number from 1 to" in resp.get_data(as_text=True)


def test_api_list_page_in_unicode_digits_is_a_400(client, scene):
    resp = client.get("/api/v1/opportunities?page=%C2%B2&per_page=%C2%B2",
                      headers={"Authorization": f"Bearer {scene.api_tokens['resident']}"})
    assert resp.status_code == 400
    assert set(resp.json["error"]["fields"]) == {"page", "per_page"}


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/opportunities/99999999999999999999"),
    ("GET", "/opportunities/2147483648"),  # one past PostgreSQL's INTEGER
    ("GET", "/occurrences/1234567890123456789012"),
    ("GET", "/api/v1/opportunities/99999999999999999999"),
    ("DELETE", "/api/v1/opportunities/25673107494844021581283328"),
])
def test_an_id_past_any_database_integer_is_a_404(client, scene, method, path):
    resp = client.open(path, method=method,
                       headers={"Authorization": f"Bearer {scene.api_tokens['owner']}"})
    assert resp.status_code == 404
    assert resp.get_data(as_text=True).strip()


def test_opportunity_form_with_a_unicode_digit_group_is_saved_without_a_group(
        app, client, session, scene):
    token = sign_in(app, client, session, scene.users["owner"])
    resp = client.post(f"/organizations/{scene.org.slug}/opportunities/new",
                       data={**OPPORTUNITY, "group_id": "²", "csrf_token": token})
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:500]


def test_shifts_on_unicode_digit_weekdays_ask_again(app, client, session, scene):
    token = sign_in(app, client, session, scene.users["owner"])
    resp = client.post(f"/organizations/{scene.org.slug}/opportunities/new",
                       data={**OPPORTUNITY, "kind": "shifts", "weekdays": ["²"], "count": "3",
                             "frequency": "monthly", "month_week": "-²", "csrf_token": token})
    assert resp.status_code in (302, 303, 400)
    assert resp.status_code != 400 or 'class="error' in resp.get_data(as_text=True)


def test_attendance_with_unicode_digit_ids_marks_nobody(app, client, session, scene):
    token = sign_in(app, client, session, scene.users["owner"])
    resp = client.post(
        f"/organizations/{scene.org.slug}/occurrences/{scene.occ.id}/attendance",
        data={"mark": "attended", "signup": ["²", "9" * 30, "2147483648"], "csrf_token": token},
        follow_redirects=True)
    assert resp.status_code == 200
    assert "Please tick at least one person first." in resp.get_data(as_text=True)


def test_api_organization_id_past_any_row_is_a_422(client, scene):
    resp = client.post("/api/v1/opportunities", json={"organization": 3_000_000_000},
                       headers={"Authorization": f"Bearer {scene.api_tokens['owner']}"})
    assert resp.status_code == 422
    assert resp.json["error"]["fields"] == {"organization": "No organization has that slug or id."}
