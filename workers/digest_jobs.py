"""RQ jobs for the weekly digests (see matchmaker.digests.sending for the design).

``plan_digests`` runs from ``rq cron`` every 15 minutes; it commits outbox rows,
then enqueues ``send_digest_batch`` jobs of a few hundred row ids each, which
any number of workers run in parallel. Both are safe to run twice.
"""

from __future__ import annotations

from workers.jobs import job_context


def plan_digests() -> dict:
    """Everyone whose local send time has come, plus rows left pending by a crash."""
    from matchmaker.db import db
    from matchmaker.digests import sending

    with job_context():
        planned = sending.plan(db.session)
        swept = sending.sweep(db.session)
        return {"planned": planned.planned, "batches": planned.batches + swept.batches,
                "requeued": swept.requeued, "given_up": swept.given_up}


def send_digest_batch(outbox_ids: list[int]) -> dict:
    """Send one batch of digests over one SMTP connection."""
    from dataclasses import asdict

    from matchmaker.digests import sending

    with job_context():
        return asdict(sending.send_batch(list(outbox_ids)))
