"""Input clean-up shared by every form: what typed text may contain.

Control characters are dropped everywhere (PostgreSQL refuses NUL in text, and
none belongs in a title or a message); one-line fields collapse any pasted line
breaks, which also keeps them from ever forging an email header.
"""

from __future__ import annotations

import re

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def one_line(value):
    """Trim and collapse runs of spaces (and any pasted line breaks) into one space."""
    return " ".join(CONTROL_CHARS.sub("", value).split()) if isinstance(value, str) else value


def stripped(value):
    return CONTROL_CHARS.sub("", value).strip() if isinstance(value, str) else value


def multiline(value):
    """Unix newlines, no control characters, trimmed."""
    if not isinstance(value, str):
        return value
    return CONTROL_CHARS.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
