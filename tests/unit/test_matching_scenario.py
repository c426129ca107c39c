"""A small neighbourhood whose right answers a person can check by reading.

Park Slope, Brooklyn, New York time. It is Monday 2 June 2025, 9:00 in the
morning (13:00 UTC); everything below happens this week, during summer time
(UTC-4). Distances are rough — "about 1 km" means 0.5 to 1.5 km.

Places
    A  Grace's and Sam's street .......... 40.6710, -73.9814
    P  Park Slope Food Pantry ............ about 0.4 km from A
    G  Prospect community garden ......... about 1.1 km from A; Omar lives next to it
                                           (P is 1.3 km and D 0.9 km from Omar)
    L  Central library ................... about 1.7 km from A; Ruth lives next to it
    D  Dog shelter ....................... 0.15 km from A

Occurrences
    o1  Pantry Saturday shift    Sat 09:30-12:00 at P, food security, cooking, small group,
                                 step-free, 2 of 8 places left, Dan is going
    o2  Pantry Wednesday sort    Wed 18:30-20:30 at P, food security, heavy lifting,
                                 5 of 6 places left
    o3  Garden workday           Sat 09:00-11:00 at G, environment, gardening, big group,
                                 first-timers welcome
    o4  Garden Sunday            Sun 13:00-15:00 at G, environment, FULL (waitlist only)
    o5  Reading buddies          Tue 15:00-16:00 at L, education, one-on-one, step-free and
                                 seated, 3 of 4 places left
    o6  Call an isolated neighbour   small act, from home, 20 minutes, by Friday 22:00,
                                 older people and loneliness, one-on-one
    o7  Online chat group        Thu 19:00-20:00, from home, loneliness, 60 minutes
    o8  Dog walk                 Sat 10:00-11:00 at D, animals, 18 and over

Residents
    grace  home A, 3 km, food security + older people, cooks, free Sat 9-13 and Wed 18-21,
           likes small groups, has helped at the pantry before, served with Dan
    omar   next to the garden, 2 km, environment, gardens, free Sat 8-12 and Sun 10-16,
           a first-timer, not from home
    ruth   next to the library, 1.5 km, education + older people, needs step-free and
           seated, free Tue and Thu 14-17, likes one-on-one
    sam    home A, 5 km, 16 years old, animals + environment, free Sat 9-12
    lee    no home given (from home only), loneliness, free weekday evenings 19-21,
           90 minutes a week of which 60 already used
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from matchmaker.matching import Occurrence, Resident, ResidentIndex, rank, residents_for_occurrence
from tests.unit.matching_reference import reference_rank

NOW = datetime(2025, 6, 2, 13, 0, tzinfo=UTC)          # Monday 09:00 in New York
NY = "America/New_York"
A = (40.6710, -73.9814)
P = (40.6745, -73.9790)
G = (40.6620, -73.9870)
L = (40.6860, -73.9770)
D = (40.6700, -73.9800)
SAT, SUN, MON, TUE, WED, THU, FRI = 5, 6, 0, 1, 2, 3, 4


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    """A time this week (2-8 June 2025) in New York, as UTC (summer time: +4 h)."""
    return datetime(2025, 6, 2 + day, hour + 4, minute, tzinfo=UTC) if hour + 4 < 24 else \
        datetime(2025, 6, 3 + day, hour + 4 - 24, minute, tzinfo=UTC)


OCCURRENCES = [
    Occurrence("o1", "pantry-sat", "pantry", "pantry-crew", frozenset({"food-security"}),
               frozenset({"cooking"}), start=ny(SAT, 9, 30), end=ny(SAT, 12), place=P,
               seats_left=2, capacity=8, social_format="small_group",
               access=frozenset({"step-free"}),
               going_ids=frozenset({"dan"}), organization_name="Park Slope Food Pantry",
               group_name="the Saturday pantry crew"),
    Occurrence("o2", "pantry-wed", "pantry", None, frozenset({"food-security"}),
               start=ny(WED, 18, 30), end=ny(WED, 20, 30), place=P, seats_left=5, capacity=6,
               social_format="small_group", demands=frozenset({"heavy-lifting"}),
               organization_name="Park Slope Food Pantry"),
    Occurrence("o3", "garden-sat", "garden", None, frozenset({"environment"}),
               frozenset({"gardening"}), start=ny(SAT, 9), end=ny(SAT, 11), place=G,
               seats_left=6, capacity=10, social_format="big_group", first_timer_friendly=True,
               demands=frozenset({"outdoors"}), organization_name="Prospect Garden"),
    Occurrence("o4", "garden-sun", "garden", None, frozenset({"environment"}),
               start=ny(SUN, 13), end=ny(SUN, 15), place=G, seats_left=0, capacity=8,
               social_format="small_group", first_timer_friendly=True,
               organization_name="Prospect Garden"),
    Occurrence("o5", "reading", "library", None,
               frozenset({"education-literacy", "children-youth"}),
               frozenset({"teaching"}), start=ny(TUE, 15), end=ny(TUE, 16), place=L,
               seats_left=3, capacity=4, social_format="one_on_one",
               access=frozenset({"step-free", "seated"}), organization_name="Central Library"),
    Occurrence("o6", "call", "seniors", None, frozenset({"older-people", "mental-health"}),
               frozenset({"listening"}), do_by=ny(FRI, 22), effort_minutes=20, remote=True,
               seats_left=1, capacity=1, social_format="one_on_one",
               organization_name="Friends of the Elderly"),
    Occurrence("o7", "chat", "seniors", None, frozenset({"mental-health"}),
               start=ny(THU, 19), end=ny(THU, 20), remote=True, seats_left=4, capacity=6,
               social_format="small_group", organization_name="Friends of the Elderly"),
    Occurrence("o8", "dogs", "shelter", None, frozenset({"animals"}),
               start=ny(SAT, 10), end=ny(SAT, 11), place=D, seats_left=3, capacity=3,
               social_format="small_group", min_age=18, organization_name="Brooklyn Dog Shelter"),
]

RESIDENTS = [
    Resident("grace", NY, frozenset({"food-security", "older-people"}), frozenset({"cooking"}),
             windows=((SAT, 9 * 60, 13 * 60), (WED, 18 * 60, 21 * 60)), home=A,
             travel_radius_km=3, weekly_budget_minutes=180, weekly_commitment_cap=2,
             social_format="small_group", returned_organization_ids=frozenset({"pantry"}),
             served_with_ids=frozenset({"dan"})),
    Resident("omar", NY, frozenset({"environment"}), frozenset({"gardening"}),
             windows=((SAT, 8 * 60, 12 * 60), (SUN, 10 * 60, 16 * 60)),
             home=(40.6630, -73.9860), travel_radius_km=2, remote_ok=False, first_timer=True),
    Resident("ruth", NY, frozenset({"older-people", "education-literacy"}),
             windows=((TUE, 14 * 60, 17 * 60), (THU, 14 * 60, 17 * 60)),
             home=(40.6855, -73.9775), travel_radius_km=1.5, social_format="one_on_one",
             access_needs=frozenset({"step-free", "seated"})),
    Resident("sam", NY, frozenset({"animals", "environment"}), windows=((SAT, 9 * 60, 12 * 60),),
             home=A, travel_radius_km=5, is_adult=False, age=16),
    Resident("lee", NY, frozenset({"mental-health"}),
             windows=tuple((d, 19 * 60, 21 * 60) for d in (MON, TUE, WED, THU, FRI)),
             home=None, weekly_budget_minutes=90, committed={date(2025, 6, 2): (60, 1)}),
]

#: Each resident's list, best first, with every reason — worked out by hand:
EXPECTED = {
    # Grace: the pantry she knows, on Saturday, with Dan, using her cooking — first.
    # The Wednesday sort is her cause and her evening too (and they are short of
    # people), then the call (older people; any time before Friday). The dog walk
    # is near and a small group, as she likes; the garden is neither her cause nor
    # her format. Nothing on Tuesday, Thursday or Sunday: she is not free then.
    "grace": [
        ("o1", ("Food security", "Uses your skills: cooking", "under 1 km",
                "Saturday morning is in your free time",
                "You've helped Park Slope Food Pantry before",
                "1 person you've helped with before is going", "A small group, as you like",
                "Only 2 places left")),
        ("o2", ("Food security", "under 1 km", "Wednesday evening is in your free time",
                "You've helped Park Slope Food Pantry before", "A small group, as you like",
                "They need more people")),
        ("o6", ("Older people", "From home", "Any time until Friday, about 20 minutes",
                "Only 1 place left")),
        ("o8", ("under 1 km", "Saturday morning is in your free time",
                "A small group, as you like", "Only 3 places left")),
        ("o3", ("about 1 km", "Saturday morning is in your free time")),
    ],
    # Omar: the garden workday (his cause, his skill, first-timers welcome), then
    # the dog walk 0.9 km away, then Sunday's garden — full, so only as a waitlist,
    # which halves its score. The pantry (1.3 km) fits his Saturday but nothing else.
    # Nothing from home: he said no.
    "omar": [
        ("o3", ("Environment", "Uses your skills: gardening", "under 1 km",
                "Saturday morning is in your free time", "First-timers welcome")),
        ("o8", ("under 1 km", "Saturday morning is in your free time", "Only 3 places left")),
        ("o4", ("Environment", "under 1 km", "Sunday afternoon is in your free time",
                "First-timers welcome", "Full for now: join the waitlist")),
        ("o1", ("about 1 km", "Saturday morning is in your free time", "Only 2 places left")),
    ],
    # Ruth: reading buddies meets her access needs and her Tuesday afternoon.
    # The call needs no travel, so her access needs do not matter there.
    "ruth": [
        ("o5", ("Education and literacy", "under 1 km", "Tuesday afternoon is in your free time",
                "One-on-one, as you like", "Only 3 places left")),
        ("o6", ("Older people", "From home", "Any time until Friday, about 20 minutes",
                "One-on-one, as you like", "Only 1 place left")),
    ],
    # Sam is 16: the dog walk is for 18 and over. The garden is his cause; the
    # call and the pantry shift fit his Saturday morning too.
    "sam": [
        ("o3", ("Environment", "about 1 km", "Saturday morning is in your free time")),
        ("o6", ("From home", "Any time until Friday, about 20 minutes", "Only 1 place left")),
        ("o1", ("under 1 km", "Saturday morning is in your free time", "Only 2 places left")),
    ],
    # Lee has 30 minutes left this week: the 20-minute call fits, the hour-long chat does not.
    "lee": [
        ("o6", ("Mental health and loneliness", "From home",
                "Any time until Friday, about 20 minutes", "Only 1 place left")),
    ],
}


def test_neighbourhood_answers_are_the_ones_written_down():
    result = rank(RESIDENTS, OCCURRENCES, NOW, k=10)
    got = {rid: [(m.occurrence_id, m.reasons) for m in ms] for rid, ms in result.matches.items()}
    assert got == EXPECTED
    assert result.skipped == {"resident_no_location_remote_only": 1}
    assert [m.waitlist for m in result.matches["omar"]] == [False, False, True, False]


def test_neighbourhood_agrees_with_the_reference():
    fast = rank(RESIDENTS, OCCURRENCES, NOW, k=10)
    ref, _ = reference_rank(RESIDENTS, OCCURRENCES, NOW, 10)
    for rid, expected in ref.items():
        assert [(m.occurrence_id, m.score, m.reasons) for m in fast.matches[rid]] == \
            [(e[0], e[2], e[4]) for e in expected]


def test_new_pantry_shift_finds_grace_first():
    """The reverse question gives the same people, best first (scores as above)."""
    index = ResidentIndex(RESIDENTS)
    found = residents_for_occurrence(OCCURRENCES[0], index, NOW)
    assert [m.resident_id for m in found.residents] == ["grace", "sam", "omar"]
    found = residents_for_occurrence(OCCURRENCES[5], index, NOW)      # the call: from home
    assert [m.resident_id for m in found.residents] == ["ruth", "lee", "grace", "sam"]


def test_top_one_keeps_variety_out_of_the_way():
    result = rank(RESIDENTS, OCCURRENCES, NOW, k=1)
    assert {rid: [m.occurrence_id for m in ms] for rid, ms in result.matches.items()} == {
        "grace": ["o1"], "omar": ["o3"], "ruth": ["o5"], "sam": ["o3"], "lee": ["o6"]}
