"""What goes into one person's digest this week: plain values, ready to render.

The digest's week is the seven days from its send time: a Sunday-evening email
is about the week ahead. Compose reads the database (through
:mod:`matchmaker.digests.sources` for other features' data) and returns frozen
dataclasses of strings and numbers, so templates stay dumb and a snapshot of
the text part is stable.

"Never turn help into a stressor": suggestions only fit the time left in the
person's weekly budget after their commitments, and none are made once they
have as many commitments as they allowed themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import Session, aliased, contains_eager

from matchmaker.db import utcnow
from matchmaker.digests import sources
from matchmaker.digests.schedule import zone as zone_named
from matchmaker.models import (
    Group,
    GroupMember,
    Membership,
    Occurrence,
    Opportunity,
    OpportunityKind,
    OpportunityStatus,
    Organization,
    Signup,
    SignupStatus,
    User,
)
from matchmaker.signups.services import format_span, is_small_act
from matchmaker.tokens import make_token

WEEK = timedelta(days=7)
MAX_MATCHES = 5
#: How many open small acts a batch chooses from (one is shown to each person).
SMALL_ACT_POOL = 20
UNSUBSCRIBE_PURPOSE = "digest-unsubscribe"


# --- links ---------------------------------------------------------------------------------------

class Links:
    """Absolute links built from BASE_URL, with one URL adapter for many digests."""

    def __init__(self) -> None:
        from urllib.parse import urlsplit

        base = urlsplit(current_app.config["BASE_URL"])
        self._adapter = current_app.url_map.bind(
            base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
        self._tokens: dict[int, str] = {}
        self._last_unsubscribe: tuple[int | None, str] = (None, "")
        #: Built URLs by (endpoint, sorted values): a batch links the same few
        #: pages and opportunities thousands of times.
        self._built: dict[tuple, str] = {}
        self._detail = "opportunities.detail" in current_app.view_functions
        #: occurrence id -> (title, organization, when, link, minutes), see :func:`_item`.
        self.items: dict[int, tuple] = {}

    def url(self, endpoint: str, **values) -> str:
        key = (endpoint, *sorted(values.items()))
        if key not in self._built:
            self._built[key] = self._adapter.build(endpoint, values, force_external=True)
        return self._built[key]

    def opportunity(self, occ: Occurrence) -> str:
        if self._detail:
            return self.url("opportunities.detail", id=occ.opportunity_id)
        return self.url("signups.occurrence", id=occ.id)

    def unsubscribe(self, user_id: int) -> str:
        # Not through the cache of url(): every token is different, and this is
        # asked twice per person (the footer link and the List-Unsubscribe header).
        if self._last_unsubscribe[0] != user_id:
            self._last_unsubscribe = (user_id, self._adapter.build(
                "digests.unsubscribe", {"token": self.token(user_id)}, force_external=True))
        return self._last_unsubscribe[1]

    def token(self, user_id: int) -> str:
        """The person's unsubscribe token, signed once per batch (the link and the
        List-Unsubscribe header carry the same one)."""
        if user_id not in self._tokens:
            self._tokens[user_id] = unsubscribe_token(user_id)
        return self._tokens[user_id]


def unsubscribe_token(user_id: int) -> str:
    """Signed, single-purpose, long-lived: old emails' links must keep working."""
    return make_token(UNSUBSCRIBE_PURPOSE, {"u": user_id})


# --- the resident digest ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    """One line of the digest: an opportunity at a time, with a link."""

    title: str
    organization: str
    when: str
    link: str
    minutes: int = 0
    reasons: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class ResidentDigest:
    user_id: int
    email: str
    name: str
    period: str
    week_label: str
    budget_minutes: int
    remaining_minutes: int
    #: True when the person already has as many commitments as they allowed.
    at_cap: bool
    matches: tuple[Item, ...]
    commitments: tuple[Item, ...]
    meetups: tuple[Item, ...]
    streak: int
    small_act: Item | None
    links: dict[str, str] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        """Nothing to suggest, no commitments, no meetups: no email this week.

        The streak and the small act alone are not worth an email.
        """
        return not (self.matches or self.commitments or self.meetups)


