"""Load benchmark: gunicorn + PostgreSQL + Redis on loopback, driven by wrk (not a timed test).

Run (PostgreSQL, Redis and /usr/bin/wrk must be there):

    .venv/bin/python -m tests.perf.bench_load [--duration 10s] [--connections 50] [--rebuild]

What one run does:

1. **Data**, in the database ``mm_load`` (``--database-url``): 20,000 published
   opportunities with their occurrences and tags (``bench_browse.fill_opportunities``)
   and 100,000 residents with profiles, causes, skills and weekly availability
   (``bench_matching.make_residents``), every one verified, all with one password.
   Building takes a minute or two, so it is done once: the database's comment
   records what is in it and when it was built, and a later run reuses it
   (``--rebuild`` forces a new one; so does data older than a week, whose
   occurrences would have slipped into the past).
2. **Server**: ``gunicorn -w 2 --threads 4 'matchmaker:create_app()'`` (gthread
   workers; other flags with ``--gunicorn-args``, ``""`` for sync workers) on a
   free loopback port, with
   ``REDIS_URL`` on Redis DB 10 so sign-up emails are queued in Redis, not sent
   inline. ``LOGIN_RATE_LIMIT`` is raised for this server only, so that step 3
   can sign residents in through the real login form; no other limit applies to
   the measured routes.
3. **Sessions**: ``--logins`` residents (50) sign in through ``/login``; their
   session cookies and CSRF tokens go into the sign-up requests.
4. **Load**: each phase is ``wrk -c <connections> -d <duration>`` replaying
   prepared requests (``tests/perf/load/replay.lua``) against the same server,
   after a short warm-up of each. ``--rounds`` rounds (3) of trivial, browse and
   opportunity in turn, so that a change in how busy the machine is touches them
   alike, then the sign-up rounds (each sign-up empties the browse cache; see
   ``run``). Throughput is over all rounds, percentiles from wrk's merged
   latency histograms:

   * ``trivial``: ``GET /healthz``, the yardstick for the ratios;
   * ``browse``: anonymous ``GET /opportunities`` with the query strings a town's
     residents send (see ``BROWSE_MIX``): half the default page, a tenth its pages
     2–5, then one cause, a place name or ZIP code, days/times, yes/no filters and
     a few text searches;
   * ``opportunity``: anonymous ``GET /opportunities/<id>``, ids uniform over all 20,000;
   * ``sign-up``: ``POST /occurrences/<id>/signup`` with a signed-in resident's
     cookie and CSRF token, each (resident, occurrence) pair new, occurrences
     uniform over every upcoming one. Afterwards the rows are counted in the
     database, so a redirect to the login page cannot pass for a sign-up.

Prints a table: requests/s, p50, p95, p99, errors (socket errors and HTTP
statuses of 400 and over), and browse and opportunity throughput as a share of
the trivial endpoint's. Target (issue 7): browse p95 <= 100 ms at 50
connections and browse throughput >= 30% of the trivial endpoint's.

wrk and gunicorn share the machine's cores, so absolute figures depend on how
busy it is (the load average is printed); the ratios are the steadier figure.
Not collected by pytest (no ``test_`` names); tests/integration/test_bench_load.py
runs it at a tiny size.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from matchmaker import vocab
from matchmaker.config import PROJECT_ROOT

DATABASE_URL = os.environ.get(
    "BENCH_LOAD_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/mm_load")
REDIS_URL = os.environ.get("BENCH_LOAD_REDIS_URL", "redis://127.0.0.1:6379/10")
WRK = shutil.which("wrk") or "/usr/bin/wrk"
REPLAY = Path(__file__).with_name("load") / "replay.lua"
PASSWORD = "load-bench-password"
EMAIL = "resident{}@load.example"
#: Data older than this is rebuilt: its occurrences are 1 hour to 60 days ahead.
MAX_AGE = timedelta(days=7)

#: What residents ask the browse page for, with weights (percent). Most people open
#: the default page; some page on, or narrow by one thing. Place names and ZIP codes
#: go through the offline geocoder (and its database cache) like a typed place does.
PLACES = ["Brooklyn", "Queens", "Harlem", "11215", "10027", "11372", "Astoria", "10451",
          "Flushing", "Park Slope"]
WORDS = ["pantry", "dogs", "neighbour", "park", "reading", "tutor", "donations", "Org 12"]
BROWSE_MIX = [
    (50, "default page", lambda rng: ""),
    (10, "default, pages 2-5", lambda rng: f"page={rng.randint(2, 5)}"),
    (12, "one cause", lambda rng: "cause=" + rng.choice(sorted(vocab.CAUSES))),
    (10, "a place or ZIP code, 5 or 10 km",
     lambda rng: urllib.parse.urlencode({"place": rng.choice(PLACES),
                                         "radius_km": rng.choice([5, 10])})),
    (6, "weekend or a time of day",
     lambda rng: rng.choice(["day=sat&day=sun", "time=evening", "time=morning",
                             "day=sat&day=sun&time=morning"])),
    (6, "first-timer friendly / small acts / from home",
     lambda rng: rng.choice(["first_timers=1", "small_acts=1", "remote=1"])),
    (6, "a word", lambda rng: "q=" + urllib.parse.quote(rng.choice(WORDS))),
]


# --- the database ------------------------------------------------------------------------

def _admin_engine(url: str):
    from matchmaker.db import make_engine

    parts = urlsplit(url)
    return make_engine(urlunsplit(parts._replace(path="/postgres")), isolation_level="AUTOCOMMIT")


def _database_note(url: str) -> dict | None:
    """What an earlier run recorded in the database's comment (None: no database)."""
    from sqlalchemy import text

    name = urlsplit(url).path.lstrip("/")
    admin = _admin_engine(url)
    try:
        with admin.connect() as conn:
            row = conn.execute(text(
                "select shobj_description(oid, 'pg_database') from pg_database "
                "where datname = :n"), {"n": name}).first()
            if row is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
                return None
    finally:
        admin.dispose()
    try:
        return json.loads(row[0] or "")
    except ValueError:
        return {}


