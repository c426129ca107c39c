"""The full rematch: every resident's top k, vectorised over resident/occurrence pairs.

How a rematch runs, and why it is fast:

1. Residents are taken timezone by timezone (their clock decides what fits),
   in chunks of a few hundred that sit close together (``index.SpatialGroups``,
   in Z-order), each chunk on a small thread pool; numpy releases the GIL in
   the heavy loops, and chunks bound memory. Results do not depend on the
   chunking, the threads or the input order.
2. Timed occurrences: one k-d tree query per spatial group gives everything
   any member could reach. The tree is built over the occurrences in the
   order their local span starts in the week, so the candidates come out
   sorted by time of week, and each of a resident's free stretches is one
   binary search: the pairs generated already start at the right time. Then
   the cheap constraints (``cheap_pairs``: distance, age, access, budget).
   Remote occurrences are one extra "group" anyone happy to help from home
   reaches.
3. Pairs sharing a cause with the resident are scored first. Their scores give
   each resident a *floor*: a score surely inside their shortlist. Small acts
   (no time to search on) are then checked as dense resident x act blocks
   (``evaluate_block``), and the timed pairs sharing no cause only if their
   best possible score reaches the floor — most do not, and the costly
   distance work is skipped for them (``_finish``). Pruning by an upper bound
   never changes the answer.
4. The score (``_finish``) is ``scoring.total(score_components(...))`` on
   arrays, in the same order of operations, so it agrees with the scalar
   definition to the last bit.
5. Per resident, a score histogram finds the shortlist (best ``3k``) without
   sorting everything; one integer sort orders it (resident, score, occurrence
   id), and the variety re-rank picks the final k.

The variety re-rank ("MMR-style" with hard caps, deterministic): walk the
shortlist (the best ``3k``) in order, keeping an item unless an earlier kept item is the same
opportunity, or two kept items are already from its organization. If fewer
than k are kept, the skipped ones fill the remaining places in their
original order (variety is a preference, never a reason to show less).
"""

from __future__ import annotations

import gc
import math
import os
from collections import Counter
from collections.abc import Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from itertools import repeat

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from matchmaker.matching import geometry as geo
from matchmaker.matching.explain import (
    UNDERFILLED_SHARE,
    UNDERFILLED_SOON,
    cause_reason,
    distance_reason,
    first_timer_reason,
    format_reason,
    group_reason,
    people_reason,
    places_reason,
    skill_reason,
    small_act_reason,
    time_reason,
)
from matchmaker.matching.index import OccurrenceIndex, ResidentIndex, expand_ranges, popcount
from matchmaker.matching.localtime import (
    DAY,
    UNBOUNDED,
    WEEK,
    offset_at,
    posix_floor,
    week_start_day,
    zone,
)
from matchmaker.matching.model import Match, Occurrence, RankResult, Resident
from matchmaker.matching.scoring import (
    COMFORT_SECONDS,
    FEW_PLACES,
    FORMAT_FIT,
    NO_SKILLS_ASKED,
    PREF_FORMATS,
    REMOTE_DISTANCE,
    SCORE_GRID,
    SOON_SECONDS,
    WAITLIST_FACTOR,
    WEIGHTS,
)

#: Timed pairs generated per chunk before the constraints.
MAX_PAIRS = 400_000
#: Residents per chunk (bounds the per-chunk lookup tables: residents x occurrences bytes).
MAX_CHUNK_RESIDENTS = 256
MAX_TABLE_CELLS = 8_000_000
#: Up to this many live occurrences, a chunk tests them all against its groups
#: (a dense test is cheaper than the tree query's Python list).
ALL_POINTS = 65_536
#: Occurrence span keys are group * 2**20 + seconds into the week (< 2**20).
GROUP_SHIFT = 20
#: Score histogram bins for the per-resident shortlist.
BINS = 256
#: Variety caps in the first pass of the re-rank, and the shortlist length (x k).
PER_ORGANIZATION = 2
PER_OPPORTUNITY = 1
SHORTLIST_FACTOR = 3
#: History bits in the per-chunk table; people served with are counted in the upper bits.
SIGNED, GROUP, ORG, PEOPLE_SHIFT, PEOPLE_MAX = 1, 2, 4, 3, 31

_HAS_BITCOUNT = hasattr(np, "bitwise_count")


def _familiar_table() -> np.ndarray:
    """WEIGHTS["familiar"] * familiar, for every history code (same arithmetic as the spec)."""
    code = np.arange(256)
    familiar = np.minimum(1.0, 0.5 * ((code & GROUP) != 0) + 0.3 * ((code & ORG) != 0)
                          + 0.2 * (code >> PEOPLE_SHIFT))
    return WEIGHTS["familiar"] * familiar


_FAMILIAR = _familiar_table()