def _zone_of(user: User) -> ZoneInfo:
    name = user.profile.timezone if user.profile else ""
    return zone_named(name or current_app.config.get("DEFAULT_TIMEZONE") or "UTC")


def week_label(start: datetime, zone: ZoneInfo) -> str:
    first = start.astimezone(zone)
    last = (start + WEEK - timedelta(seconds=1)).astimezone(zone)
    return f"from {first:%A} {first.day} {first:%B} to {last:%A} {last.day} {last:%B}"


@lru_cache(maxsize=256)
def _week_label(start: datetime, zone: ZoneInfo) -> str:
    return week_label(start, zone)


def _minutes(occ: Occurrence) -> int:
    if is_small_act(occ):
        return occ.opportunity.duration_minutes
    return int((occ.ends_at - occ.starts_at).total_seconds() // 60)


def _item(occ: Occurrence, links: Links, *, reasons=(), note: str = "") -> Item:
    # The same occurrences come up for many people of a batch: describe each once.
    base = links.items.get(occ.id)
    if base is None:
        opp = occ.opportunity
        base = links.items[occ.id] = (opp.title, opp.organization.name, format_span(occ),
                                      links.opportunity(occ), _minutes(occ))
    title, organization, when, link, minutes = base
    return Item(title=title, organization=organization, when=when, link=link, minutes=minutes,
                reasons=tuple(str(r) for r in reasons), note=note)


class SmallActs:
    """Open small acts, loaded once per batch; each person gets one they have not taken."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.rows: list[Occurrence] = list(session.scalars(
            select(Occurrence).join(Occurrence.opportunity)
            .options(contains_eager(Occurrence.opportunity))
            .where(Opportunity.kind == OpportunityKind.SMALL_ACT,
                   Opportunity.status == OpportunityStatus.PUBLISHED,
                   Opportunity.cancelled_at.is_(None), Occurrence.cancelled_at.is_(None),
                   Occurrence.starts_at <= now, Occurrence.ends_at > now + timedelta(days=1))
            .order_by(Opportunity.published_at.desc(), Occurrence.id)
            .limit(SMALL_ACT_POOL)).unique())

    def pick(self, user_id: int, taken: set[int], max_minutes: int) -> Occurrence | None:
        fitting = [o for o in self.rows
                   if o.id not in taken and o.opportunity.duration_minutes <= max_minutes]
        if not fitting:
            return None
        # Rotate by person so a whole town is not sent to the same one act.
        return fitting[user_id % len(fitting)]


@dataclass
class Prefetch:
    """What a batch of digests needs, loaded in a few queries for all of its people."""

    commitments: dict[int, list[Signup]]
    meetups: dict[int, list[tuple[Occurrence, str]]]
    #: People with at least one completed act (only they can have a streak).
    with_acts: set[int]
    #: Everyone's valid stored suggestions, best first (sources.suggestions_for).
    matches: dict[int, list[sources.Suggestion]]


def prefetch(session: Session, user_ids: list[int], now: datetime) -> Prefetch:
    ids = sorted(set(user_ids))
    horizon = now + WEEK
    commitments: dict[int, list[Signup]] = {uid: [] for uid in ids}
    meetups: dict[int, list[tuple[Occurrence, str]]] = {uid: [] for uid in ids}
    if not ids:
        return Prefetch(commitments, meetups, set(), {})
    for signup in session.scalars(
            select(Signup).join(Signup.occurrence).join(Occurrence.opportunity)
            .options(contains_eager(Signup.occurrence).contains_eager(Occurrence.opportunity))
            .where(Signup.user_id.in_(ids),
                   Signup.status.in_((SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)),
                   Occurrence.cancelled_at.is_(None), Occurrence.ends_at > now,
                   Occurrence.starts_at < horizon,
                   Opportunity.status == OpportunityStatus.PUBLISHED)
            .order_by(Occurrence.starts_at, Signup.id)).unique():
        commitments[signup.user_id].append(signup)
    # The next meetup of each of the person's groups within the week.
    rows = session.execute(
        select(GroupMember.user_id, Occurrence, Group.name).join(Occurrence.opportunity)
        .join(Group, Group.id == Opportunity.group_id)
        .join(GroupMember, GroupMember.group_id == Group.id)
        .options(contains_eager(Occurrence.opportunity))
        .where(GroupMember.user_id.in_(ids), Group.archived_at.is_(None),
               Opportunity.status == OpportunityStatus.PUBLISHED,
               Opportunity.cancelled_at.is_(None), Occurrence.cancelled_at.is_(None),
               Occurrence.starts_at > now, Occurrence.starts_at < horizon)
        .order_by(Occurrence.starts_at, Occurrence.id)).unique().all()
    seen: set[tuple[int, str]] = set()
    for user_id, occ, group_name in rows:
        if (user_id, group_name) not in seen:
            seen.add((user_id, group_name))
            meetups[user_id].append((occ, group_name))
    return Prefetch(commitments, meetups, sources.people_with_acts(session, ids),
                    sources.suggestions_for(session, ids, now))


def compose_resident(session: Session, user: User, period: str, *, now: datetime | None = None,
                     links: Links | None = None, small_acts: SmallActs | None = None,
                     batch: Prefetch | None = None) -> ResidentDigest:
    now = now or utcnow()
    links = links or Links()
    small_acts = small_acts or SmallActs(session, now)
    batch = batch or prefetch(session, [user.id], now)
    profile = user.profile
    zone = _zone_of(user)
    budget = profile.weekly_minutes if profile else 120
    cap = profile.max_commitments_per_week if profile else 2

    commitments = []
    used = 0
    confirmed = 0
    taken: set[int] = set()
    for s in batch.commitments.get(user.id, []):
        taken.add(s.occurrence_id)
        waiting = s.status == SignupStatus.WAITLISTED
        if not waiting:
            used += _minutes(s.occurrence)
            confirmed += 1
        commitments.append(_item(s.occurrence, links,
                                 note="on the waiting list" if waiting else ""))
    remaining = max(budget - used, 0)
    at_cap = confirmed >= cap

    matches: list[Item] = []
    if remaining > 0 and not at_cap:
        views = [s for s in batch.matches.get(user.id, []) if s.minutes <= remaining]
        for view in views[:MAX_MATCHES]:
            occ = view.occurrence
            taken.add(occ.id)
            matches.append(_item(occ, links, reasons=view.reasons,
                                 note="full now: you can join the waiting list"
                                 if view.waitlist else ""))

    meetups = [_item(occ, links, note=group_name + (" (you are going)" if occ.id in taken
                                                     else ""))
               for occ, group_name in batch.meetups.get(user.id, [])]
    act = small_acts.pick(user.id, taken, remaining) if remaining > 0 else None
    may_have_streak = user.id in batch.with_acts
    return ResidentDigest(
        user_id=user.id, email=user.email, name=user.display_name, period=period,
        week_label=_week_label(now, zone), budget_minutes=budget, remaining_minutes=remaining,
        at_cap=at_cap, matches=tuple(matches), commitments=tuple(commitments),
        meetups=tuple(meetups),
        streak=sources.streak_weeks(session, user.id, zone, now) if may_have_streak else 0,
        small_act=_item(act, links) if act is not None else None,
        links=_resident_links(links, user.id),
    )


def _resident_links(links: Links, user_id: int) -> dict[str, str]:
    return {
        "settings": links.url("digests.settings"),
        "profile": links.url("profile.edit"),
        "browse": links.url("browse.index"),
        "web": links.url("digests.this_week"),
        "commitments": links.url("signups.commitments"),
        "unsubscribe": links.unsubscribe(user_id),
    }


# --- the organizer digest ---------------------------------------------------------------------------

@dataclass(frozen=True)
class RosterLine:
    title: str
    when: str
    confirmed: int
    capacity: int
    waiting: int
    link: str

    @property
    def short_by(self) -> int:
        return max(self.capacity - self.confirmed, 0)


@dataclass(frozen=True)
class OrgSection:
    name: str
    rosters: tuple[RosterLine, ...]
    attended: int
    no_show: int
    returning: int
    new_members: tuple[tuple[str, str], ...]  # (person, group)

    @property
    def show_up_rate(self) -> float | None:
        """attended / (attended + no-show) over last week's marked confirmed sign-ups."""
        marked = self.attended + self.no_show
        return self.attended / marked if marked else None

    @property
    def short(self) -> tuple[RosterLine, ...]:
        return tuple(r for r in self.rosters if r.short_by)

    @property
    def is_empty(self) -> bool:
        return not (self.rosters or self.attended or self.no_show or self.new_members)


@dataclass(frozen=True)
class OrganizerDigest:
    user_id: int
    email: str
    name: str
    period: str
    week_label: str
    organizations: tuple[OrgSection, ...]
    links: dict[str, str] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return all(o.is_empty for o in self.organizations)


def compose_organizer(session: Session, user: User, period: str, *, now: datetime | None = None,
                      links: Links | None = None) -> OrganizerDigest:
    now = now or utcnow()
    links = links or Links()
    orgs = session.scalars(
        select(Organization).join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user.id).order_by(Organization.name)).all()
    sections = tuple(_org_section(session, org, now, links) for org in orgs)
    return OrganizerDigest(
        user_id=user.id, email=user.email, name=user.display_name, period=period,
        week_label=week_label(now, _zone_of(user)), organizations=sections,
        links={"settings": links.url("digests.settings"), "mine": links.url("orgs.mine"),
               "unsubscribe": links.unsubscribe(user.id)},
    )


