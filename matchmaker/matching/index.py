"""Columnar batches built once from the dataclasses, with the spatial indexes.

Why columns: the engine filters and scores millions of resident/occurrence
pairs with numpy, so each field becomes one array, validated once. This is
also where bad input is caught and counted — NaN or out-of-range
coordinates, unknown timezones, contradictory windows, impossible times —
so everything downstream can trust the arrays and nothing raises.

* ``OccurrenceIndex``: the occurrences, a ``cKDTree`` over the unit vectors of
  those with a place, and each timezone's view of their times (cached).
* ``ResidentIndex``: the residents, their merged free stretches, budgets,
  history, the spatial groups the full rematch works in, and — for "which
  residents does this new occurrence suit" — a free-time index (who may be
  free in each 15-minute slot of the week) and k-d trees (one per radius
  class). The lookups are built lazily, once, and are thread-safe.
"""

from __future__ import annotations

import gc
import math
import threading
from collections import Counter
from collections.abc import Iterable
from itertools import repeat
from math import isfinite

import numpy as np
from scipy.spatial import cKDTree

from matchmaker.matching import geometry as geo
from matchmaker.matching.localtime import (
    DAY,
    UNBOUNDED,
    WEEK,
    Projection,
    Stretches,
    posix_ceil,
    posix_floor,
    utc_offsets,
    window_seconds,
    zone,
)
from matchmaker.matching.model import Occurrence, Resident
from matchmaker.matching.scoring import PREF_FORMATS, occ_format_code

#: Access bits shared by residents' needs and occurrences' "what it fails".
NO_HEAVY_LIFTING, STEP_FREE, SEATED = 1, 2, 4
_NEED_BITS = {"no-heavy-lifting": NO_HEAVY_LIFTING, "step-free": STEP_FREE, "seated": SEATED}
#: Busy intervals and occurrence times are searched as resident * 2**34 + POSIX seconds.
TIME_KEY_SHIFT = 34
_TIME_KEY_MAX = (1 << TIME_KEY_SHIFT) - 1


def id_ranks(ids: list) -> np.ndarray:
    """Rank of each id in sorted order (ties between matches are broken by it)."""
    order = list(range(len(ids)))
    try:
        order.sort(key=ids.__getitem__)
    except TypeError:
        order.sort(key=lambda i: (type(ids[i]).__name__, str(ids[i])))
    ranks = np.empty(len(ids), dtype=np.int64)
    ranks[order] = np.arange(len(ids), dtype=np.int64)
    return ranks