def ensure_database(url: str, opportunities: int, residents: int, rebuild: bool) -> bool:
    """Make sure ``url`` holds the benchmark's data; True when it was (re)built now."""
    note = _database_note(url)
    if not rebuild and note and note.get("opportunities") == opportunities \
            and note.get("residents") == residents and \
            datetime.now(UTC) - datetime.fromisoformat(note["built"]) < MAX_AGE and \
            _counts(url) == (opportunities, residents):
        print(f"reusing {urlsplit(url).path.lstrip('/')}: built {note['built'][:16]} "
              f"(--rebuild for a new one)", flush=True)
        return False
    build(url, opportunities, residents)
    return True


def _counts(url: str) -> tuple[int, int] | None:
    """(opportunities, residents) in the database; None without the tables (a test suite
    pointed at this database drops them on its way out)."""
    from sqlalchemy import text
    from sqlalchemy.exc import ProgrammingError

    from matchmaker.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return (conn.scalar(text("select count(*) from opportunities")),
                    conn.scalar(text("select count(*) from users where role = 'resident'")))
    except ProgrammingError:
        return None
    finally:
        engine.dispose()


def build(url: str, opportunities: int, residents: int) -> None:
    import numpy as np
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    import matchmaker.models  # noqa: F401  (registers every table)
    from matchmaker.db import Base, make_engine
    from tests.perf.bench_browse import fill_opportunities

    started = time.perf_counter()
    engine = make_engine(url)
    with engine.begin() as conn:   # whatever an older run or schema left behind
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        fill_opportunities(session, opportunities, random.Random(20250614))
    fill_residents(engine, residents, np.random.default_rng(20250303))
    with engine.begin() as conn:
        _advance_sequences(conn)
        conn.execute(text("ANALYZE"))
        note = json.dumps({"opportunities": opportunities, "residents": residents,
                           "built": datetime.now(UTC).isoformat()})
        name = urlsplit(url).path.lstrip("/")
        conn.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{note}'"))
    engine.dispose()
    print(f"built: {opportunities:,} opportunities, {residents:,} residents in "
          f"{time.perf_counter() - started:.0f} s", flush=True)


