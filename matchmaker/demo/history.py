"""Twelve weeks of made-up past: who signed up, who came, who did not.

Without history the impact page, the organizers' dashboards, reliability and
the digest's streak all show zeros. So a dozen recurring demo opportunities get
past dates, each with a roster drawn from residents who live nearby: a core of
regulars who come most weeks and a trickle of first-timers (some of whom come
back). About 80% of the marked sign-ups are "attended", 10% "no show", and the
rest were never marked.

The services refuse past dates, so these rows are written directly. Every
email guard on them (confirmation, reminders, "did you go?" asks, the
thank-you) is set as already sent: the cron sweeps must never write to demo
people about events that happened before the demo existed.

The demo resident printed by ``flask demo-logins`` (the first generated
resident) gets a fixed story: a Saturday garden regular with a streak of
several weeks and one place booked for the next workday.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.orm import Session

from matchmaker.demo.people import DemoResident
from matchmaker.models import Occurrence, Opportunity, Signup, SignupStatus

#: How far back the history reaches.
WEEKS = 12
#: Opportunity key -> weeks of history (some started more recently than others).
HISTORY: dict[str, int] = {
    "pantry-saturday-distribution": 12,
    "pantry-tuesday-packing": 12,
    "pantry-seated-sorting": 8,
    "pantry-saturday-crew": 10,
    "garden-saturday-workday": 12,
    "visitors-tea-social": 12,
    "literacy-homework-help": 9,
    "animals-adoption-event": 6,
    "park-saturday-litter-pick": 12,
    "park-tree-care": 7,
    "tenants-rights-clinic": 11,
}
#: The demo resident's opportunity and the weeks (1 = last week) they came / missed.
DEMO_OPPORTUNITY = "garden-saturday-workday"
DEMO_ATTENDED_WEEKS = (1, 2, 3, 4, 5, 6, 8, 11)
DEMO_NO_SHOW_WEEKS = (9,)
#: Residents considered for an opportunity's roster: the nearest this many.
NEARBY = 40


@dataclass(frozen=True)
class HistoryReport:
    occurrences: int
    signups: int
    upcoming_signups: int


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Small-distance approximation; plenty for picking neighbours."""
    dx = (lon2 - lon1) * 111.32 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot((lat2 - lat1) * 110.57, dx)


def _past_starts(opp: Opportunity, weeks: int, now: datetime) -> list[datetime]:
    """``weeks`` dates at the same local weekday and time, weekly before the first
    date, each already over by ``now``.

    Stepping back in local wall-clock time keeps a 09:00 shift at 09:00 across
    a daylight-saving change. When the first date is more than a week away (a
    monthly shift), the weeks between it and ``now`` are skipped: they have not
    happened, and the next date's bookings must not meet their rosters.
    """
    zone = ZoneInfo(opp.timezone)
    first = min(o.starts_at for o in opp.occurrences).astimezone(zone).replace(tzinfo=None)
    length = timedelta(minutes=opp.duration_minutes)
    starts: list[datetime] = []
    back = 1
    while len(starts) < weeks:
        start = (first - timedelta(weeks=back)).replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))
        if start + length <= now:
            starts.append(start)
        back += 1
    return starts


def _attendance(rng: random.Random) -> str | None:
    roll = rng.random()
    return "attended" if roll < 0.8 else "no_show" if roll < 0.9 else None


def _past_signup(occ: Occurrence, user_id: int, attendance: str | None,
                 rng: random.Random) -> dict:
    booked = occ.starts_at - timedelta(days=rng.randint(2, 9), minutes=rng.randint(0, 600))
    row = {
        "occurrence_id": occ.id, "user_id": user_id, "status": SignupStatus.CONFIRMED,
        "created_at": booked, "queued_at": booked, "confirmed_at": booked,
        "confirmation_sent_at": booked,
        "reminder_early_sent_at": occ.starts_at - timedelta(days=1),
        "reminder_late_sent_at": occ.starts_at - timedelta(hours=2),
        "attendance": attendance, "attendance_marked_at": None, "attendance_source": "",
        "attendance_ask_sent_at": None, "followup_sent_at": None, "followup_kind": "",
    }
    if attendance is None:
        # Nobody marked it: the organizers and then the resident were asked, long ago.
        row["attendance_ask_sent_at"] = occ.ends_at + timedelta(days=3)
    else:
        by_code = attendance == "attended" and rng.random() < 0.3
        marked = occ.starts_at + timedelta(minutes=10) if by_code \
            else occ.ends_at + timedelta(hours=rng.randint(1, 30))
        row.update(attendance_marked_at=marked,
                   attendance_source="checkin" if by_code else "organizer",
                   followup_sent_at=max(marked, occ.ends_at) + timedelta(hours=1),
                   followup_kind="thank_you" if attendance == "attended" else "missed_you")
    return row


