"""First-timer buddies: one introduction per pair and date, only with both yeses."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from matchmaker.db import utcnow
from matchmaker.followthrough import buddy
from matchmaker.models import BuddyIntro, Profile, Signup, SignupStatus
from matchmaker.signups import services as signup_services
from workers import followup_jobs

NY = "America/New_York"


@pytest.fixture
def app_config(app_config, smtp_sink):
    return {**app_config, "SMTP_URL": smtp_sink.url}


@pytest.fixture
def scene(session, make_user, make_org, make_opportunity):
    """Maria has come 5 times; Sam has never been; both are going in 5 days."""
    now = utcnow().replace(microsecond=0)
    org = make_org(name="Prospect Park Alliance")
    past = [now - timedelta(days=7 * i) for i in range(1, 6)]
    history = make_opportunity(org=org, title="Park clean-up", timezone=NY, starts=past)
    upcoming = make_opportunity(org=org, title="Tree planting", timezone=NY,
                                starts=now + timedelta(days=5))
    maria = make_user(email="maria@example.org", display_name="Maria Lopez")
    sam = make_user(email="sam@example.org", display_name="Sam Lee")
    for user in (maria, sam):
        session.add(Profile(user_id=user.id, timezone=NY, buddy_opt_in=True))
    for occ in history.occurrences:
        session.add(Signup(occurrence_id=occ.id, user_id=maria.id, status=SignupStatus.CONFIRMED,
                           attendance="attended", attendance_marked_at=occ.ends_at,
                           attendance_source="organizer"))
    session.commit()
    occ = upcoming.occurrences[0]
    for user in (maria, sam):
        signup_services.sign_up(session, occ.id, user)
    session.commit()
    return {"org": org, "occ": occ, "maria": maria, "sam": sam}


def body(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def test_first_timer_and_regular_are_introduced_once_each(session, smtp_sink, scene):
    occ = scene["occ"]
    assert buddy.sweep() == 0  # five days ahead: too early to be useful
    with time_machine.travel(occ.starts_at - timedelta(days=2), tick=False):
        assert buddy.sweep() == 2
        assert buddy.sweep() == 0
        followup_jobs.introduce_buddies()
        followup_jobs.introduce_buddies()
    by_to = {m["To"]: m for m in smtp_sink.messages}
    assert len(smtp_sink.messages) == 2 and set(by_to) == {"maria@example.org", "sam@example.org"}

    to_sam = body(by_to["sam@example.org"])
    assert "Maria has been 5 times and will look out for you" in to_sam
    assert "Lopez" not in to_sam and "maria@example.org" not in to_sam
    to_maria = by_to["maria@example.org"]
    assert to_maria["Subject"] == "Could you look out for Sam at “Tree planting”?"
    assert "Sam is coming to “Tree planting” for the first time" in body(to_maria)
    assert "Lee" not in body(to_maria) and "sam@example.org" not in body(to_maria)
    # Both say where to switch introductions off: the Emails settings page.
    assert "/me/emails" in to_sam and "/me/emails" in body(to_maria)
    [intro] = session.query(BuddyIntro).all()
    assert (intro.newcomer_id, intro.regular_id, intro.regular_times) == (
        scene["sam"].id, scene["maria"].id, 5)


@pytest.mark.parametrize("who", ["maria", "sam"])
def test_nobody_is_introduced_without_both_opt_ins(session, smtp_sink, scene, who):
    session.get(Profile, scene[who].id).buddy_opt_in = False
    session.commit()
    with time_machine.travel(scene["occ"].starts_at - timedelta(days=2), tick=False):
        assert buddy.sweep() == 0
    assert smtp_sink.messages == [] and session.query(BuddyIntro).count() == 0


def test_the_organization_can_switch_it_off(session, client, login_as, post_form, smtp_sink,
                                            scene):
    org = scene["org"]
    owner = org.memberships[0].user
    login_as(owner)
    form = {"name": org.name, "summary": "Caring for the park", "area": "Brooklyn",
            "contact_email": "team@example.org"}  # the box left unticked
    resp = post_form(f"/organizations/{org.slug}/edit", form)
    assert resp.status_code == 302
    session.refresh(org)
    assert org.buddy_enabled is False
    with time_machine.travel(scene["occ"].starts_at - timedelta(days=2), tick=False):
        assert buddy.sweep() == 0
    assert smtp_sink.messages == []

    post_form(f"/organizations/{org.slug}/edit", {**form, "buddy_enabled": "y"})
    session.refresh(org)
    assert org.buddy_enabled is True
    with time_machine.travel(scene["occ"].starts_at - timedelta(days=2), tick=False):
        assert buddy.sweep() == 2


def test_a_regular_is_someone_with_three_attended_and_first_timers_have_none(
        session, smtp_sink, scene, make_user):
    # A third person who came twice is neither a regular nor a first-timer.
    occ = scene["occ"]
    twice = make_user(display_name="Lee Chan")
    session.add(Profile(user_id=twice.id, timezone=NY, buddy_opt_in=True))
    maria_past = session.query(Signup).filter_by(user_id=scene["maria"].id,
                                                 attendance="attended").limit(2).all()
    for s in maria_past:
        session.add(Signup(occurrence_id=s.occurrence_id, user_id=twice.id,
                           status=SignupStatus.CONFIRMED, attendance="attended",
                           attendance_marked_at=s.attendance_marked_at,
                           attendance_source="organizer"))
    session.commit()
    signup_services.sign_up(session, occ.id, twice)
    session.commit()
    with time_machine.travel(occ.starts_at - timedelta(days=1), tick=False):
        assert buddy.sweep() == 2
    intros = session.query(BuddyIntro).all()
    assert [(i.newcomer_id, i.regular_id) for i in intros] == [
        (scene["sam"].id, scene["maria"].id)]


def test_no_intro_when_the_newcomer_passed_the_spot_on(session, smtp_sink, scene):
    s = signup_services.find_signup(session, scene["occ"].id, scene["sam"].id)
    signup_services.release(session, s)
    session.commit()
    with time_machine.travel(scene["occ"].starts_at - timedelta(days=2), tick=False):
        assert buddy.sweep() == 0
    assert smtp_sink.messages == []
