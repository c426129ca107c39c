"""The "Emails" settings form: what we may email a resident about, and when."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice
from wtforms.fields import RadioField, SelectField

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
FREQUENCIES = [
    ("weekly", "Every week"),
    ("fortnightly", "Every two weeks"),
    ("off", "Never — no weekly email"),
]


def _options(pairs) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in pairs]


def hour_label(hour: int) -> str:
    if hour == 0:
        return "midnight (00:00)"
    if hour == 12:
        return "noon (12:00)"
    return f"{hour % 12} {'am' if hour < 12 else 'pm'} ({hour:02d}:00)"


class EmailSettingsForm(FlaskForm):
    digest_frequency = RadioField("How often would you like your weekly email?",
                                  choices=_options(FREQUENCIES), default="weekly")
    digest_weekday = SelectField("On which day?", coerce=int,
                                 choices=_options(enumerate(WEEKDAYS)), default=6)
    digest_hour = SelectField("At what time?", coerce=int,
                              choices=_options((h, hour_label(h)) for h in range(24)), default=17,
                              description="In your own time zone (set on your profile page).")
    notify_strong_matches = BooleanField(
        "Email me when a new opportunity suits me very well",
        description="At most a couple of times a week, only for very good matches.")
    buddy_opt_in = BooleanField(
        "Introduce me to a buddy",
        description="When you go somewhere for the first time, or often go somewhere, "
                    "we may introduce you by email to someone else going, so nobody "
                    "arrives alone.")

    def validate_on_submit(self, extra_validators=None) -> bool:
        ok = super().validate_on_submit(extra_validators)
        for name in ("digest_frequency", "digest_weekday", "digest_hour"):
            field = getattr(self, name)
            if field.errors:
                # wtforms' own message ("Not a valid choice") is jargon.
                field.errors[:] = ["Please choose one of the options shown."]
        return ok