def expand_ranges(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges [start, start+count): (which range, position) for every element."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    seg = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    if total == 0:
        return seg, np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(counts) - counts
    shift = offsets - np.asarray(starts, np.int64)
    pos = np.arange(total, dtype=np.int64) - np.repeat(shift, counts)
    return seg, pos


def popcount(words: np.ndarray) -> np.ndarray:
    """Set bits per row of a (n, words) uint64 array."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(words).sum(axis=-1, dtype=np.int64)
    as_bytes = words.view(np.uint8).reshape(words.shape[:-1] + (-1,))
    table = np.array([i.bit_count() for i in range(256)], dtype=np.int64)
    return table[as_bytes].sum(axis=-1)


def _as_keys(values) -> frozenset:
    if not values:
        return frozenset()
    if isinstance(values, str):
        return frozenset((values,))
    try:
        return frozenset(v for v in values if isinstance(v, str))
    except TypeError:
        return frozenset()


_NUMBER = (int, float)
_PREF = {name: i for i, name in enumerate(PREF_FORMATS)}


def _keys(values):
    """Iterate a set of keys; a lone string is one key, not its letters."""
    if not values:
        return ()
    if isinstance(values, str):
        return (values,)
    try:
        iter(values)
    except TypeError:
        return ()
    return values


def _as_ids(values) -> tuple:
    if not values:
        return ()
    try:
        return tuple(v for v in values if v is not None)
    except TypeError:
        return ()


def _words(masks: list[int], n_words: int) -> np.ndarray:
    out = np.zeros((len(masks), n_words), dtype=np.uint64)
    low = (1 << 64) - 1
    for w in range(n_words):
        shift = 64 * w
        out[:, w] = np.fromiter(((m >> shift) & low for m in masks), dtype=np.uint64,
                                count=len(masks))
    return out


def _finite(x, default: float) -> float:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return default
    return x if math.isfinite(x) else default


def _int(x, default: int) -> int:
    try:
        if isinstance(x, float) and not math.isfinite(x):
            return default
        return int(x)
    except (TypeError, ValueError):
        return default


class OccurrenceIndex:
    """All usable occurrences as arrays, plus a k-d tree over those with a place."""

    def __init__(self, occurrences: Iterable[Occurrence]):
        skipped: Counter = Counter()
        ids: list = []
        seen: set = set()
        rows = []
        for occ in occurrences:
            try:
                oid = occ.id
                hash(oid)
            except (AttributeError, TypeError):
                skipped["occurrence_bad_id"] += 1
                continue
            if oid in seen:
                skipped["occurrence_duplicate_id"] += 1
                continue
            small = False
            start = end = do_by = None
            if occ.start is not None or occ.end is not None:
                start, end = posix_floor(occ.start), posix_ceil(occ.end)
                if start is None or end is None or end <= start:
                    skipped["occurrence_bad_times"] += 1
                    continue
                default_minutes = (end - start) / 60.0
            else:
                do_by = posix_ceil(occ.do_by)
                effort = _finite(occ.effort_minutes, -1.0)
                if do_by is None or effort < 0:
                    skipped["occurrence_bad_times"] += 1
                    continue
                small = True
                default_minutes = effort
            remote = bool(occ.remote)
            point = None
            if not remote:
                point = geo.valid_point(occ.place) if occ.place is not None else None
                if point is None:
                    skipped["occurrence_no_location" if occ.place is None
                            else "occurrence_bad_coordinates"] += 1
                    continue
            minutes = _finite(occ.duration_minutes, default_minutes) \
                if occ.duration_minutes is not None else default_minutes
            if minutes < 0:
                skipped["occurrence_bad_duration"] += 1
                continue
            seen.add(oid)
            ids.append(oid)
            rows.append((occ, small, start, end, do_by, remote, point, minutes))
        n = len(rows)
        self.n = n
        self.ids = ids
        self.index = {oid: i for i, oid in enumerate(ids)}
        self.rank = id_ranks(ids)
        self.skipped = skipped
        self.small = np.fromiter((r[1] for r in rows), dtype=bool, count=n)
        self.start = np.fromiter((r[2] or 0 for r in rows), dtype=np.int64, count=n)
        self.end = np.fromiter((r[3] or 0 for r in rows), dtype=np.int64, count=n)
        self.do_by = np.fromiter((r[4] or 0 for r in rows), dtype=np.int64, count=n)
        #: when it happens for "starts soon": the start, or the do-by time of a small act
        self.when = np.where(self.small, self.do_by, self.start)
        self.remote = np.fromiter((r[5] for r in rows), dtype=bool, count=n)
        lat = np.array([r[6][0] if r[6] else np.nan for r in rows], dtype=np.float64)
        lon = np.array([r[6][1] if r[6] else np.nan for r in rows], dtype=np.float64)
        self.xyz = geo.to_xyz(lat, lon).reshape(n, 3)
        self.minutes = np.fromiter((r[7] for r in rows), dtype=np.float64, count=n)
        self.effort_s = np.where(self.small, np.ceil(self.minutes * 60.0), 0).astype(np.int64)
        occs = [r[0] for r in rows]
        self.seats = np.fromiter((_int(o.seats_left, 0) for o in occs), dtype=np.int64, count=n)
        self.capacity = np.fromiter((_int(o.capacity, 0) for o in occs), dtype=np.int64, count=n)
        self.fmt = np.fromiter((occ_format_code(o.social_format) for o in occs), dtype=np.int64,
                               count=n)
        self.fmt_names = [o.social_format for o in occs]
        self.min_age = np.fromiter((_int(o.min_age, 0) for o in occs), dtype=np.int64, count=n)
        self.friendly = np.fromiter((bool(o.first_timer_friendly) for o in occs), dtype=bool,
                                    count=n)
        block = np.zeros(n, dtype=np.int64)
        for i, o in enumerate(occs):
            b = 0
            if "heavy-lifting" in _as_keys(o.demands):
                b |= NO_HEAVY_LIFTING
            if not rows[i][5]:
                access = _as_keys(o.access)
                if "step-free" not in access:
                    b |= STEP_FREE
                if "seated" not in access:
                    b |= SEATED
            block[i] = b
        #: access needs this occurrence cannot meet (bits as in NO_HEAVY_LIFTING ...)
        self.block = block
        self.causes = [_as_keys(o.causes) for o in occs]
        self.skills = [_as_keys(o.skills) for o in occs]
        self.cause_total = np.fromiter((len(c) for c in self.causes), dtype=np.int64, count=n)
        self.skill_total = np.fromiter((len(c) for c in self.skills), dtype=np.int64, count=n)
        self.going = [_as_ids(o.going_ids) for o in occs]
        self.org_names = [o.organization_name or "" for o in occs]
        self.group_names = [o.group_name or "" for o in occs]
        self.opportunity_ids = [o.opportunity_id for o in occs]
        # organizations and groups as small integer codes (None: a code of its own)
        org_code: dict = {}
        self.org = np.empty(n, dtype=np.int64)
        for i, o in enumerate(occs):
            key = ("org", o.organization_id) if o.organization_id is not None else ("occ", i)
            self.org[i] = org_code.setdefault(key, len(org_code))
        self.org_index = {k[1]: v for k, v in org_code.items() if k[0] == "org"}
        opp_code: dict = {}
        self.opp = np.empty(n, dtype=np.int64)
        for i, o in enumerate(occs):
            key = (int(self.org[i]), o.opportunity_id) if o.opportunity_id is not None \
                else ("occ", i)
            self.opp[i] = opp_code.setdefault(key, len(opp_code))
        group_code: dict = {}
        self.group = np.full(n, -1, dtype=np.int64)
        for i, o in enumerate(occs):
            if o.group_id is not None:
                self.group[i] = group_code.setdefault(o.group_id, len(group_code))
        self.group_index = group_code
        self.n_groups = len(group_code)
        self.n_orgs = len(org_code)
        self.placed = np.flatnonzero(~self.remote)
        self.tree = cKDTree(self.xyz[self.placed]) if self.placed.size else None
        self._projections: dict = {}
        self._bits: dict = {}
        self._lock = threading.Lock()

    @classmethod
    def build(cls, occurrences: Iterable[Occurrence]) -> OccurrenceIndex:
        return cls(occurrences)

    def bits(self, vocab: dict[str, int], which: str) -> np.ndarray:
        """Causes or skills as bit rows in a resident batch's vocabulary (cached)."""
        key = (id(vocab), len(vocab), which)
        with self._lock:
            hit = self._bits.get(key)
        if hit is not None and hit[0] is vocab:
            return hit[1]
        sets = self.causes if which == "causes" else self.skills
        masks = []
        for keys in sets:
            m = 0
            for k in keys:
                b = vocab.get(k)
                if b is not None:
                    m |= 1 << b
            masks.append(m)
        words = _words(masks, max(1, (len(vocab) + 63) // 64))
        with self._lock:
            self._bits[key] = (vocab, words)
        return words

    def projection(self, tz_name: str) -> OccurrenceProjection:
        """This timezone's view of every occurrence's times (cached per zone)."""
        with self._lock:
            hit = self._projections.get(tz_name)
        if hit is None:
            hit = OccurrenceProjection(self, zone(tz_name))
            with self._lock:
                self._projections[tz_name] = hit
        return hit


class OccurrenceProjection:
    """Per-occurrence local-time arrays for one zone (see ``localtime.Projection``).

    Small acts get ``last_day``: the local day number of the last moment before
    their do-by time (for "any time until Friday").
    """

    def __init__(self, occ: OccurrenceIndex, tz):
        n = occ.n
        timed = np.flatnonzero(~occ.small)
        small = np.flatnonzero(occ.small)
        self.lo = np.zeros(n, dtype=np.int64)
        self.hi_rel = np.zeros(n, dtype=np.int64)
        self.week_day = np.zeros(n, dtype=np.int64)
        self.weekday = np.zeros(n, dtype=np.int64)
        self.minute = np.zeros(n, dtype=np.int64)
        self.last_day = np.zeros(n, dtype=np.int64)
        if timed.size:
            p = Projection(tz, occ.start[timed], occ.end[timed])
            self.lo[timed] = p.lo
            self.hi_rel[timed] = p.hi_rel
            self.week_day[timed] = p.week_day
            self.weekday[timed] = p.weekday
            self.minute[timed] = p.minute
        if small.size:
            last = occ.do_by[small] - 1
            self.last_day[small] = (last + utc_offsets(tz, last)) // DAY


class ResidentIndex:
    """All usable residents as arrays, with stretches, history and spatial indexes."""

    #: Upper edges (km) of the radius classes the spatial grouping and the
    #: reverse-query trees work in; residents in one class share a query radius.
    RADIUS_CLASSES = (1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0, 13.0, 16.0, 20.0, 25.0, 35.0, 50.0,
                      100.0, 250.0, 1000.0, math.inf)

    def __init__(self, residents: Iterable[Resident]):
        was = gc.isenabled()
        gc.disable()                 # many small objects, none of them cyclic garbage
        try:
            self._build(residents)
        finally:
            if was:
                gc.enable()

    def _build(self, residents: Iterable[Resident]) -> None:
        skipped: Counter = Counter()
        ids: list = []
        seen: set = set()
        tz_codes: dict[str, int] = {}
        cause_vocab: dict[str, int] = {}
        skill_vocab: dict[str, int] = {}
        tz, lat, lon, radius, remote_ok, budget, cap, pref, needs, age, first = (
            [], [], [], [], [], [], [], [], [], [], [])
        cause_masks, skill_masks = [], []
        w_res, w_s, w_e = [], [], []
        c_res, c_week, c_min, c_cnt = [], [], [], []
        b_res, b_start, b_end = [], [], []
        rel = {"org": ([], []), "group": ([], []), "person": ([], []), "signed": ([], [])}
        rel_org, rel_group, rel_person, rel_signed = rel["org"], rel["group"], rel["person"], \
            rel["signed"]
        for res in residents:
            try:
                rid = res.id
                hash(rid)
            except (AttributeError, TypeError):
                skipped["resident_bad_id"] += 1
                continue
            if rid in seen:
                skipped["resident_duplicate_id"] += 1
                continue
            tzname = res.timezone
            code = tz_codes.get(tzname) if isinstance(tzname, str) else None
            if code is None:
                if zone(tzname) is None:
                    skipped["resident_bad_timezone"] += 1
                    continue
                code = tz_codes[tzname] = len(tz_codes)
            seen.add(rid)
            r = len(ids)
            ids.append(rid)
            tz.append(code)
            home = res.home
            point = None
            if home is not None:
                # fast path for a plain (lat, lon) pair of floats, else the careful check
                if type(home) is tuple and len(home) == 2 and type(home[0]) is float \
                        and type(home[1]) is float and -90.0 <= home[0] <= 90.0 \
                        and -180.0 <= home[1] <= 180.0:
                    point = home
                else:
                    point = geo.valid_point(home)
            if point is None:
                # kept, for remote matches only
                skipped["resident_no_location_remote_only" if home is None
                        else "resident_bad_coordinates_remote_only"] += 1
                lat.append(math.nan)
                lon.append(math.nan)
            else:
                lat.append(point[0])
                lon.append(point[1])
            rad = res.travel_radius_km
            if not (type(rad) in _NUMBER and isfinite(rad) and rad >= 0):
                rad = _finite(rad, -1.0)
                if rad < 0:
                    skipped["resident_bad_radius"] += 1
                    rad = 0.0
            radius.append(rad)
            remote_ok.append(bool(res.remote_ok))
            b = res.weekly_budget_minutes
            budget.append(b if type(b) in _NUMBER and isfinite(b) and b >= 0
                          else max(0.0, _finite(b, 0.0)))
            c = res.weekly_commitment_cap
            cap.append(c if type(c) is int and c >= 0 else max(0, _int(c, 0)))
            fmt = res.social_format
            pref.append(_PREF.get(fmt, 0) if isinstance(fmt, str) else 0)
            m = 0
            for k in _keys(res.access_needs):
                m |= _NEED_BITS.get(k, 0)
            needs.append(m)
            a = res.age
            if a is None or isinstance(a, bool):
                age.append(18 if res.is_adult else 0)
            else:
                age.append(min(254, max(0, _int(a, 0))))
            first.append(bool(res.first_timer))
            m = 0
            for k in _keys(res.causes):
                b = cause_vocab.get(k)
                if b is None:
                    if type(k) is not str:
                        continue
                    b = cause_vocab[k] = len(cause_vocab)
                m |= 1 << b
            cause_masks.append(m)
            m = 0
            for k in _keys(res.skills):
                b = skill_vocab.get(k)
                if b is None:
                    if type(k) is not str:
                        continue
                    b = skill_vocab[k] = len(skill_vocab)
                m |= 1 << b
            skill_masks.append(m)
            for w in res.windows or ():
                # fast path for a plain (weekday, start, end) tuple of ints
                if type(w) is tuple and len(w) == 3:
                    wd, ws, we = w
                    if type(wd) is int and type(ws) is int and type(we) is int \
                            and 0 <= wd <= 6 and 0 <= ws < we <= 1440:
                        w_res.append(r)
                        w_s.append(wd * 86400 + ws * 60)
                        w_e.append(wd * 86400 + we * 60)
                        continue
                sec = window_seconds(w)
                if sec is None:
                    skipped["window_ignored"] += 1
                    continue
                w_res.append(r)
                w_s.append(sec[0])
                w_e.append(sec[1])
            if res.committed:
                try:
                    items = list(res.committed.items())
                except AttributeError:
                    items = []
                for day, used in items:
                    try:
                        d = day.toordinal() - 719163          # days since 1970-01-01
                        week = d - (d + 3) % 7                # its Monday
                        used_min, used_cnt = used
                    except (AttributeError, TypeError, ValueError):
                        skipped["committed_ignored"] += 1
                        continue
                    c_res.append(r)
                    c_week.append(week)
                    c_min.append(_finite(used_min, 0.0))
                    c_cnt.append(_int(used_cnt, 0))
            for span in res.busy or ():
                try:
                    s, e = posix_floor(span[0]), posix_ceil(span[1])
                except (TypeError, IndexError):
                    s = e = None
                if s is None or e is None or e <= s:
                    skipped["busy_ignored"] += 1
                    continue
                b_res.append(r)
                b_start.append(s)
                b_end.append(e)
            for (rr, vv), values in ((rel_org, res.returned_organization_ids),
                                     (rel_group, res.returned_group_ids),
                                     (rel_person, res.served_with_ids),
                                     (rel_signed, res.signed_up_occurrence_ids)):
                if values:
                    if type(values) is not frozenset or None in values:
                        values = set(_as_ids(values))
                    rr.extend(repeat(r, len(values)))
                    vv.extend(values)
        n = len(ids)
        self.n = n
        self.ids = ids
        self.rank = id_ranks(ids)
        self.skipped = skipped
        self.tz_names = list(tz_codes)
        self.tz = np.array(tz, dtype=np.int64)
        self.lat = np.array(lat, dtype=np.float64)
        self.lon = np.array(lon, dtype=np.float64)
        self.has_home = np.isfinite(self.lat)
        self.xyz = geo.to_xyz(self.lat, self.lon).reshape(n, 3)
        self.radius = np.array(radius, dtype=np.float64)
        self.radius_m = self.radius * 1000.0
        #: squared chord a candidate must be within (radius plus slack for rounding)
        self.chord2 = geo.chord_for_km(self.radius + geo.INDEX_SLACK_KM) ** 2
        self.remote_ok = np.array(remote_ok, dtype=bool)
        self.budget = np.array(budget, dtype=np.float64)
        self.cap = np.array(cap, dtype=np.int64)
        self.pref = np.array(pref, dtype=np.int64)
        self.needs = np.array(needs, dtype=np.int64)
        self.age = np.array(age, dtype=np.int64)
        self.first_timer = np.array(first, dtype=bool)
        self.cause_vocab = cause_vocab
        self.skill_vocab = skill_vocab
        self.cause_keys = sorted(cause_vocab, key=cause_vocab.get)
        self.skill_keys = sorted(skill_vocab, key=skill_vocab.get)
        self.cause_bits = _words(cause_masks, max(1, (len(cause_vocab) + 63) // 64))
        self.skill_bits = _words(skill_masks, max(1, (len(skill_vocab) + 63) // 64))
        self.stretches = Stretches(n, np.array(w_res, dtype=np.int64),
                                   np.array(w_s, dtype=np.int64), np.array(w_e, dtype=np.int64))
        self._committed(n, c_res, c_week, c_min, c_cnt)
        self._busy(n, b_res, b_start, b_end)
        self.rel = {}
        for name, (rs, vals) in rel.items():
            self.rel[name] = (np.array(rs, dtype=np.int64), vals)
        self._inverted: dict = {}
        self._groups = None
        self._trees = None
        self._free_at = None
        self._lock = threading.Lock()

    @classmethod
    def build(cls, residents: Iterable[Resident]) -> ResidentIndex:
        return cls(residents)

    # -- budgets and busy time -----------------------------------------------------

    def _committed(self, n, c_res, c_week, c_min, c_cnt) -> None:
        """Used minutes/commitments per (resident, ISO week), summed, sorted by key."""
        r = np.array(c_res, dtype=np.int64)
        wk = np.array(c_week, dtype=np.int64)
        key = r * (1 << 32) + (wk + (1 << 31))
        uniq, inv = np.unique(key, return_inverse=True)
        self.c_key = uniq
        self.c_res = uniq >> 32
        self.c_week = (uniq & ((1 << 32) - 1)) - (1 << 31)
        self.c_min = np.bincount(inv, weights=np.array(c_min, dtype=np.float64),
                                 minlength=uniq.size) if uniq.size else np.zeros(0)
        self.c_cnt = np.bincount(inv, weights=np.array(c_cnt, dtype=np.float64),
                                 minlength=uniq.size).astype(np.int64) if uniq.size \
            else np.zeros(0, dtype=np.int64)
        counts = np.bincount(self.c_res, minlength=n)
        self.c_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=self.c_ptr[1:])

    def _busy(self, n, b_res, b_start, b_end) -> None:
        """Each resident's busy time merged into disjoint intervals, keyed for search."""
        r = np.array(b_res, dtype=np.int64)
        s = np.clip(np.array(b_start, dtype=np.int64), 0, _TIME_KEY_MAX)
        e = np.clip(np.array(b_end, dtype=np.int64), 0, _TIME_KEY_MAX)
        order = np.lexsort((s, r))
        r, s, e = r[order], s[order], e[order]
        if r.size:
            span = 1 << TIME_KEY_SHIFT
            acc = np.maximum.accumulate(r * span + e)
            prev = np.empty_like(acc)
            prev[0] = -1
            prev[1:] = acc[:-1] - r[1:] * span
            new = np.ones(r.size, dtype=bool)
            new[1:] = (r[1:] != r[:-1]) | (s[1:] > prev[1:])
            starts = np.flatnonzero(new)
            ends = np.append(starts[1:], r.size) - 1
            r, s, e = r[starts], s[starts], acc[ends] - r[starts] * span
        self.busy_res = r
        self.busy_start = s
        self.busy_end_key = (r << TIME_KEY_SHIFT) + e
        self.has_busy = np.bincount(r, minlength=n) > 0

    def busy_overlap(self, r: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """True where [start, end) overlaps one of resident r's busy intervals."""
        out = np.zeros(r.size, dtype=bool)
        if self.busy_res.size == 0 or r.size == 0:
            return out
        sel = np.flatnonzero(self.has_busy[r])
        if sel.size == 0:
            return out
        rr = r[sel]
        key = (rr << TIME_KEY_SHIFT) + np.clip(start[sel], 0, _TIME_KEY_MAX)
        i = np.searchsorted(self.busy_end_key, key, side="right")
        j = np.minimum(i, self.busy_res.size - 1)
        hit = (i < self.busy_res.size) & (self.busy_res[j] == rr) & (self.busy_start[j] < end[sel])
        out[sel] = hit
        return out

    def remaining(self, r: np.ndarray, week: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Minutes and commitments left for resident r in the week starting on day ``week``."""
        mins = self.budget[r].copy()
        cnt = self.cap[r].copy()
        if self.c_key.size and r.size:
            key = r * (1 << 32) + (week + (1 << 31))
            i = np.searchsorted(self.c_key, key)
            j = np.minimum(i, self.c_key.size - 1)
            hit = (i < self.c_key.size) & (self.c_key[j] == key)
            mins[hit] -= self.c_min[j[hit]]
            cnt[hit] -= self.c_cnt[j[hit]]
        return mins, cnt

    # -- history, looked up from the occurrence side ---------------------------------

    def holders(self, name: str) -> dict:
        """Inverted history: an id (organization, group, person, occurrence) -> resident indexes."""
        with self._lock:
            hit = self._inverted.get(name)
            if hit is not None:
                return hit
            rs, vals = self.rel[name]
            inv: dict = {}
            for r, v in zip(rs.tolist(), vals):
                inv.setdefault(v, []).append(r)
            hit = {k: np.array(v, dtype=np.int64) for k, v in inv.items()}
            self._inverted[name] = hit
            return hit

    # -- spatial structure -----------------------------------------------------------

    def radius_class(self) -> np.ndarray:
        return np.searchsorted(np.array(self.RADIUS_CLASSES), self.radius, side="left")

    def groups(self) -> SpatialGroups:
        with self._lock:
            if self._groups is None:
                self._groups = SpatialGroups(self)
            return self._groups

    def trees(self) -> list[tuple[float, np.ndarray, cKDTree]]:
        """(class radius km, resident indexes, tree) per radius class, for reverse queries."""
        with self._lock:
            if self._trees is None:
                cls = self.radius_class()
                trees = []
                for c in np.unique(cls[self.has_home]).tolist():
                    members = np.flatnonzero(self.has_home & (cls == c))
                    trees.append((float(self.radius[members].max()), members,
                                  cKDTree(self.xyz[members])))
                self._trees = trees
            return self._trees

    #: Length of a time-of-week slot in the free-time index (seconds).
    SLOT = 900

    def free_at(self) -> tuple[np.ndarray, np.ndarray]:
        """Who may be free when: (ptr, residents) over (timezone, 15-minute slot of the week).

        A resident is listed under every slot their free stretches touch, so
        the residents listed under the slot where an occurrence's local span
        starts are a superset of those it fits (the exact check follows).
        Sorted by resident within a slot. The reverse query starts here:
        time of week cuts more than distance does.
        """
        with self._lock:
            if self._free_at is None:
                st = self.stretches
                n_slots = WEEK // self.SLOT
                full = st.t_A == -UNBOUNDED
                first = np.where(full, 0, st.t_lo // self.SLOT)
                last = np.where(full, n_slots - 1, np.minimum(st.t_hi, WEEK - 1) // self.SLOT)
                seg, slot = expand_ranges(first, last - first + 1)
                res = st.t_res[seg]
                key = (self.tz[res] * n_slots + slot) * self.n + res
                key = np.unique(key)
                ptr = np.searchsorted(key // self.n, np.arange(len(self.tz_names) * n_slots + 1))
                self._free_at = (ptr, (key % self.n).astype(np.int64))
            return self._free_at


def _morton(cell: np.ndarray) -> np.ndarray:
    """Z-order code of non-negative 3D integer cells (21 bits per axis)."""
    out = np.zeros(cell.shape[0], dtype=np.int64)
    c = np.minimum(cell, (1 << 21) - 1).astype(np.int64)
    for bit in range(21):
        for axis in range(3):
            out |= ((c[:, axis] >> bit) & 1) << (3 * bit + axis)
    return out


class SpatialGroups:
    """Residents with a home, grouped by timezone, radius class and a 3D grid cell.

    One k-d tree query per group finds every occurrence any member could reach:
    the group's bound is the largest (angle from the group centre to a member
    + the member's radius), an exact superset by the triangle inequality on the
    sphere. Cells scale with the radius class, so a small radius is not
    drowned by its neighbours' candidates.
    """

    def __init__(self, ri: ResidentIndex):
        located = np.flatnonzero(ri.has_home)
        cls = ri.radius_class()[located]
        edges = np.array(ri.RADIUS_CLASSES + (math.inf,))
        # one cell size per radius class: about 0.6 x its largest radius
        cell_by_class = {}
        for c in np.unique(cls).tolist():
            upper = min(float(edges[c]), float(ri.radius[located][cls == c].max()) + 1.0)
            cell_by_class[c] = float(np.clip(upper * 0.6, 0.75, 400.0))
        cell_km = np.array([cell_by_class[c] for c in cls.tolist()], dtype=np.float64)
        cell = np.floor(ri.xyz[located] * (geo.EARTH_RADIUS_KM / cell_km)[:, None]).astype(np.int64)
        # groups in Z-order of their cells, so a run of groups (a chunk) stays compact
        z_order = _morton(cell - cell.min(axis=0, initial=0))
        keys = np.stack([ri.tz[located], cls, z_order], axis=1) \
            if located.size else np.zeros((0, 3), dtype=np.int64)
        uniq, inv = np.unique(keys, axis=0, return_inverse=True)
        inv = inv.reshape(-1)
        order = np.lexsort((ri.rank[located], inv))
        self.members = located[order]
        self.group_of_member = inv[order]
        self.n = uniq.shape[0]
        self.tz = uniq[:, 0] if self.n else np.zeros(0, dtype=np.int64)
        counts = np.bincount(inv, minlength=self.n)
        self.ptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(counts, out=self.ptr[1:])
        self.group = np.full(ri.n, -1, dtype=np.int64)
        self.group[self.members] = self.group_of_member
        # centre and bound (radians) per group
        xyz = ri.xyz[self.members]
        sums = np.zeros((self.n, 3))
        np.add.at(sums, self.group_of_member, xyz)
        norm = np.linalg.norm(sums, axis=1, keepdims=True)
        centre = np.divide(sums, norm, out=np.tile([[0.0, 0.0, 1.0]], (self.n, 1)),
                           where=norm > 1e-12)
        ang = geo.angle_for_chord(np.linalg.norm(xyz - centre[self.group_of_member], axis=1))
        reach = ang + (ri.radius[self.members] + geo.INDEX_SLACK_KM) / geo.EARTH_RADIUS_KM
        bound = np.zeros(self.n)
        if self.n:
            np.maximum.at(bound, self.group_of_member, reach)
        self.centre = centre
        self.bound = np.minimum(bound * (1 + 1e-9) + 1e-12, np.pi)
