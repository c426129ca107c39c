"""The little world every fuzz campaign runs in, and signing a test client in cheaply.

One organization with an owner and a co-organizer, a published opportunity with
a resident signed up, a small act, a group, a pending invitation, an admin, and
the signed links the emails carry (valid ones, so the fuzzer gets past the link
check into the forms behind them).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass, field

from itsdangerous import URLSafeTimedSerializer

from matchmaker.api.auth import create_token
from matchmaker.auth.login import token_hash
from matchmaker.auth.services import reset_token, verification_token
from matchmaker.db import utcnow
from matchmaker.digests.compose import unsubscribe_token
from matchmaker.followthrough import after, asks, passing
from matchmaker.groups.services import create_group
from matchmaker.models import LoginSession, Membership, Role, User
from matchmaker.orgs.services import invitation_token, invite
from matchmaker.signups.services import sign_up


@dataclass
class Scene:
    users: dict[str, User]
    org: object
    opp: object
    occ: object
    small_act: object
    signup: object
    small_signup: object
    group: object
    invitation: object
    co_membership: object
    links: dict[str, str] = field(default_factory=dict)
    api_tokens: dict[str, str] = field(default_factory=dict)


def build_scene(session, make_user, make_org, make_opportunity) -> Scene:
    from datetime import timedelta

    owner = make_user(email="owner@example.org", role=Role.ORGANIZER)
    co = make_user(email="co@example.org", role=Role.ORGANIZER)
    resident = make_user(email="resident@example.org")
    admin = make_user(email="admin@example.org", role=Role.ADMIN)
    org = make_org(name="Fuzz Food Pantry", owner=owner)
    co_membership = Membership(organization=org, user=co, role="organizer")
    session.add(co_membership)
    opp = make_opportunity(org=org, title="Sort food at the pantry")
    small_act = make_opportunity(org=org, title="Write a card", kind="small_act",
                                 duration_minutes=15, is_remote=True,
                                 do_by=(utcnow() + timedelta(days=10)).date())
    occ, small_occ = opp.occurrences[0], small_act.occurrences[0]
    signup = sign_up(session, occ.id, resident).signup
    small_signup = sign_up(session, small_occ.id, resident).signup
    group = create_group(session, org, name="Saturday crew")
    invitation = invite(session, org, owner, "invitee@example.org")
    small_signup.attendance = "attended"  # done: the reflection link works for it
    session.commit()
    scene = Scene(users={"owner": owner, "co": co, "resident": resident, "admin": admin},
                  org=org, opp=opp, occ=occ, small_act=small_act, signup=signup,
                  small_signup=small_signup, group=group, invitation=invitation,
                  co_membership=co_membership)
    scene.links = {
        "pass": passing.pass_token(signup),
        "attendance": asks.answer_token(signup, "yes"),
        "reflection": after.reflection_token(small_signup),
        "unsubscribe": unsubscribe_token(resident.id),
        "reset": reset_token(resident),
        "verify": verification_token(resident),
        "invitation": invitation_token(invitation),
    }
    for who in ("owner", "resident"):
        scene.api_tokens[who] = create_token(session, scene.users[who], "fuzz")[1]
    session.commit()
    return scene


def sign_in(app, client, session, user: User | None) -> str:
    """A fresh browser session for ``user`` (None: nobody); returns a valid CSRF token.

    Cheaper than fetching a page per request, and it undoes whatever the last
    request did to the session (signed out, password changed, signed in elsewhere).
    """
    raw = hashlib.sha1(os.urandom(32)).hexdigest()  # what flask-wtf keeps in the session
    with client.session_transaction() as s:
        s.clear()
        s["csrf_token"] = raw
        if user is not None:
            token = secrets.token_urlsafe(32)
            session.add(LoginSession(user_id=user.id, token_hash=token_hash(token)))
            session.commit()
            s["_user_id"] = token
            s["_fresh"] = True
    key = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
    return URLSafeTimedSerializer(key, salt="wtf-csrf-token").dumps(raw)
