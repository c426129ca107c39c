"""Weekly digests: contents, the time budget, exactly-once planning, sending, pages.

Snapshot of the resident digest's text part: tests/snapshots/digest_resident.txt.
After an intended change to the template or to compose, update it with

    UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest -q tests/integration/test_digests.py -k snapshot

and read the diff (``git diff tests/snapshots``) before committing it.
"""

from __future__ import annotations

import asyncio
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from matchmaker.db import db
from matchmaker.digests import compose, sending
from matchmaker.models import (
    DigestOutbox,
    DigestStatus,
    Group,
    GroupMember,
    Profile,
    Recommendation,
    Role,
    Signup,
    User,
)
from workers.digest_jobs import send_digest_batch

SNAPSHOTS = Path(__file__).resolve().parent.parent / "snapshots"
NY = "America/New_York"
#: Sunday 22 November 2026, 17:05 in New York: the default send time has just come.
SUNDAY = datetime(2026, 11, 22, 22, 5, tzinfo=UTC)


def at(days: float, hour: int = 14) -> datetime:
    """A moment ``days`` after the fixed Sunday, at ``hour`` UTC."""
    base = SUNDAY.replace(hour=hour, minute=0) + timedelta(days=days)
    return base


@pytest.fixture
def make_opportunity(make_opportunity):
    """The shared factory, with the opportunity's timezone always given."""
    def make(**fields):
        fields.setdefault("timezone", NY)
        return make_opportunity(**fields)
    return make


