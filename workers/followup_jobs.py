"""RQ jobs after the event: thank-yous / "we missed you", and first-timer buddy intros.

Both are sweeps enqueued by ``rq cron`` (workers/cron_config.py). Each email is
claimed by a guard (``Signup.followup_sent_at``, ``BuddyIntro.*_sent_at``)
before it is sent, so two sweeps, even running at once, send it once.
"""

from __future__ import annotations

from workers.jobs import job_context


def send_followups() -> dict[str, int]:
    """Thank everyone marked attended and write kindly to everyone marked no-show."""
    from matchmaker.followthrough.after import sweep

    with job_context():
        return sweep()


def introduce_buddies() -> int:
    """Pair first-timers with regulars going to the same date, and email both."""
    from matchmaker.followthrough.buddy import sweep

    with job_context():
        return sweep()
