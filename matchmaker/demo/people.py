"""Two hundred residents with varied, plausible profiles: pure and seeded.

Residents are drawn from a handful of archetypes (a retired neighbour with free
weekday mornings, a parent who has school hours, a student, someone who helps
from home...) so that availability, budget, causes and skills hang together
the way they do in real people, instead of being independent coin flips.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from matchmaker.demo.organizations import DEMO_ADMIN, organizer_people
from matchmaker.demo.places import NEIGHBOURHOODS, TIMEZONE
from matchmaker.vocab import ACCESS_NEEDS, CAUSES, SKILLS

DEFAULT_SEED = 11215
EMAIL_DOMAIN = "example.org"

FIRST_NAMES = (
    "Maria", "José", "Aaliyah", "Wei", "Fatima", "Dmitri", "Keisha", "Connor", "Mei", "Omar",
    "Sofia", "Tyrone", "Yuki", "Ahmed", "Bridget", "Carlos", "Nadia", "Jamal", "Elena", "Kwame",
    "Rachel", "Hiroshi", "Ana", "Samuel", "Priyanka", "Miguel", "Hannah", "Chen", "Zainab",
    "Patrick", "Rosa", "Darnell", "Ingrid", "Mohammed", "Leah", "Kofi", "Gabriela", "Daniel",
    "Amara", "Ivan", "Jasmine", "Tomás", "Aisha", "Benjamin", "Esperanza", "Malik", "Olga",
    "Rahul", "Shanice", "Giovanni", "Noor", "Eli", "Marisol", "Andre", "Svetlana", "Kenji",
    "Imani", "Liam", "Guadalupe", "Yusuf", "Chloe", "Rashida", "Nikos", "Ruth", "Xavier",
    "Lakshmi", "Frank", "Dolores", "Kevin", "Fiona", "Mustafa", "Grace", "Hector", "Joy",
    "Abdul", "Claire", "Desmond", "Naomi", "Pedro", "Tanisha", "Walter", "Min-jun", "Lucia",
    "Sean", "Ayesha", "Marcus", "Irene", "Diego", "Nia", "Stavros", "Bernadette", "Raj",
    "Harold", "Camila", "Thuy", "Ezra", "Dolly", "Nkechi", "Arturo", "Beatriz",
)

LAST_NAMES = (
    "Rodriguez", "Chen", "Williams", "Khan", "Cohen", "Nguyen", "Johnson", "Papadopoulos",
    "Garcia", "Okafor", "Murphy", "Kim", "Hernandez", "Ali", "Goldberg", "Baptiste",
    "Martinez", "Singh", "Brown", "Kowalski", "Lopez", "Rahman", "O'Brien", "Wong", "Jackson",
    "Ivanova", "Torres", "Haddad", "Romano", "Mensah", "Davis", "Yamamoto", "Rivera",
    "Das", "Levy", "Pierre", "Santos", "Ahmed", "Walsh", "Liu", "Thompson", "Georgiou",
    "Flores", "Hussain", "Schwartz", "Joseph", "Morales", "Patel", "Greene", "Zhang",
    "Robinson", "Sokolov", "Castillo", "Chowdhury", "Friedman", "Charles", "Reyes", "Mehta",
    "Carter", "Park", "Diaz", "Islam", "Katz", "Louis", "Vargas", "Gupta", "Harris", "Lin",
    "Ortiz", "Begum", "Klein", "Francois", "Ramos", "Shah", "Mitchell", "Tanaka", "Cruz",
    "Siddiqui", "Weiss", "Dubois", "Jimenez", "Kaur", "Bailey", "Huang", "Medina", "Uddin",
)

#: Rough size of the jitter around a ZIP centroid before coarsening (degrees, ~1.5 km).
_JITTER = 0.012


@dataclass(frozen=True)
class Window:
    weekday: int
    start_minute: int
    end_minute: int


@dataclass(frozen=True)
class DemoResident:
    display_name: str
    full_name: str
    email: str
    archetype: str
    zip_code: str
    home_label: str
    home_lat: float
    home_lon: float
    timezone: str
    travel_radius_km: float
    remote_ok: bool
    weekly_minutes: int
    max_commitments_per_week: int
    social_format: str
    is_adult: bool
    causes: tuple[str, ...]
    skills: tuple[str, ...]
    access_needs: tuple[str, ...]
    availability: tuple[Window, ...]


@dataclass(frozen=True)
class Archetype:
    name: str
    weight: int
    #: weekday, start hour, end hour: each resident gets a few of these slots.
    slots: tuple[tuple[int, float, float], ...]
    slot_count: tuple[int, int]
    budget: tuple[int, int]
    cap: tuple[int, int]
    radius: tuple[float, float]
    remote_ok: float
    formats: tuple[str, ...]
    causes: tuple[str, ...]
    skills: tuple[str, ...]
    access_chance: float = 0.05
    adult: bool = True


def _weekdays(start: float, end: float, days=range(5)) -> tuple[tuple[int, float, float], ...]:
    return tuple((d, start, end) for d in days)


ARCHETYPES: tuple[Archetype, ...] = (
    Archetype(
        "retired neighbour", 22,
        slots=_weekdays(9.5, 12) + _weekdays(13.5, 16.5) + ((5, 10, 13),),
        slot_count=(2, 5), budget=(120, 300), cap=(2, 3), radius=(1, 4), remote_ok=0.35,
        formats=("one_on_one", "small_group", "any"),
        causes=("older-people", "neighbourhood", "faith-community", "arts-culture",
                "education-literacy", "environment", "food-security", "health"),
        skills=("listening", "cooking", "gardening", "teaching", "crafts", "writing", "music"),
        access_chance=0.35,
    ),
    Archetype(
        "working professional", 26,
        slots=_weekdays(18.5, 21) + ((5, 9, 13), (6, 10, 14), (6, 14, 17)),
        slot_count=(1, 3), budget=(30, 120), cap=(1, 2), radius=(2, 10), remote_ok=0.75,
        formats=("small_group", "big_group", "solo_remote", "any"),
        causes=("technology", "civic", "education-literacy", "environment", "animals", "lgbtq",
                "mental-health", "homelessness", "food-security", "refugees-newcomers"),
        skills=("computers", "admin", "writing", "photography", "languages", "organising",
                "first-aid"),
    ),
    Archetype(
        "parent with young children", 16,
        slots=_weekdays(9.25, 14.5) + ((5, 9, 12), (6, 9, 12)),
        slot_count=(1, 3), budget=(30, 90), cap=(1, 1), radius=(1, 5), remote_ok=0.6,
        formats=("small_group", "solo_remote", "any"),
        causes=("children-youth", "food-security", "neighbourhood", "environment",
                "education-literacy", "health"),
        skills=("cooking", "organising", "crafts", "driving", "teaching"),
    ),
    Archetype(
        "student", 14,
        slots=_weekdays(15, 19) + ((5, 11, 17), (6, 12, 18)),
        slot_count=(2, 4), budget=(60, 240), cap=(2, 3), radius=(3, 15), remote_ok=0.8,
        formats=("big_group", "small_group", "any"),
        causes=("environment", "animals", "refugees-newcomers", "homelessness",
                "sports-recreation", "arts-culture", "lgbtq", "education-literacy"),
        skills=("languages", "music", "photography", "computers", "lifting", "teaching"),
    ),
    Archetype(
        "teenager", 4,
        slots=((5, 10, 16), (6, 11, 16), (2, 15.5, 18), (4, 15.5, 18)),
        slot_count=(1, 2), budget=(60, 180), cap=(1, 2), radius=(1, 4), remote_ok=0.5,
        formats=("small_group", "big_group"),
        causes=("animals", "environment", "sports-recreation", "children-youth"),
        skills=("lifting", "computers", "music", "crafts"),
        adult=False,
    ),
    Archetype(
        "shift worker", 8,
        slots=((0, 10, 13), (1, 10, 13), (3, 10, 13), (4, 10, 13), (6, 13, 17)),
        slot_count=(1, 3), budget=(60, 180), cap=(1, 2), radius=(2, 8), remote_ok=0.5,
        formats=("one_on_one", "small_group", "any"),
        causes=("food-security", "homelessness", "animals", "health", "veterans", "civic"),
        skills=("driving", "lifting", "diy", "cooking", "first-aid"),
    ),
    Archetype(
        "helps from home", 6,
        slots=_weekdays(10, 12) + _weekdays(19, 21),
        slot_count=(2, 4), budget=(30, 120), cap=(1, 3), radius=(1, 2), remote_ok=1.0,
        formats=("solo_remote", "one_on_one"),
        causes=("mental-health", "older-people", "refugees-newcomers", "disability",
                "education-literacy"),
        skills=("writing", "listening", "languages", "computers", "crafts"),
        access_chance=0.8,
    ),
    Archetype(
        "newcomer to the city", 4,
        slots=((5, 9, 13), (6, 10, 15), (2, 18, 21)),
        slot_count=(1, 3), budget=(60, 180), cap=(1, 2), radius=(2, 8), remote_ok=0.5,
        formats=("small_group", "big_group", "any"),
        causes=("refugees-newcomers", "neighbourhood", "food-security", "faith-community",
                "sports-recreation"),
        skills=("languages", "cooking", "lifting", "music"),
    ),
)


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in plain if ch.isalnum() or ch == "-")


def _minutes(hour: float) -> int:
    return round(hour * 60)


def _between(rng: random.Random, low: float, high: float, step: float) -> float:
    steps = round((high - low) / step)
    return low + step * rng.randint(0, steps)


def _availability(rng: random.Random, archetype: Archetype) -> tuple[Window, ...]:
    count = rng.randint(*archetype.slot_count)
    chosen = rng.sample(archetype.slots, min(count, len(archetype.slots)))
    windows = []
    for weekday, start, end in chosen:
        # People's real windows are rarely the textbook ones: shift by a half hour or so.
        start_minute = _minutes(start) + rng.choice((-30, 0, 0, 30))
        end_minute = _minutes(end) + rng.choice((-30, 0, 0, 30, 60))
        start_minute = max(0, start_minute)
        end_minute = min(1440, max(end_minute, start_minute + 60))
        windows.append(Window(weekday, start_minute, end_minute))
    windows.sort(key=lambda w: (w.weekday, w.start_minute))
    merged: list[Window] = []
    for w in windows:  # slots of one archetype may touch on the same day: merge them
        if merged and merged[-1].weekday == w.weekday and w.start_minute <= merged[-1].end_minute:
            last = merged.pop()
            w = Window(w.weekday, last.start_minute, max(last.end_minute, w.end_minute))
        merged.append(w)
    return tuple(merged)


def _pick(rng: random.Random, pool: tuple[str, ...], low: int, high: int) -> tuple[str, ...]:
    return tuple(sorted(rng.sample(pool, min(len(pool), rng.randint(low, high)))))


def generate_residents(
    count: int = 200, seed: int = DEFAULT_SEED,
    coarsen: Callable[[float, float], tuple[float, float]] | None = None,
) -> list[DemoResident]:
    """``count`` residents, the same ones for the same seed.

    ``coarsen`` snaps each home to the stored grid (default: matchmaker.geo.coarsen);
    only that grid point is kept, as the real profile form does.
    """
    if coarsen is None:
        from matchmaker.geo import coarsen
    rng = random.Random(seed)  # nosec B311 - reproducible demo data, not security
    weights = [a.weight for a in ARCHETYPES]
    places = list(NEIGHBOURHOODS)
    place_weights = [n.weight for n in places]
    cause_pool = tuple(CAUSES)
    skill_pool = tuple(SKILLS)
    access_pool = tuple(ACCESS_NEEDS)
    # Organizers and the admin have their own accounts: never give a resident their address.
    used_emails: set[str] = {p.email for p in organizer_people()} | {DEMO_ADMIN.email}
    residents = []
    for _ in range(count):
        archetype = rng.choices(ARCHETYPES, weights)[0]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        local = f"{ascii_slug(first)}.{ascii_slug(last)}"
        email = f"{local}@{EMAIL_DOMAIN}"
        n = 2
        while email in used_emails:
            email = f"{local}{n}@{EMAIL_DOMAIN}"
            n += 1
        used_emails.add(email)

        place = rng.choices(places, place_weights)[0]
        lat, lon = place.centroid
        lat, lon = coarsen(lat + rng.uniform(-_JITTER, _JITTER),
                           lon + rng.uniform(-_JITTER, _JITTER))

        # Mostly the archetype's causes, now and then one from anywhere: people surprise.
        causes = set(_pick(rng, archetype.causes, 1, 3))
        if rng.random() < 0.3:
            causes.add(rng.choice(cause_pool))
        skills = set(_pick(rng, archetype.skills, 0, 3))
        if rng.random() < 0.15:
            skills.add(rng.choice(skill_pool))
        access: tuple[str, ...] = ()
        if rng.random() < archetype.access_chance:
            access = _pick(rng, access_pool, 1, 2)
        fmt = rng.choice(archetype.formats)

        residents.append(DemoResident(
            display_name=first,
            full_name=f"{first} {last}",
            email=email,
            archetype=archetype.name,
            zip_code=place.zip_code,
            home_label=place.label,
            home_lat=lat,
            home_lon=lon,
            timezone=TIMEZONE,
            travel_radius_km=_between(rng, *archetype.radius, 0.5),
            remote_ok=rng.random() < archetype.remote_ok,
            weekly_minutes=int(_between(rng, *archetype.budget, 15)),
            max_commitments_per_week=rng.randint(*archetype.cap),
            social_format=fmt,
            is_adult=archetype.adult,
            causes=tuple(sorted(causes)),
            skills=tuple(sorted(skills)),
            access_needs=access,
            availability=_availability(rng, archetype),
        ))
    return residents
