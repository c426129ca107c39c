"""The profile form: HTTP text in, plain values out (``ProfileForm.to_input``).

Fields parse and give messages in plain words; the rules (ranges, vocabularies,
windows, places) live in services.py and availability.py, so a seed script or a
job that writes a profile obeys the same ones.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace

from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, SelectChoice, StringField
from wtforms.fields import RadioField, SelectField, SelectMultipleField
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, ListWidget, NumberInput, TimeInput

from matchmaker import vocab
from matchmaker.models import Profile
from matchmaker.profile import services
from matchmaker.profile.availability import (
    DAY_MINUTES,
    MAX_WINDOWS,
    Window,
    WindowError,
    check_minute,
    check_window,
    clock,
)
from matchmaker.profile.timezones import timezone_choices

#: Empty rows offered below the saved free times (no JavaScript needed to add one).
BLANK_ROWS = 7
CHOOSE_FROM_LIST = "Please choose only from the list shown."
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::00)?$")


def _options(pairs) -> list[SelectChoice]:
    """(value, label) pairs or a {value: label} vocabulary, as WTForms 3.3+ wants them."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(str(value), label) for value, label in items]


class NumberField(StringField):
    """A number typed by a person: "1.5" or "1,5"; one clear message for any mistake.

    ``data`` is a Decimal (an int when ``whole``), or None when left empty.
    """

    widget = NumberInput()

    def __init__(self, label=None, validators=None, *, minimum: int, maximum: int,
                 message: str, whole: bool = False, step: str = "any", **kwargs):
        kwargs["render_kw"] = {"min": minimum, "max": maximum, "step": step,
                               "inputmode": "numeric" if whole else "decimal",
                               **kwargs.get("render_kw", {})}
        super().__init__(label, validators, **kwargs)
        self.minimum, self.maximum, self.whole, self.message = minimum, maximum, whole, message

    def process_formdata(self, valuelist):
        self.data = None
        raw = valuelist[0].strip().replace(",", ".") if valuelist else ""
        if not raw:
            return
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise ValueError(self.message) from None
        if (not value.is_finite() or not self.minimum <= value <= self.maximum
                or (self.whole and value != value.to_integral_value())):
            raise ValueError(self.message)
        self.data = int(value) if self.whole else value

    def pre_validate(self, form):
        if self.data is None and not self.process_errors:
            raise StopValidation(self.message)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{float(self.data):g}"


class TimeOfDayField(StringField):
    """"09:30" <-> 570 minutes from midnight, on the 15-minute grid; empty is None."""

    widget = TimeInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"step": 900})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        raw = valuelist[0].strip() if valuelist else ""
        if not raw:
            return
        match = _TIME.match(raw)
        minute = int(match[1]) * 60 + int(match[2]) if match and int(match[2]) < 60 else -1
        try:
            self.data = check_minute(minute)
        except WindowError as exc:
            raise ValueError(str(exc)) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else clock(self.data % DAY_MINUTES)


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WindowForm(Form):
    """One row of the weekly free-time table; a row left empty is skipped."""

    weekday = SelectField(
        "Day", choices=_options([("", "Choose a day"), *enumerate(vocab.WEEKDAYS)]),
        invalid_choice_message="Please choose a day from the list.")
    start = TimeOfDayField("From")
    end = TimeOfDayField("Until")
    window: Window | None = None

    @property
    def is_blank(self) -> bool:
        return not any(f.raw_data and f.raw_data[0].strip() for f in (self.weekday, self.start,
                                                                       self.end))

    def validate(self, extra_validators=None) -> bool:
        self.window = None
        if not super().validate(extra_validators):
            return False
        if self.is_blank:
            return True
        missing = [(f, message) for f, message in (
            (self.weekday, "Please choose a day, or clear this row."),
            (self.start, "Please enter a start time, like 09:00."),
            (self.end, "Please enter an end time, like 12:00."),
        ) if f.data in (None, "")]
        for f, message in missing:
            f.errors.append(message)
        if missing:
            return False
        try:
            self.window = check_window(int(self.weekday.data), self.start.data, self.end.data)
        except WindowError as exc:
            self.end.errors.append(str(exc))
            return False
        return True


