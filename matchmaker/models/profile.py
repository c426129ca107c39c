"""A resident's profile: the matcher's inputs.

Shapes chosen for matching later: availability is a set of weekly windows in the
resident's own timezone (minutes from local midnight), the home is a coarse grid
point (never an address), and tags (causes, skills, access needs) are rows so
they can be indexed and joined.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from matchmaker.models.user import User


class Profile(Base):
    __tablename__ = "profiles"
    __table_args__ = (
        CheckConstraint("travel_radius_km >= 0 AND travel_radius_km <= 200", name="radius_range"),
        CheckConstraint("weekly_minutes >= 0 AND weekly_minutes <= 6000", name="budget_range"),
        CheckConstraint("max_commitments_per_week >= 0", name="cap_nonnegative"),
        CheckConstraint("digest_frequency IN ('weekly', 'fortnightly', 'off')",
                        name="digest_frequency_values"),
        CheckConstraint("digest_weekday >= 0 AND digest_weekday <= 6 "
                        "AND digest_hour >= 0 AND digest_hour <= 23", name="digest_time_range"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    #: IANA name, e.g. "America/New_York"; availability windows are in this zone.
    timezone: Mapped[str] = mapped_column(String(64))
    #: What the resident typed, normalised by the geocoder ("11215" -> "Brooklyn, NY 11215").
    home_label: Mapped[str] = mapped_column(String(160), default="")
    #: Snapped to a ~1 km grid (see matchmaker.geo.coarsen); an exact point is never stored.
    home_lat: Mapped[float | None]
    home_lon: Mapped[float | None]
    travel_radius_km: Mapped[float] = mapped_column(default=5.0)
    remote_ok: Mapped[bool] = mapped_column(default=True)
    #: Weekly time budget, in minutes, that matching and digests never push past.
    weekly_minutes: Mapped[int] = mapped_column(default=120)
    max_commitments_per_week: Mapped[int] = mapped_column(default=2)
    #: one_on_one | small_group | big_group | solo_remote | any
    social_format: Mapped[str] = mapped_column(String(16), default="any")
    is_adult: Mapped[bool] = mapped_column(default=False)
    # --- what we may email them about (the "Emails" settings page) ---------------
    #: Opt-in: an email when a new opportunity suits them very well (capped per week).
    notify_strong_matches: Mapped[bool] = mapped_column(default=False)
    #: Opt-in: be introduced to a first-timer / a regular going to the same event.
    buddy_opt_in: Mapped[bool] = mapped_column(default=False)
    #: weekly | fortnightly | off
    digest_frequency: Mapped[str] = mapped_column(String(16), default="weekly")
    #: Local send time of the digest: weekday 0 (Monday) .. 6 (Sunday), hour 0..23.
    digest_weekday: Mapped[int] = mapped_column(default=6)
    digest_hour: Mapped[int] = mapped_column(default=17)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(back_populates="profile")
    tags: Mapped[list[ProfileTag]] = relationship(
        cascade="all, delete-orphan", order_by="ProfileTag.value"
    )
    availability: Mapped[list[AvailabilityWindow]] = relationship(
        cascade="all, delete-orphan",
        order_by="(AvailabilityWindow.weekday, AvailabilityWindow.start_minute)",
    )

    def tag_values(self, kind: str) -> list[str]:
        return [t.value for t in self.tags if t.kind == kind]

    @property
    def causes(self) -> list[str]:
        return self.tag_values("cause")

    @property
    def skills(self) -> list[str]:
        return self.tag_values("skill")

    @property
    def access_needs(self) -> list[str]:
        return self.tag_values("access")


class ProfileTag(Base):
    """One cause, skill or access need of a resident (values from matchmaker.vocab)."""

    __tablename__ = "profile_tags"
    __table_args__ = (Index("ix_profile_tags_kind_value", "kind", "value"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.user_id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # cause | skill | access
    value: Mapped[str] = mapped_column(String(40), primary_key=True)


class AvailabilityWindow(Base):
    """A weekly free slot, in the resident's timezone: weekday 0 (Monday) .. 6."""

    __tablename__ = "availability_windows"
    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        CheckConstraint(
            "start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute",
            name="minute_range",
        ),
        Index("ix_availability_windows_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("profiles.user_id", ondelete="CASCADE"))
    weekday: Mapped[int]
    start_minute: Mapped[int]
    end_minute: Mapped[int]
