"""A worker that dies between claiming a one-off email and sending it loses nothing.

The claim (a guard column, committed before the send so two workers never both
send) is recorded with a hold (matchmaker.holds). Dying mid-send is reproduced
by an exception no sender catches (KeyboardInterrupt) raised inside the SMTP
hand-over: like SIGKILL, nothing after that point runs, so the claim and its hold
stay committed exactly as a killed process would leave them. The SIGKILL itself,
with real worker processes, is in tests/faults/test_worker_killed.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from matchmaker import holds, mail
from matchmaker.models import SendHold, Signup
from tests.integration.test_reminders import sign_up
from workers import followup_jobs, jobs, reminder_jobs

START = datetime(2027, 3, 6, 15, 0, tzinfo=UTC)


@pytest.fixture
def app_config(app_config, smtp_sink):
    return {**app_config, "SMTP_URL": smtp_sink.url, "MAIL_RETRY_BACKOFF_MS": 0}


@pytest.fixture
def signup(make_opportunity, make_org, make_user, client, login_as, post_form, session):
    org = make_org(name="Pantry", owner=make_user(email="olga@example.org"))
    occ = make_opportunity(org=org, title="Sort food", starts=START, capacity=4,
                           timezone="America/New_York").occurrences[0]
    resident = make_user(email="rita@example.org", display_name="Rita")
    with time_machine.travel(START - timedelta(days=5), tick=False):
        sign_up(client, login_as, post_form, resident, occ)
    return session.query(Signup).filter_by(user_id=resident.id).one()


@pytest.fixture
def dies_mid_send(monkeypatch):
    """Make the next SMTP hand-over kill its caller; later ones work again."""
    state = {"armed": True}
    real = mail.SMTPMailer.deliver

    def deliver(self, *args, **kwargs):
        if state["armed"]:
            state["armed"] = False
            raise KeyboardInterrupt("the worker died here")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(mail.SMTPMailer, "deliver", deliver)
    return state


def _subjects(sink) -> list[str]:
    return [str(m["Subject"]) for m in sink.messages]


def test_reminder_claimed_by_a_dead_worker_is_sent_once_after_the_timeout(
        signup, session, smtp_sink, dies_mid_send):
    before = len(smtp_sink.messages)  # the confirmation
    at = START - timedelta(hours=23)
    with time_machine.travel(at, tick=False), pytest.raises(KeyboardInterrupt):
        reminder_jobs.send_due_reminders()
    session.expire_all()
    assert session.get(Signup, signup.id).reminder_early_sent_at is not None  # claimed...
    assert len(smtp_sink.messages) == before                                 # ...never sent
    assert session.query(SendHold).count() == 1

    # Sweeps while the dead worker's claim might still be a slow live send: nothing.
    with time_machine.travel(at + timedelta(minutes=5), tick=False):
        jobs.dispatch_pending_jobs()
        reminder_jobs.send_due_reminders()
    assert len(smtp_sink.messages) == before

    # Past the hold timeout the minute sweeper gives the claim back; the next
    # reminder sweep sends it, and every later sweep sends nothing more.
    with time_machine.travel(at + holds.HOLD_TIMEOUT + timedelta(minutes=1), tick=False):
        jobs.dispatch_pending_jobs()
        for _ in range(3):
            reminder_jobs.send_due_reminders()
            jobs.dispatch_pending_jobs()
    assert _subjects(smtp_sink)[before:] == ["See you soon: Sort food"]
    assert session.query(SendHold).count() == 0


def test_settled_and_refused_sends_leave_no_hold(signup, session, smtp_sink):
    async def refuse(server, smtp_session, envelope):
        return "451 4.3.0 try again later"

    smtp_sink.handle_DATA = refuse  # aiosmtpd looks the handler's method up per message
    with time_machine.travel(START - timedelta(hours=23), tick=False):
        with pytest.raises(mail.MailError):
            reminder_jobs.send_due_reminders()
        session.expire_all()
        assert session.get(Signup, signup.id).reminder_early_sent_at is None  # given back
        assert session.query(SendHold).count() == 0
        del smtp_sink.handle_DATA
        reminder_jobs.send_due_reminders()
    session.expire_all()
    assert session.get(Signup, signup.id).reminder_early_sent_at is not None
    assert session.query(SendHold).count() == 0


def test_thank_you_claimed_by_a_dead_worker_is_sent_once(
        signup, session, smtp_sink, dies_mid_send):
    after = START + timedelta(days=1)
    signup.attendance = "attended"
    signup.attendance_marked_at = after
    session.commit()
    before = len(smtp_sink.messages)
    past_grace = after + timedelta(minutes=40)  # organizers may correct a mark for 30 min
    with time_machine.travel(past_grace, tick=False), pytest.raises(KeyboardInterrupt):
        followup_jobs.send_followups()
    assert len(smtp_sink.messages) == before
    with time_machine.travel(past_grace + holds.HOLD_TIMEOUT + timedelta(minutes=1),
                             tick=False):
        jobs.dispatch_pending_jobs()
        followup_jobs.send_followups()
        followup_jobs.send_followups()
    assert len(smtp_sink.messages) == before + 1
    assert "thank" in _subjects(smtp_sink)[-1].lower()