@pytest.fixture
def frozen():
    with time_machine.travel(SUNDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def resident(session, make_user):
    def make(email="rosa@example.org", name="Rosa", minutes=180, cap=2, **fields) -> User:
        user = make_user(email=email, display_name=name)
        session.add(Profile(user_id=user.id, timezone=NY, weekly_minutes=minutes,
                            max_commitments_per_week=cap, **fields))
        session.commit()
        return user
    return make


def recommend(session, user, opp, rank, reasons=("Food security", "about 1 km"), waitlist=False):
    session.add(Recommendation(user_id=user.id, occurrence_id=opp.occurrences[0].id,
                               score=1 - rank / 10, rank=rank, reasons=list(reasons),
                               waitlist=waitlist))
    session.commit()


def sign_up(session, user, opp, status="confirmed"):
    occ = opp.occurrences[0]
    session.add(Signup(occurrence_id=occ.id, user_id=user.id, status=status,
                       confirmed_at=SUNDAY if status == "confirmed" else None))
    if status == "confirmed":
        occ.confirmed_count += 1
    session.commit()


def run_plan(session, now=SUNDAY, kinds=("resident",), **kwargs):
    """Plan, then run every enqueued batch in this process (as a worker would)."""
    batches: list[list[int]] = []
    result = sending.plan(session, now, enqueue=lambda _job, ids: batches.append(ids),
                          kinds=kinds, **kwargs)
    for ids in batches:
        send_digest_batch(ids)
    return result, batches


def normalise(text: str) -> str:
    """Ids and signed tokens differ between databases and runs; the words must not."""
    text = re.sub(r"/(opportunities|occurrences)/\d+", r"/\1/<id>", text)
    return re.sub(r"/unsubscribe/[A-Za-z0-9_.\-]+", "/unsubscribe/<token>", text)


@pytest.fixture
def week(session, make_org, make_opportunity, resident):
    """Rosa's week: one commitment, a group meetup, three suggestions, a small act."""
    org = make_org(name="Park Slope Food Pantry")
    rosa = resident()
    pantry = make_opportunity(org=org, title="Saturday pantry shift", starts=at(6),
                              duration_minutes=120)
    sign_up(session, rosa, pantry)
    group = Group(organization_id=org.id, name="Garden crew", slug="garden-crew")
    session.add(group)
    session.flush()
    session.add(GroupMember(group_id=group.id, user_id=rosa.id))
    make_opportunity(org=org, title="Weed the community garden", starts=at(3),
                     duration_minutes=90, group_id=group.id)
    short = make_opportunity(org=org, title="Read to a neighbour", starts=at(2),
                             duration_minutes=45)
    tea = make_opportunity(org=org, title="Serve tea at the senior centre", starts=at(4),
                           duration_minutes=60)
    too_long = make_opportunity(org=org, title="All-day river clean-up", starts=at(5),
                                duration_minutes=240)
    recommend(session, rosa, short, 1, reasons=("Reading", "about 1 km", "Tuesday evening"))
    recommend(session, rosa, too_long, 2)
    recommend(session, rosa, tea, 3, reasons=("Older people", "people you served with"))
    card = make_opportunity(org=org, title="Write a card to a care home", kind="small_act",
                            starts=SUNDAY - timedelta(days=2), duration_minutes=10,
                            do_by=(SUNDAY + timedelta(days=20)).date())
    card.occurrences[0].ends_at = SUNDAY + timedelta(days=21)  # a small act's window
    session.commit()
    return rosa


# --- contents --------------------------------------------------------------------------------

def test_resident_digest_snapshot_and_email_quality(frozen, week, session, outbox):
    result, batches = run_plan(session)
    assert result.planned == 1 and len(batches) == 1
    [msg] = outbox.messages
    assert msg["To"] == "rosa@example.org"
    assert msg["Subject"] == "Your week: 2 ideas that fit your time"
    text = outbox.text_of(msg)
    expected_file = SNAPSHOTS / "digest_resident.txt"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        expected_file.parent.mkdir(exist_ok=True)
        expected_file.write_text(normalise(text))
    assert normalise(text) == expected_file.read_text(), "run with UPDATE_SNAPSHOTS=1 to update"

    # Multipart, with headers a mail client needs for one-click unsubscribe.
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Message-ID"] and msg["Date"]
    unsub = msg["List-Unsubscribe"]
    assert re.fullmatch(r"<http://localhost/unsubscribe/[^>\s]+>, <mailto:unsubscribe@localhost"
                        r"\?subject=unsubscribe%20[^>\s]+>", unsub), unsub
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    html = msg.get_body(("html",)).get_content()
    assert 'name="color-scheme" content="light dark"' in html
    assert "prefers-color-scheme: dark" in html  # kept by the inliner
    assert "<style" in html and 'style="' in html  # inlined
    # The sections' classes (shared with the web page, which may not carry style
    # attributes) arrive in the email as inline styles.
    assert re.search(r'<h2 style="[^"]*font-size: ?21px', html), html
    assert re.search(r'<ol class="dg-list" style="[^"]*padding-left: ?22px', html), html
    sizes = [int(s) for s in re.findall(r"font-size:\s*(\d+)px", html)]
    assert sizes and min(sizes) >= 16
    assert "<img" not in html  # real text, not pictures of text
    links = re.findall(r'href="([^"]+)"', html) + outbox.links(msg)
    assert links and not [u for u in links if re.search(r"[?&](utm_|mc_|fbclid|gclid)", u)]
    for title in ("Read to a neighbour", "Serve tea at the senior centre", "Saturday pantry shift",
                  "Weed the community garden", "Write a card to a care home"):
        assert title in html and title in text
    assert "All-day river clean-up" not in text  # 4 hours do not fit the 1 hour left


def test_suggestions_never_push_past_the_time_budget_or_the_cap(
        frozen, session, make_org, make_opportunity, resident, outbox):
    org = make_org()
    busy = resident(email="busy@example.org", minutes=120, cap=1)
    shift = make_opportunity(org=org, title="Evening shift", starts=at(1), duration_minutes=60)
    sign_up(session, busy, shift)
    idea = make_opportunity(org=org, title="Short idea", starts=at(2), duration_minutes=30)
    recommend(session, busy, idea, 1)
    run_plan(session)
    text = outbox.text_of(outbox.messages[0])
    assert "Short idea" not in text  # the cap of one commitment a week is reached
    assert "as many commitments as you wanted" in text


def test_nothing_to_show_means_no_email_that_week(frozen, session, resident, outbox):
    quiet = resident(email="quiet@example.org")
    result, _ = run_plan(session)
    assert result.planned == 1
    assert outbox.messages == []
    row = session.scalar(select(DigestOutbox).where(DigestOutbox.user_id == quiet.id))
    assert row.status == DigestStatus.EMPTY and row.sent_at is None


def test_retriggering_the_same_period_sends_nothing_new(frozen, week, session, outbox):
    run_plan(session)
    again, batches = run_plan(session, now=SUNDAY + timedelta(minutes=15))
    assert again.planned == 0 and batches == []
    assert len(outbox.messages) == 1
    # Even a batch re-enqueued by hand for the same rows sends nothing.
    ids = list(session.scalars(select(DigestOutbox.id)))
    assert send_digest_batch(ids)["sent"] == 0
    assert len(outbox.messages) == 1


def test_only_people_whose_local_time_has_come(session, resident, make_org, make_opportunity):
    early = resident(email="early@example.org", digest_weekday=6, digest_hour=9)
    resident(email="late@example.org", digest_weekday=6, digest_hour=20)
    resident(email="off@example.org", digest_frequency="off")
    batches: list = []
    sending.plan(session, SUNDAY, enqueue=lambda _job, ids: batches.append(ids))
    rows = session.execute(select(DigestOutbox.user_id, DigestOutbox.period)).all()
    assert rows == [(early.id, "2026-W47")]


def test_organizer_digest(frozen, session, make_user, make_org, make_opportunity, outbox):
    owner = make_user(email="olga@example.org", display_name="Olga", role=Role.ORGANIZER)
    org = make_org(name="Riverside Cleanups", owner=owner)
    upcoming = make_opportunity(org=org, title="Clean the riverbank", starts=at(2), capacity=4)
    full = make_opportunity(org=org, title="Plant bulbs", starts=at(3), capacity=1)
    past = make_opportunity(org=org, title="Litter pick", starts=at(-3))
    older = make_opportunity(org=org, title="Spring clean", starts=at(-40))
    people = [make_user(email=f"v{i}@example.org", display_name=f"Volunteer {i}")
              for i in range(4)]
    sign_up(session, people[0], upcoming)
    sign_up(session, people[1], full)
    for person, came in zip(people[:3], ("attended", "attended", "no_show"), strict=True):
        sign_up(session, person, past)
        s = session.scalar(select(Signup).where(Signup.user_id == person.id,
                                                Signup.occurrence_id == past.occurrences[0].id))
        s.attendance = came
    sign_up(session, people[0], older)
    session.scalar(select(Signup).where(Signup.user_id == people[0].id,
                                        Signup.occurrence_id == older.occurrences[0].id)
                   ).attendance = "attended"
    group = Group(organization_id=org.id, name="Weekend crew", slug="weekend-crew")
    session.add(group)
    session.flush()
    session.add(GroupMember(group_id=group.id, user_id=people[3].id,
                            joined_at=SUNDAY - timedelta(days=2)))
    session.commit()

    run_plan(session, kinds=["organizer"])
    [msg] = [m for m in outbox.messages if m["To"] == "olga@example.org"]
    text = outbox.text_of(msg)
    assert "Riverside Cleanups" in text
    assert "Clean the riverbank" in text and "1 of 4 places taken" in text
    assert "still needs 3 people" in text
    assert "Plant bulbs" in text and "1 of 1 places taken" in text
    assert "Still short of people: 1 of 2." in text
    assert "Last week 2 of 3 people marked came (67%)." in text
    assert "1 of them had been with you before." in text
    assert "Volunteer 3 joined Weekend crew" in text
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


# --- sending: temporary and permanent failures ------------------------------------------------

class Flaky:
    """An SMTP handler: 451 for the first ``temporary`` RCPTs, 550 for bouncing addresses."""

    def __init__(self, temporary: int = 0, bouncing: frozenset = frozenset()) -> None:
        self.temporary = temporary
        self.bouncing = bouncing
        self.messages: list = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.bouncing:
            return "550 5.1.1 No such user here"
        if self.temporary > 0:
            self.temporary -= 1
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def flaky_smtp(app):
    from aiosmtpd.controller import Controller

    from matchmaker import mail
    from tests.conftest import _ALLOWED_SMTP, _free_port

    handler = Flaky()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    _ALLOWED_SMTP.add(("127.0.0.1", port))
    app.config.update(SMTP_URL=f"smtp://127.0.0.1:{port}", MAIL_RETRY_BACKOFF_MS=10)
    mail.init_app(app)
    yield handler
    _ALLOWED_SMTP.discard(("127.0.0.1", port))
    controller.stop()
    asyncio.set_event_loop(asyncio.new_event_loop())


def test_temporary_failure_is_retried_with_backoff(frozen, week, session, flaky_smtp):
    flaky_smtp.temporary = 2  # two 451s, then accepted: within the 3 attempts
    run_plan(session)
    assert len(flaky_smtp.messages) == 1
    row = session.scalar(select(DigestOutbox))
    assert row.status == DigestStatus.SENT and row.attempts == 1


def test_temporary_failure_beyond_retries_stays_pending_for_the_sweep(
        frozen, week, session, flaky_smtp):
    flaky_smtp.temporary = 3
    run_plan(session)
    row = session.scalar(select(DigestOutbox))
    assert row.status == DigestStatus.PENDING and "451" in row.last_error
    batches: list = []
    swept = sending.sweep(session, SUNDAY + timedelta(minutes=15),
                          enqueue=lambda _job, ids: batches.append(ids))
    assert swept.requeued == 1
    send_digest_batch(batches[0])
    session.expire_all()
    assert session.get(DigestOutbox, row.id).status == DigestStatus.SENT
    assert len(flaky_smtp.messages) == 1


def test_permanent_failure_marks_the_address_bouncing_and_stops_mail(
        frozen, week, session, flaky_smtp, resident, make_opportunity):
    flaky_smtp.bouncing = frozenset({"rosa@example.org"})
    run_plan(session)
    session.expire_all()
    rosa = session.scalar(select(User).where(User.email == "rosa@example.org"))
    assert rosa.email_bouncing_at is not None and "550" in rosa.email_bounce_reason
    assert session.scalar(select(DigestOutbox.status)) == DigestStatus.SKIPPED
    # Next week she is not even planned, until she fixes it.
    next_week = SUNDAY + timedelta(weeks=1)
    result, _ = run_plan(session, now=next_week)
    assert result.planned == 0
    rosa.email = "rosa.new@example.org"  # a new address clears the flag
    session.commit()
    assert rosa.email_bouncing_at is None and rosa.email_bounce_reason == ""


def test_crlf_never_reaches_a_header(frozen, week, session, outbox, app):
    rosa = session.scalar(select(User).where(User.email == "rosa@example.org"))
    rosa.display_name = "Rosa\r\nBcc: victim@example.org"
    app.config["UNSUBSCRIBE_MAILTO"] = "unsubscribe@localhost\r\nBcc: victim@example.org"
    session.commit()
    run_plan(session)
    [path] = sorted(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))
    raw = path.read_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
    assert not re.search(rb"(?im)^bcc:", head)
    assert b"victim@example.org" not in head.split(b"List-Unsubscribe-Post")[0].split(
        b"List-Unsubscribe:")[0]