class ProfileForm(FlaskForm):
    causes = CheckboxesField("Causes you care about", choices=_options(vocab.CAUSES),
                             invalid_choice_message=CHOOSE_FROM_LIST)
    skills = CheckboxesField("Things you are good at or enjoy", choices=_options(vocab.SKILLS),
                             invalid_choice_message=CHOOSE_FROM_LIST)
    timezone = SelectField(
        "Your time zone", description="The times you give below are in this time zone.",
        invalid_choice_message="Please choose your time zone from the list.")
    windows = FieldList(FormField(WindowForm), max_entries=MAX_WINDOWS + BLANK_ROWS)
    home = StringField(
        "Your ZIP code or town",
        description="Like 11215 or Park Slope. We never ask for your street address, and we "
                    "keep only a rough spot about 1 km across.",
        render_kw={"maxlength": services.MAX_HOME_LENGTH, "autocomplete": "postal-code"})
    travel_radius_km = NumberField(
        "How far would you go, in kilometres?", minimum=0, maximum=services.MAX_RADIUS_KM,
        description="Measured from your area. 0 means only right where you are.",
        message=f"Please enter a distance from 0 to {services.MAX_RADIUS_KM} km, like 5.")
    remote_ok = BooleanField(
        "Things I can do from home are fine, like phone calls or writing cards")
    weekly_hours = NumberField(
        "Hours a week", minimum=0, maximum=services.MAX_WEEKLY_HOURS, step="0.25",
        description="How much time a week would you like to give? We will never suggest more. "
                    "Half hours are fine, like 1.5.",
        message=f"Please enter from 0 to {services.MAX_WEEKLY_HOURS} hours, like 2 or 1.5.")
    max_commitments_per_week = NumberField(
        "Most things in one week", minimum=0, maximum=services.MAX_COMMITMENTS, whole=True,
        step="1",
        description="The most separate things you would like to do in a week. "
                    "0 means you are taking a break.",
        message=f"Please enter a whole number from 0 to {services.MAX_COMMITMENTS}, like 2.")
    social_format = RadioField("How do you like to help?", choices=_options(vocab.SOCIAL_FORMATS),
                               invalid_choice_message="Please choose one of these.")
    access_needs = CheckboxesField("Anything that would make it easier for you?",
                                   choices=_options(vocab.ACCESS_NEEDS),
                                   invalid_choice_message=CHOOSE_FROM_LIST)
    is_adult = BooleanField("I am 18 or older",
                            description="Some things are only open to adults.")

    def __init__(self, *args, default_timezone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = _options(timezone_choices(default_timezone))
        self.availability_errors: list[str] = []

    @property
    def errors(self):
        errors = super().errors
        if self.availability_errors:
            errors["windows"] = self.availability_errors
        return errors

    def add_blank_rows(self, count: int = BLANK_ROWS) -> None:
        for _ in range(min(count, self.windows.max_entries - len(self.windows))):
            self.windows.append_entry()

    def add_service_errors(self, errors: dict[str, str]) -> None:
        """Show a ProfileError's messages next to the fields they are about."""
        for name, message in errors.items():
            if name == "windows":
                self.availability_errors.append(message)
            else:
                self[name].errors = [*self[name].errors, message]

    def to_input(self) -> services.ProfileInput:
        """Plain values for ``services.save_profile`` (call after ``validate``)."""
        return services.ProfileInput(
            timezone=self.timezone.data,
            home=self.home.data or "",
            travel_radius_km=float(self.travel_radius_km.data),
            remote_ok=self.remote_ok.data,
            weekly_minutes=round(self.weekly_hours.data * 60),
            max_commitments_per_week=self.max_commitments_per_week.data,
            social_format=self.social_format.data,
            is_adult=self.is_adult.data,
            causes=sorted(set(self.causes.data or ())),
            skills=sorted(set(self.skills.data or ())),
            access_needs=sorted(set(self.access_needs.data or ())),
            windows=[row.form.window for row in self.windows if row.form.window],
        )


def initial_data(profile: Profile | None, default_timezone: str) -> dict:
    """What the form shows before anything is posted: the saved profile, or kind defaults."""
    if profile is None:
        return {"timezone": default_timezone, "travel_radius_km": 5, "remote_ok": True,
                "weekly_hours": 2, "max_commitments_per_week": 2, "social_format": "any",
                "windows": []}
    return {
        "causes": profile.causes, "skills": profile.skills, "access_needs": profile.access_needs,
        "timezone": profile.timezone, "home": profile.home_label,
        "travel_radius_km": profile.travel_radius_km, "remote_ok": profile.remote_ok,
        "weekly_hours": profile.weekly_minutes / 60,
        "max_commitments_per_week": profile.max_commitments_per_week,
        "social_format": profile.social_format, "is_adult": profile.is_adult,
        # FormField reads attributes, not keys.
        "windows": [SimpleNamespace(weekday=w.weekday, start=w.start_minute, end=w.end_minute)
                    for w in profile.availability],
    }
