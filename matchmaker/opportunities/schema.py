"""What an organizer can change about an opportunity, and the rules it must follow.

One plain dataclass and one ``validate`` function shared by the HTML form, the
JSON API and the CSV importer, so the three can never disagree about what a
valid opportunity is. ``validate`` returns ``{field: message}`` with messages
written for the person who typed the value; an empty dict means valid.

Callers convert their raw input to the annotated Python types first (the form
and the API turn "12" into 12); ``validate`` still refuses a wrong type with a
message rather than raising, so a sloppy caller gets a 4xx, never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from matchmaker import vocab
from matchmaker.db import utcnow
from matchmaker.profile.timezones import is_valid_timezone

ONE_OFF = "one_off"
SHIFTS = "shifts"
SMALL_ACT = "small_act"
KINDS = (ONE_OFF, SHIFTS, SMALL_ACT)

TITLE_MAX = 140
DESCRIPTION_MAX = 20_000
PLACE_MAX = 200
WHAT_TO_BRING_MAX = 500
CAPACITY_MAX = 10_000
DURATION_MAX = 1440  # minutes: one day
MIN_AGE_MAX = 99
INTERVAL_MAX = 12
COUNT_MAX = 200
#: How far ahead an organizer may plan: far enough for next year's events,
#: near enough to catch a mistyped year.
PLAN_AHEAD = timedelta(days=2 * 366)


@dataclass
class OpportunityInput:
    """Every field an organizer edits. Defaults are what a new form shows."""

    title: str = ""
    #: Markdown; rendered and sanitised on display (matchmaker.opportunities.markdown).
    description: str = ""
    causes: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    #: vocab.ACCESS_TAGS keys ("step-free", "seated").
    access: list[str] = field(default_factory=list)
    #: vocab.DEMAND_TAGS keys ("heavy-lifting", "outdoors").
    demands: list[str] = field(default_factory=list)
    kind: str = ONE_OFF
    is_remote: bool = False
    #: Text to geocode ("Prospect Park, Brooklyn"); with a pin, just the label shown.
    place: str = ""
    #: A map pin. When given, ``place`` is not geocoded.
    lat: float | None = None
    lon: float | None = None
    #: Wall-clock start in ``timezone`` (naive). Not used by small acts.
    start_local: datetime | None = None
    # -- recurring shifts only --
    frequency: str = "weekly"  # vocab.FREQUENCIES
    interval: int = 1
    #: 0 = Monday … 6 = Sunday. Weekly: the days it repeats on (empty: the start's
    #: day). Monthly with ``month_week``: the weekday ("the 2nd Tuesday").
    weekdays: list[int] = field(default_factory=list)
    #: Monthly only: 1-4 for "first".."fourth", -1 for "last"; None repeats on the
    #: start's day of the month (a 31st skips short months, as calendars do).
    month_week: int | None = None
    until: date | None = None
    count: int | None = None
    # -- small acts only --
    do_by: date | None = None
    #: Length of a slot, or for a small act the effort in minutes.
    duration_minutes: int = 120
    capacity: int = 10
    min_age: int = 0
    social_format: str = "small_group"  # vocab.OPPORTUNITY_FORMATS
    first_timer_friendly: bool = True
    #: A few extra confirmations on dates with 10+ places, from people's show-up record.
    allow_overbooking: bool = False
    what_to_bring: str = ""
    group_id: int | None = None
    timezone: str = "America/New_York"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_int(errors: dict, name: str, value: object, low: int, high: int, message: str) -> None:
    if not _is_int(value) or not low <= value <= high:
        errors[name] = message


def _check_tags(errors: dict, name: str, values: object, vocabulary: dict, what: str) -> None:
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        errors[name] = f"Please choose {what} from the list."
        return
    unknown = [v for v in values if v not in vocabulary]
    if unknown:
        errors[name] = f"Please choose {what} from the list (we do not know “{unknown[0]}”)."


def _check_text(errors: dict, name: str, value: object, limit: int, label: str) -> None:
    if not isinstance(value, str):
        errors[name] = f"{label} must be text."
    elif len(value) > limit:
        errors[name] = f"{label} can be at most {limit} characters (it has {len(value)})."


def _check_where(data: OpportunityInput, errors: dict) -> None:
    if not isinstance(data.is_remote, bool):
        errors["is_remote"] = "Please say whether this happens from home."
        return
    _check_text(errors, "place", data.place, PLACE_MAX, "The place")
    if data.is_remote:
        return
    has_lat, has_lon = data.lat is not None, data.lon is not None
    if has_lat != has_lon:
        errors["lat" if not has_lat else "lon"] = (
            "Please give both the latitude and the longitude, or neither.")
        return
    if has_lat:
        if not _is_number(data.lat) or not -90 <= data.lat <= 90:
            errors["lat"] = "The latitude must be a number between -90 and 90."
        if not _is_number(data.lon) or not -180 <= data.lon <= 180:
            errors["lon"] = "The longitude must be a number between -180 and 180."
    elif "place" not in errors and not str(data.place).strip():
        errors["place"] = ("Please say where this happens (an address or a place name), "
                           "put a pin on the map, or tick “From home”.")


def _local_today(tz_name: str, now: datetime | None) -> tuple[datetime, date]:
    """The organizer's 'now' as naive local time, and today's date there."""
    now = now or utcnow()
    local = now.astimezone(ZoneInfo(tz_name)).replace(tzinfo=None)
    return local, local.date()


def _check_start(data: OpportunityInput, errors: dict, local_now: datetime | None) -> None:
    start = data.start_local
    if start is None or not isinstance(start, datetime) or start.tzinfo is not None:
        errors["start_local"] = "Please give the date and time it starts."
    elif local_now is not None and start > local_now + PLAN_AHEAD:
        errors["start_local"] = "That is more than two years away. Please check the year."


def _check_shifts(data: OpportunityInput, errors: dict) -> None:
    if data.frequency not in vocab.FREQUENCIES:
        errors["frequency"] = "Please choose every week or every month."
    _check_int(errors, "interval", data.interval, 1, INTERVAL_MAX,
               f"Please give a whole number from 1 to {INTERVAL_MAX}.")
    if (not isinstance(data.weekdays, list | tuple)
            or not all(_is_int(d) and 0 <= d <= 6 for d in data.weekdays)):
        errors["weekdays"] = "Please tick the days of the week from the list."
    if data.month_week is not None:
        if data.frequency != "monthly":
            errors["month_week"] = "“Which week of the month” only applies to monthly shifts."
        elif data.month_week not in (1, 2, 3, 4, -1):
            errors["month_week"] = "Please choose first, second, third, fourth or last."
        elif "weekdays" not in errors and len(data.weekdays) != 1:
            errors["weekdays"] = "Please tick exactly one day (for example, the 2nd Tuesday)."
    elif data.frequency == "monthly" and data.weekdays:
        errors["weekdays"] = ("For monthly shifts, choose which week of the month as well "
                              "(for example, the 2nd Tuesday), or leave the days empty.")
    if data.until is not None and data.count is not None:
        errors["count"] = "Please give an end date or a number of shifts, not both."
    elif data.until is None and data.count is None:
        errors["until"] = "Please give the last date, or how many shifts there are."
    elif data.until is not None:
        if not isinstance(data.until, date) or isinstance(data.until, datetime):
            errors["until"] = "Please give the last date as a date."
        elif isinstance(data.start_local, datetime) and data.until < data.start_local.date():
            errors["until"] = "The last date is before the first shift."
    else:
        _check_int(errors, "count", data.count, 1, COUNT_MAX,
                   f"Please give a number of shifts from 1 to {COUNT_MAX}.")


def _check_small_act(data: OpportunityInput, errors: dict, today: date | None) -> None:
    if data.do_by is None or not isinstance(data.do_by, date) or isinstance(data.do_by, datetime):
        errors["do_by"] = "Please give the last day people can do it."
    elif today is not None and data.do_by < today:
        errors["do_by"] = "That day has already passed. Please choose today or a later day."
    elif today is not None and data.do_by > today + PLAN_AHEAD:
        errors["do_by"] = "That is more than two years away. Please check the year."


def validate(data: OpportunityInput, *, now: datetime | None = None) -> dict[str, str]:
    """Field -> message for everything wrong with ``data``; empty when it can be saved.

    Does not check the database (whether ``group_id`` belongs to the organization,
    whether ``place`` can be found): the services do that. ``now`` is for tests.
    """
    errors: dict[str, str] = {}
    if not isinstance(data.title, str) or not data.title.strip():
        errors["title"] = "Please give it a short title."
    else:
        _check_text(errors, "title", data.title.strip(), TITLE_MAX, "The title")
    _check_text(errors, "description", data.description, DESCRIPTION_MAX, "The description")
    _check_text(errors, "what_to_bring", data.what_to_bring, WHAT_TO_BRING_MAX,
                "“What to bring”")
    _check_tags(errors, "causes", data.causes, vocab.CAUSES, "causes")
    _check_tags(errors, "skills", data.skills, vocab.SKILLS, "skills")
    _check_tags(errors, "access", data.access, vocab.ACCESS_TAGS, "accessibility")
    _check_tags(errors, "demands", data.demands, vocab.DEMAND_TAGS, "physical demands")
    if data.social_format not in vocab.OPPORTUNITY_FORMATS:
        errors["social_format"] = "Please choose how many people take part."
    _check_int(errors, "capacity", data.capacity, 1, CAPACITY_MAX,
               f"Please give the number of places, from 1 to {CAPACITY_MAX}.")
    _check_int(errors, "min_age", data.min_age, 0, MIN_AGE_MAX,
               f"Please give an age from 0 (any age) to {MIN_AGE_MAX}.")
    _check_int(errors, "duration_minutes", data.duration_minutes, 1, DURATION_MAX,
               "Please give how long it takes in minutes, from 1 to 1440 (a whole day).")
    if not isinstance(data.allow_overbooking, bool):
        errors["allow_overbooking"] = "Please say whether extra places may be confirmed."
    if not isinstance(data.first_timer_friendly, bool):
        errors["first_timer_friendly"] = "Please say whether first-timers are welcome."
    if data.group_id is not None and not _is_int(data.group_id):
        errors["group_id"] = "Please choose a group from the list."
    _check_where(data, errors)

    local_now = today = None
    if not isinstance(data.timezone, str) or not is_valid_timezone(data.timezone):
        errors["timezone"] = "Please choose a time zone from the list."
    else:
        local_now, today = _local_today(data.timezone, now)

    if data.kind not in KINDS:
        errors["kind"] = "Please choose what kind of opportunity this is."
    elif data.kind == SMALL_ACT:
        _check_small_act(data, errors, today)
    else:
        _check_start(data, errors, local_now)
        if data.kind == ONE_OFF and "start_local" not in errors and local_now is not None \
                and data.start_local < local_now:
            errors["start_local"] = "That time has already passed. Please choose a later one."
        if data.kind == SHIFTS:
            _check_shifts(data, errors)
    return errors
