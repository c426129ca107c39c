"""The reverse question: a new (or edited) occurrence — which residents does it suit?

Why its own path: it must answer in milliseconds while an organizer waits,
for one occurrence against every resident. So the candidates come from the
``ResidentIndex``'s free-time index (who may be free at that time of week,
per timezone: time of week cuts more than distance does), then a vectorised
distance cut; small acts, which have no time, come from the k-d trees over
residents (one per radius class). History is looked up through inverted
indexes (who served with this person, who came back to this group), and the
hard constraints and the score are the very same ``engine`` code as the full
rematch — a pair gets the same verdict and score either way.

``cutoffs`` (each resident's current k-th best score, ``kth_scores``) narrows
the answer to the residents whose recommendations the occurrence changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from itertools import repeat

import numpy as np

from matchmaker.matching import geometry as geo
from matchmaker.matching.engine import (
    GROUP,
    ORG,
    PEOPLE_MAX,
    PEOPLE_SHIFT,
    SIGNED,
    ResidentSlice,
    Run,
    evaluate_pairs,
    explain,
    now_seconds,
    zone_day,
)
from matchmaker.matching.index import OccurrenceIndex, ResidentIndex
from matchmaker.matching.localtime import UNBOUNDED, WEEK
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


def kth_scores(index: ResidentIndex, result, k: int) -> np.ndarray:
    """Each resident's k-th best score in a ranking (-inf with fewer than k), index order.

    Pass it as ``cutoffs`` to ``residents_for_occurrence`` to get only the
    residents whose current list the new occurrence would enter.
    """
    out = np.full(index.n, -np.inf)
    for i, rid in enumerate(index.ids):
        ms = result.matches.get(rid, ())
        if len(ms) >= k:
            out[i] = ms[k - 1].score
    return out


def residents_for_occurrence(
    occurrence: Occurrence,
    residents: ResidentIndex | Iterable[Resident],
    now: datetime,
    *,
    include_waitlist: bool = True,
    cutoffs: np.ndarray | None = None,
    limit: int | None = None,
    min_score: float = 0.0,
) -> SuitedResidents:
    """Every resident this occurrence suits (all hard constraints), best first.

    Ties are broken by resident id. ``cutoffs`` (one score per resident, in
    the index's order, e.g. from ``kth_scores``) keeps only residents for
    whom the new occurrence scores at least their current k-th best — the
    ones whose recommendations change. ``limit`` keeps the best few;
    ``min_score`` drops weak matches (e.g. for "tell me about strong
    matches"). Build the ``ResidentIndex`` once and reuse it: that is what
    makes this fast.
    """
    ri = residents if isinstance(residents, ResidentIndex) else ResidentIndex(residents)
    oi = OccurrenceIndex([occurrence])
    skipped = Counter(oi.skipped)
    if oi.n == 0 or ri.n == 0:
        return SuitedResidents([], skipped)
    now = now_seconds(now)
    small, remote = bool(oi.small[0]), bool(oi.remote[0])
    if not (oi.do_by[0] > now if small else oi.start[0] > now) or (
            not include_waitlist and oi.seats[0] <= 0):
        return SuitedResidents([], skipped)
    # 1. candidates: free at that time of week (timed), or near enough / happy at home (small acts)
    if not small:
        ptr, free = ri.free_at()
        n_slots = WEEK // ri.SLOT
        parts = []
        for z, name in enumerate(ri.tz_names):
            slot = z * n_slots + int(oi.projection(name).lo[0]) // ri.SLOT
            parts.append(free[ptr[slot]:ptr[slot + 1]])
        cand = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    elif remote:
        cand = _remote_ok(ri)
    else:
        parts = []
        for rmax, members, tree in ri.trees():
            chord = float(geo.chord_for_km(rmax + geo.INDEX_SLACK_KM))
            idx = tree.query_ball_point(oi.xyz[0], r=chord, return_sorted=False)
            if idx:
                parts.append(members[np.array(idx, dtype=np.int64)])
        cand = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    # 2. place (cheap first cut; the exact check to the metre is in evaluate_pairs)
    if remote:
        cand = cand[ri.remote_ok[cand]]
    elif not small:
        d = ri.xyz[cand] - oi.xyz[0]
        cand = cand[np.einsum("ij,ij->i", d, d) <= ri.chord2[cand]]
    if cand.size == 0:
        return SuitedResidents([], skipped)
    # 3. the resident's clock (one projection per timezone among the candidates)
    tz_of = ri.tz[cand]
    n_tz = len(ri.tz_names)
    lo, hi, week, weekday, minute, last_day, today = (np.zeros(n_tz, dtype=np.int64)
                                                      for _ in range(7))
    for z in np.unique(tz_of).tolist():
        name = ri.tz_names[z]
        proj = oi.projection(name)
        today[z], now_week = zone_day(name, now)
        lo[z], hi[z] = proj.lo[0], proj.hi_rel[0]
        week[z] = now_week if small else proj.week_day[0]
        weekday[z], minute[z], last_day[z] = proj.weekday[0], proj.minute[0], proj.last_day[0]
    st = ri.stretches
    if small:
        fits = oi.effort_s[0] <= st.longest[cand]
        margin = np.full(cand.size, UNBOUNDED, dtype=np.int64)
    else:
        keys = _stretch_keys(ri)
        c_lo, c_hi = lo[tz_of], hi[tz_of]
        i = np.searchsorted(keys, (cand << _STRETCH_SHIFT) + c_lo, side="right") - 1
        j = np.maximum(i, 0)
        fits = (i >= 0) & (st.t_res[j] == cand) & (c_lo <= st.t_hi[j]) & (c_hi <= st.t_B[j])
        margin = np.minimum(c_lo - st.t_A[j], st.t_B[j] - c_hi)
    f = np.flatnonzero(fits)
    cand, margin, tz_of = cand[f], margin[f], tz_of[f]
    # 4. everything else, and the score: the same code as the full rematch
    run = Run(ri, oi, now, include_waitlist)
    sl = ResidentSlice(run, cand)
    look = _OneLook(ri, occurrence, cand, week[tz_of])
    lr = np.arange(cand.size, dtype=np.int64)
    zero = np.zeros(cand.size, dtype=np.int64)
    p = evaluate_pairs(run, sl, look, lr, zero, margin, zero)
    keep = p.score >= min_score
    if cutoffs is not None:
        keep &= p.score >= np.asarray(cutoffs, dtype=np.float64)[cand[p.lr]]
    keep = np.flatnonzero(keep)
    order = keep[np.lexsort((ri.rank[cand[p.lr[keep]]], -p.score[keep]))]
    if limit is not None:
        order = order[:max(0, limit)]
    p = p.take(order)
    z = tz_of[p.lr]
    cols = {"r": cand[p.lr], "o": p.o, "dist_m": p.dist_m, "code": p.code, "weekday": weekday[z],
            "minute": minute[z], "last_day": last_day[z], "today": today[z]}
    reasons = explain(run, cols)
    out = list(map(tuple.__new__, repeat(ResidentMatch), zip(
        map(ri.ids.__getitem__, cols["r"].tolist()), p.score.tolist(),
        run.waitlist[p.o].tolist(), reasons)))
    return SuitedResidents(out, skipped)
