"""Opportunity rules: create, edit, publish, copy, cancel, and their occurrences.

Functions take the session and plain values, change rows and flush; the caller
commits (and only then do queued emails go out). Anything the organizer can
fix raises :class:`OpportunityError` with ``{field: message}``, the same shape
``schema.validate`` returns, so the HTML form, the JSON API and the CSV
importer all report problems the same way.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from matchmaker.db import utcnow
from matchmaker.geo import UnknownPlace, geocode_place
from matchmaker.models import (
    Group,
    Membership,
    Occurrence,
    Opportunity,
    OpportunityStatus,
    OpportunityTag,
    Organization,
    Signup,
    SignupStatus,
    User,
)
from matchmaker.opportunities import recurrence
from matchmaker.opportunities.schema import (
    ONE_OFF,
    SHIFTS,
    SMALL_ACT,
    OpportunityInput,
    validate,
)
from matchmaker.tasks import enqueue_after_commit

#: OpportunityInput list field -> OpportunityTag.kind.
TAG_KINDS = {"causes": "cause", "skills": "skill", "access": "access", "demands": "demand"}
#: Sign-ups that hold a place or a place in line (told when things change).
ACTIVE_SIGNUPS = (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)
#: Columns copied straight from OpportunityInput onto the row.
_PLAIN_FIELDS = ("kind", "is_remote", "timezone", "start_local", "do_by", "duration_minutes",
                 "capacity", "min_age", "social_format", "first_timer_friendly", "group_id",
                 "allow_overbooking")


class OpportunityError(Exception):
    """Something the organizer can fix. ``errors`` is ``{field: message}``."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


# --- who may do what ------------------------------------------------------------------

def is_organizer(session: Session, user: User | None, organization_id: int) -> bool:
    """True if ``user`` runs the organization (owner or organizer membership)."""
    if user is None or not getattr(user, "is_authenticated", True):
        return False
    return session.scalar(
        select(Membership.id).where(Membership.organization_id == organization_id,
                                    Membership.user_id == user.id)
    ) is not None


def organization_opportunities(organization: Organization) -> Select:
    """Every opportunity of an organization, newest first (for the organizer's list)."""
    return (select(Opportunity).where(Opportunity.organization_id == organization.id)
            .order_by(Opportunity.created_at.desc(), Opportunity.id.desc()))


# --- reading back for the edit form ---------------------------------------------------

def to_input(opp: Opportunity) -> OpportunityInput:
    """The OpportunityInput that would produce ``opp`` (fills the edit form; used by copy)."""
    parts = recurrence.parse_rrule(opp.rrule) if opp.rrule else recurrence.RuleParts()
    pinned = opp.lat is not None and not opp.is_remote
    return OpportunityInput(
        title=opp.title, description=opp.description,
        causes=opp.tag_values("cause"), skills=opp.tag_values("skill"),
        access=opp.tag_values("access"), demands=opp.tag_values("demand"),
        kind=opp.kind, is_remote=opp.is_remote, place=opp.place_label,
        lat=opp.lat if pinned else None, lon=opp.lon if pinned else None,
        start_local=opp.start_local, frequency=parts.frequency, interval=parts.interval,
        weekdays=parts.weekdays, month_week=parts.month_week, until=parts.until,
        count=parts.count, do_by=opp.do_by, duration_minutes=opp.duration_minutes,
        capacity=opp.capacity, min_age=opp.min_age, social_format=opp.social_format,
        first_timer_friendly=opp.first_timer_friendly, what_to_bring=opp.what_to_bring,
        allow_overbooking=opp.allow_overbooking,
        group_id=opp.group_id, timezone=opp.timezone,
    )


# --- writing --------------------------------------------------------------------------

def _check(session: Session, organization_id: int, data: OpportunityInput,
           now: datetime | None) -> None:
    errors = validate(data, now=now)
    if not errors and data.group_id is not None:
        group = session.get(Group, data.group_id)
        if group is None or group.organization_id != organization_id or group.archived_at:
            errors["group_id"] = "Please choose one of your organization's groups."
    if errors:
        raise OpportunityError(errors)


