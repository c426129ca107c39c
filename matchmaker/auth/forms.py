"""Account forms. Limits here match the database columns."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

PASSWORD_HELP = "At least 10 characters. A few unrelated words make a strong password."  # nosec B105 - help text shown under the field, not a password


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class EmailMixin:
    email = EmailField(
        "Email address",
        filters=[_strip],
        validators=[
            DataRequired("Please enter your email address."),
            Length(max=254, message="That email address is too long."),
            Email("Please enter an email address like name@example.com.",
                  check_deliverability=False),
        ],
    )


def _new_password_field(label: str = "Password") -> PasswordField:
    return PasswordField(
        label,
        description=PASSWORD_HELP,
        validators=[
            DataRequired("Please choose a password."),
            Length(min=10, max=200, message="Your password needs 10 to 200 characters."),
        ],
    )


def _confirm_field(other: str) -> PasswordField:
    return PasswordField(
        "Type the password again",
        validators=[DataRequired("Please type the password again."),
                    EqualTo(other, "The two passwords are not the same.")],
    )


class RegisterForm(EmailMixin, FlaskForm):
    display_name = StringField(
        "Your first name or a nickname",
        description="Organizers and other volunteers see this name.",
        filters=[_strip],
        validators=[DataRequired("Please tell us what to call you."),
                    Length(max=80, message="Please use 80 characters or fewer.")],
    )
    password = _new_password_field()
    confirm = _confirm_field("password")

    def validate_password(self, field):
        if self.email.data and field.data and field.data.lower() == self.email.data.lower():
            raise ValidationError("Please choose a password that is not your email address.")


class LoginForm(EmailMixin, FlaskForm):
    password = PasswordField("Password", validators=[DataRequired("Please enter your password."),
                                                     Length(max=200)])
    next = HiddenField()


class ForgotPasswordForm(EmailMixin, FlaskForm):
    pass


class ResetPasswordForm(FlaskForm):
    password = _new_password_field("New password")
    confirm = _confirm_field("password")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired("Please enter your current password."),
                                        Length(max=200)])
    password = _new_password_field("New password")
    confirm = _confirm_field("password")


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change state."""


def require_button_press() -> None:
    """400 unless a state-changing POST carries a valid CSRF token (buttons with no fields)."""
    from flask import abort

    if not EmptyForm().validate_on_submit():
        abort(400)
