"""Time zones a resident can pick: IANA names people recognise, checked with zoneinfo."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# Regions whose zones are places people live in; the rest of the tz database is
# aliases and technical names ("US/Eastern", "Etc/GMT+5", "posixrules").
_REGIONS = ("Africa/", "America/", "Asia/", "Atlantic/", "Australia/", "Europe/",
            "Indian/", "Pacific/")


def is_valid_timezone(name: str) -> bool:
    """True if zoneinfo knows ``name`` (any IANA name, not only the listed ones)."""
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@lru_cache(maxsize=1)
def _listed() -> tuple[str, ...]:
    return tuple(sorted(n for n in available_timezones() if n.startswith(_REGIONS)))


def timezone_choices(default: str) -> list[tuple[str, str]]:
    """(value, label) pairs for a select: "America/New_York" reads "America / New York".

    ``default`` is always offered, even if it is outside the usual regions ("UTC").
    """
    names = _listed()
    if default and default not in names and is_valid_timezone(default):
        names = (default, *names)
    return [(n, n.replace("/", " / ").replace("_", " ")) for n in names]
