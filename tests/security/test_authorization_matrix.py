"""The authorization matrix: every route of ``app.url_map`` × method × actor × object.

``MATRIX`` below is the single table of who may do what. Its keys are
``"METHODS /rule"`` exactly as url_map spells the rule; a route or method
without an entry fails ``test_every_route_has_an_entry`` with the line to add,
and an entry for a route that no longer exists fails too.

Each entry is an access rule (public, signed_in, owner, organizer, admin_only,
token_link, api_*) that knows, for every actor and object, what a polished
product answers:

- anonymous on a page -> 302 to /login; on the API -> 401 (JSON);
- signed in but not theirs -> 403 on an organization's pages (orgs/access.py),
  404 for another organization's thing reached through your own organization's
  address and for anyone else's sign-up (existence never revealed);
- a forged link token -> the link's documented status for every actor.

Every request is made with a valid CSRF token, so a denial is the
authorization's doing. Each denial must leave the database unchanged, and no
response to anyone but A's organizers and admins may contain A's draft or the
other resident's name, email address or phone number. Never a 5xx.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

import pytest

from matchmaker import create_app
from matchmaker.db import db, utcnow
from tests.security.conftest import (
    ACTORS,
    ADMIN,
    ANON,
    ORG_A,
    ORG_B,
    PRIVATE_MARKERS,
    RESIDENT,
    SIGNED_IN,
    changed_tables,
    db_state,
)

PASS = "passes"   # the request gets through authorization (any non-denial answer)
LOGIN = "login"   # anonymous: 302 to /login, or 401 on the API
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


# --- access rules ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Access:
    """An access rule: per object kind, what each actor gets ("*": everyone not named)."""

    name: str
    table: dict
    api: bool = False

    def expect(self, actor: str, kind: str):
        row = self.table[kind]
        return row.get(actor, row["*"])


def _row(passing, others, anonymous=LOGIN) -> dict:
    """``passing`` get through; other signed-in actors get ``others``; anonymous, ``anonymous``."""
    return {ANON: anonymous, **{actor: PASS for actor in passing}, "*": others}


def public(hidden: str = "") -> Access:
    """Anyone. ``hidden="team"``: A's draft or archived group is 404 for all but A's
    organizers; ``hidden="all"``: 404 for everyone (there is no page for it at all)."""
    table = {"of A": {"*": PASS}}
    if hidden:
        table["hidden of A"] = {ORG_A: PASS if hidden == "team" else 404, "*": 404}
    return Access("public", table)


def signed_in(hidden: int | None = None) -> Access:
    """Anyone with an account, on their own data. ``hidden``: A's draft gives that status."""
    table = {"of A": _row(SIGNED_IN, PASS)}
    if hidden is not None:
        table["hidden of A"] = _row((), hidden)
    return Access("signed-in", table)


def owner(api: bool = False) -> Access:
    """The resident's own sign-up. Anyone else's is 404, exactly like one that does not exist."""
    return Access("owner-of-object", {"own": _row({RESIDENT}, 404),
                                      "another resident's": _row((), 404),
                                      "nonexistent": _row((), 404)}, api=api)


def organizer(admins_too: bool = False) -> Access:
    """Members of A (403 for everyone else). A's thing reached through B's address: 404 for
    B's organizers (and admins, where they see figures), 403 for people outside B."""
    team = {ORG_A, ADMIN} if admins_too else {ORG_A}
    via_b = {ANON: LOGIN, ORG_B: 404, **({ADMIN: 404} if admins_too else {}), "*": 403}
    return Access("organizer-of-org" + (" or admin" if admins_too else ""),
                  {"of A": _row(team, 403), "of A via B": via_b})


def admin_only() -> Access:
    return Access("admin", {"of A": _row({ADMIN}, 403)})


def token_link(status: int, sign_in_first: bool = False) -> Access:
    """An emailed link: the token is the permission. Forged -> ``status`` for every actor
    (``sign_in_first``: the page asks anonymous visitors to sign in before anything else)."""
    return Access("token-link", {"forged": _row((), status, LOGIN if sign_in_first else status)})


def api_public() -> Access:
    return Access("api-public", {"of A": {"*": PASS}}, api=True)


def api_token(hidden: int | None = None) -> Access:
    """Any valid bearer token; ``hidden``: A's draft is that status for all but A's team."""
    table = {"of A": _row(SIGNED_IN, PASS)}
    if hidden is not None:
        table["hidden of A"] = _row({ORG_A}, hidden)
    return Access("api-token", table, api=True)