def _apply(session: Session, opp: Opportunity, data: OpportunityInput) -> None:
    """Copy validated ``data`` onto ``opp``. The place is resolved first, so an
    unknown place raises before anything on ``opp`` has changed."""
    opp.place_label, opp.lat, opp.lon = _resolve_place(session, opp, data)
    for name in _PLAIN_FIELDS:
        setattr(opp, name, getattr(data, name))
    opp.title = data.title.strip()
    opp.description = data.description.strip()
    opp.what_to_bring = data.what_to_bring.strip()
    if data.kind == SMALL_ACT:
        opp.start_local = None
    else:
        opp.do_by = None
    opp.rrule = recurrence.build_rrule(recurrence.RuleParts(
        frequency=data.frequency, interval=data.interval, weekdays=list(data.weekdays),
        month_week=data.month_week, until=data.until, count=data.count,
    )) if data.kind == SHIFTS else ""
    wanted = {(TAG_KINDS[name], value) for name in TAG_KINDS for value in getattr(data, name)}
    opp.tags = [t for t in opp.tags if (t.kind, t.value) in wanted]
    have = {(t.kind, t.value) for t in opp.tags}
    opp.tags.extend(OpportunityTag(kind=k, value=v) for k, v in sorted(wanted - have))


def _resolve_place(session: Session, opp: Opportunity,
                   data: OpportunityInput) -> tuple[str, float | None, float | None]:
    """(label, lat, lon): remote, a map pin, the point already found, or geocoded text."""
    place = data.place.strip()
    if data.is_remote:
        return "", None, None
    if data.lat is not None:
        return place, float(data.lat), float(data.lon)
    if place == opp.place_label and opp.lat is not None:
        return place, opp.lat, opp.lon  # unchanged text: no geocoder call
    try:
        found = geocode_place(session, place)
    except UnknownPlace as exc:
        raise OpportunityError({"place": str(exc)}) from exc
    return place, found.latitude, found.longitude


def create_opportunity(session: Session, organization: Organization, author: User | None,
                       data: OpportunityInput, *, source_key: str | None = None,
                       now: datetime | None = None) -> Opportunity:
    """A new draft with its occurrences. Raises OpportunityError; nothing is added then."""
    _check(session, organization.id, data, now)
    opp = Opportunity(organization=organization, created_by_id=author.id if author else None,
                      source_key=source_key, status=OpportunityStatus.DRAFT, tags=[])
    _apply(session, opp, data)
    session.add(opp)
    materialise_occurrences(session, opp, now=now)
    session.flush()
    return opp


def update_opportunity(session: Session, opp: Opportunity, data: OpportunityInput, *,
                       now: datetime | None = None) -> Opportunity:
    """Apply an edit. Occurrences with sign-ups are kept even if the rule no longer
    makes them; a capacity below the people already confirmed is refused.

    Raises OpportunityError (the row is left as it was: geocoding and checks run
    before anything changes).
    """
    if opp.status == OpportunityStatus.CANCELLED:
        raise OpportunityError({"title": "This opportunity was cancelled and cannot be edited."})
    _check(session, opp.organization_id, data, now)
    now = now or utcnow()
    crowded = [o for o in upcoming_occurrences(opp, now=now)
               if _real_places_taken(o) > data.capacity]
    if crowded:
        worst = max(_real_places_taken(o) for o in crowded)
        raise OpportunityError({"capacity": (
            f"{worst} people already have a place on one of the dates, "
            f"so the number of places cannot go below {worst}.")})
    _apply(session, opp, data)
    materialise_occurrences(session, opp, now=now)
    session.flush()
    _fill_new_seats(session, opp, now)
    if opp.status == OpportunityStatus.PUBLISHED:
        # Whose suggestions it now enters or leaves (and strong-match emails).
        enqueue_after_commit("workers.matching_jobs.match_opportunity", opp.id, session=session)
    return opp


def _real_places_taken(occ: Occurrence) -> int:
    """Confirmed people who hold a real place, not one of the overbooked extras.

    Extras granted by reliability-aware overbooking stay extras when the organizer
    edits the opportunity; otherwise any edit would silently turn them into places.
    """
    return (occ.confirmed_count or 0) - (occ.overbook_allowance or 0)


