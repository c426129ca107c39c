"""Matching: plain data in, ranked and explained matches out.

Pure on purpose — no Flask, no SQLAlchemy: the worker's jobs load rows, build
these dataclasses (a thin adapter), call one function and store the result.

Modules, each owning one thing:

* ``model``      the input and output types (frozen dataclasses, NamedTuples)
* ``geometry``   distances on the sphere, unit vectors for the k-d trees
* ``localtime``  windows, free stretches and the resident's clock (DST, weeks)
* ``scoring``    the soft score: components and weights (the definition)
* ``explain``    the reasons in plain words
* ``index``      columnar batches, validation of bad input, spatial indexes
* ``engine``     hard constraints, the full rematch and the variety re-rank
* ``reverse``    one new occurrence -> the residents it suits

Entry points::

    rank(residents, occurrences, now, k=10) -> RankResult(matches, skipped)
    rank_for_resident(resident, occurrence_index, now, k=10) -> RankResult
    residents_for_occurrence(occurrence, resident_index, now, cutoffs=None) -> SuitedResidents
    kth_scores(resident_index, rank_result, k) -> cutoffs (who would a new occurrence reach?)
"""

from matchmaker.matching.engine import rank, rank_for_resident
from matchmaker.matching.index import OccurrenceIndex, ResidentIndex
from matchmaker.matching.model import (
    Match,
    Occurrence,
    RankResult,
    Resident,
    ResidentMatch,
    SuitedResidents,
    Window,
)
from matchmaker.matching.reverse import kth_scores, residents_for_occurrence
from matchmaker.matching.scoring import WAITLIST_FACTOR, WEIGHTS

__all__ = [
    "WAITLIST_FACTOR",
    "WEIGHTS",
    "Match",
    "Occurrence",
    "OccurrenceIndex",
    "RankResult",
    "Resident",
    "ResidentIndex",
    "ResidentMatch",
    "SuitedResidents",
    "Window",
    "kth_scores",
    "rank",
    "rank_for_resident",
    "residents_for_occurrence",
]