def api_organizer(existing: bool = True) -> Access:
    """A's team only: 403 for other tokens; A's draft is 404 for them (not discoverable).
    ``existing=False``: creating, so there is no object yet to hide."""
    table = {"of A": _row({ORG_A}, 403)}
    if existing:
        table["hidden of A"] = _row({ORG_A}, 404)
    return Access("api-organizer", table, api=True)


@dataclass(frozen=True)
class Entry:
    access: Access
    #: which object the rule's bare ``<id>`` names: opportunity, occurrence or signup
    id: str = ""
    #: query string (callable: world -> dict) and JSON body (callable: world -> dict)
    query: object = None
    json: object = None
    #: answers that still count as passing for those allowed (e.g. 404 "no such code")
    also_passing: tuple = ()


# --- THE MATRIX ---------------------------------------------------------------------------------
# One line per route; "GET,POST" when the methods share the rule. Grouped by access rule.

ORG = "/organizations/<slug>"
OCC = f"{ORG}/occurrences/<int:occurrence_id>"
OPP = f"{ORG}/opportunities/<int:opportunity_id>"
GRP = f"{ORG}/groups/<group_slug>"
DASH = f"{ORG}/dashboard"


def _new_opportunity(w) -> dict:
    start = (utcnow() + timedelta(days=5)).replace(tzinfo=None, microsecond=0, second=0)
    return {"organization": w.ids["org_a"], "title": "Sort tins", "kind": "one_off",
            "description": "Help.", "causes": ["food-security"], "place": "11215",
            "start_local": start.isoformat(), "duration_minutes": 90, "capacity": 2}


