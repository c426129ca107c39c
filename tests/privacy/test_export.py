"""'Download my data': the metadata walk proves every table holding a person is covered,
and the download of a person with a row everywhere proves the sections really read them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import ForeignKey

import matchmaker.models  # noqa: F401  (registers every table)
from matchmaker.account import deletion, export
from matchmaker.account.schema import IMPERSONAL_JOBS, PERSON_JOB_ARGS, person_columns
from matchmaker.db import Base

#: Column names that hold a person's id even without a foreign key saying so.
PERSON_NAME = re.compile(r"(^|_)user_id$|_by_id$|^(person|sender|recipient|newcomer|regular|"
                         r"owner|member|author|resident|organizer)_id$")


def columns_holding_a_person() -> set[tuple[str, str]]:
    """The schema walk, plus every column whose *name* says it holds a person."""
    named = {(t.name, c.name) for t in Base.metadata.tables.values() for c in t.columns
             if PERSON_NAME.search(c.name)}
    return person_columns(Base.metadata) | named


def test_the_walk_follows_foreign_keys_through_profiles():
    found = person_columns(Base.metadata)
    assert {("profiles", "user_id"), ("profile_tags", "user_id"), ("signups", "user_id"),
            ("buddy_intros", "regular_id"), ("invitations", "accepted_by_id")} <= found
    assert ("signups", "occurrence_id") not in found


def test_the_walk_would_catch_a_new_table():
    from sqlalchemy import Column, Integer, MetaData, Table

    meta = MetaData()
    Table("users", meta, Column("id", Integer, primary_key=True))
    Table("notes", meta, Column("id", Integer, primary_key=True),
          Column("written_by", Integer, ForeignKey("users.id")))
    assert ("notes", "written_by") in person_columns(meta)


def test_every_column_holding_a_person_is_exported_or_excluded_with_a_reason():
    covered = {(s.table, name) for s in export.SECTIONS for name in s.by}
    excluded = {key for key, why in export.NOT_EXPORTED.items() if why.strip()}
    missing = sorted(columns_holding_a_person() - covered - excluded)
    assert not missing, (f"these columns hold a person's id but 'Download my data' does not "
                         f"cover them: {missing}; add a Section in matchmaker/account/export.py "
                         "(or an entry with a reason in NOT_EXPORTED)")
    for section in export.SECTIONS:
        table = Base.metadata.tables[section.table]
        assert set(section.by) | set(section.by_email) | set(section.omit) <= set(table.c.keys())
        assert all(why.strip() for why in section.omit.values())


def test_every_column_holding_a_person_has_a_deletion_rule():
    missing = sorted(columns_holding_a_person() - set(deletion.PLAN))
    assert not missing, (f"these columns hold a person's id but 'Delete my account' has no "
                         f"rule for them: {missing}; add them to PLAN in "
                         "matchmaker/account/deletion.py")
    assert set(deletion.PLAN) <= columns_holding_a_person()


def test_every_recorded_job_is_known_to_name_a_person_or_not():
    """Jobs recorded in queued_jobs are exported and cancelled by their arguments."""
    root = Path(__file__).resolve().parents[2]
    sources = [p for d in ("matchmaker", "workers") for p in (root / d).rglob("*.py")]
    recorded = set()
    for path in sources:
        recorded |= set(re.findall(r'enqueue_after_commit\(\s*"([\w.]+)"', path.read_text()))
    assert recorded, "found no recorded jobs at all: the pattern is wrong"
    unknown = sorted(recorded - set(PERSON_JOB_ARGS) - set(IMPERSONAL_JOBS))
    assert not unknown, (f"recorded jobs with no privacy decision: {unknown}; add each to "
                         "PERSON_JOB_ARGS or IMPERSONAL_JOBS in matchmaker/account/schema.py")


@pytest.fixture
def download(client, login_as):
    def get(user):
        login_as(user)
        response = client.get("/me/data.json")
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return response

    return get


def test_the_download_has_a_row_in_every_section(rich_person, download):
    world = rich_person()
    response = download(world.ann)
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    empty = [name for name, table in data["tables"].items() if not table["rows"]]
    assert not empty, f"sections with nothing in them for a person who has rows there: {empty}"
    assert data["tables"]["users"]["rows"][0]["email"] == world.email
    profile = data["tables"]["profiles"]["rows"][0]
    assert profile["home_label"] == world.home_label
    statuses = {(s["what"], s["status"], s["attendance"]) for s in data["your_signups_in_words"]}
    assert ("Sort food", "confirmed", "attended") in statuses
    assert ("Sort food", "confirmed", "no_show") in statuses
    assert [m["subject"] for m in data["messages_sent_to_you"]] == ["Thanks"]
    tasks = {t["task"] for t in data["emails_and_tasks_waiting"]}
    assert tasks == {"workers.jobs.send_account_email", "workers.jobs.send_signup_email",
                     "workers.matching_jobs.rematch_resident"}
    invited = {row["email"] for row in data["tables"]["invitations"]["rows"]}
    assert invited == {world.email, "friend@example.org"}


def test_the_download_leaves_out_secrets_and_other_people(rich_person, download, session):
    from matchmaker.models import ApiToken, LoginSession, Signup

    world = rich_person()
    body = download(world.ann).get_data(as_text=True)
    secrets_ = [world.ann.password_hash]
    secrets_ += [t.token_hash for t in session.query(ApiToken).filter_by(user_id=world.ann.id)]
    secrets_ += [s.token_hash for s in session.query(LoginSession).filter_by(user_id=world.ann.id)]
    assert len(secrets_) >= 3
    for secret in secrets_:
        assert secret not in body
    data = json.loads(body)
    assert "password_hash" not in data["tables"]["users"]["rows"][0]
    assert "users.password_hash" in data["what_we_left_out"]
    # Bea's and Olga's sign-ups and addresses are theirs, not Ann's.
    for other in (world.bea, world.olga):
        assert other.email not in body
    signup_users = {row["user_id"] for row in data["tables"]["signups"]["rows"]}
    assert signup_users == {world.ann.id}
    assert len(data["tables"]["signups"]["rows"]) == session.query(Signup).filter_by(
        user_id=world.ann.id).count()


def test_the_download_needs_a_sign_in(client):
    response = client.get("/me/data.json")
    assert response.status_code in (302, 401)
    assert "ann" not in response.get_data(as_text=True).lower()


def test_the_profile_links_to_the_page_that_explains_it(client, login_as, make_user):
    login_as(make_user())
    profile = client.get("/profile/").get_data(as_text=True)
    assert 'href="/me/data"' in profile
    page = client.get("/me/data").get_data(as_text=True)
    assert 'href="/me/data.json"' in page and 'href="/me/delete"' in page
    assert "about 1 km" in page