def _org_section(session: Session, org: Organization, now: datetime, links: Links) -> OrgSection:
    week_ago, horizon = now - WEEK, now + WEEK
    waiting = (select(func.count()).where(Signup.occurrence_id == Occurrence.id,
                                          Signup.status == SignupStatus.WAITLISTED)
               .correlate(Occurrence).scalar_subquery())
    rows = session.execute(
        select(Occurrence, waiting).join(Occurrence.opportunity)
        .options(contains_eager(Occurrence.opportunity))
        .where(Opportunity.organization_id == org.id,
               Opportunity.kind != OpportunityKind.SMALL_ACT,
               Opportunity.status == OpportunityStatus.PUBLISHED,
               Occurrence.cancelled_at.is_(None),
               Occurrence.starts_at >= now, Occurrence.starts_at < horizon)
        .order_by(Occurrence.starts_at, Occurrence.id)).unique().all()
    rosters = tuple(
        RosterLine(title=occ.opportunity.title, when=format_span(occ),
                   confirmed=occ.confirmed_count, capacity=occ.capacity, waiting=int(n or 0),
                   link=links.url("rosters.roster", slug=org.slug, occurrence_id=occ.id))
        for occ, n in rows)

    last_week = and_(Opportunity.organization_id == org.id,
                     Occurrence.starts_at >= week_ago, Occurrence.starts_at < now,
                     Signup.status == SignupStatus.CONFIRMED)
    counts = dict(session.execute(
        select(Signup.attendance, func.count()).join(Signup.occurrence)
        .join(Occurrence.opportunity)
        .where(last_week, Signup.attendance.in_(("attended", "no_show")))
        .group_by(Signup.attendance)).all())
    # Returning: came last week and had come to this organization before.
    before, before_occ, before_opp = aliased(Signup), aliased(Occurrence), aliased(Opportunity)
    earlier = (select(before.id)
               .join(before_occ, before_occ.id == before.occurrence_id)
               .join(before_opp, before_opp.id == before_occ.opportunity_id)
               .where(before.user_id == Signup.user_id, before_opp.organization_id == org.id,
                      before.status == SignupStatus.CONFIRMED, before.attendance == "attended",
                      before_occ.starts_at < week_ago)
               .exists())
    returning = session.scalar(
        select(func.count(distinct(Signup.user_id))).join(Signup.occurrence)
        .join(Occurrence.opportunity)
        .where(last_week, Signup.attendance == "attended", earlier)) or 0
    members = session.execute(
        select(User.display_name, Group.name).join(GroupMember, GroupMember.user_id == User.id)
        .join(Group, Group.id == GroupMember.group_id)
        .where(Group.organization_id == org.id, Group.archived_at.is_(None),
               GroupMember.joined_at >= week_ago, GroupMember.joined_at < now)
        .order_by(Group.name, GroupMember.joined_at, User.id)).all()
    return OrgSection(name=org.name, rosters=rosters, attended=counts.get("attended", 0),
                      no_show=counts.get("no_show", 0), returning=int(returning),
                      new_members=tuple((p, g) for p, g in members))
