"""Write the demo neighbourhood into the database, in one transaction and in seconds.

Rows go in with batch INSERTs (executemany, with RETURNING for the ids), and the
shared demo password is hashed with argon2 once: hashing it 212 times would take
longer than everything else together.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from matchmaker.auth.passwords import hash_password
from matchmaker.db import utcnow
from matchmaker.demo.organizations import DEMO_ADMIN, ORGANIZATIONS, DemoPerson
from matchmaker.demo.people import DEFAULT_SEED, DemoResident, generate_residents
from matchmaker.models import (
    AvailabilityWindow,
    Membership,
    Organization,
    Profile,
    ProfileTag,
    Role,
    User,
)

#: The one password of every demo account (printed by ``flask demo-logins``).
DEMO_PASSWORD = "neighbours-helping-neighbours"  # nosec B105 - public demo logins, printed on purpose
DEMO_ADMIN_EMAIL = DEMO_ADMIN.email
RESIDENT_COUNT = 200
#: Weekly time budget of the demo resident login, at least (see seed_demo).
DEMO_LOGIN_MINUTES = 240


class SeedConflict(Exception):
    """Some demo rows would collide with existing ones; the message says which."""


@dataclass(frozen=True)
class SeedReport:
    created: bool
    organizations: int = 0
    verified_organizations: int = 0
    organizers: int = 0
    residents: int = 0
    admins: int = 0
    #: Published demo opportunities (one-offs, weekly shifts and groups, small acts).
    opportunities: int = 0
    #: Past dates of recurring opportunities, and the sign-ups on them (see demo.history).
    past_occurrences: int = 0
    past_signups: int = 0
    #: Stored "For you" suggestions, computed once for everyone at the end.
    recommendations: int = 0


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    who: str


def demo_present(session: Session) -> bool:
    return session.scalar(select(User.id).where(User.email == DEMO_ADMIN_EMAIL)) is not None


def demo_logins(session: Session) -> list[DemoLogin] | None:
    """The accounts worth trying first, or None when the demo data is not there."""
    if not demo_present(session):
        return None
    owner = ORGANIZATIONS[0].owner
    resident = generate_residents(1, coarsen=lambda lat, lon: (lat, lon))[0]
    return [
        DemoLogin("admin", DEMO_ADMIN.email, f"{DEMO_ADMIN.display_name}, platform admin"),
        DemoLogin("organizer", owner.email,
                  f"{owner.display_name}, runs {ORGANIZATIONS[0].name}"),
        DemoLogin("resident", resident.email,
                  f"{resident.full_name}, {resident.home_label}"),
    ]


def _check_conflicts(session: Session, emails: list[str]) -> None:
    taken = session.scalars(select(User.email).where(User.email.in_(emails))).all()
    if taken:
        raise SeedConflict(f"{len(taken)} demo email address(es) already have accounts, "
                           f"e.g. {min(taken)}")
    names = [o.name for o in ORGANIZATIONS]
    slugs = [o.slug for o in ORGANIZATIONS]
    clash = session.scalars(select(Organization.name).where(
        Organization.name.in_(names) | Organization.slug.in_(slugs))).all()
    if clash:
        raise SeedConflict(f"demo organization {min(clash)!r} already exists")


def _user_row(person_email: str, name: str, role: str, password_hash: str,
              joined: datetime) -> dict:
    return {
        "email": person_email, "display_name": name, "password_hash": password_hash,
        "role": role, "created_at": joined, "email_verified_at": joined,
        "password_changed_at": joined, "failed_logins": 0, "is_active": True,
    }


def _insert_users(session: Session, rows: list[dict]) -> list[int]:
    return list(session.scalars(
        insert(User).returning(User.id, sort_by_parameter_order=True), rows
    ).all())


def seed_demo(session: Session, seed: int = DEFAULT_SEED, residents: int = RESIDENT_COUNT,
              now: datetime | None = None) -> SeedReport:
    """Create the demo neighbourhood unless it is there already. Flushes; the caller commits.

    Raises SeedConflict, before writing anything, if a demo account or
    organization would collide with a real one.
    """
    if demo_present(session):
        return SeedReport(created=False)
    now = now or utcnow()
    rng = random.Random(seed)  # nosec B311 - reproducible demo data, not security
    people: list[DemoResident] = generate_residents(residents, seed=seed)
    organizers: list[DemoPerson] = []
    for org in ORGANIZATIONS:
        organizers.append(org.owner)
        if org.co_organizer:
            organizers.append(org.co_organizer)
    _check_conflicts(session, [DEMO_ADMIN.email] + [p.email for p in organizers]
                     + [r.email for r in people])

    password_hash = hash_password(DEMO_PASSWORD)  # once, shared by every demo account

    def joined(max_days: int) -> datetime:
        return now - timedelta(days=rng.randint(1, max_days), minutes=rng.randint(0, 1439))

    [admin_id] = _insert_users(session, [
        _user_row(DEMO_ADMIN.email, DEMO_ADMIN.display_name, Role.ADMIN, password_hash,
                  joined(400)),
    ])
    organizer_ids = dict(zip(
        [p.email for p in organizers],
        _insert_users(session, [
            _user_row(p.email, p.display_name, Role.ORGANIZER, password_hash, joined(365))
            for p in organizers
        ]),
        strict=True,
    ))
    resident_ids = _insert_users(session, [
        _user_row(r.email, r.display_name, Role.RESIDENT, password_hash, joined(180))
        for r in people
    ])

    # Eight organizations go through the ORM: their model keeps derived columns
    # (such as the name key) in step, and eight rows cost nothing.
    orgs = []
    for spec in ORGANIZATIONS:
        created = joined(300)
        org = Organization(
            name=spec.name, slug=spec.slug, summary=spec.summary, description=spec.description,
            website=spec.website, contact_email=spec.contact_email, area=spec.area,
            created_at=created,
            verified_at=created + timedelta(days=2) if spec.verified else None,
            verified_by_id=admin_id if spec.verified else None,
        )
        org.memberships.append(Membership(user_id=organizer_ids[spec.owner.email], role="owner"))
        if spec.co_organizer:
            org.memberships.append(Membership(
                user_id=organizer_ids[spec.co_organizer.email], role="organizer"))
        orgs.append(org)
    session.add_all(orgs)
    session.flush()

    profiles, tags, windows = [], [], []
    for n, (user_id, r) in enumerate(zip(resident_ids, people, strict=True)):
        profiles.append({
            # Some people opted in to first-timer buddies and strong-match emails
            # (the demo login among them), so those features have someone to reach.
            "buddy_opt_in": n % 3 == 0, "notify_strong_matches": n % 5 == 0,
            "user_id": user_id, "timezone": r.timezone, "home_label": r.home_label,
            "home_lat": r.home_lat, "home_lon": r.home_lon,
            "travel_radius_km": r.travel_radius_km, "remote_ok": r.remote_ok,
            # The demo login (n == 0) is a weekly garden regular (demo.history); give
            # them room for that and one more thing, so "For you" and the digest
            # have suggestions to show next to the booked workday.
            "weekly_minutes": max(r.weekly_minutes, DEMO_LOGIN_MINUTES) if n == 0
            else r.weekly_minutes,
            "max_commitments_per_week": max(r.max_commitments_per_week, 2) if n == 0
            else r.max_commitments_per_week,
            "social_format": r.social_format, "is_adult": r.is_adult, "updated_at": now,
        })
        for kind, values in (("cause", r.causes), ("skill", r.skills),
                             ("access", r.access_needs)):
            tags.extend({"user_id": user_id, "kind": kind, "value": v} for v in values)
        windows.extend({"user_id": user_id, "weekday": w.weekday,
                        "start_minute": w.start_minute, "end_minute": w.end_minute}
                       for w in r.availability)
    session.execute(insert(Profile), profiles)
    session.execute(insert(ProfileTag), tags)
    session.execute(insert(AvailabilityWindow), windows)
    session.flush()

    from matchmaker.demo.history import seed_history
    from matchmaker.demo.opportunity_rows import seed_opportunities
    from matchmaker.recommendations.services import rematch_users

    opportunities = seed_opportunities(session, orgs, organizer_ids, now, seed)
    history = seed_history(session, opportunities, people, resident_ids, now, seed)
    # One pass for everyone, after the history (booked places count against each
    # person's week). A direct call: it stores suggestions and sends no email.
    matched = rematch_users(session, resident_ids, now=now)

    return SeedReport(
        opportunities=len(opportunities),
        past_occurrences=history.occurrences,
        past_signups=history.signups,
        recommendations=matched.recommendations,
        created=True,
        organizations=len(orgs),
        verified_organizations=sum(1 for o in ORGANIZATIONS if o.verified),
        organizers=len(organizer_ids),
        residents=len(resident_ids),
        admins=1,
    )

