"""The "email everyone signed up" form. Limits here match the database columns."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from matchmaker.rosters.services import AUDIENCES
from matchmaker.textfilters import multiline as _newlines
from matchmaker.textfilters import one_line as _one_line


class RosterMessageForm(FlaskForm):
    subject = StringField(
        "Subject",
        description="A short line people see in their inbox. Up to 120 characters.",
        filters=[_one_line],  # also removes line breaks, which could forge mail headers
        validators=[DataRequired("Please write a subject."),
                    Length(max=120, message="Please keep the subject to 120 characters or "
                                            "fewer.")],
    )
    body = TextAreaField(
        "Your message",
        description="Plain text. Leave an empty line between paragraphs. "
                    "Up to 5000 characters.",
        filters=[_newlines],
        validators=[DataRequired("Please write your message."),
                    Length(max=5000, message="Please keep the message to 5000 characters "
                                             "or fewer.")],
    )
    audience = RadioField(
        "Who should get it?",
        choices=list(AUDIENCES.items()),
        default="confirmed",
        validators=[DataRequired("Please choose who should get the message.")],
    )
    allow_replies = BooleanField(
        "Let people reply to me",
        description="Their replies go to your email address, which they will then see. "
                    "If you leave this unticked, your address stays private.",
    )
    #: Set when the form is first shown; the same form sent twice sends one message.
    key = HiddenField()
