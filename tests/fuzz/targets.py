"""Who may use each state-changing route, with which URL, and which form it posts.

``FORMS`` covers every non-API POST route; ``test_forms`` fails when
``app.url_map`` has a state-changing route that is in neither this table nor
``API`` (so a new form must be given a strategy here). Field strategies are read
from the form class (``strategies.form_fields``); ``hand`` adds the fields a view
reads from ``request.form`` itself; ``good`` are valid values to start from, so
many inputs get past validation into the services and the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from hypothesis import strategies as st

from matchmaker import vocab
from matchmaker.account.forms import DeleteAccountForm
from matchmaker.auth.forms import (
    ChangePasswordForm,
    EmptyForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
)
from matchmaker.digests.forms import EmailSettingsForm
from matchmaker.followthrough.views_event import CheckinForm
from matchmaker.groups.forms import GroupForm
from matchmaker.imports.forms import UploadForm
from matchmaker.opportunities.forms import OpportunityForm
from matchmaker.orgs.forms import InviteForm, OrganizationForm
from matchmaker.profile.forms import ProfileForm
from matchmaker.rosters.forms import RosterMessageForm
from matchmaker.signups.forms import SignupForm
from tests.conftest import PASSWORD
from tests.fuzz.strategies import hostile_text, numbers

#: Where a form sends people next: relative, absolute, scheme tricks.
next_urls = st.one_of(
    st.sampled_from(["/", "/me/commitments", "//evil.example/", "https://evil.example",
                     "/\\evil", "javascript:alert(1)", "/%0d%0aSet-Cookie:x"]),
    hostile_text)


@dataclass(frozen=True)
class FormTarget:
    actor: str  # a key of Scene.users, "anonymous", or "new resident" (made per input)
    url_args: Callable  # Scene -> url_for keyword arguments
    form: type = EmptyForm
    hand: dict = field(default_factory=dict)  # name -> strategy of one value (or a list)
    good: dict = field(default_factory=dict)
    budget: int = 110  # generated inputs; the sum over all campaigns is checked

    def fields(self):
        from tests.fuzz.strategies import PostedField, form_fields

        return form_fields(self.form) + [
            PostedField(name, strategy, multi=name == "signup")
            for name, strategy in self.hand.items()]


def _org(s):
    return {"slug": s.org.slug}


def _occ(s):
    return {"slug": s.org.slug, "occurrence_id": s.occ.id}


def _opp(s):
    return {"slug": s.org.slug, "opportunity_id": s.opp.id}


def _group(s):
    return {"slug": s.org.slug, "group_slug": s.group.slug}


def _none(s):
    return {}


NEW_PASSWORD = "another long passphrase here"
#: A date the rules accept: in the future, within the two years an organizer may plan.
SOON = (date.today() + timedelta(days=40)).isoformat()
OPPORTUNITY = {
    "title": "Pack food boxes", "description": "Pack boxes **together**.", "kind": "one_off",
    "place": "Prospect Park", "lat": "40.6602", "lon": "-73.9690",  # a pin: no geocoding
    "start_date": SOON, "start_time": "09:30",
    "timezone": "America/New_York", "duration_minutes": "120", "capacity": "10",
    "min_age": "0", "social_format": "small_group", "causes": [next(iter(vocab.CAUSES))],
    "interval": "1", "frequency": "weekly",
}
ORGANIZATION = {"name": "Fuzz Garden Club", "summary": "We plant things.",
                "area": "Park Slope", "contact_email": "club@example.org",
                "reminder_early_hours": "24", "reminder_late_minutes": "120"}

FORMS: dict[str, FormTarget] = {
    # --- accounts ---
    "auth.register": FormTarget("anonymous", _none, RegisterForm, good={
        "email": "new@example.org", "display_name": "Ana", "password": PASSWORD,
        "confirm": PASSWORD}, budget=150),
    "auth.login": FormTarget("anonymous", _none, LoginForm, good={
        "email": "resident@example.org", "password": PASSWORD}, hand={"next": next_urls},
        budget=150),
    "auth.forgot_password": FormTarget("anonymous", _none, ForgotPasswordForm,
                                       good={"email": "resident@example.org"}),
    "auth.reset_password": FormTarget("anonymous", lambda s: {"token": s.links["reset"]},
                                      ResetPasswordForm, good={"password": NEW_PASSWORD,
                                                               "confirm": NEW_PASSWORD}),
    "auth.change_password": FormTarget("resident", _none, ChangePasswordForm, good={
        "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    "auth.logout": FormTarget("resident", _none),
    # A new resident each time: a good password really deletes the account.
    "account.delete": FormTarget("new resident", _none, DeleteAccountForm,
                                 good={"password": PASSWORD}),
    "auth.resend_verification": FormTarget("resident", _none, hand={"next": next_urls}),
    # --- profile and emails ---
    "profile.edit": FormTarget("resident", _none, ProfileForm, good={
        "timezone": "America/New_York", "home": "11215", "travel_radius_km": "5",
        "weekly_hours": "2", "max_commitments_per_week": "2", "social_format": "any",
        "windows-0-weekday": "2", "windows-0-start": "09:00", "windows-0-end": "12:00"}),
    "digests.settings": FormTarget("resident", _none, EmailSettingsForm, good={
        "digest_frequency": "weekly", "digest_weekday": "6", "digest_hour": "17"}),
    "digests.clear_bouncing": FormTarget("resident", _none),
    "digests.unsubscribe": FormTarget("anonymous", lambda s: {"token": s.links["unsubscribe"]}),
    # --- signing up, passing on, checking in, after the event ---
    "signups.sign_up": FormTarget("resident", lambda s: {"id": s.occ.id}, SignupForm,
                                  good={"share_phone": "718 555 0123"}),
    "signups.release": FormTarget("resident", lambda s: {"id": s.signup.id},
                                  hand={"next": next_urls}),
    "signups.new_calendar_link": FormTarget("resident", _none),
    "followthrough.pass_spot": FormTarget("anonymous", lambda s: {"token": s.links["pass"]}),
    "followthrough.answer": FormTarget("anonymous",
                                       lambda s: {"token": s.links["attendance"]}),
    "followthrough.checkin_submit": FormTarget("resident", _none, CheckinForm),
    "followthrough.mark_attendance": FormTarget(
        "owner", _occ, hand={"mark": st.sampled_from(["attended", "no_show"]) | hostile_text,
                             "signup": st.one_of(numbers, st.integers(0, 50).map(str))},
        good={"mark": "attended", "signup": ["1", "2"]}),
    "after.reflect": FormTarget("anonymous", lambda s: {"token": s.links["reflection"]},
                                hand={"feeling": st.sampled_from(["1", "5"]) | numbers},
                                good={"feeling": "4"}),
    "after.mark_done": FormTarget("resident", lambda s: {"id": s.small_signup.id},
                                  hand={"next": next_urls}),
    # --- organizations and teams ---
    "orgs.create": FormTarget("resident", _none, OrganizationForm, good=ORGANIZATION,
                              budget=150),
    "orgs.edit": FormTarget("owner", _org, OrganizationForm, good=ORGANIZATION, budget=150),
    "orgs.invite": FormTarget("owner", _org, InviteForm, good={"email": "new@example.org"}),
    "orgs.revoke_invitation": FormTarget(
        "owner", lambda s: {"slug": s.org.slug, "invitation_id": s.invitation.id}),
    "orgs.resend_invitation": FormTarget(
        "owner", lambda s: {"slug": s.org.slug, "invitation_id": s.invitation.id}),
    "orgs.remove_member": FormTarget(
        "owner", lambda s: {"slug": s.org.slug, "membership_id": s.co_membership.id}),
    "orgs.leave": FormTarget("co", _org),
    "orgs.accept_invitation": FormTarget("resident",
                                         lambda s: {"token": s.links["invitation"]}),
    "admin.verify_organization": FormTarget("admin", lambda s: {"org_id": s.org.id},
                                            hand={"next": next_urls}),
    "admin.unverify_organization": FormTarget("admin", lambda s: {"org_id": s.org.id},
                                              hand={"next": next_urls}),
    # Without Redis there is no failed job: these answer 404 (the guard and form still run).
    "admin.retry_failed_job": FormTarget("admin", lambda s: {"queue_name": "default",
                                                             "job_id": "no-such-job"}),
    "admin.delete_failed_job": FormTarget("admin", lambda s: {"queue_name": "default",
                                                              "job_id": "no-such-job"}),
    # --- groups ---
    "groups.create": FormTarget("owner", _org, GroupForm, good={"name": "Sunday crew"}),
    "groups.edit": FormTarget("owner", _group, GroupForm, good={"name": "Saturday crew"}),
    "groups.archive": FormTarget("owner", _group),
    "groups.restore": FormTarget("owner", _group),
    "groups.join": FormTarget("resident", _group),
    "groups.leave": FormTarget("resident", _group),
    # --- opportunities, rosters, imports ---
    # Each input re-renders a long form (~60 ms): fewer inputs, all of them rich.
    "opportunities.create": FormTarget("owner", _org, OpportunityForm, good=OPPORTUNITY,
                                       budget=150),
    "opportunities.edit": FormTarget("owner", _opp, OpportunityForm, good=OPPORTUNITY),
    "opportunities.publish": FormTarget("owner", _opp),
    "opportunities.copy": FormTarget("owner", _opp),
    "opportunities.cancel": FormTarget("owner", _opp),
    "rosters.message": FormTarget(
        "owner", _occ, RosterMessageForm,
        hand={"send": st.just("1") | hostile_text, "change": st.just("1") | hostile_text},
        good={"subject": "Bring gloves", "body": "See you\n\nSaturday", "audience": "both",
              "key": "k" * 20}, budget=150),
    "imports.upload": FormTarget("owner", _org, UploadForm),
}