def seed_history(session: Session, opportunities: dict[str, Opportunity],
                 people: list[DemoResident], resident_ids: list[int], now: datetime,
                 seed: int) -> HistoryReport:
    """Write past dates with rosters, plus a few places booked on the next date.

    Deterministic for a given seed. Flushes; the caller commits. The demo
    resident (``people[0]``) is left out of the random rosters so their story
    is exactly the one written below.
    """
    rng = random.Random(seed * 7919 + 1)  # nosec B311 - reproducible demo data, not security
    demo_id = resident_ids[0]
    rows: list[dict] = []
    upcoming: list[dict] = []
    occurrences = 0
    for key, weeks in HISTORY.items():
        opp = opportunities[key]
        lat, lon = opp.lat, opp.lon
        near = sorted(range(1, len(people)), key=lambda i: _km(
            lat, lon, people[i].home_lat, people[i].home_lon))[:NEARBY]
        cap = opp.capacity
        regulars = rng.sample(near, k=max(2, min(len(near) // 3, cap * 2 // 3)))
        occasional = [i for i in near if i not in regulars]
        past = [Occurrence(opportunity=opp, opportunity_id=opp.id, starts_at=start,
                           ends_at=start + timedelta(minutes=opp.duration_minutes),
                           capacity=cap, confirmed_count=0)
                for start in _past_starts(opp, weeks, now)]
        session.add_all(past)
        # It has been running since before its first past date.
        opp.created_at = opp.published_at = past[-1].starts_at - timedelta(days=14)
        session.flush()  # ids for the sign-ups; the listener fills the local weekday/minute
        occurrences += len(past)
        for week, occ in enumerate(past, start=1):
            occ.attendance_ask_sent_at = occ.ends_at + timedelta(days=2)
            # First-timers arrive over time, so a newcomer can "come back" later.
            going = [i for i in regulars if rng.random() < 0.7]
            going += rng.sample(occasional, k=min(len(occasional), rng.randint(0, 2)))
            going = sorted(set(going))[: cap - (1 if key == DEMO_OPPORTUNITY else 0)]
            for i in going:
                rows.append(_past_signup(occ, resident_ids[i], _attendance(rng), rng))
            if key == DEMO_OPPORTUNITY and week in DEMO_ATTENDED_WEEKS + DEMO_NO_SHOW_WEEKS:
                going.append(0)
                rows.append(_past_signup(
                    occ, demo_id, "attended" if week in DEMO_ATTENDED_WEEKS else "no_show", rng))
            occ.confirmed_count = len(going)
        # The regulars keep coming: some of them already hold a place on the next date.
        nxt = min((o for o in opp.occurrences if o.starts_at > now), key=lambda o: o.starts_at)
        booked = [i for i in regulars if rng.random() < 0.5][: cap - 1]
        if key == DEMO_OPPORTUNITY:
            booked.append(0)
        for i in booked:
            when = now - timedelta(days=rng.randint(1, 5), minutes=rng.randint(0, 600))
            upcoming.append({
                "occurrence_id": nxt.id, "user_id": resident_ids[i],
                "status": SignupStatus.CONFIRMED, "created_at": when, "queued_at": when,
                "confirmed_at": when, "confirmation_sent_at": when,
            })
        nxt.confirmed_count += len(booked)
    session.flush()
    for batch in (rows, upcoming):  # one key set per executemany
        if batch:
            session.execute(insert(Signup), batch)
    session.flush()
    return HistoryReport(occurrences=occurrences, signups=len(rows),
                         upcoming_signups=len(upcoming))
