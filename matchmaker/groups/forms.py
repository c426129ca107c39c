"""Group forms. Limits here match the database columns."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from matchmaker.textfilters import multiline as _newlines
from matchmaker.textfilters import one_line as _one_line


class GroupForm(FlaskForm):
    name = StringField(
        "Name of the group",
        description="Short and friendly, for example “Saturday park crew”.",
        filters=[_one_line],
        validators=[DataRequired("Please give the group a name."),
                    Length(min=2, max=120, message="Please use 2 to 120 characters.")],
    )
    description = TextAreaField(
        "What does the group do? (optional)",
        description="Who it suits, how often it meets, what a first time is like. "
                    "Plain text: leave an empty line between paragraphs. "
                    "Up to 5000 characters.",
        filters=[_newlines],
        validators=[Optional(),
                    Length(max=5000, message="Please keep this to 5000 characters or fewer.")],
    )

    def values(self) -> dict:
        return {"name": self.name.data or "", "description": self.description.data or ""}
