"""The soft score: how well an allowed occurrence suits a resident, from 0 to 1.

The scalar ``score_components`` + ``total`` below are the definition; the
engine (``engine._finish`` and ``engine.Run``) computes exactly the same
formulas on numpy arrays, in the same order of operations, and the tests hold
the two to each other against a slow reference.

Every component is in [0, 1]; the score is their weighted sum (weights add up
to 1), halved for a full occurrence offered as "join the waitlist", and
rounded to 2**-30 (about 1e-9) so that equal means equal everywhere:

=============  ======  =====================================================
component      weight  what it rewards
=============  ======  =====================================================
cause          0.25    share of the occurrence's causes the resident cares about
skills         0.10    share of the skills asked for that the resident has
                       (0.5 when no particular skill is asked for)
distance       0.15    nearer is better, against the resident's own radius:
                       halves every max(1 km, radius/3); remote counts 0.75
                       (no travel, but being with people is part of the point)
comfort        0.10    slack around the occurrence inside the free stretch:
                       an hour or more on the tighter side is fully comfortable
                       (small acts and "free all week": 1)
format         0.10    social format fit (table below; "any" is 0.75 for all)
familiar       0.15    min(1, 0.5·group returned to + 0.3·organization returned
                       to + 0.2·people served with who are going)
first_timer    0.05    for a first-timer: 1 if first-timer friendly, else 0;
                       for everyone else a neutral 0.5
urgency        0.10    mean of: few places left (1 place → 1, 2 → 2/3, 3 → 1/3),
                       starts soon (linear over the next 7 days; a small act's
                       do-by date counts) and under-filled (share of places
                       still free)
=============  ======  =====================================================

Quality over quantity: familiar faces weigh as much as distance, because
coming back to the same people is what turns helping into belonging.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

WEIGHTS: dict[str, float] = {
    "cause": 0.25,
    "skills": 0.10,
    "distance": 0.15,
    "comfort": 0.10,
    "format": 0.10,
    "familiar": 0.15,
    "first_timer": 0.05,
    "urgency": 0.10,
}
WAITLIST_FACTOR = 0.5
#: Scores are rounded to multiples of 2**-30 (about 1e-9): a tie is then a real
#: tie on every platform (broken by occurrence id), and the engine can sort
#: scores, resident and occurrence id as one 64-bit integer.
SCORE_GRID = float(1 << 30)
REMOTE_DISTANCE = 0.75
NO_SKILLS_ASKED = 0.5
COMFORT_SECONDS = 3600.0
SOON_SECONDS = 7 * 86_400.0
FEW_PLACES = 3

#: Occurrence formats in code order; anything else is "unknown".
OCC_FORMATS = ("one_on_one", "small_group", "big_group", "solo_remote")
#: Resident preferences in code order; anything unknown is read as "any".
PREF_FORMATS = ("any", "one_on_one", "small_group", "big_group", "solo_remote")
#: FORMAT_FIT[preference][occurrence format]; the last column is an unknown format.
FORMAT_FIT = np.array([
    # one_on_one small_group big_group solo_remote unknown
    [0.75, 0.75, 0.75, 0.75, 0.75],  # any
    [1.00, 0.50, 0.00, 0.50, 0.50],  # one_on_one
    [0.50, 1.00, 0.50, 0.25, 0.50],  # small_group
    [0.00, 0.50, 1.00, 0.00, 0.50],  # big_group
    [0.50, 0.25, 0.00, 1.00, 0.50],  # solo_remote
])


def pref_code(pref) -> int:
    return PREF_FORMATS.index(pref) if pref in PREF_FORMATS else 0


def occ_format_code(fmt) -> int:
    return OCC_FORMATS.index(fmt) if fmt in OCC_FORMATS else len(OCC_FORMATS)


class Components(NamedTuple):
    cause: float
    skills: float
    distance: float
    comfort: float
    format: float
    familiar: float
    first_timer: float
    urgency: float


def score_components(
    *,
    cause_common: int,
    cause_total: int,
    skill_common: int,
    skill_total: int,
    distance_km: float | None,
    radius_km: float,
    margin_seconds: float | None,
    preference: str,
    occ_format: str,
    group_returned: bool,
    org_returned: bool,
    people: int,
    first_timer: bool,
    friendly: bool,
    seats_left: int,
    capacity: int,
    seconds_until: float,
) -> Components:
    """The eight components for one resident and one allowed occurrence (the definition)."""
    cause = cause_common / cause_total if cause_total > 0 else 0.0
    skills = skill_common / skill_total if skill_total > 0 else NO_SKILLS_ASKED
    if distance_km is None:
        distance = REMOTE_DISTANCE
    else:
        distance = float(np.power(0.5, distance_km / max(1.0, radius_km / 3.0)))
    comfort = 1.0 if margin_seconds is None \
        else min(margin_seconds, COMFORT_SECONDS) / COMFORT_SECONDS
    fmt = float(FORMAT_FIT[pref_code(preference), occ_format_code(occ_format)])
    familiar = min(1.0, 0.5 * group_returned + 0.3 * org_returned + 0.2 * people)
    if first_timer:
        first = 1.0 if friendly else 0.0
    else:
        first = 0.5
    few = 0.0 if seats_left <= 0 else min(1.0, max(0.0, (FEW_PLACES + 1 - seats_left) / 3.0))
    soon = min(1.0, max(0.0, 1.0 - seconds_until / SOON_SECONDS))
    under = min(1.0, max(0.0, seats_left / capacity)) if capacity > 0 else 0.0
    urgency = (few + soon + under) / 3.0
    return Components(cause, skills, distance, comfort, fmt, familiar, first, urgency)


def total(c: Components, waitlist: bool) -> float:
    """Weighted sum in a fixed order (so arrays and scalars agree to the last bit).

    The occurrence-side part (format, first-timer, urgency) comes first because
    the engine computes it once per occurrence and resident class.
    """
    s = WEIGHTS["format"] * c.format + WEIGHTS["first_timer"] * c.first_timer
    s = s + WEIGHTS["urgency"] * c.urgency
    s = s + WEIGHTS["cause"] * c.cause
    s = s + WEIGHTS["skills"] * c.skills
    s = s + WEIGHTS["distance"] * c.distance
    s = s + WEIGHTS["comfort"] * c.comfort
    s = s + WEIGHTS["familiar"] * c.familiar
    if waitlist:
        s = s * WAITLIST_FACTOR
    return round(s * SCORE_GRID) / SCORE_GRID
