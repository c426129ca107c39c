"""Matching as the jobs run it: load rows, call the pure core, store, tell people.

Three entry points, one per job:

* :func:`rematch_users` / :func:`rematch_user` — some residents' lists from scratch
  (a profile change; the residents a new opportunity reaches);
* :func:`rematch_where` — every resident matching a condition (a nightly shard);
* :func:`match_opportunity` — a new or edited opportunity: the residents it suits
  (``matching.reverse``) and those whose list holds it now get new lists; strong
  matches are collected for the alert emails.

Functions here flush, never commit; the job commits. Each returns a plain dict
(counts, skipped reasons) that the job logs and returns as its result.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from matchmaker.db import utcnow
from matchmaker.matching import ResidentIndex, rank, residents_for_occurrence
from matchmaker.models import Occurrence, Opportunity, Profile, Recommendation
from matchmaker.recommendations import store
from matchmaker.recommendations.adapter import load_occurrences, load_residents, merge_skipped

log = logging.getLogger(__name__)

#: Suggestions kept per resident.
TOP_K = 10
#: A score at least this high is a "strong match" worth an email (to those who opted in).
STRONG_MATCH_SCORE = 0.6
#: Great-circle km per degree of latitude; a latitude difference never overstates distance.
KM_PER_DEGREE = 6371.0088 * math.pi / 180
#: Slack on every geographic prefilter (the core checks the exact distance).
SLACK_KM = 1.0


@dataclass
class MatchReport:
    """What one job did, as counts (returned as the job's result)."""

    residents: int = 0
    recommendations: int = 0
    skipped: Counter = field(default_factory=Counter)
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"residents": self.residents, "recommendations": self.recommendations,
                "skipped": merge_skipped(self.skipped), **self.extra}


def _log_skipped(what: str, skipped: Counter) -> None:
    for reason, n in sorted(skipped.items()):
        if n:
            log.warning("%s: skipped %d (%s)", what, n, reason)


def _occurrence_area(residents) -> list[ColumnElement]:
    """SQL conditions keeping only occurrences some of these residents could reach.

    A box around the residents' homes widened by the largest travel radius;
    remote occurrences always pass. Near a pole or across the date line the
    longitude part is dropped (still correct, just less narrow).
    """
    homes = [r.home for r in residents if r.home is not None
             and all(isinstance(v, float) and math.isfinite(v) for v in r.home)
             and -90 <= r.home[0] <= 90 and -180 <= r.home[1] <= 180]
    if not homes:
        return [or_(Opportunity.is_remote.is_(True), _unusable_place())]
    lat = np.array([h[0] for h in homes])
    lon = np.array([h[1] for h in homes])
    reach = max(float(r.travel_radius_km) for r in residents
                if isinstance(r.travel_radius_km, (int, float))
                and math.isfinite(r.travel_radius_km)) + SLACK_KM
    dlat = reach / KM_PER_DEGREE
    lat_lo, lat_hi = float(lat.min()) - dlat, float(lat.max()) + dlat
    box = [Opportunity.lat >= lat_lo, Opportunity.lat <= lat_hi]
    edge = max(abs(lat_lo), abs(lat_hi))
    if edge < 89.0:
        dlon = reach / (KM_PER_DEGREE * math.cos(math.radians(edge)))
        lon_lo, lon_hi = float(lon.min()) - dlon, float(lon.max()) + dlon
        if lon_lo >= -180 and lon_hi <= 180:
            box += [Opportunity.lon >= lon_lo, Opportunity.lon <= lon_hi]
    return [or_(Opportunity.is_remote.is_(True), and_(*box), _unusable_place())]


def _unusable_place() -> ColumnElement:
    """SQL: no or impossible coordinates, loaded so the adapter logs and counts them.

    (PostgreSQL sorts NaN above every number, so ``> 90`` catches it too.)
    """
    return or_(Opportunity.lat.is_(None), Opportunity.lon.is_(None),
               Opportunity.lat > 90, Opportunity.lat < -90,
               Opportunity.lon > 180, Opportunity.lon < -180)


