"""RQ jobs for follow-through before and at the event: reminders and attendance asks.

``rq cron`` enqueues the sweeps (workers/cron_config.py); each sweep enqueues one
small job per email, keyed by sign-up and kind, and every job claims its guard
column before sending, so sweeps that overlap or run twice never send twice.
"""

from __future__ import annotations

from workers.jobs import job_context


def _enqueue_each(func: str, items: list[tuple], key: str) -> int:
    from matchmaker.tasks import enqueue

    for item in items:
        enqueue(func, *item, job_id=f"{key}-{'-'.join(str(part) for part in item)}")
    return len(items)


def send_due_reminders() -> int:
    """Every few minutes: hand out the reminders that are due (the day before, 2 h before)."""
    from matchmaker.db import db
    from matchmaker.followthrough.reminders import due_reminders

    with job_context():
        due = due_reminders(db.session)
        db.session.rollback()
        return _enqueue_each("workers.reminder_jobs.send_reminder", due, "reminder")


def send_reminder(signup_id: int, kind: str) -> bool:
    from matchmaker.followthrough.reminders import send_reminder as send

    with job_context():
        return send(signup_id, kind)


def send_attendance_asks() -> int:
    """Hourly: ask organizers to mark who came, then ask residents still unmarked."""
    from matchmaker.db import db, utcnow
    from matchmaker.followthrough import asks

    with job_context():
        now = utcnow()
        occurrences = asks.occurrences_to_ask_organizers(db.session, now)
        signups = asks.signups_to_ask_residents(db.session, now)
        db.session.rollback()
        count = _enqueue_each("workers.reminder_jobs.ask_organizers",
                              [(i,) for i in occurrences], "attendance-ask-org")
        return count + _enqueue_each("workers.reminder_jobs.ask_resident",
                                     [(i,) for i in signups], "attendance-ask")


def ask_organizers(occurrence_id: int) -> int:
    from matchmaker.followthrough.asks import ask_organizers as ask

    with job_context():
        return ask(occurrence_id)


def ask_resident(signup_id: int) -> bool:
    from matchmaker.followthrough.asks import ask_resident as ask

    with job_context():
        return ask(signup_id)
