"""The upload form: one file field. What is inside the file is checked by the service."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class UploadForm(FlaskForm):
    file = FileField(
        "Your CSV file",
        description="An export of NYC Service volunteer opportunities, saved as “CSV UTF-8”, "
                    "5 MB at most.",
        validators=[FileRequired("Please choose the CSV file to import.")],
        render_kw={"accept": ".csv,text/csv"},
    )
