"""Profile rules: check every answer first, then write the profile in one go.

``save_profile`` collects every problem into one :class:`ProfileError` before it
touches a profile row, so a bad answer never leaves half a profile behind. The
only row it may add before failing is a geocoder cache entry, which is true
whatever the rest of the form says (the view keeps it; see views.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from matchmaker import vocab
from matchmaker.geo import UnknownPlace, coarsen, geocode_place
from matchmaker.geo.text import normalise_query
from matchmaker.models import AvailabilityWindow, Profile, ProfileTag
from matchmaker.profile.availability import Window, WindowError, check_window, merge_windows
from matchmaker.profile.timezones import is_valid_timezone
from matchmaker.tasks import enqueue_after_commit

# Limits the form, the service and the database constraints agree on.
MAX_RADIUS_KM = 200
MAX_WEEKLY_HOURS = 100
MAX_COMMITMENTS = 14
MAX_HOME_LENGTH = 120

#: (form field, tag kind, vocabulary) for the three kinds of tag a profile has.
TAG_KINDS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("causes", "cause", vocab.CAUSES),
    ("skills", "skill", vocab.SKILLS),
    ("access_needs", "access", vocab.ACCESS_NEEDS),
)


class ProfileError(Exception):
    """Answers that cannot be saved: ``errors`` maps a form field name to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class ProfileInput:
    """Everything the profile form asks, as plain values."""

    timezone: str
    home: str = ""
    travel_radius_km: float = 5.0
    remote_ok: bool = True
    weekly_minutes: int = 120
    max_commitments_per_week: int = 2
    social_format: str = "any"
    is_adult: bool = False
    causes: Collection[str] = ()
    skills: Collection[str] = ()
    access_needs: Collection[str] = ()
    windows: Collection[Window] = ()


@dataclass
class SaveResult:
    profile: Profile
    #: Weekdays where overlapping free times were joined into one.
    joined_days: list[int] = field(default_factory=list)


def get_profile(session: Session, user_id: int) -> Profile | None:
    return session.get(Profile, user_id)


def _check_numbers(data: ProfileInput, errors: dict[str, str]) -> None:
    if not 0 <= data.travel_radius_km <= MAX_RADIUS_KM:
        errors["travel_radius_km"] = f"Please enter a distance from 0 to {MAX_RADIUS_KM} km."
    if not 0 <= data.weekly_minutes <= MAX_WEEKLY_HOURS * 60:
        errors["weekly_hours"] = f"Please enter from 0 to {MAX_WEEKLY_HOURS} hours."
    if not 0 <= data.max_commitments_per_week <= MAX_COMMITMENTS:
        errors["max_commitments_per_week"] = f"Please enter a number from 0 to {MAX_COMMITMENTS}."


def _check_choices(data: ProfileInput, errors: dict[str, str]) -> None:
    for name, _kind, vocabulary in TAG_KINDS:
        if any(value not in vocabulary for value in getattr(data, name)):
            errors[name] = "Please choose only from the list shown."
    if data.social_format not in vocab.SOCIAL_FORMATS:
        errors["social_format"] = "Please choose one of the options shown."
    if not is_valid_timezone(data.timezone):
        errors["timezone"] = "Please choose your time zone from the list."


def _check_windows(windows: Collection[Window], errors: dict[str, str]):
    try:
        checked = [check_window(w.weekday, w.start_minute, w.end_minute) for w in windows]
        return merge_windows(checked)
    except WindowError as exc:
        errors["windows"] = str(exc)
        return [], []


def _resolve_home(session: Session, profile: Profile | None, data: ProfileInput,
                  errors: dict[str, str]):
    """(label, lat, lon) to store for the home field: coarse, or unchanged if the text is."""
    text = " ".join(data.home.split())
    if len(text) > MAX_HOME_LENGTH:
        errors["home"] = f"Please use {MAX_HOME_LENGTH} characters or fewer."
        return None
    if not text:
        if not data.remote_ok:
            errors["home"] = ("Please enter your ZIP code or town, or tick “Things I can do "
                              "from home are fine” so we can suggest something.")
        return "", None, None
    if (profile is not None and profile.home_lat is not None
            and normalise_query(text) == normalise_query(profile.home_label)):
        return profile.home_label, profile.home_lat, profile.home_lon
    try:
        place = geocode_place(session, text)
    except UnknownPlace as exc:
        errors["home"] = str(exc)
        return None
    lat, lon = coarsen(place.latitude, place.longitude)
    return place.label[:160], lat, lon


def save_profile(session: Session, user_id: int, data: ProfileInput) -> SaveResult:
    """Create or update ``user_id``'s profile from ``data``; flushes, never commits.

    Raises ProfileError (every problem at once) before changing any profile row.
    """
    errors: dict[str, str] = {}
    _check_numbers(data, errors)
    _check_choices(data, errors)
    windows, joined_days = _check_windows(data.windows, errors)
    profile = get_profile(session, user_id)
    home = _resolve_home(session, profile, data, errors)
    if errors or home is None:
        raise ProfileError(errors)

    if profile is None:
        profile = Profile(user_id=user_id)
        session.add(profile)
    profile.timezone = data.timezone
    profile.home_label, profile.home_lat, profile.home_lon = home
    profile.travel_radius_km = float(data.travel_radius_km)
    profile.remote_ok = data.remote_ok
    profile.weekly_minutes = data.weekly_minutes
    profile.max_commitments_per_week = data.max_commitments_per_week
    profile.social_format = data.social_format
    profile.is_adult = data.is_adult
    _replace_tags(profile, {(kind, value) for name, kind, _ in TAG_KINDS
                            for value in getattr(data, name)})
    _replace_windows(profile, windows)
    session.flush()
    # New choices, new suggestions (after the commit, by id).
    enqueue_after_commit("workers.matching_jobs.rematch_resident", user_id, session=session)
    return SaveResult(profile, joined_days)


def _replace_tags(profile: Profile, wanted: set[tuple[str, str]]) -> None:
    # Keep rows that stay, so an unchanged tag is not deleted and inserted again.
    keep = [t for t in profile.tags if (t.kind, t.value) in wanted]
    have = {(t.kind, t.value) for t in keep}
    profile.tags = keep + [ProfileTag(kind=k, value=v) for k, v in sorted(wanted - have)]


def _replace_windows(profile: Profile, windows: list[Window]) -> None:
    current = [Window(w.weekday, w.start_minute, w.end_minute) for w in profile.availability]
    if current != windows:
        profile.availability = [AvailabilityWindow(weekday=w.weekday, start_minute=w.start_minute,
                                                   end_minute=w.end_minute) for w in windows]