def _fill_new_seats(session: Session, opp: Opportunity, now: datetime) -> None:
    """More places than before: move people up from the waiting lists, and tell them."""
    from matchmaker.signups.services import lock_occurrence, promote_waiting
    from matchmaker.tasks import enqueue_after_commit

    for occurrence in upcoming_occurrences(opp, now=now):
        locked = lock_occurrence(session, occurrence.id)
        if locked is None or locked.confirmed_count >= locked.capacity:
            continue
        for signup in promote_waiting(session, locked, now):
            enqueue_after_commit("workers.jobs.send_signup_email", signup.id, "promoted",
                                 session=session)


def publish(session: Session, opp: Opportunity, *, now: datetime | None = None,
            match: bool = True) -> Opportunity:
    """Draft -> published. A small act's window opens now. Raises OpportunityError
    when there is no date left in the future (the organizer must edit it first).

    ``match=False`` skips queueing the matching job: for bulk loaders (the demo
    seed) that publish many at once and then rematch everyone in one pass."""
    if opp.status == OpportunityStatus.CANCELLED:
        raise OpportunityError({"status": "A cancelled opportunity cannot be published again. "
                                          "Make a copy instead."})
    if opp.status == OpportunityStatus.PUBLISHED:
        return opp
    now = now or utcnow()
    opp.status = OpportunityStatus.PUBLISHED
    opp.published_at = now
    materialise_occurrences(session, opp, now=now)
    if not upcoming_occurrences(opp, now=now):
        raise OpportunityError({"start_local": "All its dates have passed. Please edit the "
                                               "dates before publishing."})
    session.flush()
    if match:
        enqueue_after_commit("workers.matching_jobs.match_opportunity", opp.id, session=session)
    return opp


def copy_opportunity(session: Session, opp: Opportunity, author: User | None, *,
                     now: datetime | None = None) -> Opportunity:
    """A new draft with the same details (no sign-ups, no import key), for reuse."""
    copy = Opportunity(organization_id=opp.organization_id, organization=opp.organization,
                       created_by_id=author.id if author else None,
                       status=OpportunityStatus.DRAFT, tags=[])
    for name in (*_PLAIN_FIELDS, "title", "description", "what_to_bring", "rrule",
                 "place_label", "lat", "lon"):
        setattr(copy, name, getattr(opp, name))
    copy.tags = [OpportunityTag(kind=t.kind, value=t.value) for t in opp.tags]
    session.add(copy)
    materialise_occurrences(session, copy, now=now)
    session.flush()
    return copy


def people_to_tell(session: Session, opp: Opportunity) -> int:
    """How many different people hold a place or wait in line on an upcoming date."""
    rows = session.scalars(
        select(Signup.user_id).join(Occurrence)
        .where(Occurrence.opportunity_id == opp.id, Occurrence.cancelled_at.is_(None),
               Signup.status.in_(ACTIVE_SIGNUPS)).distinct()
    ).all()
    return len(rows)


def cancel_opportunity(session: Session, opp: Opportunity, by_user: User | None, *,
                       now: datetime | None = None) -> int:
    """Cancel it with all its dates and sign-ups; queue one email per person told.

    Returns how many people will be told. Safe to call twice (the second call
    does nothing). Emails go out after the caller commits.
    """
    if opp.status == OpportunityStatus.CANCELLED:
        return 0
    now = now or utcnow()
    opp.status = OpportunityStatus.CANCELLED
    opp.cancelled_at = now
    told: set[int] = set()
    for occurrence in opp.occurrences:
        if occurrence.cancelled_at is not None:
            continue
        occurrence.cancelled_at = now
        for signup in occurrence.signups:
            if signup.status in ACTIVE_SIGNUPS:
                if occurrence.ends_at > now:
                    told.add(signup.user_id)
                else:
                    signup.cancellation_sent_at = now  # already over: nothing to tell
                signup.status = SignupStatus.CANCELLED
        occurrence.confirmed_count = 0
    session.flush()
    if told:
        enqueue_after_commit("workers.jobs.send_cancellation_emails", opp.id,
                             session=session)
    return len(told)


# --- occurrences ----------------------------------------------------------------------

def wanted_starts(opp: Opportunity, now: datetime) -> list[datetime]:
    """UTC start times the opportunity should have from ``now`` to the horizon.

    A small act has one window, from publication (or now, for a draft) to the end
    of its do-by day. A one-off has its single start, even if past (a draft copy
    may be in the past until edited).
    """
    if opp.kind == SMALL_ACT:
        return [opp.published_at or now] if opp.do_by else []
    if opp.start_local is None:
        return []
    if opp.kind == ONE_OFF:
        return [recurrence.to_utc(opp.start_local, opp.timezone)]
    return recurrence.expand(opp.rrule, opp.start_local, opp.timezone,
                             after=now, horizon_end=now + recurrence.HORIZON)


