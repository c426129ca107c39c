"""The one form here: the password, typed again, before an account is deleted."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        "Your password",
        description="We ask again so that nobody else can delete your account "
                    "from a phone or computer you left signed in.",
        validators=[DataRequired("Please type your password."),
                    Length(max=200, message="That is longer than any password here.")],
    )