MATRIX: dict[str, Entry] = {
    # public: anyone, signed in or not
    "GET /": Entry(public()),
    "GET /healthz": Entry(public()),
    "GET /static/<path:filename>": Entry(public()),
    "GET /opportunities": Entry(public()),
    "GET /opportunities/<int:id>": Entry(public(hidden="team"), id="opportunity"),
    # a draft's dates have no page, not even for its organizers (they use the editor)
    "GET /occurrences/<int:id>": Entry(public(hidden="all"), id="occurrence"),
    "GET /organizations/": Entry(public()),
    f"GET {ORG}": Entry(public()),
    f"GET {ORG}/groups/": Entry(public()),
    f"GET {GRP}": Entry(public(hidden="team")),
    # the account forms: signed-in people are sent on (302), which also "passes"
    "GET,POST /login": Entry(public()),
    "GET,POST /register": Entry(public()),
    "GET,POST /forgot-password": Entry(public()),
    "GET /account-deleted": Entry(public()),
    "GET /readyz": Entry(public()),

    # signed-in: anyone with an account, each on their own data only
    "GET,POST /account/password": Entry(signed_in()),
    "POST /logout": Entry(signed_in()),
    "POST /verify/resend": Entry(signed_in()),
    "GET,POST /profile/": Entry(signed_in()),
    "GET /for-you": Entry(signed_in()),
    "GET /me/commitments": Entry(signed_in()),
    "POST /me/calendar/new-link": Entry(signed_in()),
    "GET /me/digest": Entry(signed_in()),
    "GET,POST /me/emails": Entry(signed_in()),
    "POST /me/emails/bouncing": Entry(signed_in()),
    "GET /me/impact": Entry(signed_in()),
    "GET /checkin": Entry(signed_in()),
    # signed in, a blank code is answered "no event has that code" (404)
    "POST /checkin": Entry(signed_in(), also_passing=(404,)),
    "GET /checkin/<code>": Entry(signed_in()),
    "GET /organizations/mine": Entry(signed_in()),
    "GET,POST /organizations/new": Entry(signed_in()),
    "POST /occurrences/<int:id>/signup": Entry(signed_in(hidden=404), id="occurrence"),
    f"POST {GRP}/join": Entry(signed_in()),
    f"POST {GRP}/leave": Entry(signed_in()),
    # data rights: each person's own data only (no id in the URL to point elsewhere)
    "GET /me/data": Entry(signed_in()),
    "GET /me/data.json": Entry(signed_in()),
    "GET,POST /me/delete": Entry(signed_in()),

    # owner-of-object: a resident's own sign-up; 404 for everyone else
    "GET /signups/<int:id>.ics": Entry(owner(), id="signup"),
    "POST /signups/<int:id>/release": Entry(owner(), id="signup"),
    "POST /me/signups/<int:id>/done": Entry(owner(), id="signup"),

    # organizer-of-org: the people who run A
    f"GET,POST {ORG}/edit": Entry(organizer()),
    f"GET {ORG}/team": Entry(organizer()),
    f"POST {ORG}/team/invite": Entry(organizer()),
    f"POST {ORG}/invitations/<int:invitation_id>/revoke": Entry(organizer()),
    f"POST {ORG}/invitations/<int:invitation_id>/resend": Entry(organizer()),
    f"POST {ORG}/members/<int:membership_id>/remove": Entry(organizer()),
    f"POST {ORG}/leave": Entry(organizer()),
    f"GET,POST {ORG}/groups/new": Entry(organizer()),
    f"GET,POST {GRP}/edit": Entry(organizer()),
    f"POST {GRP}/archive": Entry(organizer()),
    f"POST {GRP}/restore": Entry(organizer()),
    f"GET,POST {ORG}/imports/new": Entry(organizer()),
    f"GET {ORG}/imports/<int:run_id>": Entry(organizer()),
    f"GET {ORG}/opportunities/": Entry(organizer()),
    f"GET,POST {ORG}/opportunities/new": Entry(organizer()),
    f"GET,POST {OPP}/edit": Entry(organizer()),
    f"GET,POST {OPP}/cancel": Entry(organizer()),
    f"POST {OPP}/copy": Entry(organizer()),
    f"POST {OPP}/publish": Entry(organizer()),
    f"GET {OCC}/roster": Entry(organizer()),
    f"GET {OCC}/roster.csv": Entry(organizer()),
    f"GET,POST {OCC}/roster/message": Entry(organizer()),
    f"GET {OCC}/checkin": Entry(organizer()),
    f"POST {OCC}/attendance": Entry(organizer()),
    # figures: A's team and platform admins
    f"GET {DASH}": Entry(organizer(admins_too=True)),
    f"GET {DASH}.csv": Entry(organizer(admins_too=True)),
    f"GET {DASH}/opportunities/<int:opportunity_id>": Entry(organizer(admins_too=True)),
    f"GET {DASH}/opportunities/<int:opportunity_id>.csv": Entry(organizer(admins_too=True)),
    f"GET {DASH}/groups/<group_slug>": Entry(organizer(admins_too=True)),
    f"GET {DASH}/groups/<group_slug>.csv": Entry(organizer(admins_too=True)),

    # admin: platform admins only
    "GET /admin/organizations": Entry(admin_only()),
    "POST /admin/organizations/<int:org_id>/verify": Entry(admin_only()),
    "POST /admin/organizations/<int:org_id>/unverify": Entry(admin_only()),
    "GET /admin/dashboard": Entry(admin_only()),
    "GET /admin/dashboard.csv": Entry(admin_only()),
    "GET /admin/digests": Entry(admin_only(),
                                query=lambda w: {"email": w.users["other"].email}),
    "GET /admin/digests/<int:user_id>": Entry(admin_only()),
    "GET /admin/operations": Entry(admin_only()),
    # the admin passes and learns the (made-up) job is not in the failed list: 404
    "POST /admin/operations/failed/<queue_name>/<job_id>/retry": Entry(
        admin_only(), also_passing=(404,)),
    "POST /admin/operations/failed/<queue_name>/<job_id>/delete": Entry(
        admin_only(), also_passing=(404,)),

    # token links from emails: the signed token is the permission
    "GET /verify/<token>": Entry(token_link(400)),
    "GET,POST /reset-password/<token>": Entry(token_link(400)),
    "GET,POST /pass/<token>": Entry(token_link(404)),
    "GET,POST /attendance/<token>": Entry(token_link(404)),
    "GET,POST /after/feel/<token>": Entry(token_link(404)),
    "GET,POST /unsubscribe/<token>": Entry(token_link(404)),
    "GET /calendar/<token>.ics": Entry(token_link(404)),
    "GET,POST /organizations/invitations/<token>": Entry(token_link(400, sign_in_first=True)),

    # the API: bearer tokens only (anonymous = no token -> 401)
    "GET /api/v1/openapi.json": Entry(api_public()),
    "GET /api/v1/me": Entry(api_token()),
    "GET /api/v1/me/signups": Entry(api_token()),
    "GET /api/v1/me/recommendations": Entry(api_token()),
    "GET /api/v1/opportunities": Entry(api_token()),
    "GET /api/v1/opportunities/<int:opportunity_id>": Entry(api_token(hidden=404)),
    "POST /api/v1/opportunities": Entry(api_organizer(existing=False), json=_new_opportunity),
    "PATCH /api/v1/opportunities/<int:opportunity_id>": Entry(
        api_organizer(), json=lambda w: {"title": "A better title"}),
    "DELETE /api/v1/opportunities/<int:opportunity_id>": Entry(api_organizer()),
    "POST /api/v1/opportunities/<int:opportunity_id>/signups": Entry(api_token(hidden=404)),
    "DELETE /api/v1/signups/<int:signup_id>": Entry(owner(api=True)),
}