@contextmanager
def no_gc():
    """Pause the cyclic GC while building many small objects (it would rescan them all)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def now_seconds(now) -> int:
    """``now`` as whole POSIX seconds (a naive datetime is read as UTC)."""
    if isinstance(now, (int, float)) and not isinstance(now, bool):
        return int(math.floor(now))  # noqa: RUF046 - numpy floats floor to floats
    t = posix_floor(now)
    if t is None:
        raise ValueError("now must be a datetime between 1900 and 2200")
    return t


def zone_day(tz_name: str, t: int) -> tuple[int, int]:
    """(local day number, Monday day number of its week) at POSIX time t."""
    wall = t + offset_at(zone(tz_name), t)
    return wall // DAY, int(week_start_day(wall))


def _common(a: np.ndarray, b: np.ndarray, words: int) -> np.ndarray:
    both = a & b
    if _HAS_BITCOUNT:
        c = np.bitwise_count(both)
        return c if words == 1 else c.sum(axis=-1, dtype=np.int64)
    return popcount(both if words > 1 else both[..., None])


#: Packed flags. Residents: age (bits 0-7), access needs (8-10), remote ok (11), has
#: busy time (12). Occurrences: minimum age (0-7), the needs it cannot meet (8-10),
#: remote (11), small act (12), waitlist only (13). One gather per side instead of six.
AGE, NEEDS, F_REMOTE, F_BUSY, F_SMALL, F_WAIT = 0xFF, 0x700, 1 << 11, 1 << 12, 1 << 12, 1 << 13


class Run:
    """One ranking run: both indexes, ``now``, and occurrence-side arrays in run terms.

    Everything about an occurrence that does not depend on the resident is
    computed once here — including the format, first-timer and urgency part
    of the score for each of the ten (preference, first-timer) classes.
    """

    def __init__(self, ri: ResidentIndex, oi: OccurrenceIndex, now: int, include_waitlist: bool):
        self.ri, self.oi, self.now = ri, oi, now
        n = oi.n
        self.n = n
        cb = oi.bits(ri.cause_vocab, "causes")
        sb = oi.bits(ri.skill_vocab, "skills")
        self.cwords, self.swords = cb.shape[1], sb.shape[1]
        self.cb = cb[:, 0].copy() if self.cwords == 1 else cb
        self.sb = sb[:, 0].copy() if self.swords == 1 else sb
        self.ctot = np.maximum(oi.cause_total, 1).astype(np.float64)
        self.stot = np.maximum(oi.skill_total, 1).astype(np.float64)
        self.snone = np.where(oi.skill_total > 0, 0.0, NO_SKILLS_ASKED)
        active = np.where(oi.small, oi.do_by > now, oi.start > now)
        if not include_waitlist:
            active &= oi.seats > 0
        self.active = active
        # remote occurrences get NaN coordinates: no distance test can pass for them
        self.x, self.y, self.z = (np.where(oi.remote, np.nan, oi.xyz[:, i]) for i in range(3))
        self.remote = oi.remote
        self.waitlist = oi.seats <= 0
        self.flags = (np.clip(oi.min_age, 0, 255) | (oi.block << 8) | (oi.remote * F_REMOTE)
                      | (oi.small * F_SMALL) | (self.waitlist * F_WAIT)).astype(np.int64)
        self.minutes = oi.minutes
        self.effort = oi.effort_s
        self.factor = np.where(self.waitlist, WAITLIST_FACTOR, 1.0)
        # occurrence part of the score, per resident class = preference * 2 + first_timer
        seats = oi.seats.astype(np.float64)
        cap = oi.capacity.astype(np.float64)
        few = np.where(seats <= 0, 0.0,
                       np.minimum(1.0, np.maximum(0.0, (FEW_PLACES + 1 - seats) / 3.0)))
        until = (oi.when - now).astype(np.float64)
        soon = np.minimum(1.0, np.maximum(0.0, 1.0 - until / SOON_SECONDS))
        under = np.where(cap > 0, np.minimum(1.0, np.maximum(
            0.0, np.divide(seats, cap, out=np.zeros(n), where=cap > 0))), 0.0)
        urgency = (few + soon + under) / 3.0
        base = np.empty((len(PREF_FORMATS) * 2, n))
        for pref in range(len(PREF_FORMATS)):
            fmt = FORMAT_FIT[pref, oi.fmt]
            for ft in (0, 1):
                first = np.where(oi.friendly, 1.0, 0.0) if ft else np.full(n, 0.5)
                base[pref * 2 + ft] = (WEIGHTS["format"] * fmt + WEIGHTS["first_timer"] * first) \
                    + WEIGHTS["urgency"] * urgency
        self.base = base.ravel()
        #: reasons already worded in this run, by (kind, key) (see ``explain``)
        self.words: dict = {}
        # names as small codes, for wording the reasons once per name
        names: dict = {}
        self.group_name_id = np.array([names.setdefault(x, len(names)) for x in oi.group_names],
                                      dtype=np.int64)
        names = {}
        self.org_name_id = np.array([names.setdefault(x, len(names)) for x in oi.org_names],
                                    dtype=np.int64)


class ResidentSlice:
    """Resident-side arrays for a handful of residents (a chunk, or reverse candidates)."""

    def __init__(self, run: Run, rs: np.ndarray):
        ri = run.ri
        self.rs = rs
        self.x, self.y, self.z = ri.xyz[rs, 0], ri.xyz[rs, 1], ri.xyz[rs, 2]
        self.chord2 = ri.chord2[rs]
        self.radius_m = ri.radius_m[rs]
        self.half_life = np.maximum(1.0, ri.radius[rs] / 3.0)
        self.flags = (np.clip(ri.age[rs], 0, 254) | (ri.needs[rs] << 8)
                      | (ri.remote_ok[rs] * F_REMOTE) | (ri.has_busy[rs] * F_BUSY)).astype(np.int64)
        self.cls_base = (ri.pref[rs] * 2 + ri.first_timer[rs]) * run.n
        self.cb = ri.cause_bits[rs, 0] if run.cwords == 1 else ri.cause_bits[rs]
        self.sb = ri.skill_bits[rs, 0] if run.swords == 1 else ri.skill_bits[rs]
        self.longest = ri.stretches.longest[rs]

    def take(self, rows: np.ndarray) -> ResidentSlice:
        """The same arrays for some of these residents."""
        sub = object.__new__(ResidentSlice)
        for name, value in vars(self).items():
            setattr(sub, name, value[rows])
        return sub


def _metres(c2):
    return geo.whole_metres(geo.km_for_chord(np.sqrt(c2)))


class Scored:
    """Allowed pairs with their score and what the words need."""

    __slots__ = ("lr", "o", "score", "dist_m", "code", "q")  # noqa: RUF023 - positional order

    def __init__(self, lr, o, score, dist_m, code, q):
        self.lr, self.o, self.score, self.dist_m, self.code = lr, o, score, dist_m, code
        self.q = q      # score in units of 2**-30 (scoring.SCORE_GRID), for integer sorting

    @staticmethod
    def concat(parts: list[Scored]) -> Scored:
        parts = [p for p in parts if p is not None]
        return Scored(*(np.concatenate([getattr(p, f) for p in parts]) for f in Scored.__slots__))

    def take(self, sel) -> Scored:
        return Scored(*(getattr(self, f)[sel] for f in Scored.__slots__))


def _finish(run: Run, sl: ResidentSlice, lr, o, of, margin, c2, ok, code,
            floor: np.ndarray | None = None) -> Scored:
    """The last constraints (sign-ups, clashes, the radius to the metre), then the score.

    ``scoring.total(score_components(...))`` on arrays, in the same order of
    operations, so scalar and vector agree to the last bit. With a ``floor``
    (a lower bound on each resident's shortlist cut-off), a pair that cannot
    reach it even at zero distance is dropped before the distance is worked
    out — the costly part.
    """
    ok &= (code & SIGNED) == 0
    busy = ok & ((of & F_SMALL) == 0) & ((sl.flags[lr] & F_BUSY) != 0)
    if busy.any():
        b = np.flatnonzero(busy)
        ok[b] = ~run.ri.busy_overlap(sl.rs[lr[b]], run.oi.start[o[b]], run.oi.end[o[b]])
    k = np.flatnonzero(ok)
    if k.size < lr.size:
        lr, o, of, margin, c2, code = lr[k], o[k], of[k], margin[k], c2[k], code[k]
    partial = run.base[sl.cls_base[lr] + o]
    partial += WEIGHTS["cause"] * (_common(sl.cb[lr], run.cb[o], run.cwords) / run.ctot[o])
    partial += WEIGHTS["skills"] * (_common(sl.sb[lr], run.sb[o], run.swords) / run.stot[o]
                                    + run.snone[o])
    rest = WEIGHTS["comfort"] * (np.minimum(margin, COMFORT_SECONDS) / COMFORT_SECONDS)
    remote = (of & F_REMOTE) != 0
    if floor is not None:
        best = partial + WEIGHTS["distance"] * np.where(remote, REMOTE_DISTANCE, 1.0)
        best += rest
        best += _FAMILIAR[code]
        best *= run.factor[o]
        k = np.flatnonzero(best >= floor[lr] - 2.0 / SCORE_GRID)
        lr, o, c2, code, partial, rest, remote = (
            lr[k], o[k], c2[k], code[k], partial[k], rest[k], remote[k])
    return _with_distance(run, sl, lr, o, c2, code, partial, rest, remote)


def _with_distance(run: Run, sl: ResidentSlice, lr, o, c2, code, partial, rest,
                   remote) -> Scored:
    """The end of ``_finish``: the radius to the metre, distance decay, the total score."""
    dist_m = _metres(c2)
    np.copyto(dist_m, 0.0, where=remote)
    k = np.flatnonzero(remote | (dist_m <= sl.radius_m[lr]))
    lr, o, dist_m, code, partial, rest, remote = (
        lr[k], o[k], dist_m[k], code[k], partial[k], rest[k], remote[k])
    distance = np.power(0.5, (dist_m / 1000.0) / sl.half_life[lr])
    np.copyto(distance, REMOTE_DISTANCE, where=remote)
    s = partial
    s += WEIGHTS["distance"] * distance
    s += rest
    s += _FAMILIAR[code]
    s *= run.factor[o]
    q = np.rint(s * SCORE_GRID)
    return Scored(lr, o, q / SCORE_GRID, dist_m, code, q.astype(np.int64))


class Candidates:
    """Pairs that passed the cheap constraints (place, age, access, budget), not yet scored."""

    __slots__ = ("lr", "o", "of", "margin", "c2", "ok", "code")  # noqa: RUF023 - positional order

    def __init__(self, lr, o, of, margin, c2, ok, code):
        self.lr, self.o, self.of, self.margin, self.c2, self.ok, self.code = (
            lr, o, of, margin, c2, ok, code)

    def take(self, sel) -> Candidates:
        return Candidates(*(getattr(self, f)[sel] for f in Candidates.__slots__))

    def finish(self, run: Run, sl: ResidentSlice, floor: np.ndarray | None = None) -> Scored:
        return _finish(run, sl, self.lr, self.o, self.of, self.margin, self.c2, self.ok,
                       self.code, floor)


def cheap_pairs(run: Run, sl: ResidentSlice, look, lr, o, margin, wcol) -> Candidates:
    """The cheap hard constraints for pairs (local resident ``lr``, occurrence ``o``).

    The caller has placed each timed pair inside one of the resident's free
    stretches (``margin`` is its slack; huge for small acts) and ``wcol`` is the
    column of the week it is charged to in ``look``'s budget table.
    """
    of = run.flags[o]
    rf = sl.flags[lr]
    d = sl.x[lr] - run.x[o]
    c2 = d * d
    d = sl.y[lr] - run.y[o]
    c2 += d * d
    d = sl.z[lr] - run.z[o]
    c2 += d * d
    ok = c2 <= sl.chord2[lr]                       # NaN (remote, or no home) is never near
    ok |= (of & rf & F_REMOTE) != 0                # remote, and happy to help from home
    ok &= (rf & AGE) >= (of & AGE)
    ok &= (rf & of & NEEDS) == 0
    k = np.flatnonzero(ok)
    lr, o, of, margin, wcol, c2 = lr[k], o[k], of[k], margin[k], wcol[k], c2[k]
    flat = lr * look.nw + wcol
    ok = run.minutes[o] <= look.rem_min_flat[flat]
    ok &= look.rem_cnt_flat[flat] >= 1
    return Candidates(lr, o, of, margin, c2, ok, look.code_flat[lr * look.n_occ + o])


def evaluate_pairs(run: Run, sl: ResidentSlice, look, lr, o, margin, wcol) -> Scored:
    """Every hard constraint and the score for pairs (see ``cheap_pairs``)."""
    return cheap_pairs(run, sl, look, lr, o, margin, wcol).finish(run, sl)


def best_possible(run: Run, sl: ResidentSlice, c: Candidates, idx: np.ndarray) -> np.ndarray:
    """An upper bound on the score of pairs ``idx`` of ``c`` with no cause in common, cheaply.

    Skills and distance at their best; the rest exact. (Used against the
    shortlist floor: such a pair rarely makes a resident's top few dozen.)
    """
    o = c.o[idx]
    ub = run.base[sl.cls_base[c.lr[idx]] + o] + (WEIGHTS["skills"] + WEIGHTS["distance"])
    ub += WEIGHTS["comfort"] * (np.minimum(c.margin[idx], COMFORT_SECONDS) / COMFORT_SECONDS)
    ub += _FAMILIAR[c.code[idx]]
    ub *= run.factor[o]
    return ub


def evaluate_block(run: Run, sl: ResidentSlice, look, occ: np.ndarray, now_col: int,
                   floor: np.ndarray, rows: np.ndarray, parts: list[Scored],
                   m: int) -> tuple[list[Scored], np.ndarray]:
    """The same for chunk residents (``rows``) x small acts (``occ``), as one dense block.

    Small acts have no time to search on and most pass, so the cheap
    constraints are checked with broadcasting (no per-pair gathers); the pairs
    left are finished pair by pair against the shortlist ``floor``: first those
    sharing a cause with the resident, which then raise the floor (with
    ``parts``, the pairs scored so far) for the others. Returns the scored
    pairs and the raised floor.
    """
    sl_rows = sl.take(rows)
    rem_min, rem_cnt = look.rem_min[rows, now_col], look.rem_cnt[rows, now_col]
    # narrow types: these arrays are residents x acts, memory traffic is the cost
    of = run.flags[occ]
    rf = sl_rows.flags
    d = sl_rows.x[:, None] - run.x[occ][None, :]
    c2 = d * d
    d = sl_rows.y[:, None] - run.y[occ][None, :]
    c2 += d * d
    d = sl_rows.z[:, None] - run.z[occ][None, :]
    c2 += d * d
    ok = c2 <= sl_rows.chord2[:, None]
    ok |= ((rf & F_REMOTE) != 0)[:, None] & ((of & F_REMOTE) != 0)[None, :]
    ok &= (rf & AGE).astype(np.int16)[:, None] >= (of & AGE).astype(np.int16)[None, :]
    needs, cannot = ((rf & NEEDS) >> 8).astype(np.uint8), ((of & NEEDS) >> 8).astype(np.uint8)
    ok &= (needs[:, None] & cannot[None, :]) == 0
    ok &= run.minutes[occ][None, :] <= rem_min[:, None]
    ok &= (rem_cnt >= 1)[:, None]
    ok &= run.effort[occ][None, :] <= sl_rows.longest[:, None]   # fits one stretch of free time
    code = look.table.take(occ, axis=1)     # not a copy of whole table rows first
    if rows.size < code.shape[0]:
        code = code[rows]
    ok &= (code & SIGNED) == 0
    # ``_finish`` up to the floor test, on the dense block (the same arithmetic,
    # element by element, so the same pairs pass): broadcasting instead of a
    # dozen per-pair gathers for pairs the floor then drops. Small acts never
    # clash with busy time and their slack is unbounded.
    partial = run.base[sl_rows.cls_base[:, None] + occ[None, :]]
    common = _outer_common(sl_rows.cb, run.cb[occ], run.cwords)
    partial += WEIGHTS["cause"] * (common / run.ctot[occ])
    partial += WEIGHTS["skills"] * (_outer_common(sl_rows.sb, run.sb[occ], run.swords)
                                    / run.stot[occ] + run.snone[occ])
    rest = WEIGHTS["comfort"] * (np.minimum(np.array([UNBOUNDED]), COMFORT_SECONDS)
                                 / COMFORT_SECONDS)
    remote = (of & F_REMOTE) != 0
    best = partial + WEIGHTS["distance"] * np.where(remote, REMOTE_DISTANCE, 1.0)
    best += rest
    best += _FAMILIAR[code]
    best *= run.factor[occ]
    caring = common > 0
    out = []
    for phase in (caring, ~caring):
        # (a -inf floor lets every allowed pair through, as no floor at all)
        k = np.flatnonzero(ok & phase & (best >= floor[rows][:, None] - 2.0 / SCORE_GRID))
        if k.size == 0:
            continue
        lr, j = np.divmod(k, occ.size)
        out.append(_with_distance(run, sl, rows[lr], occ[j], c2.ravel()[k], code.ravel()[k],
                                  partial.ravel()[k], np.repeat(rest, k.size), remote[j]))
        if phase is caring:
            # a floor from more pairs is still a floor: keep the higher one
            floor = np.maximum(floor, shortlist_floor(parts + out, sl.rs.size, m))
    return out, floor


def _outer_common(a: np.ndarray, b: np.ndarray, words: int) -> np.ndarray:
    """``_common`` for every row of ``a`` against every row of ``b`` (a 2-D block)."""
    if words == 1:
        return _common(a[:, None], b[None, :], 1)
    return _common(a[:, None, :], b[None, :, :], words)


def shortlist_floor(parts: list[Scored], n_local: int, m: int) -> np.ndarray:
    """A lower bound on each resident's m-th best score in ``parts`` (-inf with fewer than m)."""
    floor = np.full(n_local, -np.inf)
    parts = [p for p in parts if p is not None]
    lr = np.concatenate([p.lr for p in parts]) if parts else np.zeros(0, dtype=np.int64)
    if lr.size == 0:
        return floor
    score = np.concatenate([p.score for p in parts])       # (only what the histogram needs)
    _down, threshold, reached = _histogram(score, lr, n_local, m)
    floor[reached] = (BINS - 1 - threshold[reached]) / BINS
    return floor


def _histogram(score, lr, n_local, m):
    """Per resident, the score bin (counted from the top) where the m-th best falls."""
    down = (BINS - 1) - np.minimum((score * BINS).astype(np.int64), BINS - 1)
    counts = np.bincount(lr * BINS + down, minlength=n_local * BINS).reshape(n_local, BINS)
    reach = np.cumsum(counts, axis=1) >= m
    reached = reach.any(axis=1)
    return down, np.where(reached, reach.argmax(axis=1), BINS - 1), reached


def top_k(p: Scored, n_local: int, rank_o: np.ndarray, opp: np.ndarray, org: np.ndarray,
          k: int) -> np.ndarray:
    """Indexes into ``p`` of each resident's final k, grouped by resident, best first."""
    if p.lr.size == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64)
    m = SHORTLIST_FACTOR * k
    lr = p.lr
    # the shortlist without a full sort: a per-resident histogram of scores gives
    # the lowest bin still holding the m-th best; everything below it goes.
    down, threshold, _ = _histogram(p.score, lr, n_local, m)
    cand = np.flatnonzero(down <= threshold[lr])
    # sort by resident, score (best first), occurrence id: one integer key when it fits
    rk = rank_o[p.o[cand]]
    if n_local <= 1 << 9 and rank_o.size <= 1 << 23:
        key = (lr[cand] << 54) | (((1 << 31) - 1 - p.q[cand]) << 23) | rk
        order = cand[np.argsort(key)]
    else:
        order = cand[np.lexsort((rk, -p.q[cand], lr[cand]))]
    olr = lr[order]
    pos = _position_in_run(olr)
    short = pos < m
    order, olr, pos = order[short], olr[short], pos[short]
    # first pass: first item of each opportunity, at most PER_ORGANIZATION per organization
    oo = p.o[order]
    chosen = _first_in_group(olr, opp[oo], pos, PER_OPPORTUNITY, m)
    f = np.flatnonzero(chosen)
    chosen[f] = _first_in_group(olr[f], org[oo[f]], pos[f], PER_ORGANIZATION, m)
    final = np.argsort((olr * 2 + ~chosen) * m + pos, kind="stable")
    keep = _position_in_run(olr[final]) < k
    return order[final[keep]]


def _position_in_run(sorted_keys: np.ndarray) -> np.ndarray:
    """0, 1, 2 ... within each run of equal consecutive keys."""
    n = sorted_keys.size
    first = np.ones(n, dtype=bool)
    first[1:] = sorted_keys[1:] != sorted_keys[:-1]
    return np.arange(n) - np.maximum.accumulate(np.where(first, np.arange(n), 0))


def _first_in_group(resident: np.ndarray, group: np.ndarray, pos: np.ndarray, cap: int,
                    m: int) -> np.ndarray:
    """True for the first ``cap`` items (by pos < m) of each (resident, group)."""
    if resident.size == 0:
        return np.zeros(0, dtype=bool)
    width = int(group.max()) + 1
    order = np.argsort((resident * width + group) * m + pos, kind="stable")
    rr, gg = resident[order], group[order]
    new = np.ones(order.size, dtype=bool)
    new[1:] = (rr[1:] != rr[:-1]) | (gg[1:] != gg[:-1])
    start = np.maximum.accumulate(np.where(new, np.arange(order.size), 0))
    out = np.empty(order.size, dtype=bool)
    out[order] = (np.arange(order.size) - start) < cap
    return out


def _csr(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int, data=None):
    data = np.ones(rows.size, dtype=np.int32) if data is None else data
    m = sparse.csr_matrix((data, (rows, cols)), shape=(n_rows, max(1, n_cols)))
    m.sum_duplicates()
    m.sort_indices()
    return m


def _rows(m, rs: np.ndarray):
    """(local row, column, value) of the CSR rows ``rs``."""
    starts = m.indptr[rs]
    seg, pos = expand_ranges(starts, m.indptr[rs + 1] - starts)
    return seg, m.indices[pos].astype(np.int64), m.data[pos]


class History:
    """Residents' history mapped onto this run's occurrences (for the full rematch)."""

    def __init__(self, run: Run):
        ri, oi = run.ri, run.oi
        n = oi.n

        def codes(name, table: dict):
            rs, vals = ri.rel[name]
            c = np.fromiter(map(table.get, vals, repeat(-1)), dtype=np.int64, count=len(vals))
            keep = c >= 0
            return rs[keep], c[keep]

        gr, gc_ = codes("group", oi.group_index)
        self.res_groups = _csr(gr, gc_, ri.n, oi.n_groups)
        orr, oc = codes("org", oi.org_index)
        self.res_orgs = _csr(orr, oc, ri.n, oi.n_orgs)
        sr, so = codes("signed", oi.index)
        self.signed = _csr(sr, so, ri.n, n)
        grouped = np.flatnonzero(oi.group >= 0)
        self.group_occ = _csr(oi.group[grouped], grouped, max(1, oi.n_groups), n)
        self.org_occ = _csr(oi.org, np.arange(n), max(1, oi.n_orgs), n)
        # people served with who are going: (residents x persons) @ (persons x occurrences)
        person: dict = {}
        p_rows, p_cols = [], []
        for i, going in enumerate(oi.going):
            for pid in going:
                p_rows.append(person.setdefault(pid, len(person)))
                p_cols.append(i)
        self.people = None
        if person:
            pr, pc = codes("person", person)
            if pr.size:
                a = _csr(pr, pc, ri.n, len(person))
                g = _csr(np.array(p_rows), np.array(p_cols), len(person), n)
                g.data[:] = 1
                self.people = (a @ g).tocsr()
                self.people.sort_indices()


class ChunkLook:
    """History and budget answers for one chunk, as small dense tables.

    ``table[local resident, occurrence]``: SIGNED / GROUP / ORG bits and the
    number of people served with who are going (upper bits). ``rem_min`` /
    ``rem_cnt[local resident, week column]``: what is left of the budget.
    """

    def __init__(self, run: Run, hist: History, rs: np.ndarray, weeks: np.ndarray):
        nc, n = rs.size, run.n
        self.n_occ, self.nw = n, weeks.size
        table = np.zeros((nc, n), dtype=np.uint8)
        if hist.people is not None:
            seg, col, val = _rows(hist.people, rs)
            table[seg, col] = (np.minimum(val, PEOPLE_MAX) << PEOPLE_SHIFT).astype(np.uint8)
        for res_m, occ_m, bit in ((hist.res_groups, hist.group_occ, GROUP),
                                  (hist.res_orgs, hist.org_occ, ORG)):
            seg, code, _ = _rows(res_m, rs)
            if seg.size:
                first = occ_m.indptr[code]
                s2, pos = expand_ranges(first, occ_m.indptr[code + 1] - first)
                table[seg[s2], occ_m.indices[pos]] |= bit
        seg, col, _ = _rows(hist.signed, rs)
        table[seg, col] |= SIGNED
        self.table = table
        self.code_flat = table.ravel()
        mins, cnt = run.ri.remaining(np.repeat(rs, weeks.size), np.tile(weeks, nc))
        self.rem_min_flat, self.rem_cnt_flat = mins, cnt
        self.rem_min = mins.reshape(nc, weeks.size)
        self.rem_cnt = cnt.reshape(nc, weeks.size)


class ZonePlan:
    """One timezone: the occurrences as seen on its clock, and its residents in chunk order.

    Each chunk asks the k-d tree for its own groups' candidates (so that work
    runs in the chunk's thread): the tree is built over the active placed
    occurrences in span-start order, so every group's list comes out sorted
    by time of week, ready for the binary searches.
    """

    def __init__(self, run: Run, tz_code: int):
        ri, oi = run.ri, run.oi
        self.tz_name = ri.tz_names[tz_code]
        self.proj = proj = oi.projection(self.tz_name)
        self.lo, self.hi_rel = proj.lo, proj.hi_rel
        self.today, now_week = zone_day(self.tz_name, run.now)
        sg = self.sg = ri.groups()
        gids = np.flatnonzero(sg.tz == tz_code)
        members = [sg.members[sg.ptr[gids[0]]:sg.ptr[gids[-1] + 1]]] if gids.size else []
        unlocated = np.flatnonzero((ri.tz == tz_code) & ~ri.has_home)
        members.append(unlocated[np.argsort(ri.rank[unlocated], kind="stable")])
        self.residents = np.concatenate(members).astype(np.int64)
        live = np.flatnonzero(run.active & ~oi.remote)
        self.live = live[np.lexsort((live, proj.lo[live]))]
        self.tree = cKDTree(oi.xyz[self.live]) if self.live.size else None
        # the cap holding every live occurrence (centre, angular radius)
        if self.live.size:
            pts = oi.xyz[self.live]
            c = pts.sum(axis=0)
            c = c / np.linalg.norm(c) if np.linalg.norm(c) > 1e-12 else pts[0]
            self.cap_centre = c
            self.cap = float(geo.angle_for_chord(np.linalg.norm(pts - c, axis=1)).max()) + 1e-9
        else:
            self.cap_centre, self.cap = np.array([0.0, 0.0, 1.0]), 0.0
        self.chords = 2.0 * np.sin(sg.bound / 2.0)
        remote = np.flatnonzero(run.active & oi.remote)
        remote = remote[np.lexsort((remote, proj.lo[remote]))]
        self.remote_timed = remote[~oi.small[remote]]
        self.remote_small = remote[oi.small[remote]]
        timed = np.flatnonzero(run.active & ~oi.small)
        # the ISO weeks pairs can be charged to; small acts go to this week
        self.weeks = np.unique(np.concatenate([proj.week_day[timed], [now_week]]))
        self.wcol = np.searchsorted(self.weeks, proj.week_day)
        self.now_col = int(np.searchsorted(self.weeks, now_week))
        # for chunk sizes: candidates per group, and the share of the week each resident is free
        counts = np.zeros(max(1, sg.n), dtype=np.float64)
        if gids.size and self.tree is not None:
            counts[gids] = self.tree.query_ball_point(sg.centre[gids], r=self.chords[gids],
                                                      return_length=True)
        st = ri.stretches
        free = np.bincount(st.res, weights=np.minimum(st.B - st.A, WEEK).astype(np.float64),
                           minlength=ri.n) / WEEK
        rs = self.residents
        g = sg.group[rs]
        self.estimate = (np.where(g >= 0, counts[np.maximum(g, 0)], 0.0)
                         + ri.remote_ok[rs] * self.remote_timed.size) * free[rs] * 1.5 \
            + 1.0

    def candidates(self, run: Run, rs: np.ndarray):
        """The chunk's timed candidates as (sorted keys, occurrences), its groups and small acts.

        One k-d tree query for the whole chunk (a ball around its groups), then
        each group keeps what lies within its own bound — a small dense
        groups x candidates test instead of one Python list per group. Keys
        are local group * 2**20 + span start (sorted: candidates come in span
        order); remote occurrences are the last local group, reachable by
        anyone happy to help from home.
        """
        oi, sg = run.oi, self.sg
        g = sg.group[rs]
        gs = np.unique(g[g >= 0])
        occ = np.zeros(0, dtype=np.int64)
        g_of = np.zeros(0, dtype=np.int64)
        if gs.size and self.tree is not None:
            centres = sg.centre[gs]
            mid = centres.sum(axis=0)
            norm = np.linalg.norm(mid)
            mid = mid / norm if norm > 1e-12 else centres[0]
            spread = geo.angle_for_chord(np.linalg.norm(centres - mid, axis=1))
            reach = float(np.max(spread + sg.bound[gs]))
            if self.live.size <= ALL_POINTS or \
                    reach >= geo.angle_for_chord(np.linalg.norm(mid - self.cap_centre)) + self.cap:
                near = np.arange(self.live.size)        # few enough, or all inside: no query
            else:
                ball = 2.0 * math.sin(min(reach, math.pi) / 2.0) * (1 + 1e-9) + 1e-12
                near = np.asarray(self.tree.query_ball_point(mid, r=ball, return_sorted=True),
                                  dtype=np.int64)
            if near.size:
                pts = self.tree.data[near]
                cosines = centres[:, 0:1] * pts[:, 0]               # bigger is nearer
                cosines += centres[:, 1:2] * pts[:, 1]
                cosines += centres[:, 2:3] * pts[:, 2]
                inside = cosines >= np.cos(np.minimum(sg.bound[gs], math.pi))[:, None] - 1e-12
                g_of, c = np.nonzero(inside)
                occ = self.live[near[c]]
        t = ~oi.small[occ]
        t_occ = np.concatenate([occ[t], self.remote_timed])
        tg = np.concatenate([g_of[t], np.full(self.remote_timed.size, gs.size, dtype=np.int64)])
        t_key = (tg << GROUP_SHIFT) + self.lo[t_occ]
        return t_key, t_occ, gs, np.unique(occ[~t])

    def queries(self, run: Run, rs: np.ndarray, t_key: np.ndarray, gs: np.ndarray):
        """One binary search per free stretch: (local resident, A, B, left, right)."""
        ri = run.ri
        st = ri.stretches
        starts = st.t_ptr[rs]
        seg, tpos = expand_ranges(starts, st.t_ptr[rs + 1] - starts)
        g = self.sg.group[rs[seg]]
        located = np.flatnonzero(g >= 0)
        remote = np.flatnonzero(ri.remote_ok[rs[seg]])
        qi = np.concatenate([located, remote])
        qg = np.concatenate([np.searchsorted(gs, g[located]),
                             np.full(remote.size, gs.size, dtype=np.int64)])
        tp = tpos[qi]
        left = np.searchsorted(t_key, (qg << GROUP_SHIFT) + st.t_lo[tp], side="left")
        right = np.searchsorted(t_key, (qg << GROUP_SHIFT) + st.t_hi[tp], side="right")
        return seg[qi], st.t_A[tp], st.t_B[tp], left, right


def rank_chunk(run: Run, hist: History, plan: ZonePlan, rs: np.ndarray, k: int) -> dict:
    """The final k for a chunk of residents of one timezone, as arrays."""
    oi = run.oi
    sl = ResidentSlice(run, rs)
    look = ChunkLook(run, hist, rs, plan.weeks)
    t_key, t_occ, gs, small = plan.candidates(run, rs)
    # timed: inside a stretch by the search; then the end of the span
    q, A, B, left, right = plan.queries(run, rs, t_key, gs)
    seg, pos = expand_ranges(left, right - left)
    o = t_occ[pos]
    fit = np.flatnonzero(plan.hi_rel[o] <= B[seg])
    o, seg = o[fit], seg[fit]
    margin = np.minimum(plan.lo[o] - A[seg], B[seg] - plan.hi_rel[o])
    timed = cheap_pairs(run, sl, look, q[seg], o, margin, plan.wcol[o])
    # Most pairs share no cause with the resident and cannot reach their top few
    # dozen. Score the others first, and the small acts; the lowest score that is
    # surely in each resident's shortlist (the floor) then prunes the rest.
    m = SHORTLIST_FACTOR * k
    # (pairs over budget or already signed up for never pass ``_finish``: drop them now)
    ok = timed.ok & ((timed.code & SIGNED) == 0)
    caring = _common(sl.cb[timed.lr], run.cb[timed.o], run.cwords) > 0
    parts = [timed.take(np.flatnonzero(ok & caring)).finish(run, sl)]
    floor = shortlist_floor(parts, rs.size, m)
    for acts, rows in ((small, np.flatnonzero(run.ri.has_home[rs])),
                       (plan.remote_small, np.flatnonzero(run.ri.remote_ok[rs]))):
        if acts.size and rows.size:
            got, floor = evaluate_block(run, sl, look, acts, plan.now_col, floor, rows, parts, m)
            parts.extend(got)
    floor = np.maximum(floor, shortlist_floor(parts, rs.size, m))
    rest = np.flatnonzero(ok & ~caring)
    rest = rest[best_possible(run, sl, timed, rest) >= floor[timed.lr[rest]] - 2.0 / SCORE_GRID]
    parts.append(timed.take(rest).finish(run, sl, floor))
    p = Scored.concat(parts)
    sel = top_k(p, rs.size, oi.rank, oi.opp, oi.org, k)
    p = p.take(sel)
    proj = plan.proj
    return {
        "r": rs[p.lr], "o": p.o, "score": p.score, "dist_m": p.dist_m, "code": p.code,
        "weekday": proj.weekday[p.o], "minute": proj.minute[p.o], "last_day": proj.last_day[p.o],
        "today": np.full(p.o.size, plan.today, dtype=np.int64),
    }


def _chunks(est: np.ndarray, n: int, n_occ: int) -> list[tuple[int, int]]:
    """Split residents 0..n into runs with bounded pairs and table sizes."""
    per_chunk = max(1, min(MAX_CHUNK_RESIDENTS, MAX_TABLE_CELLS // max(1, n_occ)))
    out = []
    cum = np.concatenate([[0.0], np.cumsum(est)])
    i = 0
    while i < n:
        j = int(np.searchsorted(cum, cum[i] + MAX_PAIRS, side="right")) - 1
        j = max(i + 1, min(j, i + per_chunk, n))
        out.append((i, j))
        i = j
    return out


def _dense(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first row of each distinct key, dense code per row), in key order.

    Small key ranges (the usual case) are done by scattering into a table
    instead of sorting a million keys.
    """
    keys = np.asarray(keys, dtype=np.int64)
    if keys.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    lo, hi = int(keys.min()), int(keys.max())
    if hi - lo <= 4 * keys.size + 4096:
        k = keys - lo
        first = np.full(hi - lo + 1, keys.size, dtype=np.int64)
        np.minimum.at(first, k, np.arange(keys.size))
        present = first < keys.size
        code = np.cumsum(present) - 1
        return first[present], code[k]
    _, first, inv = np.unique(keys, return_index=True, return_inverse=True)
    return first, inv.reshape(-1)


def _rows_key(columns: list[np.ndarray]) -> np.ndarray:
    """One dense int64 key per row for several small-int columns (mixed radix)."""
    key = np.zeros(columns[0].size, dtype=np.int64)
    span = 1
    for col in columns:
        width = int(col.max()) + 1 if col.size else 1
        if span * width >= 1 << 62:
            key = _dense(key)[1]
            span = int(key.max()) + 1
        key = key * width + col
        span *= width
    return key


def explain(run: Run, cols: dict) -> list[tuple[str, ...]]:
    """Reasons for the chosen pairs (the same helpers as ``explain.reasons``).

    A million matches say only a few thousand different things, so each kind
    of reason gets a small integer key that fixes its words, each distinct
    key is worded once per run (``run.words``), and the strings are shared.
    """
    ri, oi = run.ri, run.oi
    r, o = cols["r"], cols["o"]
    if r.size == 0:
        return []
    cache = run.words

    def phrase_ids(kind: str, keys: np.ndarray, word, stable: bool = True) -> list[str]:
        """Each row's words for this kind (worded once per distinct key)."""
        first, inv = _dense(keys)
        texts = np.empty(first.size, dtype=object)
        for u, (i, key) in enumerate(zip(first.tolist(), keys[first].tolist())):
            text = cache.get((kind, key)) if stable else None
            if text is None:
                text = word(i)
                if stable:
                    cache[(kind, key)] = text
            texts[u] = text
        return texts[inv].tolist()

    def bits_key(words: np.ndarray) -> np.ndarray:
        return words[:, 0].view(np.int64) if words.shape[1] == 1 \
            else _rows_key([_dense(words[:, w])[1] for w in range(words.shape[1])])

    def keys_of(words: np.ndarray, i: int, vocab: list[str]) -> tuple[str, ...]:
        m = sum(int(w) << (64 * j) for j, w in enumerate(words[i].tolist()))
        return tuple(sorted(vocab[b] for b in range(m.bit_length()) if m >> b & 1))

    one_word = run.cwords == 1 and run.swords == 1
    cause_and = ri.cause_bits[r] & oi.bits(ri.cause_vocab, "causes")[o]
    skill_and = ri.skill_bits[r] & oi.bits(ri.skill_vocab, "skills")[o]
    remote = oi.remote[o]
    small = oi.small[o]
    # distance words come in bands (as in explain.distance_reason): key on the band
    metres = cols["dist_m"]
    km = metres / 1000.0
    band = np.where(metres < 1000, 0, np.where(
        km < 9.5, np.floor(km + 0.5), 5 * np.floor(km / 5.0 + 0.5))).astype(np.int64)
    dist = np.where(remote, -1, band)
    # when: weekday + part of day; small acts: today / this week / a date, and the effort
    days_left = cols["last_day"] - cols["today"]
    effort = np.clip(np.rint(oi.minutes[o]), 0, (1 << 20) - 1).astype(np.int64)
    hour = cols["minute"] // 60
    part = np.select([(hour >= 5) & (hour < 12), (hour >= 12) & (hour < 17),
                      (hour >= 17) & (hour < 22)], [0, 1, 2], 3)
    horizon = np.where(days_left <= 0, 0, np.where(days_left < 7, 1, 2))
    day = np.clip(cols["last_day"] + (1 << 20), 0, (1 << 21) - 1)     # days since 1970, shifted
    small_key = ((horizon << 21) + day) << 20 | effort
    when_key = np.where(small, small_key + 28, cols["weekday"] * 4 + part)
    code = cols["code"].astype(np.int64)
    grp = (code & GROUP) != 0
    org = (code & ORG) != 0
    fam_key = np.where(grp, 2 * run.group_name_id[o],
                       np.where(org, 2 * run.org_name_id[o] + 1, -1))
    people = code >> PEOPLE_SHIFT
    welcome = (ri.first_timer[r] & oi.friendly[o]).astype(np.int64)
    pref = ri.pref[r]
    fmt_key = np.where((pref > 0) & (oi.fmt[o] == pref - 1), pref, 0)
    seats, capacity = oi.seats[o], oi.capacity[o]
    soon = (oi.when[o] - run.now) <= UNDERFILLED_SOON
    share = np.divide(seats, capacity, out=np.zeros(seats.size), where=capacity > 0)
    places_key = np.where(seats <= 0, 0, np.where(seats <= 3, seats, np.where(
        soon & (capacity > 0) & (share >= UNDERFILLED_SHARE), 4, 5)))
    ids = [
        phrase_ids("cause", bits_key(cause_and),
                   lambda i: cause_reason(keys_of(cause_and, i, ri.cause_keys)), one_word),
        phrase_ids("skill", bits_key(skill_and),
                   lambda i: skill_reason(keys_of(skill_and, i, ri.skill_keys)), one_word),
        phrase_ids("distance", dist,
                   lambda i: distance_reason(None if dist[i] < 0 else int(metres[i]))),
        phrase_ids("when", when_key,
                   lambda i: small_act_reason(int(days_left[i]), int(cols["last_day"][i]),
                                              int(effort[i])) if small[i]
                   else time_reason(int(cols["weekday"][i]), int(cols["minute"][i]))),
        phrase_ids("familiar", fam_key,
                   lambda i: group_reason(bool(grp[i]), oi.group_names[o[i]],
                                          bool(org[i]), oi.org_names[o[i]])),
        phrase_ids("people", people, lambda i: people_reason(int(people[i]))),
        phrase_ids("welcome", welcome, lambda i: first_timer_reason(bool(welcome[i]))),
        phrase_ids("format", fmt_key,
                   lambda i: format_reason(PREF_FORMATS[fmt_key[i]] if fmt_key[i] else None)),
        phrase_ids("places", places_key,
                   lambda i: places_reason(int(seats[i]), int(capacity[i]), bool(soon[i]))),
    ]
    return list(map(tuple, map(filter, repeat(None), zip(*ids))))


def explained(run: Run, cols: dict) -> tuple[list[int], list[list[Match]]]:
    """A chunk's final arrays as Match lists: (resident indexes, their matches)."""
    r = cols["r"]
    if r.size == 0:
        return [], []
    reasons = explain(run, cols)
    oi = run.oi
    ol = cols["o"].tolist()
    made = list(map(tuple.__new__, repeat(Match), zip(
        map(oi.ids.__getitem__, ol), map(oi.opportunity_ids.__getitem__, ol),
        cols["score"].tolist(), run.waitlist[cols["o"]].tolist(), reasons)))
    # rows come grouped by resident: one slice each
    cut = np.flatnonzero(np.diff(r)) + 1
    starts = np.concatenate([[0], cut]).tolist()
    ends = np.concatenate([cut, [r.size]]).tolist()
    return r[starts].tolist(), [made[a:b] for a, b in zip(starts, ends)]


def rank(
    residents: Iterable[Resident] | ResidentIndex,
    occurrences: Iterable[Occurrence] | OccurrenceIndex,
    now: datetime,
    k: int = 10,
    *,
    include_waitlist: bool = True,
    workers: int | None = None,
) -> RankResult:
    """Every resident's best ``k`` occurrences, explained; bad input is skipped and counted.

    Accepts dataclasses or prebuilt indexes (build them once to rank many
    times). Deterministic: the same inputs give the same result whatever
    their order, the chunking or the number of threads. A caller can shard
    (e.g. by region) by passing a subset of residents — a resident's result
    never depends on the other residents.
    """
    with no_gc():
        ri = residents if isinstance(residents, ResidentIndex) else ResidentIndex(residents)
        oi = occurrences if isinstance(occurrences, OccurrenceIndex) \
            else OccurrenceIndex(occurrences)
        run = Run(ri, oi, now_seconds(now), include_waitlist)
        skipped = Counter(ri.skipped) + Counter(oi.skipped)
        matches: dict[Hashable, list[Match]] = {rid: [] for rid in ri.ids}
        if ri.n == 0 or oi.n == 0 or k <= 0:
            return RankResult(matches, skipped)
        hist = History(run)
        jobs = []
        for tz_code in range(len(ri.tz_names)):
            plan = ZonePlan(run, tz_code)
            for a, b in _chunks(plan.estimate, plan.residents.size, oi.n):
                jobs.append((plan, plan.residents[a:b]))
        workers = workers or min(len(jobs), os.cpu_count() or 1, 4)

        def job(plan_rs):
            return explained(run, rank_chunk(run, hist, plan_rs[0], plan_rs[1], k))

        if workers > 1:
            with ThreadPoolExecutor(workers) as pool:
                parts = list(pool.map(job, jobs))
        else:
            parts = list(map(job, jobs))
        rid = ri.ids
        for residents_of, lists in parts:
            for res, made in zip(residents_of, lists):
                matches[rid[res]] = made
        return RankResult(matches, skipped)


def rank_for_resident(
    resident: Resident,
    occurrences: Iterable[Occurrence] | OccurrenceIndex,
    now: datetime,
    k: int = 10,
    *,
    include_waitlist: bool = True,
) -> RankResult:
    """One resident's best ``k`` (after a profile change); same rules as ``rank``.

    Pass a prebuilt ``OccurrenceIndex`` to answer many of these quickly.
    """
    return rank([resident], occurrences, now, k, include_waitlist=include_waitlist, workers=1)
