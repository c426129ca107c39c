"""What organizers see of residents: only people signed up to their own dates, and only
the contact details each person chose to share; figures are totals, never a person."""

from __future__ import annotations

import pytest

from matchmaker.models import Role, Signup, SignupStatus


@pytest.fixture
def two_orgs(session, make_user, make_org, make_opportunity):
    olga = make_user(email="olga@pantry.example", display_name="Olga", role=Role.ORGANIZER)
    otto = make_user(email="otto@garden.example", display_name="Otto", role=Role.ORGANIZER)
    pantry = make_org(name="Pantry", owner=olga)
    garden = make_org(name="Garden", owner=otto)
    pantry_occ = make_opportunity(org=pantry, title="Pack food").occurrences[0]
    garden_occ = make_opportunity(org=garden, title="Weed beds").occurrences[0]
    people = {
        # name: (email, occurrence, share_email, share_phone, note)
        "Rita Shares": ("rita.private@example.org", pantry_occ, True, "555-0101", "Bring gloves"),
        "Hugo Hides": ("hugo.private@example.org", pantry_occ, False, "", ""),
        "Gina Garden": ("gina.private@example.org", garden_occ, True, "555-0303", "Late 10 min"),
    }
    for name, (email, occ, share_email, phone, note) in people.items():
        user = make_user(email=email, display_name=name)
        session.add(Signup(occurrence_id=occ.id, user_id=user.id, status=SignupStatus.CONFIRMED,
                           share_email=share_email, share_phone=phone, note=note))
        occ.confirmed_count += 1
    session.commit()
    return {"olga": olga, "otto": otto, "pantry": pantry, "garden": garden,
            "pantry_occ": pantry_occ, "garden_occ": garden_occ}


def roster_paths(org, occ) -> list[str]:
    base = f"/organizations/{org.slug}/occurrences/{occ.id}/roster"
    return [base, f"{base}.csv", f"{base}/message"]


def test_the_roster_shows_only_what_each_person_chose_to_share(two_orgs, client, login_as):
    login_as(two_orgs["olga"])
    roster, csv_, message = (client.get(p) for p in roster_paths(two_orgs["pantry"],
                                                                   two_orgs["pantry_occ"]))
    assert roster.status_code == csv_.status_code == message.status_code == 200
    for body in (roster.get_data(as_text=True), csv_.data.decode("utf-8-sig")):
        assert "Rita Shares" in body and "rita.private@example.org" in body
        assert "555-0101" in body
        assert "Hugo Hides" in body and "hugo.private@example.org" not in body
        # Someone signed up to another organization's date is not there at all.
        assert "Gina" not in body and "gina.private" not in body and "555-0303" not in body
    # Writing to everyone never shows anyone's address.
    compose = message.get_data(as_text=True)
    assert "private@example.org" not in compose


def test_another_organizations_roster_is_closed(two_orgs, client, login_as):
    login_as(two_orgs["olga"])
    garden, garden_occ = two_orgs["garden"], two_orgs["garden_occ"]
    pantry = two_orgs["pantry"]
    for path in roster_paths(garden, garden_occ):
        response = client.get(path)
        assert response.status_code in (403, 404), path
        assert "gina" not in response.get_data(as_text=True).lower()
    # Their own organization's address with the other's date: not found either.
    for path in roster_paths(pantry, garden_occ):
        assert client.get(path).status_code == 404, path


def test_a_resident_sees_no_roster(two_orgs, client, login_as, make_user):
    login_as(make_user(email="nosy@example.org"))
    for path in roster_paths(two_orgs["pantry"], two_orgs["pantry_occ"]):
        response = client.get(path)
        assert response.status_code in (403, 404), path
        assert "rita" not in response.get_data(as_text=True).lower()


def test_dashboards_show_totals_never_a_person(two_orgs, client, login_as):
    login_as(two_orgs["olga"])
    slug = two_orgs["pantry"].slug
    for path in (f"/organizations/{slug}/dashboard", f"/organizations/{slug}/dashboard.csv"):
        response = client.get(path)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        for trace in ("Rita", "Hugo", "private@example.org", "555-01", "Bring gloves"):
            assert trace not in body, (path, trace)