def fill_residents(engine, n: int, rng) -> None:
    """n verified residents from ``bench_matching.make_residents`` (Core inserts, in chunks)."""
    from sqlalchemy import insert

    from matchmaker.auth.passwords import hash_password
    from matchmaker.models import AvailabilityWindow, Profile, ProfileTag, User
    from tests.perf.bench_matching import TZ, make_residents

    people = make_residents(rng, n, 20_000)
    password_hash = hash_password(PASSWORD)   # one hash: argon2 is slow on purpose
    now = datetime.now(UTC)
    chunk = 5_000
    with engine.begin() as conn:
        for first in range(0, n, chunk):
            batch = people[first:first + chunk]
            ids = conn.execute(insert(User).returning(User.id, sort_by_parameter_order=True), [
                {"email": EMAIL.format(first + k), "display_name": f"Resident {first + k}",
                 "password_hash": password_hash, "role": "resident", "email_verified_at": now}
                for k in range(len(batch))]).scalars().all()
            conn.execute(insert(Profile), [{
                "user_id": uid, "timezone": TZ, "home_label": "New York",
                "home_lat": r.home[0], "home_lon": r.home[1],
                "travel_radius_km": round(r.travel_radius_km, 1), "remote_ok": r.remote_ok,
                "weekly_minutes": int(r.weekly_budget_minutes),
                "max_commitments_per_week": r.weekly_commitment_cap,
                "social_format": r.social_format, "is_adult": r.is_adult,
            } for uid, r in zip(ids, batch, strict=True)])
            conn.execute(insert(ProfileTag), [
                {"user_id": uid, "kind": kind, "value": value}
                for uid, r in zip(ids, batch, strict=True)
                for kind, values in (("cause", r.causes), ("skill", r.skills),
                                     ("access", r.access_needs))
                for value in sorted(values)])
            # make_residents may draw the same weekday twice; overlapping windows are fine.
            conn.execute(insert(AvailabilityWindow), [
                {"user_id": uid, "weekday": day, "start_minute": start, "end_minute": end}
                for uid, r in zip(ids, batch, strict=True) for day, start, end in r.windows
                if start < end])


def _advance_sequences(conn) -> None:
    """fill_opportunities inserts explicit ids; move each id sequence past them."""
    from sqlalchemy import text

    from matchmaker.db import Base

    for table in Base.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and pk[0].autoincrement in (True, "auto") and \
                pk[0].type.python_type is int:
            conn.execute(text(
                f"select setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                f"coalesce((select max({pk[0].name}) from {table.name}), 0) + 1, false)"))


# --- the server --------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(database_url: str, redis_url: str, queue: str, workers: int, extra: list[str],
           settings: dict[str, str]):
    """gunicorn on a free loopback port; yields its base URL. Its log goes to a temp file."""
    port = _free_port()
    instance = tempfile.mkdtemp(prefix="mm-load-")
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "RQ_QUEUE": queue, "SECRET_KEY": secrets.token_urlsafe(32),
           "INSTANCE_PATH": instance, "BASE_URL": f"http://127.0.0.1:{port}",
           "OUTBOX_DIR": os.path.join(instance, "outbox"),
           "LOGIN_RATE_LIMIT": "1000000 per minute", **settings}
    log = open(os.path.join(instance, "gunicorn.log"), "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--backlog", "2048", *extra, "matchmaker:create_app()"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start; its log: "
                                       + Path(log.name).read_text()[-2000:]) from None
                time.sleep(0.3)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(instance, ignore_errors=True)


def _clean_queue(redis_url: str, queue: str) -> None:
    """Drop the sign-up emails this run queued (nobody works the benchmark's queue)."""
    from redis import Redis
    from rq import Queue

    conn = Redis.from_url(redis_url)
    try:
        q = Queue(queue, connection=conn)
        q.empty()
        q.delete(delete_jobs=True)
    finally:
        conn.close()


