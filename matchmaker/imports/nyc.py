"""NYC Service volunteer opportunities (NYC Open Data, 2011) -> OpportunityInput.

Pure: one CSV row (a dict) in, a :class:`ParsedRow` or a :class:`RowProblem`
out, no database and no network. Rows with coordinates get a map pin; rows
with only a ZIP code carry it as ``place_query`` and the import service
geocodes it (through ``matchmaker.geo``) before saving.

How the columns map, and why
============================

=====================  ==================================================================
``opportunity_id``     the import key ``nyc:<id>``: re-importing updates, never duplicates.
                       A row without one is skipped (it could not be matched next time).
``title``              HTML and entities removed; cut at a word to 140 characters.
``summary``            the description, cleaned the same way, followed by a line naming
                       the organization that posted it on NYC Service.
``category_desc``      a cause, by :data:`CATEGORY_CAUSES`; blank categories are fine.
                       Words in the title and summary add causes and skills
                       (:data:`KEYWORD_CAUSES`, :data:`KEYWORD_SKILLS`).
``vol_requests``       the number of places. 99, 999 and 9999 mean "as many as come"
                       in this data set and become :data:`MANY` (50); blank or 0
                       becomes 10; more than 10,000 is capped.
``locality``           ``{'longitude': ..., 'latitude': ..., 'human_address': '{json}'}``
                       read with ``ast.literal_eval`` (literals only). Then the
                       ``Latitude``/``Longitude`` columns. NaN, out-of-range or (0, 0)
                       points are ignored, and the ZIP code (``Postcode``, or the zip in
                       ``human_address``; four digits get back the leading zero a
                       spreadsheet dropped) is geocoded instead. No point and no usable
                       ZIP code: skipped, "no place: ..." with what was there.
``recurrence_type``    ``onetime``: a single slot on ``start_date_date``. ``ongoing``
                       (a flexible role with no schedule, open from the start to the
                       end date): also a single slot on its first day, with the open
                       window written into the description, because inventing a weekly
                       schedule the organization never gave would mislead people.
``start_date_date``    "February 24 2011" (other common spellings are read too). The
                       file gives no time of day, so slots start at 10:00 New York time.
``hours``              the length of the slot when 1-24; otherwise two hours.
=====================  ==================================================================

Dates in the past (the whole file is from 2011) are kept as they are: every
import creates drafts (see ``services.create_opportunity``), and a draft whose
date has passed cannot be published until the organizer gives it a new date.
So history is imported faithfully and nothing stale is ever advertised.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

from matchmaker.imports.cleaning import (
    CellError,
    clean_text,
    literal_dict,
    parse_date,
    parse_int,
    truncate,
    valid_point,
)
from matchmaker.opportunities.schema import (
    CAPACITY_MAX,
    DESCRIPTION_MAX,
    DURATION_MAX,
    ONE_OFF,
    PLACE_MAX,
    TITLE_MAX,
    OpportunityInput,
)

SOURCE = "nyc"
TIMEZONE = "America/New_York"
#: Columns a file must have to be read as an NYC Service export.
REQUIRED_COLUMNS = (
    "opportunity_id", "title", "summary", "vol_requests", "category_desc", "org_title",
    "locality", "Postcode", "recurrence_type", "start_date_date", "end_date_date",
)
#: vol_requests values that mean "many" in this data set, and the places they become.
MANY_SENTINELS = frozenset({99, 999, 9999})
MANY = 50
DEFAULT_CAPACITY = 10
DEFAULT_DURATION = 120
#: No time of day in the file: a late-morning start is the least surprising guess.
DEFAULT_START = time(10, 0)

#: NYC Service categories -> vocab.CAUSES keys.
CATEGORY_CAUSES: dict[str, str] = {
    "strengthening communities": "neighbourhood",
    "helping neighbors in need": "neighbourhood",
    "education": "education-literacy",
    "health": "health",
    "environment": "environment",
    "emergency preparedness": "disaster-readiness",
}

#: Words in the title or summary that clearly name a cause (whole words, any case).
KEYWORD_CAUSES: dict[str, str] = {
    r"senior|seniors|elderly|older adults?|aging": "older-people",
    r"food|meals?|pantry|pantries|soup kitchen|hunger": "food-security",
    r"children|child|kids|youth|teens?|students?|school": "children-youth",
    r"animals?|dogs?|cats?|pets?": "animals",
    r"homeless|homelessness|shelters?": "homelessness",
    r"immigrants?|refugees?|esl|newcomers": "refugees-newcomers",
    r"literacy|tutors?|tutoring|reading": "education-literacy",
    r"parks?|gardens?|gardening|trees?|compost|clean[- ]?up": "environment",
    r"arts?|artists?|music|theat(?:er|re)|museum": "arts-culture",
    r"veterans?": "veterans",
    r"lgbt\w*": "lgbtq",
}

#: Words that clearly name a skill wanted (vocab.SKILLS keys).
KEYWORD_SKILLS: dict[str, str] = {
    r"writ(?:er|ers|ing)|copywriting|grant": "writing",
    r"translators?|interpreters?|translation|spanish|french|chinese": "languages",
    r"web|website|computers?|database|technology|tech support": "computers",
    r"photograph\w*": "photography",
    r"teach\w*|tutor\w*|mentor\w*|instructors?": "teaching",
    r"drivers?|driving": "driving",
    r"garden\w*": "gardening",
    r"cook\w*|chefs?": "cooking",
    r"clerical|office|admin\w*|data entry|receptionist": "admin",
    r"event planning|event planner|coordinators?": "organising",
}


@dataclass
class ParsedRow:
    """A row that can be imported: its key, its fields, and what still needs geocoding."""

    source_key: str
    data: OpportunityInput
    #: A ZIP code to geocode when the row had no usable point (``data.lat`` is None).
    place_query: str = ""
    #: What was adjusted on the way in ("99 places means many: 50"), for the curious.
    notes: list[str] = field(default_factory=list)


@dataclass
class RowProblem:
    """A row that cannot be imported, and why (shown next to its line number)."""

    reason: str


def missing_columns(header: list[str]) -> list[str]:
    """The required columns a header lacks (compared without case or spaces)."""
    have = {h.strip().lower() for h in header}
    return [c for c in REQUIRED_COLUMNS if c.lower() not in have]


def normalise_row(row: dict[str, str | None]) -> dict[str, str]:
    """Keys without case or surrounding spaces; missing cells (short lines) as ""."""
    return {(k or "").strip().lower(): (v or "") for k, v in row.items() if isinstance(v, str | None)}


def _tags(text: str, table: dict[str, str]) -> list[str]:
    return [key for pattern, key in table.items()
            if re.search(rf"\b(?:{pattern})\b", text, re.IGNORECASE)]


def _causes(category: str, text: str) -> list[str]:
    found = [CATEGORY_CAUSES[category]] if category in CATEGORY_CAUSES else []
    for cause in _tags(text, KEYWORD_CAUSES):
        if cause not in found:
            found.append(cause)
    return found


def _capacity(raw: str, notes: list[str]) -> int:
    number = parse_int(raw)
    if number in MANY_SENTINELS:
        notes.append(f"{number} places means “as many as come”: set to {MANY}")
        return MANY
    if number is None or number < 1:
        notes.append(f"no number of places given: set to {DEFAULT_CAPACITY}")
        return DEFAULT_CAPACITY
    if number > CAPACITY_MAX:
        notes.append(f"{number} places is more than we allow: set to {CAPACITY_MAX}")
        return CAPACITY_MAX
    return number


def _duration(raw: str) -> int:
    hours = parse_int(raw)
    if hours is not None and 1 <= hours * 60 <= DURATION_MAX:
        return hours * 60
    return DEFAULT_DURATION


def _where(row: dict[str, str]) -> tuple[tuple[float, float] | None, str, str, str]:
    """(point or None, label to show, ZIP code to geocode, the ZIP cell as written)."""
    locality = literal_dict(row.get("locality"))
    point = valid_point(locality.get("latitude"), locality.get("longitude")) if locality else None
    if point is None:
        point = valid_point(row.get("latitude"), row.get("longitude")) \
            if row.get("latitude") and row.get("longitude") else None
    address: dict = {}
    raw_address = locality.get("human_address")
    if isinstance(raw_address, str):
        try:
            parsed = json.loads(raw_address)
        except ValueError:
            parsed = {}
        address = parsed if isinstance(parsed, dict) else {}
    raw_zip = (row.get("postcode") or "").strip() or str(address.get("zip") or "").strip()
    zip_code = us_zip(raw_zip)
    street = clean_text(str(address.get("address") or ""))
    if not street:
        return point, "", zip_code, raw_zip  # the geocoder's label is better than "NY 10001"
    city = clean_text(str(address.get("city") or ""))
    state = clean_text(str(address.get("state") or row.get("region") or ""))
    tail = " ".join(p for p in (state, zip_code) if p)
    label = ", ".join(p for p in (street, city, tail) if p)
    return point, truncate(label, PLACE_MAX), zip_code, raw_zip


def us_zip(raw: str) -> str:
    """The 5-digit ZIP code in ``raw`` ("10001", "10001-6008"), or "".

    Four digits get their leading zero back: spreadsheets drop it ("2114" is
    Boston's 02114), a well-known way ZIP codes get damaged.
    """
    raw = raw.strip()
    if re.fullmatch(r"\d{4}", raw):
        return "0" + raw
    return raw[:5] if re.fullmatch(r"\d{5}(-\d{4})?", raw) else ""


def _describe(row: dict[str, str], ongoing_until: date | None, start: date) -> str:
    parts = [clean_text(row.get("summary"), multiline=True)]
    if ongoing_until is not None and ongoing_until > start:
        parts.append(f"Ongoing: any time from {start:%-d %B %Y} to {ongoing_until:%-d %B %Y}. "
                     "Please agree the days and times with the organization.")
    org = clean_text(row.get("org_title"))
    if org:
        parts.append(f"Originally posted on NYC Service by {org}.")
    return truncate("\n\n".join(p for p in parts if p), DESCRIPTION_MAX)


def parse_row(raw: dict[str, str | None]) -> ParsedRow | RowProblem:
    """One CSV row -> what to import, or the reason it cannot be (in plain words)."""
    row = normalise_row(raw)
    source_id = clean_text(row.get("opportunity_id"))
    if not source_id:
        return RowProblem("no opportunity_id, so a later re-import could not find it again")
    if len(source_id) > 100:
        return RowProblem("the opportunity_id is longer than 100 characters")
    title = truncate(clean_text(row.get("title")), TITLE_MAX)
    if not title:
        return RowProblem("no title")

    recurrence = clean_text(row.get("recurrence_type")).lower()
    if recurrence not in {"onetime", "ongoing", ""}:
        return RowProblem(f"recurrence_type “{truncate(recurrence, 30)}” is neither "
                          "“onetime” nor “ongoing”")
    try:
        start = parse_date(row.get("start_date_date"))
        end = parse_date(row.get("end_date_date"))
    except CellError as exc:
        return RowProblem(f"unreadable date: {exc}")
    if start is None:
        return RowProblem("no start date (start_date_date is empty)")

    point, label, zip_code, raw_zip = _where(row)
    if point is None and not zip_code:
        if raw_zip:
            return RowProblem(f"no place: “{truncate(raw_zip, 20)}” is not a 5-digit ZIP code, "
                              "and there are no usable coordinates")
        return RowProblem("no place: no usable coordinates and no ZIP code")

    notes: list[str] = []
    capacity = _capacity(row.get("vol_requests", ""), notes)
    text = f"{title} {row.get('summary', '')}"
    category = clean_text(row.get("category_desc")).lower()
    if category and category not in CATEGORY_CAUSES:
        notes.append(f"unknown category “{category}”: no cause from it")
    data = OpportunityInput(
        title=title,
        description=_describe(row, end if recurrence == "ongoing" else None, start),
        causes=_causes(category, text),
        skills=_tags(text, KEYWORD_SKILLS),
        kind=ONE_OFF,
        place=label,
        lat=point[0] if point else None,
        lon=point[1] if point else None,
        start_local=datetime.combine(start, DEFAULT_START),
        duration_minutes=_duration(row.get("hours", "")),
        capacity=capacity,
        social_format="one_on_one" if capacity == 1 else
                      ("big_group" if capacity >= 30 else "small_group"),
        timezone=TIMEZONE,
    )
    return ParsedRow(source_key=f"{SOURCE}:{source_id}", data=data,
                     place_query="" if point else zip_code, notes=notes)