def test_skipped_when_switched_off_after_planning(frozen, week, session, outbox):
    batches: list = []
    sending.plan(session, SUNDAY, enqueue=lambda _job, ids: batches.append(ids),
                 kinds=["resident"])
    session.get(Profile, week.id).digest_frequency = "off"
    session.commit()
    send_digest_batch(batches[0])
    assert outbox.messages == []
    assert session.scalar(select(DigestOutbox.last_error)) == "digests switched off"


# --- pages ------------------------------------------------------------------------------------

def test_emails_settings_page_saves_and_is_linked_from_the_profile(
        client, login_as, post_form, resident, session):
    rosa = resident()
    login_as(rosa)
    assert "/me/emails" in client.get("/profile/").get_data(as_text=True)
    page = client.get("/me/emails").get_data(as_text=True)
    assert "How often would you like your weekly email?" in page
    resp = post_form("/me/emails", {"digest_frequency": "fortnightly", "digest_weekday": "0",
                                    "digest_hour": "8", "notify_strong_matches": "y",
                                    "buddy_opt_in": "y"})
    assert resp.status_code == 303
    session.expire_all()
    profile = session.get(Profile, rosa.id)
    assert (profile.digest_frequency, profile.digest_weekday, profile.digest_hour) == (
        "fortnightly", 0, 8)
    assert profile.notify_strong_matches and profile.buddy_opt_in
    post_form("/me/emails", {"digest_frequency": "weekly", "digest_weekday": "6",
                             "digest_hour": "17"})
    session.expire_all()
    assert not session.get(Profile, rosa.id).buddy_opt_in  # an unticked box is a "no"


