"""Organization forms. Limits here match the database columns."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from matchmaker.orgs.services import looks_like_street_address, normalize_website
from matchmaker.textfilters import multiline as _newlines
from matchmaker.textfilters import one_line as _one_line
from matchmaker.textfilters import stripped as _strip


class OrganizationForm(FlaskForm):
    name = StringField(
        "Name of the organization",
        description="As people nearby know it, for example “Park Slope Food Pantry”.",
        filters=[_one_line],
        validators=[DataRequired("Please give the organization's name."),
                    Length(min=2, max=120, message="Please use 2 to 120 characters.")],
    )
    summary = StringField(
        "In one or two sentences, what do you do?",
        description="Shown in lists and at the top of your page. Up to 280 characters.",
        filters=[_one_line],
        validators=[DataRequired("Please write a sentence or two about what you do."),
                    Length(max=280, message="Please keep the summary to 280 characters or "
                                            "fewer; there is room for more below.")],
    )
    description = TextAreaField(
        "More about you (optional)",
        description="Who you help, how volunteers fit in, what a first visit is like. "
                    "Plain text: leave an empty line between paragraphs. "
                    "Up to 5000 characters.",
        filters=[_newlines],
        validators=[Optional(),
                    Length(max=5000, message="Please keep this to 5000 characters or fewer.")],
    )
    area = StringField(
        "Town or neighbourhood",
        description="Where you are active, for example “Park Slope, Brooklyn”. "
                    "Not a street address: this is shown to everyone.",
        filters=[_one_line],
        validators=[DataRequired("Please say which town or neighbourhood you are in."),
                    Length(max=120, message="Please use 120 characters or fewer.")],
    )
    website = StringField(
        "Website (optional)",
        description="For example https://example.org",
        filters=[_strip],
        validators=[Optional(), Length(max=300, message="That web address is too long "
                                                        "(300 characters at most).")],
    )
    contact_email = EmailField(
        "Contact email for matchmaker",
        description="Not shown on your public page. We use it to reach the organizers, "
                    "for example to verify the organization.",
        filters=[_strip],
        validators=[DataRequired("Please give an email address we can reach you at."),
                    Length(max=254, message="That email address is too long."),
                    Email("Please enter an email address like name@example.org.",
                          check_deliverability=False)],
    )
    #: Shown on the edit page only; a new organization starts with it on.
    buddy_enabled = BooleanField(
        "Introduce first-timers to a regular",
        default=True,
        description="A few days before a date, someone coming for the first time is "
                    "introduced by email to a regular who is also going (first names only, "
                    "and only when both have said yes to this).",
    )

    #: Shown on the edit page only: when the two reminders go out before each date.
    reminder_early_hours = IntegerField(
        "First reminder: how many hours before the start?",
        default=24, validators=[NumberRange(0, 168, "Please give a number of hours from 0 to "
                                                    "168 (a week); 0 sends no first reminder.")],
        description="24 means the day before. 0 switches this reminder off.",
    )
    reminder_late_minutes = IntegerField(
        "Second reminder: how many minutes before the start?",
        default=120, validators=[NumberRange(0, 720, "Please give a number of minutes from 0 to "
                                                     "720 (12 hours); 0 sends no second "
                                                     "reminder.")],
        description="120 means about 2 hours before. 0 switches this reminder off.",
    )

    def validate_area(self, field):
        if field.data and looks_like_street_address(field.data):
            raise ValidationError("Please give just the town or neighbourhood, not a street "
                                  "address: this is shown to everyone.")

    def validate_website(self, field):
        if not field.data:
            return
        try:
            field.data = normalize_website(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if len(field.data) > 300:
            raise ValidationError("That web address is too long (300 characters at most).")

    def values(self) -> dict:
        """The plain values the service functions take."""
        return {name: getattr(self, name).data or "" for name in
                ("name", "summary", "description", "area", "website", "contact_email")}

    def follow_through(self) -> dict:
        """The edit page's follow-through settings (``services.update_follow_through``)."""
        return {"buddy_enabled": bool(self.buddy_enabled.data),
                "reminder_early_hours": self.reminder_early_hours.data,
                "reminder_late_minutes": self.reminder_late_minutes.data}


class InviteForm(FlaskForm):
    email = EmailField(
        "Their email address",
        description="We email them a link. It works once, for 7 days, and only for "
                    "someone signed in with this address.",
        filters=[_strip],
        validators=[DataRequired("Please enter the email address to invite."),
                    Length(max=254, message="That email address is too long."),
                    Email("Please enter an email address like name@example.org.",
                          check_deliverability=False)],
    )