def _rank_and_store(session: Session, residents, skipped: Counter, now: datetime,
                    user_ids=None) -> MatchReport:
    occurrences, occ_skipped = load_occurrences(session, now, where=_occurrence_area(residents))
    result = rank(residents, occurrences, now, TOP_K)
    # The core counts what it could not use; the adapter counted what it dropped.
    skipped = skipped + occ_skipped + result.skipped
    written = store.replace_for_users(session, result.matches,
                                      user_ids=user_ids or [r.id for r in residents],
                                      computed_at=now)
    return MatchReport(residents=len(result.matches), recommendations=written, skipped=skipped)


def rematch_users(session: Session, user_ids, *, now: datetime | None = None) -> MatchReport:
    """Recompute these residents' lists (those without a profile just lose theirs)."""
    now = now or utcnow()
    ids = sorted({int(i) for i in user_ids})
    residents, skipped = load_residents(session, now, user_ids=ids)
    report = _rank_and_store(session, residents, skipped, now, user_ids=ids)
    _log_skipped(f"rematch of {len(ids)} residents", report.skipped)
    return report


def rematch_user(session: Session, user_id: int, *, now: datetime | None = None) -> MatchReport:
    return rematch_users(session, [user_id], now=now)


def rematch_where(session: Session, where: list[ColumnElement], *,
                  now: datetime | None = None) -> MatchReport:
    """Recompute every resident whose profile matches ``where`` (a shard)."""
    now = now or utcnow()
    residents, skipped = load_residents(session, now, where=where)
    if not residents:
        return MatchReport(skipped=skipped)
    report = _rank_and_store(session, residents, skipped, now)
    _log_skipped(f"rematch of {len(residents)} residents", report.skipped)
    return report


# --- shards -----------------------------------------------------------------------


def _usable_home() -> ColumnElement:
    """SQL: the profile has coordinates on the globe (NaN fails every comparison)."""
    return and_(Profile.home_lat >= -90, Profile.home_lat <= 90,
                Profile.home_lon >= -180, Profile.home_lon <= 180)


def plan_shards(session: Session, per_shard: int = 5_000) -> list[dict]:
    """Split residents into regions of about ``per_shard`` people each (a k-d split).

    Each shard is a box ``{"lat": [lo, hi], "lon": [lo, hi]}`` (half-open,
    ``None`` = unbounded) found by splitting at the median latitude or
    longitude, whichever side is longer, until a box holds at most
    ``per_shard`` residents: dense centres get small boxes, the countryside
    big ones, and every box about the same work. Residents without a usable
    home are one extra shard (remote suggestions only). Every resident is in
    exactly one shard.
    """
    pts = np.array(session.execute(
        select(Profile.home_lat, Profile.home_lon).where(_usable_home())).all(),
        dtype=np.float64).reshape(-1, 2)
    shards: list[dict] = []

    def split(p: np.ndarray, lat: list, lon: list) -> None:
        if len(p) <= per_shard:
            shards.append({"lat": lat, "lon": lon})
            return
        spans = p.max(axis=0) - p.min(axis=0)
        axis = int(spans[1] > spans[0])
        cut = float(np.median(p[:, axis]))
        left = p[:, axis] < cut
        if left.all() or not left.any():  # everyone at one point: cannot split further
            shards.append({"lat": lat, "lon": lon})
            return
        if axis == 0:
            split(p[left], [lat[0], cut], lon)
            split(p[~left], [cut, lat[1]], lon)
        else:
            split(p[left], lat, [lon[0], cut])
            split(p[~left], lat, [cut, lon[1]])

    if len(pts):
        split(pts, [None, None], [None, None])
    shards.append({"no_home": True})
    for i, s in enumerate(shards):
        s["shard"] = i
        s["of"] = len(shards)
    return shards


