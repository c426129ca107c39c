"""Sign-up forms. The share-contact fields are optional; everything else is a button."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length, Optional, Regexp


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SignupForm(FlaskForm):
    share_email = BooleanField("Show my email address to the organizer")
    share_phone = StringField(
        "Phone number to show the organizer (optional)",
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=40, message="That phone number is too long (40 characters at most)."),
            Regexp(r"^[0-9+()\-. ]{6,40}$",
                   message="Please write the phone number with digits only, "
                           "for example 718 555 0123."),
        ],
    )