def test_emails_settings_rejects_bad_choices_kindly(client, login_as, post_form, resident):
    login_as(resident())
    resp = post_form("/me/emails", {"digest_frequency": "daily", "digest_weekday": "9",
                                    "digest_hour": "25"})
    assert resp.status_code == 400
    assert "Please choose one of the options shown." in resp.get_data(as_text=True)


def test_emails_page_clears_a_bouncing_address(client, login_as, post_form, resident, session):
    rosa = resident()
    rosa.email_bouncing_at = SUNDAY
    rosa.email_bounce_reason = "550 No such user"
    session.commit()
    login_as(rosa)
    page = client.get("/me/emails").get_data(as_text=True)
    assert "We cannot reach" in page and "550 No such user" in page
    assert post_form("/me/emails/bouncing", {}, page="/me/emails").status_code == 303
    session.expire_all()
    assert session.get(User, rosa.id).email_bouncing_at is None
    assert client.post("/me/emails/bouncing").status_code == 400  # no CSRF token


def test_see_this_weeks_digest_in_the_browser(frozen, week, client, login_as, session):
    login_as(week)
    page = client.get("/me/digest").get_data(as_text=True)
    assert "Read to a neighbour" in page and "Saturday pantry shift" in page
    assert 'style="' not in page  # the site's CSP would block it (email styles are classes)
    assert session.scalar(select(func.count()).select_from(DigestOutbox)) == 0  # nothing sent


