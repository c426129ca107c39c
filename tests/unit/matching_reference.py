"""A slow, obvious reference for matching: plain loops, datetimes, geopy.

It shares nothing with the engine except the written definitions it must
agree with — ``scoring.score_components``/``total`` (the score) and
``explain.reasons`` (the words). Everything else is done the plain way:

* distance with ``geopy.distance.great_circle``;
* free time by writing the resident's windows out as real local dates around
  the occurrence and merging them, rather than modular week arithmetic;
* budgets, clashes, history with Python sets and dicts, one pair at a time;
* the variety re-rank as the obvious greedy loop.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from geopy.distance import great_circle

from matchmaker.matching.engine import SHORTLIST_FACTOR
from matchmaker.matching.explain import Facts, reasons
from matchmaker.matching.scoring import OCC_FORMATS, score_components, total

EPOCH = date(1970, 1, 1)
NEED_TAG = {"step-free": "step-free", "seated": "seated"}


def _aware(dt):
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def floor_s(dt) -> datetime:
    dt = _aware(dt).astimezone(UTC)
    return dt.replace(microsecond=0)


def ceil_s(dt) -> datetime:
    dt = _aware(dt).astimezone(UTC)
    return dt if dt.microsecond == 0 else dt.replace(microsecond=0) + timedelta(seconds=1)


def _zone(name):
    try:
        return ZoneInfo(name) if isinstance(name, str) and name else None
    except Exception:  # noqa: BLE001 - the reference treats any bad value as unusable
        return None


def _point(p):
    try:
        lat, lon = float(p[0]), float(p[1])
    except Exception:  # noqa: BLE001 - the reference treats any bad value as unusable
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def _window(w):
    wd, s, e = (w.weekday, w.start_minute, w.end_minute) if hasattr(w, "weekday") else w
    if isinstance(wd, bool) or int(wd) != wd or not 0 <= wd <= 6:
        return None
    s, e = float(s), float(e)
    if not (math.isfinite(s) and math.isfinite(e)) or not 0 <= s < e <= 1440:
        return None
    return int(wd), round(s * 60), round(e * 60)


class RefResident:
    def __init__(self, res, skipped: Counter):
        self.src = res
        self.tz = _zone(res.timezone)
        self.home = _point(res.home) if res.home is not None else None
        if self.home is None:
            skipped["resident_no_location_remote_only" if res.home is None
                    else "resident_bad_coordinates_remote_only"] += 1
        rad = res.travel_radius_km
        rad = float(rad) if rad is not None and math.isfinite(float(rad)) else -1.0
        if rad < 0:
            skipped["resident_bad_radius"] += 1
            rad = 0.0
        self.radius = rad
        self.windows = []
        for w in res.windows:
            v = _window(w)
            if v is None:
                skipped["window_ignored"] += 1
            else:
                self.windows.append(v)
        self.age = res.age if res.age is not None else (18 if res.is_adult else 0)
        self.committed: dict[date, list] = {}
        for d, (m, c) in res.committed.items():
            monday = d - timedelta(days=d.weekday())
            acc = self.committed.setdefault(monday, [0.0, 0])
            acc[0] += m
            acc[1] += c
        self.busy = []
        for a, b in res.busy:
            a, b = floor_s(a), ceil_s(b)
            if b <= a:
                skipped["busy_ignored"] += 1
            else:
                self.busy.append((a, b))

    def free_intervals(self, first: date, last: date) -> list[list[datetime]]:
        """The windows written out as naive local datetimes on real dates, merged.

        (Memoised per date range: the slow part of the reference, and pure.)
        """
        key = (first, last)
        memo = self.__dict__.setdefault("_memo", {})
        if key not in memo:
            memo[key] = self._free_intervals(first, last)
        return memo[key]

    def _free_intervals(self, first: date, last: date) -> list[list[datetime]]:
        out = []
        d = first
        while d <= last:
            for wd, s, e in self.windows:
                if d.weekday() == wd:
                    base = datetime(d.year, d.month, d.day)
                    out.append([base + timedelta(seconds=s), base + timedelta(seconds=e)])
            d += timedelta(days=1)
        out.sort()
        merged: list[list[datetime]] = []
        for a, b in out:
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        return merged

    def longest_stretch_seconds(self) -> float:
        if "_longest" in self.__dict__:
            return self._longest
        self._longest = self._longest_stretch_seconds()
        return self._longest

    def _longest_stretch_seconds(self) -> float:
        today = date(2025, 1, 6)
        spans = self.free_intervals(today, today + timedelta(days=27))
        best = 0.0
        for a, b in spans:
            length = (b - a).total_seconds()
            if length >= 20 * 86400:
                return math.inf
            best = max(best, length)
        return best


class RefOccurrence:
    def __init__(self, occ):
        self.src = occ
        self.small = occ.start is None and occ.end is None
        if not self.small:
            self.start, self.end = floor_s(occ.start), ceil_s(occ.end)
            default = (self.end - self.start).total_seconds() / 60
        else:
            self.do_by = ceil_s(occ.do_by)
            default = float(occ.effort_minutes)
        self.minutes = float(occ.duration_minutes) if occ.duration_minutes is not None else default
        self.place = None if occ.remote else _point(occ.place)


def _valid_occurrence(occ) -> str | None:
    """Why an occurrence is skipped (the documented rules), or None."""
    try:
        if occ.start is not None or occ.end is not None:
            if occ.start is None or occ.end is None:
                return "occurrence_bad_times"
            if ceil_s(occ.end) <= floor_s(occ.start):
                return "occurrence_bad_times"
        else:
            if occ.do_by is None or occ.effort_minutes is None or not (
                    math.isfinite(float(occ.effort_minutes)) and occ.effort_minutes >= 0):
                return "occurrence_bad_times"
    except Exception:  # noqa: BLE001 - the reference treats any bad value as unusable
        return "occurrence_bad_times"
    if not occ.remote:
        if occ.place is None:
            return "occurrence_no_location"
        if _point(occ.place) is None:
            return "occurrence_bad_coordinates"
    return None


def prepare(residents, occurrences):
    skipped: Counter = Counter()
    res_list, seen = [], set()
    for r in residents:
        if r.id in seen:
            skipped["resident_duplicate_id"] += 1
            continue
        if _zone(r.timezone) is None:
            skipped["resident_bad_timezone"] += 1
            continue
        seen.add(r.id)
        res_list.append(RefResident(r, skipped))
    occ_list, seen = [], set()
    for o in occurrences:
        if o.id in seen:
            skipped["occurrence_duplicate_id"] += 1
            continue
        why = _valid_occurrence(o)
        if why:
            skipped[why] += 1
            continue
        seen.add(o.id)
        occ_list.append(RefOccurrence(o))
    return res_list, occ_list, skipped


def local_day_number(dt_local: datetime) -> int:
    return (dt_local.date() - EPOCH).days


def assess(rr: RefResident, ro: RefOccurrence, now: datetime, include_waitlist=True):
    """(score, waitlist, facts) when every hard constraint holds, else None."""
    res, occ = rr.src, ro.src
    now = floor_s(now)
    tz = rr.tz
    # still ahead
    if ro.small:
        if ro.do_by <= now:
            return None
    elif ro.start <= now:
        return None
    waitlist = occ.seats_left <= 0
    if waitlist and not include_waitlist:
        return None
    # place
    if occ.remote:
        if not res.remote_ok:
            return None
        dist_m = None
    else:
        if rr.home is None:
            return None
        dist_m = round(great_circle(rr.home, ro.place).km * 1000)
        if dist_m > rr.radius * 1000:
            return None
    # time
    if ro.small:
        if math.ceil(ro.minutes * 60) > rr.longest_stretch_seconds():
            return None
        margin = None
        week_of = now.astimezone(tz)
    else:
        off_s = ro.start.astimezone(tz).utcoffset()
        off_e = ro.end.astimezone(tz).utcoffset()
        lo = (ro.start + min(off_s, off_e)).replace(tzinfo=None)
        hi = (ro.end + max(off_s, off_e)).replace(tzinfo=None)
        inside = None
        for a, b in rr.free_intervals(lo.date() - timedelta(days=8), hi.date() + timedelta(days=8)):
            if a <= lo and hi <= b:
                inside = (a, b)
        if inside is None:
            return None
        margin = min((lo - inside[0]).total_seconds(), (inside[1] - hi).total_seconds())
        week_of = ro.start.astimezone(tz)
    # person
    if rr.age < occ.min_age:
        return None
    needs = set(res.access_needs)
    if "no-heavy-lifting" in needs and "heavy-lifting" in set(occ.demands):
        return None
    if not occ.remote:
        for need in ("step-free", "seated"):
            if need in needs and need not in set(occ.access):
                return None
    # budget of the ISO week (local)
    monday = week_of.date() - timedelta(days=week_of.weekday())
    used_min, used_cnt = rr.committed.get(monday, (0.0, 0))
    if ro.minutes > max(0.0, res.weekly_budget_minutes) - used_min:
        return None
    if max(0, res.weekly_commitment_cap) - used_cnt < 1:
        return None
    # clashes
    if not ro.small:
        for a, b in rr.busy:
            if a < ro.end and ro.start < b:
                return None
    if occ.id in res.signed_up_occurrence_ids:
        return None
    # history
    people = len(set(occ.going_ids) & set(res.served_with_ids))
    grp = occ.group_id is not None and occ.group_id in res.returned_group_ids
    org = occ.organization_id is not None and occ.organization_id in res.returned_organization_ids
    when = ro.do_by if ro.small else ro.start
    seconds_until = (when - now).total_seconds()
    c = score_components(
        cause_common=len(set(res.causes) & set(occ.causes)), cause_total=len(set(occ.causes)),
        skill_common=len(set(res.skills) & set(occ.skills)), skill_total=len(set(occ.skills)),
        distance_km=None if dist_m is None else dist_m / 1000.0, radius_km=rr.radius,
        margin_seconds=margin, preference=res.social_format, occ_format=occ.social_format,
        group_returned=grp, org_returned=org, people=people, first_timer=res.first_timer,
        friendly=occ.first_timer_friendly, seats_left=occ.seats_left, capacity=occ.capacity,
        seconds_until=seconds_until,
    )
    score = total(c, waitlist)
    if ro.small:
        last = (ro.do_by - timedelta(seconds=1)).astimezone(tz)
        today = now.astimezone(tz)
        weekday = minute = 0
        last_day = local_day_number(last)
        days_left = last_day - local_day_number(today)
    else:
        s_local = ro.start.astimezone(tz)
        weekday, minute = s_local.weekday(), s_local.hour * 60 + s_local.minute
        last_day = days_left = 0
    facts = Facts(
        cause_keys=tuple(sorted(set(res.causes) & set(occ.causes))),
        skill_keys=tuple(sorted(set(res.skills) & set(occ.skills))),
        distance_m=dist_m, small_act=ro.small, weekday=weekday, minute=minute,
        days_left=days_left, last_day=last_day, effort_minutes=round(ro.minutes),
        group_returned=grp, group_name=occ.group_name or "", org_returned=org,
        org_name=occ.organization_name or "", people=people,
        first_timer_welcome=bool(res.first_timer and occ.first_timer_friendly),
        format_match=res.social_format if (res.social_format in OCC_FORMATS
                                           and occ.social_format == res.social_format) else None,
        seats_left=occ.seats_left, capacity=occ.capacity, seconds_until=int(seconds_until),
    )
    return score, waitlist, facts


def variety(ranked: list, k: int) -> list:
    """The greedy re-rank: shortlist 3k; one per opportunity, two per organization; then fill."""
    short = ranked[: SHORTLIST_FACTOR * k]
    kept, skipped = [], []
    opps, orgs = set(), Counter()
    for item in short:
        occ = item[0]
        org_key = ("org", occ.organization_id) if occ.organization_id is not None \
            else ("occ", occ.id)
        opp_key = (org_key, occ.opportunity_id) if occ.opportunity_id is not None \
            else ("occ", occ.id)
        if opp_key in opps or orgs[org_key] >= 2:
            skipped.append(item)
            continue
        opps.add(opp_key)
        orgs[org_key] += 1
        kept.append(item)
    return (kept + skipped)[:k]


def reference_rank(residents, occurrences, now, k=10, include_waitlist=True):
    """{resident id: [(occurrence id, opportunity id, score, waitlist, reasons)]}, skipped."""
    res_list, occ_list, skipped = prepare(residents, occurrences)
    out = {}
    for rr in res_list:
        scored = []
        for ro in occ_list:
            got = assess(rr, ro, now, include_waitlist)
            if got is not None:
                scored.append((ro.src, got))
        scored.sort(key=lambda item: (-item[1][0], item[0].id))
        picked = variety(scored, k)
        out[rr.src.id] = [(occ.id, occ.opportunity_id, s, w, reasons(f))
                          for occ, (s, w, f) in picked]
    return out, skipped


def reference_suited(occurrence, residents, now, include_waitlist=True):
    """[(resident id, score, waitlist, reasons)] best first, for one occurrence."""
    res_list, occ_list, _ = prepare(residents, [occurrence])
    if not occ_list:
        return []
    out = []
    for rr in res_list:
        got = assess(rr, occ_list[0], now, include_waitlist)
        if got is not None:
            s, w, f = got
            out.append((rr.src.id, s, w, reasons(f)))
    out.sort(key=lambda t: (-t[1], t[0]))
    return out