def shard_where(spec: dict) -> list[ColumnElement]:
    """The profile conditions of one shard from :func:`plan_shards`."""
    if spec.get("no_home"):
        return [or_(Profile.home_lat.is_(None), Profile.home_lon.is_(None),
                    not_(_usable_home()))]
    cond = [_usable_home()]
    for column, (lo, hi) in ((Profile.home_lat, spec["lat"]), (Profile.home_lon, spec["lon"])):
        if lo is not None:
            cond.append(column >= lo)
        if hi is not None:
            cond.append(column < hi)
    return cond


# --- a new or edited opportunity ----------------------------------------------------


@dataclass
class OpportunityMatch:
    report: MatchReport
    #: user_id -> (occurrence_id, score, reasons): each resident's best strong, bookable match.
    strong: dict[int, tuple[int, float, tuple[str, ...]]]


def _reachable_residents(opp: Opportunity) -> list[ColumnElement]:
    """SQL prefilter: residents who could reach this opportunity at all."""
    if opp.is_remote:
        return [Profile.remote_ok.is_(True)]
    if opp.lat is None or opp.lon is None:
        return [Profile.user_id.is_(None)]  # nobody; the adapter counts the occurrence
    # |latitude difference| in km never exceeds the great-circle distance
    dlat_km = (Profile.home_lat - float(opp.lat)) * KM_PER_DEGREE
    reach = Profile.travel_radius_km + SLACK_KM
    return [_usable_home(), dlat_km <= reach, -dlat_km <= reach]


def _cutoffs(session: Session, ids: list, where: list[ColumnElement]) -> np.ndarray:
    """Each resident's stored k-th best score (-inf with fewer than k), in ``ids`` order.

    The lowest of the top k, which is at most the k-th best (the variety
    re-rank may order them differently): a cutoff never too high, so no
    resident whose list would change is missed.
    """
    kth = dict(session.execute(
        select(Recommendation.user_id, func.min(Recommendation.score))
        .where(Recommendation.rank <= TOP_K,
               Recommendation.user_id.in_(select(Profile.user_id).where(*where)))
        .group_by(Recommendation.user_id)
        .having(func.count() >= TOP_K)
    ).all())
    return np.array([kth.get(i, -np.inf) for i in ids], dtype=np.float64)


def match_opportunity(session: Session, opportunity_id: int, *,
                      now: datetime | None = None) -> OpportunityMatch:
    """Update the lists a new or edited opportunity changes; find its strong matches.

    Residents re-ranked: those it would enter (score at least their current
    k-th best) and those whose stored list already holds one of its
    occurrences (an edit may push it out). Cancelled or unpublished: only the
    latter, so it leaves their lists.
    """
    now = now or utcnow()
    opp = session.get(Opportunity, opportunity_id)
    holders = set(session.scalars(
        select(Recommendation.user_id)
        .join(Occurrence, Occurrence.id == Recommendation.occurrence_id)
        .where(Occurrence.opportunity_id == opportunity_id)).all())
    strong: dict[int, tuple[int, float, tuple[str, ...]]] = {}
    skipped: Counter = Counter()
    affected = set(holders)
    occurrences = []
    if opp is not None:
        occurrences, skipped = load_occurrences(session, now, opportunity_id=opportunity_id)
    if occurrences:
        reachable = _reachable_residents(opp)
        residents, r_skipped = load_residents(session, now, where=reachable)
        skipped += r_skipped
        index = ResidentIndex(residents)
        cutoffs = _cutoffs(session, index.ids, reachable)
        for occ in occurrences:
            suited = residents_for_occurrence(occ, index, now, cutoffs=cutoffs)
            affected.update(m.resident_id for m in suited.residents)
            for m in residents_for_occurrence(occ, index, now,
                                              min_score=STRONG_MATCH_SCORE).residents:
                best = strong.get(m.resident_id)
                if not m.waitlist and (best is None or m.score > best[1]):
                    strong[m.resident_id] = (occ.id, m.score, m.reasons)
        skipped += index.skipped
    report = rematch_users(session, affected, now=now) if affected else MatchReport()
    report.skipped += skipped
    report.extra = {"opportunity": opportunity_id, "occurrences": len(occurrences),
                    "strong_matches": len(strong)}
    return OpportunityMatch(report, strong)