def _expand(matrix: dict[str, Entry]) -> dict[tuple[str, str], Entry]:
    cases = {}
    for key, entry in matrix.items():
        methods, rule = key.split(" ", 1)
        for method in methods.split(","):
            assert (method, rule) not in cases, f"two entries for {method} {rule}"
            cases[(method, rule)] = entry
    return cases


CASES = _expand(MATRIX)


def routes(app) -> dict[tuple[str, str], object]:
    """(method, rule) -> werkzeug Rule for every route the app serves (HEAD/OPTIONS aside)."""
    return {(m, r.rule): r for r in app.url_map.iter_rules()
            for m in sorted(r.methods) if m in METHODS}


# --- completeness --------------------------------------------------------------------------------

def test_every_route_has_an_entry(shared_world):
    served = routes(shared_world.app)
    missing = sorted(set(served) - set(CASES))
    stale = sorted(set(CASES) - set(served))
    hints = [f'add an entry for {m} {r} ({served[(m, r)].endpoint}) to MATRIX in '
             f'{__name__}: "{m} {r}": Entry(<access rule>),' for m, r in missing]
    assert not missing, "routes with no authorization entry:\n" + "\n".join(hints)
    assert not stale, "MATRIX entries for routes that no longer exist (remove them):\n" + (
        "\n".join(f"{m} {r}" for m, r in stale))


# --- the sweep ------------------------------------------------------------------------------------

def object_kinds(access: Access, rule) -> list[str]:
    kinds = list(access.table)
    arguments = set(rule.arguments) - set(rule.defaults or {})
    if "of A via B" in kinds and not ({"slug"} < arguments):
        kinds.remove("of A via B")  # only A's page itself: nothing of A to reach through B
    return kinds


def object_url(rule, entry: Entry, values: dict, world) -> str:
    args = {name: values[name] for name in rule.arguments
            if name != "id" and name not in (rule.defaults or {})}
    if "id" in rule.arguments:
        args["id"] = values[f"{entry.id}_id"]
    path = rule.build(args, append_unknown=False)[1]
    query = entry.query(world) if entry.query else {}
    return f"{path}?{urlencode(query)}" if query else path


def _verdict(resp, expected, entry: Entry) -> str | None:
    """None when ``resp`` is what ``expected`` says, else what went wrong."""
    status = resp.status_code
    location = resp.headers.get("Location", "")
    if status >= 500:
        return f"server error {status}"
    api = entry.access.api
    if expected == PASS:
        if status in entry.also_passing:
            return None
        if status in (401, 403, 404, 405) or "/login" in location:
            return f"denied ({status} {location}) but should pass"
        return None
    if expected == LOGIN:
        want = 401 if api else 302
        if status != want or (not api and "/login" not in location):
            return f"got {status} {location}, want {want}" + ("" if api else " to /login")
        return None
    return None if status == expected else f"got {status}, want {expected}"


#: Responses to these actors must never contain any of PRIVATE_MARKERS.
OUTSIDERS = (ANON, RESIDENT, ORG_B)


def _request(world, actor: str, method: str, url: str, entry: Entry):
    """As ``actor``: a bearer token on the API, the session cookie and its CSRF token elsewhere."""
    client = world.clients[actor]
    if entry.access.api:
        body = entry.json(world) if entry.json else None
        return client.open(url, method=method, headers=world.bearer[actor], json=body)
    data = {"csrf_token": world.csrf[actor]} if method != "GET" else None
    return client.open(url, method=method, data=data)


