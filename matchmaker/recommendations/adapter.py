"""Database rows -> ``matchmaker.matching`` values, loaded in bulk.

A fixed handful of queries per call whatever the number of residents or
occurrences (no query per row): one for the main rows, one per kind of child
row (tags, windows, sign-ups, history), each filtered by the same subquery.
The pure core validates and counts bad input (no location, NaN coordinates,
contradictory windows...); this module adds what only the database can see and
counts it the same way, so a job reports one ``Counter`` of skipped things.

Reading history: a sign-up counts as *attended* when the organizer (or the
resident) marked it "attended", or, when nobody marked it, when it was a
confirmed sign-up for an occurrence that is over. A "no_show" never counts.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement

from matchmaker.db import utcnow
from matchmaker.matching import Occurrence as MOccurrence
from matchmaker.matching import Resident
from matchmaker.models import (
    AvailabilityWindow,
    Group,
    GroupMember,
    Occurrence,
    Opportunity,
    OpportunityKind,
    OpportunityStatus,
    OpportunityTag,
    Organization,
    Profile,
    ProfileTag,
    Signup,
    SignupStatus,
    User,
)

log = logging.getLogger(__name__)

#: Bound parameters per IN list (PostgreSQL allows 65,535 per statement).
ID_CHUNK = 5_000
#: Commitments further ahead than this do not change what is suggested now.
COMMITTED_WEEKS = 6
#: The matcher's word for "on your own" (organizers pick "solo").
FORMATS = {"solo": "solo_remote"}


def _chunks(ids: list[int], size: int = ID_CHUNK) -> Iterable[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def _point(lat, lon) -> tuple[float, float] | None | bool:
    """(lat, lon), None when missing, False when present but unusable (NaN, out of range)."""
    if lat is None or lon is None:
        return None
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return False
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90
            and -180 <= lon <= 180):
        return False
    return (lat, lon)


def _attended(signup=Signup, occurrence=Occurrence, now: datetime | None = None):
    """SQL: this sign-up counts as having gone (see the module docstring)."""
    return or_(
        signup.attendance == "attended",
        and_(signup.attendance.is_(None), signup.status == SignupStatus.CONFIRMED,
             occurrence.ends_at <= (now or utcnow())),
    )


# --- occurrences ------------------------------------------------------------------


def occurrence_filter(now: datetime) -> list[ColumnElement]:
    """Occurrences worth suggesting: published, not cancelled, not started (small acts: not over)."""
    return [
        Opportunity.status == OpportunityStatus.PUBLISHED,
        Opportunity.cancelled_at.is_(None),
        Occurrence.cancelled_at.is_(None),
        or_(Occurrence.starts_at > now,
            and_(Opportunity.kind == OpportunityKind.SMALL_ACT, Occurrence.ends_at > now)),
    ]


def load_occurrences(
    session: Session, now: datetime | None = None, *,
    opportunity_id: int | None = None,
    where: Iterable[ColumnElement] = (),
) -> tuple[list[MOccurrence], Counter]:
    """Every suggestible occurrence (optionally of one opportunity) as matching values.

    Four queries: occurrences with their opportunity, organization and group;
    the opportunities' tags; who is going (confirmed sign-ups).
    """
    now = now or utcnow()
    cond = occurrence_filter(now) + list(where)
    if opportunity_id is not None:
        cond.append(Opportunity.id == opportunity_id)
    rows = session.execute(
        select(Occurrence.id, Occurrence.starts_at, Occurrence.ends_at, Occurrence.capacity,
               Occurrence.confirmed_count, Opportunity, Organization.name, Group.name)
        .join(Opportunity, Opportunity.id == Occurrence.opportunity_id)
        .join(Organization, Organization.id == Opportunity.organization_id)
        .outerjoin(Group, Group.id == Opportunity.group_id)
        .where(*cond)
        .order_by(Occurrence.id)
    ).all()
    skipped: Counter = Counter()
    if not rows:
        return [], skipped
    opp_ids = select(Occurrence.opportunity_id).join(Opportunity).where(*cond)
    occ_ids = select(Occurrence.id).join(Opportunity).where(*cond)
    tags: dict[int, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for opp_id, kind, value in session.execute(
            select(OpportunityTag.opportunity_id, OpportunityTag.kind, OpportunityTag.value)
            .where(OpportunityTag.opportunity_id.in_(opp_ids))):
        tags[opp_id][kind].add(value)
    going: dict[int, set] = defaultdict(set)
    for occ_id, user_id in session.execute(
            select(Signup.occurrence_id, Signup.user_id)
            .where(Signup.occurrence_id.in_(occ_ids), Signup.status == SignupStatus.CONFIRMED)):
        going[occ_id].add(user_id)
    out = []
    for occ_id, starts, ends, capacity, confirmed, opp, org_name, group_name in rows:
        place = None
        if not opp.is_remote:
            place = _point(opp.lat, opp.lon)
            if not place:
                reason = "occurrence_no_location" if place is None else "occurrence_bad_coordinates"
                log.info("matching: occurrence %s skipped (%s)", occ_id, reason)
                skipped[reason] += 1
                continue
        t = tags.get(opp.id, {})
        small = opp.kind == OpportunityKind.SMALL_ACT
        out.append(MOccurrence(
            id=occ_id, opportunity_id=opp.id, organization_id=opp.organization_id,
            group_id=opp.group_id,
            causes=frozenset(t.get("cause", ())), skills=frozenset(t.get("skill", ())),
            start=None if small else starts, end=None if small else ends,
            do_by=ends if small else None,
            effort_minutes=float(opp.duration_minutes) if small else None,
            place=place, remote=bool(opp.is_remote),
            duration_minutes=float(opp.duration_minutes),
            seats_left=max(capacity - confirmed, 0), capacity=capacity,
            social_format=FORMATS.get(opp.social_format, opp.social_format),
            access=frozenset(t.get("access", ())), demands=frozenset(t.get("demand", ())),
            min_age=opp.min_age or 0, first_timer_friendly=bool(opp.first_timer_friendly),
            going_ids=frozenset(going.get(occ_id, ())),
            title=opp.title, organization_name=org_name or "", group_name=group_name or "",
        ))
    return out, skipped


# --- residents --------------------------------------------------------------------


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def load_residents(
    session: Session, now: datetime | None = None, *,
    user_ids: Iterable[int] | None = None,
    where: Iterable[ColumnElement] = (),
) -> tuple[list[Resident], Counter]:
    """Residents (active users with a profile) as matching values, in bulk.

    Either ``user_ids`` (loaded in chunks, so any number works) or ``where``
    (conditions on ``Profile``, e.g. a shard's box), or both.
    """
    now = now or utcnow()
    where = list(where)
    if user_ids is None:
        return _load_residents(session, now, where)
    ids = sorted({int(i) for i in user_ids})
    residents: list[Resident] = []
    skipped: Counter = Counter()
    for chunk in _chunks(ids):
        r, s = _load_residents(session, now, where + [Profile.user_id.in_(chunk)])
        residents += r
        skipped += s
    return residents, skipped


def _load_residents(session: Session, now: datetime, where: list) -> tuple[list[Resident], Counter]:
    cond = [User.is_active.is_(True), *where]
    profiles = session.execute(
        select(Profile).join(User, User.id == Profile.user_id).where(*cond)
        .order_by(Profile.user_id)
    ).scalars().all()
    skipped: Counter = Counter()
    if not profiles:
        return [], skipped
    ids = select(Profile.user_id).join(User, User.id == Profile.user_id).where(*cond)

    tags: dict[int, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for uid, kind, value in session.execute(
            select(ProfileTag.user_id, ProfileTag.kind, ProfileTag.value)
            .where(ProfileTag.user_id.in_(ids))):
        tags[uid][kind].add(value)

    windows: dict[int, list] = defaultdict(list)
    for uid, wd, s, e in session.execute(
            select(AvailabilityWindow.user_id, AvailabilityWindow.weekday,
                   AvailabilityWindow.start_minute, AvailabilityWindow.end_minute)
            .where(AvailabilityWindow.user_id.in_(ids))
            .order_by(AvailabilityWindow.user_id, AvailabilityWindow.weekday,
                      AvailabilityWindow.start_minute)):
        windows[uid].append((wd, s, e))

    # Upcoming sign-ups: never suggest them again; confirmed ones use up the
    # week's budget and make the resident busy at that time.
    signed: dict[int, set] = defaultdict(set)
    upcoming: dict[int, list] = defaultdict(list)
    horizon = now + timedelta(weeks=COMMITTED_WEEKS)
    for uid, occ_id, status, starts, ends, minutes, kind in session.execute(
            select(Signup.user_id, Signup.occurrence_id, Signup.status, Occurrence.starts_at,
                   Occurrence.ends_at, Opportunity.duration_minutes, Opportunity.kind)
            .join(Occurrence, Occurrence.id == Signup.occurrence_id)
            .join(Opportunity, Opportunity.id == Occurrence.opportunity_id)
            .where(Signup.user_id.in_(ids),
                   Signup.status.in_((SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)),
                   Occurrence.ends_at > now, Occurrence.starts_at < horizon)):
        signed[uid].add(occ_id)
        if status == SignupStatus.CONFIRMED:
            # a small act's span starts at publication: it costs time this week
            upcoming[uid].append((starts if kind != OpportunityKind.SMALL_ACT else max(starts, now),
                                  ends, minutes, kind))

    # History: what they went to (organizations, groups) and who was there too.
    orgs: dict[int, set] = defaultdict(set)
    groups: dict[int, set] = defaultdict(set)
    attended = _attended(now=now)
    for uid, org_id, group_id in session.execute(
            select(Signup.user_id, Opportunity.organization_id, Opportunity.group_id)
            .join(Occurrence, Occurrence.id == Signup.occurrence_id)
            .join(Opportunity, Opportunity.id == Occurrence.opportunity_id)
            .where(Signup.user_id.in_(ids), attended).distinct()):
        orgs[uid].add(org_id)
        if group_id is not None:
            groups[uid].add(group_id)
    for uid, group_id in session.execute(
            select(GroupMember.user_id, GroupMember.group_id).where(GroupMember.user_id.in_(ids))):
        groups[uid].add(group_id)
    other = aliased(Signup)
    other_occ = aliased(Occurrence)
    mates: dict[int, set] = defaultdict(set)
    for uid, mate in session.execute(
            select(Signup.user_id, other.user_id)
            .join(Occurrence, Occurrence.id == Signup.occurrence_id)
            .join(other, and_(other.occurrence_id == Signup.occurrence_id,
                              other.user_id != Signup.user_id))
            .join(other_occ, other_occ.id == other.occurrence_id)
            .where(Signup.user_id.in_(ids), attended, _attended(other, other_occ, now))
            .distinct()):
        mates[uid].add(mate)

    out = []
    for p in profiles:
        uid = p.user_id
        home = _point(p.home_lat, p.home_lon)
        if home is False:
            # Kept for remote suggestions only; the core counts it as well.
            log.info("matching: resident %s has unusable coordinates; remote only", uid)
            home = (p.home_lat, p.home_lon)
        t = tags.get(uid, {})
        out.append(Resident(
            id=uid, timezone=p.timezone,
            causes=frozenset(t.get("cause", ())), skills=frozenset(t.get("skill", ())),
            windows=tuple(windows.get(uid, ())),
            home=home, travel_radius_km=float(p.travel_radius_km),
            remote_ok=bool(p.remote_ok),
            weekly_budget_minutes=float(p.weekly_minutes),
            weekly_commitment_cap=int(p.max_commitments_per_week),
            committed=_committed(p.timezone, upcoming.get(uid, ())),
            busy=tuple((s, e) for s, e, _m, kind in upcoming.get(uid, ())
                       if kind != OpportunityKind.SMALL_ACT),
            social_format=p.social_format or "any",
            access_needs=frozenset(t.get("access", ())),
            is_adult=bool(p.is_adult),
            returned_organization_ids=frozenset(orgs.get(uid, ())),
            returned_group_ids=frozenset(groups.get(uid, ())),
            served_with_ids=frozenset(mates.get(uid, ())),
            first_timer=uid not in orgs,
            signed_up_occurrence_ids=frozenset(signed.get(uid, ())),
        ))
    return out, skipped


def _committed(tz_name: str, upcoming) -> dict[date, tuple[float, int]]:
    """Minutes and commitments per local week (keyed by its Monday)."""
    if not upcoming:
        return {}
    try:
        tz = ZoneInfo(tz_name)
    except (KeyError, ValueError):
        return {}  # the core skips and counts a bad timezone
    used: dict[date, list] = {}
    for starts, _ends, minutes, _kind in upcoming:
        week = _monday(starts.astimezone(tz).date())
        m = used.setdefault(week, [0.0, 0])
        m[0] += float(minutes)
        m[1] += 1
    return {week: (m[0], m[1]) for week, m in used.items()}


def merge_skipped(*counters: Counter) -> dict[str, int]:
    """One plain dict of skip reasons (for a job's result and its log line)."""
    total: Counter = Counter()
    for c in counters:
        total.update(c)
    return dict(sorted((k, v) for k, v in total.items() if v))