def _ends(opp: Opportunity, start: datetime) -> datetime:
    if opp.kind == SMALL_ACT:
        return max(recurrence.end_of_local_day(opp.do_by, opp.timezone),
                   start + timedelta(minutes=1))
    return start + timedelta(minutes=opp.duration_minutes)


def _has_signups(occurrence: Occurrence) -> bool:
    return bool(occurrence.id) and bool(occurrence.signups)


def materialise_occurrences(session: Session, opp: Opportunity, *,
                            now: datetime | None = None) -> None:
    """Make the future occurrences match the opportunity's time rules.

    Past occurrences are history and never touched. A future occurrence the
    rules no longer produce is removed unless someone signed up for it (those are
    kept; the organizer can cancel them from the roster). Safe to run again: the
    nightly top-up calls it to extend recurring shifts past the horizon.
    """
    if opp.status == OpportunityStatus.CANCELLED:
        return
    now = now or utcnow()
    wanted = wanted_starts(opp, now)
    if opp.kind == SMALL_ACT:
        _fit_small_act(opp, wanted, now)
        return
    existing = {o.starts_at: o for o in opp.occurrences if o.cancelled_at is None}
    for start, occurrence in existing.items():
        if start < now and opp.kind != ONE_OFF:
            continue
        if start in wanted:
            occurrence.ends_at = _ends(opp, start)
            occurrence.capacity = max(opp.capacity, _real_places_taken(occurrence))
        elif not _has_signups(occurrence):
            opp.occurrences.remove(occurrence)
    taken = {o.starts_at for o in opp.occurrences}
    for start in wanted:
        if start not in taken:
            opp.occurrences.append(Occurrence(
                starts_at=start, ends_at=_ends(opp, start), capacity=opp.capacity,
                confirmed_count=0))
    opp.occurrences.sort(key=lambda o: o.starts_at)


def _fit_small_act(opp: Opportunity, wanted: list[datetime], now: datetime) -> None:
    """A small act keeps exactly one live window; its sign-ups stay with it."""
    live = [o for o in opp.occurrences if o.cancelled_at is None]
    keep = next((o for o in live if _has_signups(o)), live[0] if live else None)
    for occurrence in live:
        if occurrence is not keep and not _has_signups(occurrence):
            opp.occurrences.remove(occurrence)
    if not wanted:
        return
    if keep is None:
        keep = Occurrence(starts_at=wanted[0], capacity=opp.capacity, confirmed_count=0)
        opp.occurrences.append(keep)
    elif not _has_signups(keep):
        keep.starts_at = wanted[0]
    keep.ends_at = _ends(opp, keep.starts_at)
    keep.capacity = max(opp.capacity, _real_places_taken(keep))


def upcoming_occurrences(opp: Opportunity, *, now: datetime | None = None,
                         limit: int | None = None) -> list[Occurrence]:
    """Occurrences not cancelled and not yet over, soonest first."""
    now = now or utcnow()
    found = [o for o in opp.occurrences if o.cancelled_at is None and o.ends_at > now]
    found.sort(key=lambda o: o.starts_at)
    return found[:limit] if limit else found


def occurrence_signups(session: Session, opp: Opportunity) -> Select:
    """Every sign-up on any of the opportunity's dates (for jobs and tests)."""
    return select(Signup).join(Occurrence).where(Occurrence.opportunity_id == opp.id)


def extend_recurring(session: Session, *, now: datetime | None = None) -> int:
    """The nightly top-up: materialise recurring shifts up to the horizon again.

    Returns how many opportunities were looked at. Idempotent (occurrences are
    unique per start time and only missing ones are added).
    """
    now = now or utcnow()
    opportunities = session.scalars(
        select(Opportunity).where(Opportunity.kind == SHIFTS,
                                  Opportunity.status == OpportunityStatus.PUBLISHED)
    ).all()
    for opp in opportunities:
        materialise_occurrences(session, opp, now=now)
    session.flush()
    return len(opportunities)
