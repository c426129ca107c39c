"""Dashboards on a hand-built history: every figure checked against numbers worked out
by hand below, on SQLite and (with TEST_DATABASE_URL) PostgreSQL; then access, CSV,
help text, empty pages and bad periods over HTTP.

The history (all times UTC; "now" is 15 June 2026 12:00; the 90-day period starts
17 March 2026 12:00). Org A runs P1 (in group G) and P2; org B runs Q.

  P1 o1 10 Jan      alice came
  P1 o2  1 Apr      alice came, bob came, dan came, frank no-show
  P1 o3 20 Apr      alice came, dan came, carol came
  P1 o4 25 May      bob came, carol came, gina place (unmarked), hank passed spot on,
                    kim cancelled by the organization
  P1 o5 14 Jun      erin came, alice no-show, ivy waiting list
  P1 o6 20 Jun      lee place (future: outside the period)
  P2 p2  1 Mar      mia came (before the period)
  P2 p1 15 Jun 11:00 jon place (started, not over: "still to come")
  Q  q1  1 Feb      bob came (org B)
  Q  q2  1 May      nora came (org B)

Org A, last 90 days:
  sign-ups 16 = o2 4 + o3 3 + o4 5 + o5 3 + p1 1; with a place 13, waiting 1, passed on 1,
  cancelled 1; came 9, no-show 2 -> show-up 9/11 = 82%, no-show 2/11 = 18%;
  not marked 1 (gina); still to come 1 (jon).
  first-timers 4: bob (1 Apr), dan (1 Apr), carol (20 Apr), erin (14 Jun); alice's first
  was in January, mia's on 1 March.
  within 30 days (judged if first <= 16 May): bob, dan, carol judged; dan came back after
  19 days; bob after 54, carol after 35 -> 1 of 3, erin too early.
  within 60 days (judged if first <= 16 Apr): bob, dan judged, both back -> 2 of 2;
  carol and erin too early.
  regulars 1 (alice: 3 times). On the whole platform bob has 3 too (Q counts) -> 2.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from markupsafe import escape
from sqlalchemy import text as sql_text

from matchmaker.groups import services as group_services
from matchmaker.metrics import definitions as d
from matchmaker.metrics.queries import Scope, load_dashboard
from matchmaker.models import Role, Signup, User

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def history(session, make_user, make_org, make_opportunity):
    owner_a = make_user(email="owner-a@example.org", role=Role.ORGANIZER)
    org_a = make_org("Park Slope Food Pantry", owner=owner_a)
    org_b = make_org("Other Org")
    group = group_services.create_group(session, org_a, name="Saturday park crew")
    session.commit()
    p1 = make_opportunity(org=org_a, title="Saturday sort", group=group, starts=[
        at(1, 10), at(4, 1), at(4, 20), at(5, 25), at(6, 14), at(6, 20)])
    p2 = make_opportunity(org=org_a, title="Call a neighbour", starts=[at(3, 1), at(6, 15, 11)])
    q = make_opportunity(org=org_b, title="Other thing", starts=[at(2, 1), at(5, 1)])
    o1, o2, o3, o4, o5, o6 = p1.occurrences
    p2_1, p2_2 = p2.occurrences
    q1, q2 = q.occurrences
    # Residents never sign in here, so skip the (deliberately slow) password hashing.
    people = {name: User(email=f"{name}@example.org", display_name=f"Resident {name.title()}",
                         password_hash="!", email_verified_at=NOW) for name in (
        "alice", "bob", "carol", "dan", "erin", "frank", "gina", "hank", "ivy", "jon", "kim",
        "lee", "mia", "nora")}
    session.add_all(people.values())
    session.flush()

    def add(occ, name, status="confirmed", attendance=None):
        session.add(Signup(occurrence_id=occ.id, user_id=people[name].id, status=status,
                           attendance=attendance))

    came, missed = "attended", "no_show"
    add(o1, "alice", attendance=came)
    for name in ("alice", "bob", "dan"):
        add(o2, name, attendance=came)
    add(o2, "frank", attendance=missed)
    for name in ("alice", "dan", "carol"):
        add(o3, name, attendance=came)
    add(o4, "bob", attendance=came)
    add(o4, "carol", attendance=came)
    add(o4, "gina")
    add(o4, "hank", status="released")
    add(o4, "kim", status="cancelled")
    add(o5, "erin", attendance=came)
    add(o5, "alice", attendance=missed)
    add(o5, "ivy", status="waitlisted")
    add(o6, "lee")
    add(p2_1, "mia", attendance=came)
    add(p2_2, "jon")
    add(q1, "bob", attendance=came)
    add(q2, "nora", attendance=came)
    session.commit()
    return {"org_a": org_a, "org_b": org_b, "group": group, "p1": p1, "p2": p2,
            "owner_a": owner_a, "people": people}


def board(session, scope, days=90, now=NOW):
    return load_dashboard(session, scope, d.Period.ending(now, days))


# --- the definitions, on the hand-built history ---------------------------------------------

def test_organization_figures_match_the_hand_count(session, history):
    b = board(session, Scope("A", organization_id=history["org_a"].id))
    s = b.signups
    assert (s.total, s.confirmed, s.waitlisted, s.released, s.cancelled) == (16, 13, 1, 1, 1)
    assert (s.attended, s.no_show, s.not_marked, s.still_to_come) == (9, 2, 1, 1)
    assert d.percent(s.show_up_rate) == "82%"
    assert d.percent(s.no_show_rate) == "18%"
    ft = b.first_timers
    assert ft.total == 4
    r30, r60 = ft.returns
    assert (r30.window_days, r30.judged, r30.came_back, r30.too_early) == (30, 3, 1, 1)
    assert (r60.window_days, r60.judged, r60.came_back, r60.too_early) == (60, 2, 2, 2)
    assert b.regulars == 1


def test_released_waitlisted_and_cancelled_never_enter_the_rates(session, history):
    """hank passed his spot on, kim's place was cancelled, ivy waited: none is a no-show,
    even if someone wrongly marked them."""
    people = history["people"]
    for name in ("hank", "kim", "ivy"):
        signup = session.query(Signup).filter_by(user_id=people[name].id).one()
        signup.attendance = "no_show"
    session.commit()
    s = board(session, Scope("A", organization_id=history["org_a"].id)).signups
    assert (s.attended, s.no_show) == (9, 2)


def test_group_scope_leaves_out_other_opportunities(session, history):
    b = board(session, Scope("G", organization_id=history["org_a"].id,
                             group_id=history["group"].id))
    assert b.signups.total == 15          # jon's place is on P2, not in the group
    assert b.signups.still_to_come == 0
    assert b.first_timers.total == 4
    assert b.regulars == 1


def test_opportunity_scope_with_nothing_marked_has_no_rates(session, history):
    b = board(session, Scope("P2", organization_id=history["org_a"].id,
                             opportunity_id=history["p2"].id))
    assert b.signups.total == 1 and b.signups.still_to_come == 1
    assert b.signups.show_up_rate is None and d.percent(b.signups.show_up_rate) == "no figure yet"
    assert b.first_timers.total == 0      # mia's only act was before the period
    assert b.regulars == 0


def test_platform_scope_counts_every_organization(session, history):
    b = board(session, Scope("all"))
    assert b.signups.total == 17          # + nora on Q, 1 May
    # bob's first time anywhere was on Q in February, so platform-wide he is no first-timer.
    assert b.first_timers.total == 4      # carol, dan, erin, nora
    assert b.regulars == 2                # alice, and bob with Q


def test_period_changes_the_window(session, history):
    b = board(session, Scope("A", organization_id=history["org_a"].id), days=30)
    # From 16 May: o4, o5, p1.
    assert b.signups.total == 5 + 3 + 1
    assert b.first_timers.total == 1      # erin
    b = board(session, Scope("A", organization_id=history["org_a"].id), days=365)
    assert b.first_timers.total == 6      # + alice (January) and mia (March)


def test_cohorts_by_month_of_first_time(session, history):
    cohorts = board(session, Scope("A", organization_id=history["org_a"].id)).cohorts
    assert len(cohorts) == d.COHORT_MONTHS
    by_label = {c.label: c for c in cohorts}
    assert cohorts[-1].label == "June 2026" and cohorts[0].label == "July 2025"
    assert (by_label["January 2026"].size, by_label["January 2026"].returned) == (1, (0, 0, 1, 0, 0))
    assert (by_label["March 2026"].size, by_label["March 2026"].returned) == (1, (0, 0, 0))
    # bob, carol, dan started in April; bob and carol came in May, nobody in June.
    assert (by_label["April 2026"].size, by_label["April 2026"].returned) == (3, (2, 0))
    assert (by_label["June 2026"].size, by_label["June 2026"].returned) == (1, ())
    assert by_label["May 2026"].size == 0


def test_came_back_on_exactly_day_30_counts_and_a_second_later_does_not(
        session, make_org, make_opportunity, make_user):
    org = make_org("Edge Org")
    first = datetime(2026, 4, 30, 23, 30, tzinfo=UTC)   # late evening: still April in UTC
    opp = make_opportunity(org=org, title="Edge", starts=[
        first, first + timedelta(days=30), first + timedelta(days=30, seconds=1)])
    yes, no = make_user(), make_user()
    a, b, c = opp.occurrences
    for occ, user in ((a, yes), (b, yes), (a, no), (c, no)):
        session.add(Signup(occurrence_id=occ.id, user_id=user.id, status="confirmed",
                           attendance="attended"))
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        # A session time zone east of UTC puts 23:30 UTC on 1 May locally: months must
        # still be UTC months. SET LOCAL ends with the test's transaction.
        session.execute(sql_text("SET LOCAL TIME ZONE 'Pacific/Auckland'"))
    b30 = board(session, Scope("E", organization_id=org.id), now=NOW).first_timers.returns[0]
    assert (b30.judged, b30.came_back) == (2, 1)
    cohorts = board(session, Scope("E", organization_id=org.id), now=NOW).cohorts
    april = next(c for c in cohorts if c.label == "April 2026")
    assert april.size == 2 and april.returned[0] == 2   # both came again in May


# --- pages ----------------------------------------------------------------------------------

def _org_url(org, suffix=""):
    return f"/organizations/{org.slug}/dashboard{suffix}"


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_organizer_sees_figures_help_and_chart(client, login_as, history, frozen):
    login_as(history["owner_a"])
    html = client.get(_org_url(history["org_a"])).get_data(as_text=True)
    assert "Figures for Park Slope Food Pantry" in html
    assert "82%" in html and "18%" in html
    assert "1 out of 3; 1 too early to tell" in html
    for text in d.HELP.values():
        assert str(escape(text)) in html
    assert "<svg" in html and "<title id=\"cohort-title\">" in html and "<desc" in html
    # Links to the per-opportunity and per-group pages; never a person's name.
    assert "/dashboard/groups/saturday-park-crew" in html
    assert f"/dashboard/opportunities/{history['p1'].id}" in html
    for name in history["people"]:
        assert f"{name}@example.org" not in html
        assert history["people"][name].display_name not in html


def test_group_and_opportunity_pages(client, login_as, history, frozen):
    login_as(history["owner_a"])
    org = history["org_a"]
    resp = client.get(_org_url(org, "/groups/saturday-park-crew"))
    assert resp.status_code == 200
    assert "Figures for the group “Saturday park crew”" in resp.get_data(as_text=True)
    resp = client.get(_org_url(org, f"/opportunities/{history['p2'].id}?days=30"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "no figure yet" in html
    assert '<strong aria-current="page">Last 30 days</strong>' in html


def test_csv_has_the_figures_and_definitions(client, login_as, history, frozen):
    login_as(history["owner_a"])
    resp = client.get(_org_url(history["org_a"], ".csv?days=90"))
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    values = {row[0]: row[1] for row in rows if len(row) >= 2}
    assert values["Sign-ups"] == "16"
    assert values["Show-up rate"] == "82%"
    assert values["No-show rate"] == "18%"
    assert values["Not marked yet"] == "1"
    assert values["First-timers"] == "4"
    assert values["First-timers who came back within 60 days"] == "100%"
    assert values["Regulars"] == "1"
    definitions = {row[0]: row[2] for row in rows if len(row) >= 3}
    assert definitions["Show-up rate"] == d.HELP["show_up_rate"]
    assert ["April 2026", "3", "67%", "0%"] == next(r for r in rows if r and r[0] == "April 2026")[:4]


def test_csv_is_formula_safe(client, login_as, session, make_user, make_org, frozen):
    owner = make_user(role=Role.ORGANIZER)
    org = make_org("=HYPERLINK(\"http://evil\")", owner=owner)
    login_as(owner)
    resp = client.get(f"/organizations/{org.slug}/dashboard.csv")
    assert resp.status_code == 200
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][1] == "'=HYPERLINK(\"http://evil\")"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


@pytest.mark.parametrize("suffix", ["", ".csv", "/groups/saturday-park-crew",
                                    "/opportunities/{p1}"])
def test_other_organizer_and_resident_get_403(client, login_as, make_user, history, suffix):
    url = _org_url(history["org_a"], suffix.format(p1=history["p1"].id))
    other_owner = history["org_b"].memberships[0].user
    login_as(other_owner)
    assert client.get(url).status_code == 403
    login_as(make_user())
    assert client.get(url).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, history):
    for url in (_org_url(history["org_a"]), "/admin/dashboard", "/admin/dashboard.csv"):
        resp = client.get(url)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_other_orgs_opportunity_and_unknown_group_are_404(client, login_as, history,
                                                           make_opportunity):
    foreign = make_opportunity(org=history["org_b"], title="Theirs")
    login_as(history["owner_a"])
    org = history["org_a"]
    assert client.get(_org_url(org, f"/opportunities/{foreign.id}")).status_code == 404
    assert client.get(_org_url(org, "/groups/no-such-group")).status_code == 404
    assert client.get("/organizations/no-such-org/dashboard").status_code == 404


def test_admin_sees_platform_and_any_organization(client, login_as, make_user, history, frozen):
    login_as(make_user(role=Role.ADMIN))
    html = client.get("/admin/dashboard").get_data(as_text=True)
    assert "Figures for the whole platform" in html
    rows = list(csv.reader(io.StringIO(
        client.get("/admin/dashboard.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert {r[0]: r[1] for r in rows if len(r) >= 2}["Sign-ups"] == "17"
    assert client.get(_org_url(history["org_b"])).status_code == 200


def test_only_admins_see_the_platform(client, login_as, history):
    login_as(history["owner_a"])
    assert client.get("/admin/dashboard").status_code == 403
    assert client.get("/admin/dashboard.csv").status_code == 403


@pytest.mark.parametrize("days", ["7", "abc", "-30", "90.0", "1e9"])
def test_bad_period_is_a_clear_400(client, login_as, history, days):
    login_as(history["owner_a"])
    resp = client.get(_org_url(history["org_a"], f"?days={days}"))
    assert resp.status_code == 400
    assert "The period must be one of 30, 90, 365 days." in resp.get_data(as_text=True)


def test_every_page_renders_with_no_data(client, login_as, session, make_user, make_org,
                                         make_opportunity):
    owner = make_user(role=Role.ORGANIZER)
    org = make_org("Brand New Org", owner=owner)
    opp = make_opportunity(org=org, title="Nothing yet")
    group_services.create_group(session, org, name="Empty group")
    session.commit()
    login_as(owner)
    for suffix in ("", ".csv", f"/opportunities/{opp.id}", f"/opportunities/{opp.id}.csv",
                   "/groups/empty-group", "/groups/empty-group.csv"):
        for days in ("30", "90", "365"):
            resp = client.get(_org_url(org, f"{suffix}?days={days}"))
            assert resp.status_code == 200, (suffix, days)
    html = client.get(_org_url(org)).get_data(as_text=True)
    assert "no figure yet" in html and "there is no chart" in html
    login_as(make_user(role=Role.ADMIN))
    assert client.get("/admin/dashboard").status_code == 200


def test_org_page_links_to_its_dashboard(client, login_as, history):
    login_as(history["owner_a"])
    html = client.get(f"/organizations/{history['org_a'].slug}").get_data(as_text=True)
    assert _org_url(history["org_a"]) in html


def test_opportunity_and_group_pages_link_to_their_figures(client, login_as, history):
    login_as(history["owner_a"])
    org, group, p1 = history["org_a"], history["group"], history["p1"]
    manage = client.get(f"/organizations/{org.slug}/opportunities/").get_data(as_text=True)
    assert f"{_org_url(org)}/opportunities/{p1.id}" in manage
    page = client.get(f"/organizations/{org.slug}/groups/{group.slug}").get_data(as_text=True)
    assert f"{_org_url(org)}/groups/{group.slug}" in page