# --- sessions ----------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def sign_in(base: str, email: str, any_occurrence: int) -> tuple[str, str]:
    """(Cookie header, CSRF token) of a fresh session, through the real login form."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login", timeout=30).read().decode()
    form = urllib.parse.urlencode({"csrf_token": _CSRF.search(page).group(1), "email": email,
                                   "password": PASSWORD}).encode()
    opener.open(base + "/login", data=form, timeout=30).read()
    # The token the sign-up box carries once signed in (login may start a new session).
    page = opener.open(f"{base}/occurrences/{any_occurrence}", timeout=30).read().decode()
    if "Sign out" not in page:
        raise RuntimeError(f"could not sign in as {email}")
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, _CSRF.search(page).group(1)


def sign_in_many(base: str, count: int, any_occurrence: int) -> list[tuple[str, str]]:
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda k: sign_in(base, EMAIL.format(k), any_occurrence),
                             range(count)))


# --- requests ----------------------------------------------------------------------------

def browse_lines(rng: random.Random, count: int) -> list[str]:
    weights = [w for w, _, _ in BROWSE_MIX]
    lines = []
    for _ in range(count):
        _, _, make = rng.choices(BROWSE_MIX, weights)[0]
        query = make(rng)
        lines.append(f"GET\t/opportunities{'?' + query if query else ''}\t\t")
    return lines


def signup_lines(rng: random.Random, sessions, occurrence_ids: list[int], count: int) -> list[str]:
    """One new (resident, occurrence) pair a line."""
    seen, lines = set(), []
    while len(lines) < count:
        who, occ = rng.randrange(len(sessions)), rng.choice(occurrence_ids)
        if (who, occ) in seen:
            continue
        seen.add((who, occ))
        cookie, token = sessions[who]
        lines.append(f"POST\t/occurrences/{occ}/signup\t{cookie}\t"
                     + urllib.parse.urlencode({"csrf_token": token}))
    return lines


def wrk(base: str, lines: list[str], connections: int, threads: int, duration: str) -> dict:
    """Run wrk once over ``lines``: counts, seconds and the latency histogram (µs -> count)."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as f:
        f.write("\n".join(lines) + "\n")
    try:
        env = {**os.environ, "LOAD_REQUESTS": f.name, "LOAD_THREADS": str(threads)}
        out = subprocess.run(
            [WRK, "-t", str(threads), "-c", str(connections), "-d", duration, "--timeout", "10s",
             "-s", str(REPLAY), base], env=env, capture_output=True, text=True, check=False)
    finally:
        os.unlink(f.name)
    line = next((x for x in out.stdout.splitlines() if x.startswith("LOADJSON ")), None)
    if out.returncode or line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out.stdout}\n{out.stderr}")
    raw = json.loads(line.removeprefix("LOADJSON "))
    histogram = Counter()
    for pair in raw["histogram"]:
        value, count = pair.split(":")
        histogram[int(value)] += int(count)
    return {"requests": raw["requests"], "seconds": raw["duration_us"] / 1e6,
            "errors": sum(raw[k] for k in ("connect", "read", "write", "timeout")),
            "bad_status": raw["status"], "histogram": histogram}


def percentile(histogram: Counter, p: float) -> float:
    """The latency (ms) at or under which ``p`` percent of requests finished."""
    total = sum(histogram.values())
    if not total:
        return 0.0
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= total * p / 100:
            return value / 1000
    return max(histogram) / 1000


def merge(runs: list[dict]) -> dict:
    """One endpoint's rounds together: throughput over all of them, exact percentiles."""
    histogram = sum((r["histogram"] for r in runs), Counter())
    seconds = sum(r["seconds"] for r in runs)
    return {
        "requests": sum(r["requests"] for r in runs), "seconds": seconds,
        "rps": sum(r["requests"] for r in runs) / seconds,
        "round_rps": [r["requests"] / r["seconds"] for r in runs],
        **{f"p{p}": percentile(histogram, p) for p in (50, 95, 99)},
        "max": max(histogram, default=0) / 1000,
        "errors": sum(r["errors"] for r in runs),
        "bad_status": sum(r["bad_status"] for r in runs),
    }


