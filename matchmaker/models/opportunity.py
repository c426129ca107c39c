"""Opportunities, their concrete occurrences, groups, and sign-ups.

An *opportunity* is what an organization posts ("Saturday pantry shift").
Each concrete time it happens is an *occurrence*, with its own capacity and
roster: a one-off has one, recurring shifts have one per date, and a small act
has one whose window runs from publication to its "do it by" date. Sign-ups
belong to occurrences, so seats are counted per occurrence.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from matchmaker.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from matchmaker.models.organization import Organization
    from matchmaker.models.user import User


class OpportunityKind(enum.StrEnum):
    ONE_OFF = "one_off"        # a single slot
    SHIFTS = "shifts"          # recurring shifts (weekly/monthly rule), each its own roster
    SMALL_ACT = "small_act"    # a few minutes, any time before a "do it by" date


class OpportunityStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class SignupStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    #: The resident passed their spot on / cancelled (never counts against them).
    RELEASED = "released"
    #: The occurrence or opportunity was cancelled by the organizer.
    CANCELLED = "cancelled"


class Group(Base):
    """A recurring group an organization runs ("Saturday park crew")."""

    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("organization_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(140))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organization: Mapped[Organization] = relationship()
    members: Mapped[list[GroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )


class GroupMember(Base):
    __tablename__ = "group_members"
    __table_args__ = (
        UniqueConstraint("group_id", "user_id"),
        Index("ix_group_members_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Group] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class Opportunity(Base):
    __tablename__ = "opportunities"
    __table_args__ = (
        CheckConstraint("capacity >= 1 AND capacity <= 10000", name="capacity_range"),
        CheckConstraint("duration_minutes >= 1 AND duration_minutes <= 1440",
                        name="duration_range"),
        CheckConstraint("min_age >= 0 AND min_age <= 99", name="min_age_range"),
        CheckConstraint("(lat IS NULL) = (lon IS NULL)", name="point_complete"),
        #: Re-importing the same file updates instead of duplicating.
        UniqueConstraint("organization_id", "source_key"),
        Index("ix_opportunities_status_kind", "status", "kind"),
        Index("ix_opportunities_organization_id", "organization_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(140))
    #: Markdown as typed; rendered and sanitised with nh3 on display.
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default=OpportunityKind.ONE_OFF)
    status: Mapped[str] = mapped_column(String(16), default=OpportunityStatus.DRAFT)
    #: Where: a public place (not a person's home), or remote.
    is_remote: Mapped[bool] = mapped_column(default=False)
    place_label: Mapped[str] = mapped_column(String(200), default="")
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    #: IANA zone the organizer thinks in; recurrence rules expand in it.
    timezone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    duration_minutes: Mapped[int] = mapped_column(default=120)
    #: Seats per occurrence (each occurrence may override).
    capacity: Mapped[int] = mapped_column(default=10)
    min_age: Mapped[int] = mapped_column(default=0)
    #: one_on_one | small_group | big_group | solo
    social_format: Mapped[str] = mapped_column(String(16), default="small_group")
    first_timer_friendly: Mapped[bool] = mapped_column(default=True)
    what_to_bring: Mapped[str] = mapped_column(String(500), default="")
    #: The organizer allows a few extra confirmations on occurrences with 10 or
    #: more places, sized from the confirmed people's show-up record (followthrough).
    allow_overbooking: Mapped[bool] = mapped_column(default=False)
    #: When the first (or only) slot starts, as wall-clock time in ``timezone``.
    #: Kept local so a weekly 09:00 shift stays 09:00 across daylight-saving changes.
    start_local: Mapped[datetime | None]
    #: Recurrence for kind=shifts: an RFC 5545 RRULE (e.g. "FREQ=WEEKLY;BYDAY=SA")
    #: expanded in ``timezone`` from ``start_local``; occurrences are materialised
    #: up to a horizon and extended by a nightly job.
    rrule: Mapped[str] = mapped_column(String(200), default="")
    #: Small acts: the last day to do it (in the opportunity's timezone).
    do_by: Mapped[date | None] = mapped_column(Date)
    #: Where an imported row came from ("nyc-open-data:<id>"); empty for hand-made.
    source_key: Mapped[str | None] = mapped_column(String(120))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organization: Mapped[Organization] = relationship()
    group: Mapped[Group | None] = relationship()
    tags: Mapped[list[OpportunityTag]] = relationship(
        cascade="all, delete-orphan", order_by="OpportunityTag.value"
    )
    occurrences: Mapped[list[Occurrence]] = relationship(
        back_populates="opportunity", cascade="all, delete-orphan",
        order_by="Occurrence.starts_at",
    )

    def tag_values(self, kind: str) -> list[str]:
        return [t.value for t in self.tags if t.kind == kind]


class OpportunityTag(Base):
    """cause | skill | access (step-free, seated) | demand (heavy-lifting, outdoors)."""

    __tablename__ = "opportunity_tags"
    __table_args__ = (Index("ix_opportunity_tags_kind_value", "kind", "value"),)

    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(40), primary_key=True)


class ImportRun(Base):
    """One CSV import: its progress while it runs and its row-by-row report after."""

    __tablename__ = "import_runs"
    __table_args__ = (Index("ix_import_runs_organization_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200), default="")
    #: queued | running | done | failed
    status: Mapped[str] = mapped_column(String(16), default="queued")
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    created_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    skipped_count: Mapped[int] = mapped_column(default=0)
    #: [{"line": 12, "reason": "no date"}...] for every row not imported.
    problems: Mapped[list] = mapped_column(JSON, default=list)
    #: The uploaded file, kept until the job has read it.
    payload: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Occurrence(Base):
    """One concrete time of an opportunity, with its own seats and roster."""

    __tablename__ = "occurrences"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("confirmed_count >= 0 "
                        "AND confirmed_count <= capacity + overbook_allowance",
                        name="seats_within_capacity"),
        CheckConstraint("overbook_allowance >= 0", name="overbook_allowance_positive"),
        UniqueConstraint("opportunity_id", "starts_at"),
        Index("ix_occurrences_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE")
    )
    #: For a small act: the window from publication to the end of its do-by day.
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int]
    #: Kept equal to the number of confirmed sign-ups, under the seat lock; lets
    #: browse show "3 places left" without counting rows per card.
    confirmed_count: Mapped[int] = mapped_column(default=0)
    #: Confirmations granted beyond ``capacity`` by reliability-aware overbooking
    #: (the most ever handed out at once; changed only under the seat lock).
    overbook_allowance: Mapped[int] = mapped_column(default=0)
    #: Short code people type (or scan as a QR code) to check themselves in.
    checkin_code: Mapped[str | None] = mapped_column(String(8), unique=True)
    #: When the organizers were asked to mark who came (sent once).
    attendance_ask_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The start's weekday (0 = Monday) and minute after midnight in the
    #: opportunity's timezone. Derived (see ``_derive_local_start``), stored so the
    #: browse filters "Saturday" / "mornings" compare integers instead of
    #: converting every upcoming occurrence to its zone on each page view.
    local_weekday: Mapped[int] = mapped_column(SmallInteger)
    local_minute: Mapped[int] = mapped_column(SmallInteger)

    opportunity: Mapped[Opportunity] = relationship(back_populates="occurrences")
    signups: Mapped[list[Signup]] = relationship(back_populates="occurrence")

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.confirmed_count, 0)


class Signup(Base):
    """A resident on an occurrence's roster: confirmed, or waiting in line.

    One row per (occurrence, resident), reused if they sign up again, so a
    double-clicked button or a replayed request can never create a second row.
    """

    __tablename__ = "signups"
    __table_args__ = (
        UniqueConstraint("occurrence_id", "user_id"),
        Index("ix_signups_user_id", "user_id"),
        Index("ix_signups_occurrence_status", "occurrence_id", "status"),
        CheckConstraint("attendance IS NULL OR attendance IN ('attended', 'no_show')",
                        name="attendance_values"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Waitlist order is first-in-first-out by this time (then id).
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Contact details the resident chose to show the organizer for this sign-up.
    share_email: Mapped[bool] = mapped_column(default=False)
    share_phone: Mapped[str] = mapped_column(String(40), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    #: When each email about this sign-up went out, so a job run twice sends once.
    #: Cleared when a released sign-up is taken up again (a new sign-up, new emails).
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waitlist_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    promotion_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the "the organizer cancelled this" email went out (opportunities part).
    cancellation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Reminders (the day before, a couple of hours before) and the "did you go?"
    #: ask: each claimed (set) before it is sent, so two sweeps never send twice.
    reminder_early_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_late_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attendance_ask_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Did they come? None while unmarked, else "attended" or "no_show". Only a
    #: confirmed sign-up is ever marked; a spot passed on early is never a no-show.
    attendance: Mapped[str | None] = mapped_column(String(16))
    attendance_marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Who marked it: "organizer" (roster), "checkin" (self check-in code) or
    #: "resident" (answered "did you go?").
    attendance_source: Mapped[str] = mapped_column(String(16), default="")
    #: The one email after the event ("thank you" or "we missed you"): claimed
    #: (set) before sending by followthrough.after, cleared if the send fails.
    followup_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Which one went: "thank_you" | "missed_you" (empty until sent).
    followup_kind: Mapped[str] = mapped_column(String(16), default="")

    occurrence: Mapped[Occurrence] = relationship(back_populates="signups")
    user: Mapped[User] = relationship()


def local_start(starts_at: datetime, timezone: str) -> tuple[int, int]:
    """(weekday, minute after midnight) of ``starts_at`` in ``timezone``."""
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):  # validated on input; never fail a flush over it
        zone = ZoneInfo("UTC")
    local = starts_at.astimezone(zone)
    return local.weekday(), local.hour * 60 + local.minute


@event.listens_for(Session, "before_flush")
def _derive_local_start(session: Session, _context, _instances) -> None:
    """Keep ``Occurrence.local_weekday/local_minute`` equal to their source.

    One listener instead of a rule every writer must remember: it covers new
    occurrences, moved ones, and an opportunity whose timezone changed.
    """
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Occurrence):
            state = inspect(obj)
            if (obj.local_weekday is None or obj.local_minute is None
                    or state.attrs.starts_at.history.has_changes()):
                opp = obj.opportunity
                if opp is None and obj.opportunity_id is not None:
                    opp = session.get(Opportunity, obj.opportunity_id)
                if opp is not None and obj.starts_at is not None:
                    # A new opportunity gets its default zone only at INSERT, after this.
                    zone = opp.timezone or Opportunity.timezone.default.arg
                    obj.local_weekday, obj.local_minute = local_start(obj.starts_at, zone)
        elif (isinstance(obj, Opportunity) and obj in session.dirty
              and inspect(obj).attrs.timezone.history.has_changes()):
            for occ in obj.occurrences:
                occ.local_weekday, occ.local_minute = local_start(occ.starts_at, obj.timezone)
