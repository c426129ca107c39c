"""The calendar event for one sign-up, shared by the .ics download, the feed and emails."""

from __future__ import annotations

from flask import current_app

from matchmaker.models import Signup
from matchmaker.signups import services
from matchmaker.signups.ics import CalendarEvent
from matchmaker.signups.links import opportunity_link


def signup_event(signup: Signup) -> CalendarEvent:
    occ = signup.occurrence
    opp = occ.opportunity
    link = opportunity_link(occ)
    location = "Remote — from wherever you are" if opp.is_remote else opp.place_label
    lines = [f"With {opp.organization.name}."]
    if opp.what_to_bring:
        lines.append(f"What to bring: {opp.what_to_bring}")
    if signup.status != "confirmed":
        lines.append("You are on the waiting list; we will email you if a place opens up.")
    lines.append(f"Details: {link}")
    domain = current_app.config["BASE_URL"].split("//", 1)[-1].split("/", 1)[0]
    return CalendarEvent(
        uid=f"signup-{signup.id}@{domain}", title=opp.title,
        starts_at=occ.starts_at, ends_at=occ.ends_at, timezone=opp.timezone,
        location=location, description="\n".join(lines), url=link,
        all_day=services.is_small_act(occ), stamp=signup.created_at,
    )
