"""Small, pure helpers that turn messy spreadsheet cells into clean values.

Open-data exports carry HTML fragments, entities, stray spaces, dates in a
handful of spellings and coordinates as text. Each helper either returns a clean
value or ``None`` (or raises :class:`CellError` with a reason fit for the import
report), so a row parser can say precisely why a row cannot be imported.
"""

from __future__ import annotations

import ast
import html
import math
import re
from datetime import date, datetime

_TAG = re.compile(r"<[^>]{0,500}>")
_BREAK_TAG = re.compile(r"<\s*/?\s*(br|p|div|li)\b[^>]{0,100}>", re.IGNORECASE)
from matchmaker.textfilters import CONTROL_CHARS as _CONTROL

_SPACES = re.compile(r"[ \t\u00a0]+")

#: Date spellings seen in exports, tried in order. "February 24 2011" is NYC's.
DATE_FORMATS = (
    "%B %d %Y", "%b %d %Y", "%Y-%m-%d", "%m/%d/%Y", "%d %B %Y", "%d %b %Y",
)


class CellError(ValueError):
    """A cell that cannot be read; the message says which and why, in plain words."""


def clean_text(value: str | None, *, multiline: bool = False) -> str:
    """Plain text from a cell that may hold HTML tags, entities or control characters.

    Entities are decoded twice at most ("&amp;amp;" happens in exports), tags are
    dropped (line-break tags become new lines when ``multiline``), and runs of
    spaces collapse. The result is what a person should read, not markup.
    """
    if not value:
        return ""
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    for _ in range(2):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    text = _BREAK_TAG.sub("\n", text) if multiline else text
    text = _TAG.sub(" ", text)
    text = _CONTROL.sub("", text)
    if not multiline:
        return " ".join(text.split())
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    # Keep paragraph breaks (one blank line), drop longer runs of blank lines.
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a word boundary, with an ellipsis if cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–") + "…"


def parse_date(value: str | None) -> date | None:
    """A date from the usual export spellings; ``None`` for an empty cell.

    Raises :class:`CellError` for text that is not a date in any known spelling.
    """
    text = " ".join((value or "").replace(",", " ").split())
    if not text:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellError(f"“{truncate(text, 40)}” is not a date we can read")


def parse_int(value: str | None) -> int | None:
    """A whole number ("12", " 12 ", "12.0"); ``None`` when empty or not a number."""
    text = (value or "").strip().replace(",", "")
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number) or number != int(number):
        return None
    return int(number)


def valid_point(lat: object, lon: object) -> tuple[float, float] | None:
    """(lat, lon) as floats when both are finite and on the globe, else ``None``.

    (0, 0) is refused too: it is what a failed geocoder writes, not a real place.
    """
    try:
        lat_f, lon_f = float(lat), float(lon)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat_f) and math.isfinite(lon_f)):
        return None
    if not (-90 <= lat_f <= 90 and -180 <= lon_f <= 180) or (lat_f == 0 and lon_f == 0):
        return None
    return lat_f, lon_f


def literal_dict(value: str | None) -> dict:
    """A Python-literal dict from text like ``{'latitude': '40.7', ...}``; ``{}`` if it is not one.

    ``ast.literal_eval`` evaluates literals only (no names, calls or attributes),
    so a hostile cell cannot run code; the length cap keeps it cheap.
    """
    text = (value or "").strip()
    if not text.startswith("{") or len(text) > 5000:
        return {}
    try:
        parsed = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return {}
    return parsed if isinstance(parsed, dict) else {}
