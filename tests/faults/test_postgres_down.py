"""PostgreSQL fails under a request: a clean 503, nothing half-written, then recovery.

Two real failures, neither touching the shared server's other databases:

* a connection dropped mid-request: another connection holds a lock the request
  needs, the test finds the request's backend waiting on it in pg_stat_activity
  and terminates it with ``pg_terminate_backend`` (what a server restart or a
  failover does to a live connection);
* a private cluster stopped outright, then started again.

Each time the page is a friendly 503 (HTML for pages, JSON under /api/) with a
Retry-After header, and the very same app object recovers on its own: the pool
replaces dead connections (pre-ping) without a restart.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text

from matchmaker.db import Base, db, make_engine
from matchmaker.models import Occurrence, QueuedJob, Signup
from tests.faults.conftest import (
    assert_friendly_page,
    csrf_of,
    seed,
    signed_in_client,
    wait_until,
)

pytestmark = [pytest.mark.postgres]


def _api_token(app, user_id: int) -> str:
    from matchmaker.api.auth import create_token
    from matchmaker.models import User

    with app.app_context():
        _row, token = create_token(db.session, db.session.get(User, user_id), "faults")
        db.session.commit()
    return token


def _drop_mid_request(app, lock_sql: str, params: dict, send):
    """Run ``send()`` while ``lock_sql`` is held elsewhere; kill its backend once it waits.

    Returns the response ``send`` got. The lock is released afterwards.
    """
    url = app.config["DATABASE_URL"]
    locker = make_engine(url).connect()
    watcher = make_engine(url, isolation_level="AUTOCOMMIT").connect()
    try:
        locker.execute(text(lock_sql), params)  # held until the rollback below
        with ThreadPoolExecutor(1) as pool:
            future = pool.submit(send)
            waiting = """SELECT pid FROM pg_stat_activity
                          WHERE datname = current_database() AND wait_event_type = 'Lock'
                            AND pid <> :me"""
            me = locker.execute(text("SELECT pg_backend_pid()")).scalar()
            pid = wait_until(lambda: watcher.execute(text(waiting), {"me": me}).scalar(),
                             what="the request's backend to wait on the lock")
            assert watcher.execute(text("SELECT pg_terminate_backend(:pid)"),
                                   {"pid": pid}).scalar()
            response = future.result(timeout=30)
        return response
    finally:
        locker.rollback()
        locker.close()
        locker.engine.dispose()
        watcher.close()
        watcher.engine.dispose()


def test_sign_up_whose_connection_drops_gets_503_then_works(fault_db_url, make_fault_app):
    app = make_fault_app(fault_db_url)
    data = seed(app)
    client = signed_in_client(app, data.user_id)
    path = f"/occurrences/{data.occurrence_id}"
    token = csrf_of(client, path)
    with app.app_context():
        jobs_before = db.session.scalar(select(func.count()).select_from(QueuedJob))

    # Sign-up locks the occurrence row (seat counting); hold that lock elsewhere.
    response = _drop_mid_request(
        app, "SELECT id FROM occurrences WHERE id = :id FOR UPDATE",
        {"id": data.occurrence_id},
        lambda: client.post(f"{path}/signup", data={"csrf_token": token}))

    assert_friendly_page(response, 503)
    assert response.headers["Retry-After"].isdigit()
    assert response.mimetype == "text/html"
    assert "briefly unavailable" in response.get_data(as_text=True)

    with app.app_context():  # nothing half-written: no sign-up, no seat taken, no job
        assert db.session.scalar(select(Signup).where(Signup.user_id == data.user_id)) is None
        assert db.session.get(Occurrence, data.occurrence_id).confirmed_count == 0
        assert db.session.scalar(select(func.count()).select_from(QueuedJob)) == jobs_before

    # The same app, the same pool: the next request just works.
    again = client.post(f"{path}/signup", data={"csrf_token": csrf_of(client, path)})
    assert again.status_code == 302, again.get_data(as_text=True)[:500]
    with app.app_context():
        signup = db.session.scalar(select(Signup).where(Signup.user_id == data.user_id))
        assert signup is not None and signup.status == "confirmed"
        assert db.session.get(Occurrence, data.occurrence_id).confirmed_count == 1


def test_api_request_whose_connection_drops_gets_json_503(fault_db_url, make_fault_app):
    app = make_fault_app(fault_db_url)
    data = seed(app)
    headers = {"Authorization": f"Bearer {_api_token(app, data.user_id)}"}
    client = app.test_client()
    url = f"/api/v1/opportunities/{data.opportunity_id}"
    assert client.get(url, headers=headers).status_code == 200

    # An ACCESS EXCLUSIVE table lock makes even the read wait (as a migration would).
    response = _drop_mid_request(app, "LOCK TABLE opportunities IN ACCESS EXCLUSIVE MODE", {},
                                 lambda: client.get(url, headers=headers))
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.get_json()["error"]["code"] == "unavailable"
    assert client.get(url, headers=headers).get_json()["id"] == data.opportunity_id


@pytest.fixture
def cluster_app(private_postgres, make_fault_app):
    url = private_postgres.url
    engine = make_engine(url)
    import matchmaker.models  # noqa: F401  (registers every table)

    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    yield make_fault_app(url)
    private_postgres.ensure_started()  # a failed test may have left it stopped


def test_stopped_server_gives_503s_and_the_app_recovers_when_it_returns(
        cluster_app, private_postgres):
    app = cluster_app
    data = seed(app)
    token = _api_token(app, data.user_id)
    anon = app.test_client()
    resident = signed_in_client(app, data.user_id)
    api = f"/api/v1/opportunities/{data.opportunity_id}"
    headers = {"Authorization": f"Bearer {token}"}
    pages = [(anon, "/opportunities"), (resident, "/"),
             (resident, f"/occurrences/{data.occurrence_id}")]
    for client, path in pages:
        assert client.get(path).status_code == 200, path

    private_postgres.stop()
    for client, path in pages:
        response = client.get(path)
        assert_friendly_page(response, 503)
        assert response.headers["Retry-After"].isdigit(), path
        assert response.mimetype == "text/html"
        assert "briefly unavailable" in response.get_data(as_text=True)
    down = anon.get(api, headers=headers)
    assert down.status_code == 503 and down.get_json()["error"]["code"] == "unavailable"

    private_postgres.start()
    for client, path in pages:  # no restart of the app: the pool reconnects by itself
        assert client.get(path).status_code == 200, path
    assert anon.get(api, headers=headers).status_code == 200