def test_admin_previews_anyones_digest_and_nobody_else_may(
        frozen, week, client, login_as, make_user):
    login_as(make_user(email="nosy@example.org"))
    assert client.get(f"/admin/digests/{week.id}").status_code == 403
    login_as(make_user(email="admin@example.org", role=Role.ADMIN))
    page = client.get(f"/admin/digests/{week.id}").get_data(as_text=True)
    assert "Admin preview" in page and "Read to a neighbour" in page
    assert client.get("/admin/digests/999999").status_code == 404


def test_digests_run_through_the_smtp_sink_over_one_connection(
        frozen, week, session, app, smtp_sink, resident, make_opportunity):
    from matchmaker import mail

    for i in range(4):
        other = resident(email=f"friend{i}@example.org", name=f"Friend {i}")
        opp = make_opportunity(title=f"Idea {i}", starts=at(2))
        recommend(session, other, opp, 1)
    app.config["SMTP_URL"] = smtp_sink.url
    mail.init_app(app)
    connects = []
    real = mail.SMTPMailer._connect

    def counting(self):
        connects.append(1)
        return real(self)

    mail.SMTPMailer._connect = counting
    try:
        _result, batches = run_plan(session)
    finally:
        mail.SMTPMailer._connect = real
    assert len(batches) == 1 and len(smtp_sink.messages) == 5
    assert connects == [1]
    assert db.session.scalar(select(func.count()).select_from(DigestOutbox).where(
        DigestOutbox.status == DigestStatus.SENT)) == 5


