"""The reverse question: a new (or edited) occurrence — which residents does it suit?

Why its own path: it must answer in milliseconds while a person waits for
their "published" page, for one occurrence against every resident. So the
k-d trees are over *residents* (one per radius class, built once in the
``ResidentIndex``), the history lookups go through inverted indexes (who
served with this person, who returned to this group), and the hard
constraints and the score are the very same ``engine.evaluate`` as the full
rematch — a pair gets the same verdict and score either way.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Iterable

import numpy as np

from matchmaker.matching import geometry as geo
from matchmaker.matching.engine import (
    GROUP, ORG, PEOPLE_MAX, PEOPLE_SHIFT, SIGNED, ResidentSlice, Run, evaluate_pairs, explain,
    now_seconds, zone_day,
)
from matchmaker.matching.index import OccurrenceIndex, ResidentIndex
from matchmaker.matching.localtime import UNBOUNDED
from matchmaker.matching.model import Occurrence, Resident, ResidentMatch, SuitedResidents

#: Stretch ranges are searched as resident * 2**21 + seconds into the week.
_STRETCH_SHIFT = 21


class _OneLook:
    """History and budget answers for one occurrence, through the inverted indexes.

    Shaped like ``engine.ChunkLook`` with a single occurrence column.
    """

    def __init__(self, ri: ResidentIndex, occ: Occurrence, cand: np.ndarray, week: np.ndarray):
        self.n_occ, self.nw = 1, 1
        code = np.zeros(cand.size, dtype=np.uint8)
        people = ri.holders("person")
        hits = [people[p] for p in set(occ.going_ids or ()) if p in people]
        if hits:
            count = np.bincount(np.concatenate(hits), minlength=ri.n)[cand]
            code |= (np.minimum(count, PEOPLE_MAX) << PEOPLE_SHIFT).astype(np.uint8)
        for name, key, bit in (("group", occ.group_id, GROUP), ("org", occ.organization_id, ORG),
                               ("signed", occ.id, SIGNED)):
            holders = ri.holders(name).get(key) if key is not None else None
            if holders is not None:
                code[np.isin(cand, holders)] |= bit
        self.code_flat = code
        mins, cnt = ri.remaining(cand, week)
        self.rem_min_flat, self.rem_cnt_flat = mins, cnt


def _stretch_keys(ri: ResidentIndex) -> np.ndarray:
    st = ri.stretches
    keys = getattr(st, "_keys", None)
    if keys is None:
        keys = st._keys = (st.t_res << _STRETCH_SHIFT) + st.t_lo
    return keys


def _remote_ok(ri: ResidentIndex) -> np.ndarray:
    hit = getattr(ri, "_remote_ok_idx", None)
    if hit is None:
        hit = ri._remote_ok_idx = np.flatnonzero(ri.remote_ok)
    return hit


def residents_for_occurrence(
    occurrence: Occurrence,
    residents: ResidentIndex | Iterable[Resident],
    now: datetime,
    *,
    include_waitlist: bool = True,
    limit: int | None = None,
    min_score: float = 0.0,
) -> SuitedResidents:
    """Every resident this occurrence suits (all hard constraints), best first.

    Ties are broken by resident id. ``limit`` keeps only the best few;
    ``min_score`` drops weak matches (e.g. for "tell me about strong matches").
    Build the ``ResidentIndex`` once and reuse it: that is what makes this fast.
    """
    ri = residents if isinstance(residents, ResidentIndex) else ResidentIndex(residents)
    oi = OccurrenceIndex([occurrence])
    skipped = Counter(oi.skipped)
    if oi.n == 0 or ri.n == 0:
        return SuitedResidents([], skipped)
    now = now_seconds(now)
    if not (oi.do_by[0] > now if oi.small[0] else oi.start[0] > now) or (
            not include_waitlist and oi.seats[0] <= 0):
        return SuitedResidents([], skipped)
    small = bool(oi.small[0])
    # candidates: within the largest radius of each class, or anyone happy to help from home
    if oi.remote[0]:
        cand = _remote_ok(ri)
    else:
        parts = []
        for rmax, members, tree in ri.trees():
            chord = float(geo.chord_for_km(rmax + geo.INDEX_SLACK_KM))
            idx = tree.query_ball_point(oi.xyz[0], r=chord, return_sorted=False)
            if idx:
                parts.append(members[np.array(idx, dtype=np.int64)])
        cand = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    if cand.size == 0:
        return SuitedResidents([], skipped)
    cand = np.sort(cand)
    # time: the resident's clock decides (one projection per timezone among candidates)
    tz_of = ri.tz[cand]
    zones = np.unique(tz_of)
    lo = np.zeros(cand.size, dtype=np.int64)
    hi = np.zeros(cand.size, dtype=np.int64)
    week = np.zeros(cand.size, dtype=np.int64)
    weekday = np.zeros(cand.size, dtype=np.int64)
    minute = np.zeros(cand.size, dtype=np.int64)
    last_day = np.zeros(cand.size, dtype=np.int64)
    today = np.zeros(cand.size, dtype=np.int64)
    for z in zones.tolist():
        name = ri.tz_names[z]
        proj = oi.projection(name)
        at = tz_of == z
        day, now_week = zone_day(name, now)
        lo[at], hi[at] = proj.lo[0], proj.hi_rel[0]
        week[at] = now_week if small else proj.week_day[0]
        weekday[at], minute[at], last_day[at], today[at] = (
            proj.weekday[0], proj.minute[0], proj.last_day[0], day)
    st = ri.stretches
    if small:
        fits = oi.effort_s[0] <= st.longest[cand]
        margin = np.full(cand.size, UNBOUNDED, dtype=np.int64)
    else:
        keys = _stretch_keys(ri)
        i = np.searchsorted(keys, (cand << _STRETCH_SHIFT) + lo, side="right") - 1
        j = np.maximum(i, 0)
        fits = (i >= 0) & (st.t_res[j] == cand) & (lo <= st.t_hi[j]) & (hi <= st.t_B[j]) \
            if keys.size else np.zeros(cand.size, dtype=bool)
        margin = np.minimum(lo - st.t_A[j], st.t_B[j] - hi) if keys.size else lo
    f = np.flatnonzero(fits)
    cand = cand[f]
    run = Run(ri, oi, now, include_waitlist)
    sl = ResidentSlice(run, cand)
    look = _OneLook(ri, occurrence, cand, week[f])
    lr = np.arange(cand.size, dtype=np.int64)
    zero = np.zeros(cand.size, dtype=np.int64)
    p = evaluate_pairs(run, sl, look, lr, zero, margin[f], zero)
    keep = np.flatnonzero(p.score >= min_score)
    order = keep[np.lexsort((ri.rank[cand[p.lr[keep]]], -p.score[keep]))]
    if limit is not None:
        order = order[:max(0, limit)]
    p = p.take(order)
    cols = {"r": cand[p.lr], "o": p.o, "dist_m": p.dist_m, "code": p.code}
    for name, values in (("weekday", weekday), ("minute", minute), ("last_day", last_day),
                         ("today", today)):
        cols[name] = values[f][p.lr]
    reasons = explain(run, cols)
    out = [ResidentMatch(ri.ids[r], s, w, why) for r, s, w, why in zip(
        cols["r"].tolist(), p.score.tolist(), run.waitlist[p.o].tolist(), reasons)]
    return SuitedResidents(out, skipped)