def sweep(world, case: tuple[str, str]) -> list[str]:
    """Every actor and object kind against one (method, rule): the list of what is wrong."""
    rule = routes(world.app)[case]
    method = case[0]
    entry = CASES[case]
    access = entry.access
    writes = method != "GET"
    problems = []
    for kind in object_kinds(access, rule):
        url = object_url(rule, entry, world.objects[kind], world)
        # Denied actors first, then those who pass (whose writes may change what follows).
        for actor in sorted(ACTORS, key=lambda a: access.expect(a, kind) == PASS):
            expected = access.expect(actor, kind)
            check_db = writes and expected != PASS
            before = db_state(db.session) if check_db else None
            resp = _request(world, actor, method, url, entry)
            where = f"{method} {url} as {actor} ({kind}, {access.name})"
            wrong = _verdict(resp, expected, entry)
            if wrong:
                problems.append(f"{where}: {wrong}")
            body = resp.get_data(as_text=True)
            shown = [m for m in PRIVATE_MARKERS if m in body] if actor in OUTSIDERS else []
            if shown:
                problems.append(f"{where}: response shows what only A's team may see: {shown}")
            if check_db:
                changed = changed_tables(before, db_state(db.session))
                if changed:
                    problems.append(f"{where}: denied, yet the database changed in {changed}")
    return problems


@pytest.mark.parametrize("case", sorted(CASES), ids=lambda c: f"{c[0]} {c[1]}")
def test_matrix(world, case):
    if case not in routes(world.app):
        pytest.skip("no such route (test_every_route_has_an_entry reports it)")
    problems = sweep(world, case)
    assert not problems, "\n".join(problems)


def test_the_sweep_catches_a_leak(world, monkeypatch):
    """Drop the team page's membership check: the sweep reports every outsider who got in."""
    from matchmaker.orgs import views

    monkeypatch.setattr(views, "membership_or_403", lambda org, message="": None)
    problems = sweep(world, ("GET", "/organizations/<slug>/team"))
    assert any("as resident (of A, organizer-of-org): got 200, want 403" in p for p in problems)
    assert any("as organizer of B (of A, organizer-of-org): got 200, want 403" in p
               for p in problems)


def test_the_sweep_catches_a_write_behind_a_denial(world, monkeypatch):
    """A view that writes, then refuses: the sweep sees the database change."""
    from matchmaker.signups import views

    real = views._own_signup_or_404

    def leaky(signup_id):
        db.session.get(views.Signup, signup_id).note = "touched by someone else"
        db.session.commit()
        return real(signup_id)

    monkeypatch.setattr(views, "_own_signup_or_404", leaky)
    problems = sweep(world, ("POST", "/signups/<int:id>/release"))
    assert any("denied, yet the database changed in ['signups']" in p for p in problems)


def test_a_new_route_without_an_entry_is_caught():
    """The completeness check fails for a route nobody put in the table."""
    fresh = create_app(TESTING=True, SECRET_KEY="x", DATABASE_URL="sqlite://")

    @fresh.get("/brand-new/<int:thing_id>")
    def brand_new(thing_id: int):
        return "hello"

    assert ("GET", "/brand-new/<int:thing_id>") in set(routes(fresh)) - set(CASES)


#: The world's real link tokens, by the link they were made for.
OWN_TOKEN = {"/pass/<token>": "pass", "/attendance/<token>": "attendance",
             "/unsubscribe/<token>": "unsubscribe", "/calendar/<token>.ics": "calendar",
             "/organizations/invitations/<token>": "invitation"}


def test_a_link_token_opens_only_its_own_kind_of_link(world):
    """Every link checks its token's purpose: a real token made for another link (a "pass
    my spot" token on the unsubscribe link, say) is treated exactly like a forged one."""
    problems = []
    for (method, rule_text), entry in sorted(CASES.items()):
        if method != "GET" or "forged" not in entry.access.table:
            continue
        rule = routes(world.app)[(method, rule_text)]
        for kind, token in world.tokens.items():
            url = object_url(rule, entry, {**world.objects["forged"], "token": token}, world)
            own = OWN_TOKEN.get(rule_text) == kind
            if own and kind == "invitation":
                continue  # only its invitee may open it; tests/integration/test_orgs.py
            resp = world.clients[ANON].get(url)
            wrong = (None if resp.status_code == 200 else f"got {resp.status_code}") if own \
                else _verdict(resp, entry.access.expect(ANON, "forged"), entry)
            if wrong:
                problems.append(f"GET {rule_text} with the {kind} token: {wrong}")
    assert not problems, "\n".join(problems)


def test_the_private_markers_are_there_to_be_seen(world):
    """The outsider check can fire: A's team does see every marker on its own pages."""
    a = world.objects["of A"]
    team = world.clients[ORG_A]
    pages = [f"/organizations/{a['slug']}/groups/{a['group_slug']}",
             f"/organizations/{a['slug']}/occurrences/{a['occurrence_id']}/roster",
             f"/organizations/{a['slug']}/opportunities/"]
    seen = "".join(team.get(page).get_data(as_text=True) for page in pages)
    assert [m for m in PRIVATE_MARKERS if m not in seen] == []