def test_batch_suggestions_agree_with_top_for_user(
        frozen, session, make_org, make_opportunity, resident):
    """The batch read of suggestions (one query for a whole batch) keeps exactly
    what recommendations.top_for_user keeps, in the same order, for any budget."""
    from matchmaker.digests import sources
    from matchmaker.recommendations.queries import top_for_user

    org = make_org()
    people = [resident(email=f"p{n}@example.org", name=f"P{n}") for n in range(3)]
    opps = [make_opportunity(org=org, title=f"Shift {n}", starts=at(1 + n % 5),
                             duration_minutes=30 + 30 * (n % 4)) for n in range(8)]
    past = make_opportunity(org=org, title="Already started", starts=at(-1))
    gone = make_opportunity(org=org, title="Cancelled", starts=at(2))
    gone.occurrences[0].cancelled_at = SUNDAY
    draft = make_opportunity(org=org, title="Draft", starts=at(2), status="draft")
    session.commit()
    for n, person in enumerate(people):
        for rank, opp in enumerate(opps[n:] + [past, gone, draft], start=1):
            recommend(session, person, opp, rank)
    sign_up(session, people[0], opps[0])
    sign_up(session, people[1], opps[2], status="waitlisted")
    batch = sources.suggestions_for(session, [p.id for p in people], SUNDAY)
    for person in people:
        for budget in (None, 200, 60, 30, 0):
            expected = [(v.occurrence.id, tuple(v.reasons), v.waitlist)
                        for v in top_for_user(session, person.id, compose.MAX_MATCHES,
                                              max_minutes=budget, now=SUNDAY)]
            got = [(s.occurrence.id, s.reasons, s.waitlist) for s in batch[person.id]
                   if budget is None or s.minutes <= budget][:compose.MAX_MATCHES]
            assert got == expected, (person.email, budget)
    assert any(batch[p.id] for p in people)


def test_cron_plans_digests_every_15_minutes(monkeypatch):
    from redis import Redis
    from rq.cron import CronScheduler

    from matchmaker.config import PROJECT_ROOT
    from tests.integration.test_jobs import _closed_port

    monkeypatch.chdir(PROJECT_ROOT)
    scheduler = CronScheduler(connection=Redis(host="127.0.0.1", port=_closed_port()))
    scheduler.load_config_from_file("workers/cron_config.py")
    jobs = {job.func_name: job for job in scheduler._cron_jobs}
    assert jobs["workers.digest_jobs.plan_digests"].cron == "*/15 * * * *"


def test_fast_smtp_serialisation_matches_the_email_package_and_blocks_crlf():
    from email import message_from_bytes, policy

    from matchmaker.mail import Email

    email = Email(to="Zoë <zoe@example.org>\r\nBcc: a@example.org",
                  subject="Café — your week\r\nBcc: b@example.org",
                  text="Hello\n.a line starting with a dot\n", html="<p>Hello é</p>" + "x" * 3000,
                  headers={"List-Unsubscribe": "<https://x.example/unsubscribe/" + "t" * 150
                           + ">, <mailto:u@x.example?subject=unsubscribe>\r\nBcc: c@example.org",
                           "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    data, message_id = email.to_bytes("matchmaker <hello@x.example>", "x.example")
    head = data.split(b"\r\n\r\n", 1)[0]
    assert not re.search(rb"(?im)^bcc:", head)
    assert b"\n" not in head.replace(b"\r\n", b"")  # no bare LF either
    fast = message_from_bytes(data, policy=policy.default)
    slow = message_from_bytes(
        email.to_message("matchmaker <hello@x.example>", "x.example").as_bytes(),
        policy=policy.default)
    assert fast["Message-ID"] == message_id
    for name in ("From", "To", "Subject", "List-Unsubscribe", "List-Unsubscribe-Post"):
        assert str(fast[name]) == str(slow[name]), name
    assert "=?" not in fast["List-Unsubscribe"]  # a URL stays a URL, not encoded words
    for kind in ("plain", "html"):
        assert (fast.get_body((kind,)).get_content().replace("\r\n", "\n")
                == slow.get_body((kind,)).get_content().replace("\r\n", "\n"))


def test_admin_finds_a_preview_by_email_address(frozen, week, client, login_as, make_user):
    login_as(make_user(email="admin@example.org", role=Role.ADMIN))
    page = client.get("/admin/organizations").get_data(as_text=True)
    assert 'action="/admin/digests"' in page and "Preview someone" in page
    resp = client.get("/admin/digests", query_string={"email": " Rosa@Example.org "})
    assert resp.status_code == 302 and resp.location.endswith(f"/admin/digests/{week.id}")
    missing = client.get("/admin/digests", query_string={"email": "nobody@example.org"})
    assert missing.status_code == 404 and "Nobody has that email address" in missing.text
    assert client.get("/admin/digests").status_code == 400
    login_as(make_user(email="nosy2@example.org"))
    assert client.get("/admin/digests", query_string={"email": "rosa@example.org"}).status_code == 403
