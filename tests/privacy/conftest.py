"""A person with a row in every table that can hold something about them.

``rich_person(marker)`` plants ``marker`` in every personal free-text column it
can reach (name, email, home area, notes, phone, session user agent, token name,
suggestion reasons, digest errors, messages they wrote, queued job arguments,
the geocoder cache entry for their area), so the deletion test can look for it
everywhere afterwards, and the export test can check that each table is there.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from types import SimpleNamespace

import pytest

from matchmaker.db import utcnow
from matchmaker.geo import coarsen
from matchmaker.geo.text import normalise_query
from matchmaker.models import (
    ApiToken,
    AvailabilityWindow,
    BuddyIntro,
    DigestOutbox,
    GeocodeCacheEntry,
    Group,
    GroupMember,
    ImportRun,
    Invitation,
    LoginSession,
    MatchAlert,
    Membership,
    MilestoneAward,
    Profile,
    ProfileTag,
    QueuedJob,
    Recommendation,
    Reflection,
    Role,
    RosterMessage,
    RosterMessageRecipient,
    Signup,
    SignupStatus,
)

MARKER = "ZZ-MARKER-7731"


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch):
    """argon2 at its real cost takes ~0.5 s a hash on a busy machine; these tests make
    many accounts and are about data, not hashing (verification still runs for real)."""
    from argon2 import PasswordHasher

    from matchmaker.auth import passwords

    monkeypatch.setattr(passwords, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def rich_person(session, make_user, make_org, make_opportunity):
    def build(marker: str = MARKER) -> SimpleNamespace:
        now = utcnow().replace(microsecond=0)
        ann = make_user(email=f"{marker.lower()}.ann@example.org", display_name=f"Ann {marker}")
        bea = make_user(email="bea@example.org", display_name="Bea")
        olga = make_user(email="olga@example.org", display_name="Olga", role=Role.ORGANIZER)
        cleo = make_user(email="cleo@example.org", display_name="Cleo", role=Role.ORGANIZER)
        pantry = make_org(name="Park Slope Food Pantry", owner=olga, verified=True)
        garden = make_org(name="Prospect Garden Club", owner=ann)  # Ann owns it; Cleo helps
        session.add_all([Membership(organization=pantry, user=ann, role="organizer"),
                         Membership(organization=garden, user=cleo, role="organizer")])
        pantry.verified_by_id = ann.id  # as if Ann had been an admin once

        past = make_opportunity(org=pantry, title="Sort food", capacity=5,
                                starts=[now - timedelta(days=40), now - timedelta(days=20)])
        soon = make_opportunity(org=pantry, title="Pack boxes", capacity=1,
                                starts=now + timedelta(days=3))
        later = make_opportunity(org=pantry, title="Deliver meals", capacity=1,
                                 starts=now + timedelta(days=5))
        past1, past2 = past.occurrences
        soon_occ, later_occ = soon.occurrences[0], later.occurrences[0]

        def signup(occ, user, status, **extra):
            row = Signup(occurrence_id=occ.id, user_id=user.id, status=status,
                         created_at=occ.starts_at - timedelta(days=7),
                         queued_at=occ.starts_at - timedelta(days=7), **extra)
            if status == SignupStatus.CONFIRMED:
                row.confirmed_at = row.created_at
                occ.confirmed_count += 1
            session.add(row)
            return row

        personal = {"note": f"Allergic to cats, {marker}", "share_phone": f"555-{marker}",
                    "share_email": True}
        went = signup(past1, ann, SignupStatus.CONFIRMED, attendance="attended",
                      attendance_source="organizer", **personal)
        signup(past2, ann, SignupStatus.CONFIRMED, attendance="no_show", **personal)
        signup(past1, bea, SignupStatus.CONFIRMED, attendance="attended")
        signup(past2, bea, SignupStatus.CONFIRMED, attendance="attended")
        ann_soon = signup(soon_occ, ann, SignupStatus.CONFIRMED, **personal)
        bea_soon = signup(soon_occ, bea, SignupStatus.WAITLISTED)
        signup(later_occ, olga, SignupStatus.CONFIRMED)
        ann_later = signup(later_occ, ann, SignupStatus.WAITLISTED, **personal)
        session.flush()

        home_label = f"{marker} Heights, Brooklyn"
        lat, lon = coarsen(40.6712, -73.9804)
        session.add_all([
            Profile(user_id=ann.id, timezone="America/New_York", home_label=home_label,
                    home_lat=lat, home_lon=lon, notify_strong_matches=True, buddy_opt_in=True),
            ProfileTag(user_id=ann.id, kind="cause", value="food-security"),
            AvailabilityWindow(user_id=ann.id, weekday=5, start_minute=540, end_minute=720),
            GeocodeCacheEntry(key=f"gazetteer:{normalise_query(home_label)}", label=home_label,
                              lat=40.6712, lon=-73.9804),
            Reflection(signup_id=went.id, user_id=ann.id, feeling=4),
            MilestoneAward(user_id=ann.id, milestone=1, signup_id=went.id),
            BuddyIntro(occurrence_id=soon_occ.id, newcomer_id=ann.id, regular_id=olga.id),
            LoginSession(user_id=ann.id, token_hash=secrets.token_hex(32),
                         user_agent=f"Mozilla/5.0 ({marker})"),
            ApiToken(user_id=ann.id, name=f"My script {marker}", token_hash=secrets.token_hex(32),
                     prefix="mm_ab12"),
            Recommendation(user_id=ann.id, occurrence_id=later_occ.id, score=0.8, rank=1,
                           reasons=["Food security", f"because {marker}"]),
            MatchAlert(user_id=ann.id, occurrence_id=later_occ.id),
            DigestOutbox(user_id=ann.id, kind="resident", period="2026-W47",
                         last_error=f"550 no such user {marker}"),
            Invitation(organization_id=garden.id, email="friend@example.org",
                       invited_by_id=ann.id, expires_at=now + timedelta(days=7)),
            Invitation(organization_id=pantry.id, email=ann.email, invited_by_id=olga.id,
                       accepted_by_id=ann.id, accepted_at=now, expires_at=now + timedelta(days=7)),
            Invitation(organization_id=garden.id, email=ann.email, invited_by_id=cleo.id,
                       expires_at=now + timedelta(days=7)),
            ImportRun(organization_id=garden.id, created_by_id=ann.id, filename="plants.csv"),
            QueuedJob(func="workers.jobs.send_account_email", args=[f"verify-{marker}", ann.id]),
            QueuedJob(func="workers.jobs.send_signup_email", args=[ann_soon.id, "confirmed"]),
            QueuedJob(func="workers.matching_jobs.rematch_resident", args=[ann.id]),
        ])
        group = Group(organization_id=pantry.id, name="Saturday crew", slug="saturday-crew")
        session.add(group)
        session.flush()
        session.add(GroupMember(group_id=group.id, user_id=ann.id))
        bulbs = make_opportunity(org=garden, title="Plant bulbs", status="draft")
        bulbs.created_by_id = ann.id
        written = RosterMessage(occurrence_id=soon_occ.id, sender_id=ann.id,
                                idempotency_key=secrets.token_hex(16), subject="Parking",
                                body=f"Park behind the church. Call me, {marker}.",
                                audience="both", reply_to=ann.email)
        received = RosterMessage(occurrence_id=soon_occ.id, sender_id=olga.id,
                                 idempotency_key=secrets.token_hex(16), subject="Thanks",
                                 body="See you on Saturday.", audience="both", sent_at=now)
        session.add_all([written, received])
        session.flush()
        session.add_all([
            RosterMessageRecipient(message_id=written.id, user_id=bea.id),
            RosterMessageRecipient(message_id=received.id, user_id=ann.id, sent_at=now),
        ])
        session.commit()
        return SimpleNamespace(
            ann=ann, bea=bea, olga=olga, cleo=cleo, pantry=pantry, garden=garden,
            past=past, soon=soon_occ, later=later_occ, ann_soon=ann_soon, bea_soon=bea_soon,
            ann_later=ann_later, marker=marker, email=ann.email, home_label=home_label,
        )

    return build