# --- the run -----------------------------------------------------------------------------

def _upcoming_occurrences(url: str) -> list[int]:
    from sqlalchemy import select

    from matchmaker.db import make_engine
    from matchmaker.models import Occurrence

    engine = make_engine(url)
    with engine.connect() as conn:
        ids = conn.scalars(select(Occurrence.id).where(
            Occurrence.starts_at > datetime.now(UTC) + timedelta(hours=2),
            Occurrence.cancelled_at.is_(None))).all()
    engine.dispose()
    return list(ids)


def _signups_since(url: str, since: datetime) -> int:
    from sqlalchemy import func, select

    from matchmaker.db import make_engine
    from matchmaker.models import Signup

    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.scalar(select(func.count()).select_from(Signup)
                        .where(Signup.created_at >= since)) or 0
    engine.dispose()
    return n


PHASES = ("trivial", "browse", "opportunity", "sign-up")


def _round(base: str, lines: list[str], args, k: int, name: str) -> dict:
    """One wrk run of one endpoint, reported as it ends."""
    got = wrk(base, lines, args.connections, args.threads, args.duration)
    print(f"  round {k + 1}  {name:<12} {got['requests'] / got['seconds']:8.1f} req/s",
          flush=True)
    return got


def run(args) -> dict:
    """Build or reuse the data, start the server, run every round; the results by endpoint.

    Each round runs every endpoint once, one after the other, so that a change in
    how busy the machine is touches the trivial endpoint and the others alike.
    """
    ensure_database(args.database_url, args.opportunities, args.residents, args.rebuild)
    occurrences = _upcoming_occurrences(args.database_url)
    rng = random.Random(args.seed if args.seed is not None else time.time_ns())
    queue = f"load-bench-{os.getpid()}"
    settings = {} if args.browse_cache is None else {"BROWSE_CACHE_SECONDS": args.browse_cache}
    runs: dict[str, list[dict]] = {name: [] for name in PHASES}
    stored, load = 0, {"before": os.getloadavg()}
    try:
        with server(args.database_url, args.redis_url, queue, args.workers,
                    args.gunicorn_args.split(), settings) as base:
            started = time.perf_counter()
            sessions = sign_in_many(base, args.logins, occurrences[0])
            print(f"signed in {len(sessions)} residents in {time.perf_counter() - started:.1f} s",
                  flush=True)
            # Enough distinct sign-ups that no thread runs out, even on a fast machine.
            per_round = min(int(1_000 * float(args.duration.rstrip("s"))) + 100,
                            len(sessions) * len(occurrences) // (2 * args.rounds))
            signups = iter(signup_lines(rng, sessions, occurrences, per_round * args.rounds))
            lines = {
                "trivial": ["GET\t/healthz\t\t"],
                "browse": browse_lines(rng, 2_000),
                "opportunity": [f"GET\t/opportunities/{rng.randint(1, args.opportunities)}\t\t"
                                for _ in range(2_000)],
            }
            if args.warmup != "0s":
                # Every distinct browse query in turn, so both workers have seen most of
                # them: the rounds then measure the steady state (a page is built again
                # once per BROWSE_CACHE_SECONDS per worker), not the first minute.
                warm = {**lines, "browse": sorted(set(lines["browse"])) * 4}
                for name in ("trivial", "browse", "opportunity"):
                    wrk(base, warm[name], args.connections, args.threads, args.warmup)
            # Sign-ups come last: each one changes a seat count, which rightly empties
            # every browse page cached (matchmaker/browse/cache.py). At 20 sign-ups a
            # second, far above a town's rate, browse rounds after them would measure
            # the cold cache over and over instead of the usual case.
            for k in range(args.rounds):
                for name in PHASES[:-1]:
                    runs[name].append(_round(base, lines[name], args, k, name))
            for k in range(args.rounds):
                since = datetime.now(UTC)
                runs["sign-up"].append(_round(base, [next(signups) for _ in range(per_round)],
                                              args, k, "sign-up"))
                stored += _signups_since(args.database_url, since)
    finally:
        _clean_queue(args.redis_url, queue)
    load["after"] = os.getloadavg()
    results = {name: merge(runs[name]) for name in PHASES}
    results["sign-up"]["stored"] = stored
    for name in PHASES[1:]:
        results[name]["vs_trivial"] = results[name]["rps"] / results["trivial"]["rps"]
        results[name]["round_ratios"] = [
            a["requests"] / a["seconds"] / (b["requests"] / b["seconds"])
            for a, b in zip(runs[name], runs["trivial"], strict=True)]
    results["_load"] = load
    return results


def report(args, results: dict) -> None:
    load = results["_load"]
    mix = ", ".join(f"{w}% {label}" for w, label, _ in BROWSE_MIX)
    print()
    print("=" * 96)
    print("load benchmark — tests/perf/bench_load.py")
    print(f"  data      {args.opportunities:,} opportunities, {args.residents:,} residents "
          f"({urlsplit(args.database_url).path.lstrip('/')})")
    print(f"  server    gunicorn -w {args.workers} {args.gunicorn_args} on loopback; "
          f"wrk -t {args.threads} -c {args.connections}, {args.rounds} rounds of "
          f"{args.duration} per endpoint; {os.cpu_count()} CPUs shared by both")
    print(f"  browse    anonymous; {mix}")
    print(f"  sign-up   one new (resident, occurrence) pair per request, {args.logins} "
          "signed-in residents")
    print()
    print(f"  {'endpoint':<12} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'errors':>7} {'vs trivial':>11}  per round")
    for name in PHASES:
        r = results[name]
        ratio = f"{r['vs_trivial']:.0%}" if "vs_trivial" in r else ""
        rounds = " ".join(f"{x:.0%}" for x in r.get("round_ratios", [])) or \
            " ".join(f"{x:.0f}/s" for x in r["round_rps"])
        print(f"  {name:<12} {r['rps']:8.1f} {r['p50']:8.1f} {r['p95']:8.1f} {r['p99']:8.1f} "
              f"{r['errors'] + r['bad_status']:7d} {ratio:>11}  {rounds}")
    signup = results["sign-up"]
    print(f"\n  sign-ups  {signup['stored']:,} rows stored for {signup['requests']:,} requests "
          "counted by wrk (requests still in flight when a round ends are stored too)")
    browse = results["browse"]
    met = browse["p95"] <= 100 and browse["vs_trivial"] >= 0.30
    print(f"  target    browse p95 <= 100 ms and >= 30% of the trivial endpoint's throughput "
          f"at {args.connections} connections: p95 {browse['p95']:.1f} ms, "
          f"{browse['vs_trivial']:.0%} -> {'MET' if met else 'MISSED'}")
    print(f"  load avg  {load['before'][0]:.2f} before, {load['after'][0]:.2f} after "
          "(other work on the machine slows every figure)")
    print("=" * 96)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default=DATABASE_URL,
                    help="PostgreSQL database of the benchmark's own (rebuilt when needed)")
    ap.add_argument("--redis-url", default=REDIS_URL)
    ap.add_argument("--opportunities", type=int, default=20_000)
    ap.add_argument("--residents", type=int, default=100_000)
    ap.add_argument("--rebuild", action="store_true", help="build the data again")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    ap.add_argument("--gunicorn-args", default="--threads 4",
                    help='more gunicorn flags ("" for sync workers)')
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--threads", type=int, default=1, help="wrk threads")
    ap.add_argument("--duration", default="5s", help="per endpoint and round (wrk -d)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of every endpoint")
    ap.add_argument("--warmup", default="5s", help="per endpoint before measuring (0s: none)")
    ap.add_argument("--logins", type=int, default=50, help="residents signed in for sign-ups")
    ap.add_argument("--browse-cache", default=None,
                    help="BROWSE_CACHE_SECONDS for the server (0 turns the cache off)")
    ap.add_argument("--seed", type=int, default=None, help="request mix seed (default: random)")
    return ap.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    results = run(args)
    report(args, results)
    return results


if __name__ == "__main__":
    main()
