"""The organizer's opportunity form: browser strings in, an OpportunityInput out.

WTForms renders the fields and checks the CSRF token; turning text into
numbers, dates and times is done here by hand so every message is in plain
words ("Please give a whole number, like 10") rather than WTForms' defaults.
The rules themselves live in ``schema.validate``, shared with the API and the
CSV importer; its field names map onto this form's fields in ``FIELD_FOR``.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from matchmaker import vocab
from matchmaker.opportunities.schema import OpportunityInput
from matchmaker.profile.timezones import timezone_choices
from matchmaker.textfilters import multiline as _text
from matchmaker.textfilters import one_line as _one_line

#: schema field -> the form field its message is shown next to.
FIELD_FOR = {"start_local": "start_date", "lat": "lat", "lon": "lon", "status": "title"}

MONTH_WEEKS = [("", "On the same date each month"), ("1", "The first"), ("2", "The second"),
               ("3", "The third"), ("4", "The fourth"), ("-1", "The last")]


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (usable without JavaScript, unlike a multi-select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):  # unknown values are reported by schema.validate
        pass


def _choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs or a {value: label} vocabulary, as WTForms 3.3+ wants them."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(str(value), label) for value, label in items]


class OpportunityForm(FlaskForm):
    title = StringField("Title", filters=[_one_line],
                        description="A few words that say what people will do, for example "
                                    "“Sort food at the pantry”.")
    description = TextAreaField(
        "What will people do?", filters=[_text],
        description="Say what happens, who it helps and what a first visit is like. "
                    "You can use **bold**, *italics*, lists with “- ” and links.")
    kind = RadioField("What kind of opportunity is it?",
                      choices=_choices(vocab.OPPORTUNITY_KINDS), default="one_off",
                      validate_choice=False)
    # -- where --
    is_remote = BooleanField("This can be done from home (no place to go to)")
    place = StringField("Where", filters=[_one_line],
                        description="An address or a place name, for example “Prospect Park "
                                    "Boathouse, Brooklyn”. Shown to everyone, so use a public "
                                    "place, never someone's home.")
    lat = StringField("Latitude (optional, for a map pin)", filters=[_one_line],
                      render_kw={"inputmode": "decimal"},
                      description="If you know the exact point, for example 40.6602.")
    lon = StringField("Longitude (optional, for a map pin)", filters=[_one_line],
                      render_kw={"inputmode": "decimal"},
                      description="For example -73.9690.")
    # -- when (single slot and shifts) --
    start_date = StringField("Date", filters=[_one_line], render_kw={"type": "date"},
                             description="For recurring shifts, the date of the first shift.")
    start_time = StringField("Start time", filters=[_one_line], render_kw={"type": "time"},
                             description="For example 09:30 or 2:00 PM.")
    timezone = SelectField("Time zone", validate_choice=False)
    duration_minutes = StringField(
        "How long does it take, in minutes?", filters=[_one_line], default="120",
        render_kw={"inputmode": "numeric"},
        description="For a slot or shift, its length (120 is two hours). For a small act, "
                    "roughly how many minutes of effort (for example 15).")
    # -- shifts only --
    frequency = RadioField("How often?", choices=_choices(vocab.FREQUENCIES), default="weekly",
                           validate_choice=False)
    interval = StringField("Every how many weeks or months?", filters=[_one_line],
                           default="1", render_kw={"inputmode": "numeric"},
                           description="1 means every week (or month), 2 every other one.")
    weekdays = MultiCheckboxField(
        "On which days?", coerce=str,
        choices=_choices(enumerate(vocab.WEEKDAYS)))
    month_week = SelectField("For monthly shifts: which week of the month?",
                             choices=_choices(MONTH_WEEKS), validate_choice=False,
                             description="For example “The second” with Tuesday ticked above "
                                         "means the 2nd Tuesday of each month.")
    until = StringField("Last date (or give a number of shifts below)", filters=[_one_line],
                        render_kw={"type": "date"})
    count = StringField("Number of shifts", filters=[_one_line],
                        render_kw={"inputmode": "numeric"})
    # -- small acts only --
    do_by = StringField("Do it by", filters=[_one_line], render_kw={"type": "date"},
                        description="The last day people can do it.")
    # -- who --
    capacity = StringField("How many people can take part (each time)?", filters=[_one_line],
                           default="10", render_kw={"inputmode": "numeric"})
    min_age = StringField("Minimum age", filters=[_one_line], default="0",
                          render_kw={"inputmode": "numeric"},
                          description="0 means any age is welcome.")
    social_format = RadioField("How many people do it together?",
                               choices=_choices(vocab.OPPORTUNITY_FORMATS),
                               default="small_group", validate_choice=False)
    first_timer_friendly = BooleanField("First-timers are welcome (someone will show them "
                                        "what to do)", default=True)
    allow_overbooking = BooleanField(
        "Allow a few extra sign-ups when people often don't come",
        description="Only for dates with 10 or more places. We confirm a few more people than "
                    "places, using how reliably the people signed up usually come, so that the "
                    "chance of more people arriving than places stays under 5%. From a day "
                    "before, nobody more is added.")
    causes = MultiCheckboxField("Causes", choices=_choices(vocab.CAUSES))
    skills = MultiCheckboxField("Skills that help (optional)", choices=_choices(vocab.SKILLS))
    access = MultiCheckboxField("Accessibility", choices=_choices(vocab.ACCESS_TAGS))
    demands = MultiCheckboxField("Physical demands", choices=_choices(vocab.DEMAND_TAGS))
    what_to_bring = TextAreaField("What to bring (optional)", filters=[_text],
                                  description="For example “Comfortable shoes and a water "
                                              "bottle”.")
    group_id = SelectField("Part of a group (optional)", validate_choice=False,
                           description="Meetups of one of your groups show on the group's page.")

    def setup(self, default_timezone: str, groups: list) -> OpportunityForm:
        """Fill the choices that depend on the organization and the settings."""
        chosen = self.timezone.data or default_timezone
        self.timezone.choices = _choices(timezone_choices(chosen))
        if not self.timezone.data:
            self.timezone.data = default_timezone
        self.group_id.choices = _choices([("", "Not part of a group")]
                                         + [(g.id, g.name) for g in groups])
        return self

    # --- browser strings -> OpportunityInput -------------------------------------------

    def to_input(self) -> tuple[OpportunityInput, dict[str, str]]:
        """The typed input and any conversion problems (``{form field: message}``)."""
        errors: dict[str, str] = {}
        kind = self.kind.data or "one_off"
        start_local = None
        if kind != "small_act":
            day = _date(self.start_date.data, "start_date", errors, "the date")
            moment = _time(self.start_time.data, "start_time", errors)
            if day and moment:
                start_local = datetime.combine(day, moment)
            elif day and "start_time" not in errors:
                errors["start_time"] = "Please give the time it starts, for example 09:30."
        shifts = kind == "shifts"
        data = OpportunityInput(
            title=self.title.data or "", description=self.description.data or "",
            causes=list(self.causes.data or []), skills=list(self.skills.data or []),
            access=list(self.access.data or []), demands=list(self.demands.data or []),
            kind=kind, is_remote=bool(self.is_remote.data), place=self.place.data or "",
            lat=_float(self.lat.data, "lat", errors), lon=_float(self.lon.data, "lon", errors),
            start_local=start_local,
            frequency=self.frequency.data or "weekly",
            interval=_int(self.interval.data, "interval", errors, default=1) if shifts else 1,
            weekdays=[int(d) for d in (self.weekdays.data or []) if _digits(d)] if shifts
            else [],
            month_week=(int(self.month_week.data) if shifts and self.month_week.data
                        and _digits(self.month_week.data.removeprefix("-")) else None),
            until=_date(self.until.data, "until", errors, "the last date") if shifts else None,
            count=_int(self.count.data, "count", errors) if shifts else None,
            do_by=(_date(self.do_by.data, "do_by", errors, "the last day")
                   if kind == "small_act" else None),
            duration_minutes=_int(self.duration_minutes.data, "duration_minutes", errors),
            capacity=_int(self.capacity.data, "capacity", errors),
            min_age=_int(self.min_age.data, "min_age", errors, default=0),
            social_format=self.social_format.data or "",
            first_timer_friendly=bool(self.first_timer_friendly.data),
            allow_overbooking=bool(self.allow_overbooking.data),
            what_to_bring=self.what_to_bring.data or "",
            group_id=int(self.group_id.data) if _digits(self.group_id.data) else None,
            timezone=self.timezone.data or "",
        )
        return data, errors

    def fill(self, data: OpportunityInput) -> None:
        """Show an existing opportunity in the form (GET of the edit page)."""
        for name in ("title", "description", "kind", "is_remote", "place", "frequency",
                     "social_format", "first_timer_friendly", "what_to_bring", "timezone",
                     "allow_overbooking",
                     "causes", "skills", "access", "demands"):
            getattr(self, name).data = getattr(data, name)
        for name in ("lat", "lon", "interval", "count", "duration_minutes", "capacity",
                     "min_age"):
            value = getattr(data, name)
            getattr(self, name).data = "" if value is None else str(value)
        if data.start_local:
            self.start_date.data = data.start_local.date().isoformat()
            self.start_time.data = data.start_local.strftime("%H:%M")
        self.until.data = data.until.isoformat() if data.until else ""
        self.do_by.data = data.do_by.isoformat() if data.do_by else ""
        self.weekdays.data = [str(d) for d in data.weekdays]
        self.month_week.data = "" if data.month_week is None else str(data.month_week)
        self.group_id.data = "" if data.group_id is None else str(data.group_id)

    def show_errors(self, errors: dict[str, str]) -> None:
        """Put ``{field: message}`` (schema or conversion names) next to the fields."""
        for name, message in errors.items():
            target = getattr(self, FIELD_FOR.get(name, name), None) or self.title
            if message not in target.errors:
                target.errors = [*target.errors, message]


# --- parsing what people type -------------------------------------------------------------

def _digits(raw: str | None) -> bool:
    """A short run of ASCII digits: "²".isdigit() is true too, and int() refuses it."""
    return bool(raw) and raw.isascii() and raw.isdigit() and len(raw) <= 9


def _int(raw: str | None, name: str, errors: dict, default: int | None = None) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return default
    if not re.fullmatch(r"\d{1,6}", raw):
        errors[name] = "Please give a whole number, like 10."
        return None
    return int(raw)


def _float(raw: str | None, name: str, errors: dict) -> float | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value):
        errors[name] = "Please give a number, like 40.6602 (or leave it empty)."
        return None
    return value


def _date(raw: str | None, name: str, errors: dict, what: str) -> date | None:
    """'2025-06-14' (what date inputs send) or '6/14/2025' (typed where they are not)."""
    raw = (raw or "").strip()
    if not raw:
        return None
    for pattern in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    errors[name] = f"Please give {what} like 2025-06-14 (year-month-day)."
    return None


def _time(raw: str | None, name: str, errors: dict) -> time | None:
    raw = (raw or "").strip().upper().replace(".", "")
    if not raw:
        return None
    for pattern in ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M%p", "%I %p", "%I%p"):
        try:
            return datetime.strptime(raw, pattern).time()
        except ValueError:
            continue
    errors[name] = "Please give the time like 09:30 or 2:00 PM."
    return None
