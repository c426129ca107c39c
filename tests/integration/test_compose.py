"""docker-compose.yml describes a production that can actually start.

There is no Docker engine here, so the file is read, not run: every service has
a healthcheck, the environment points each process at the right neighbour, and
every command names something that exists in this project (an importable
module, a file, a console script in the virtualenv, a gunicorn app factory that
resolves, options the tool accepts).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from matchmaker.config import PROJECT_ROOT

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
VENV_BIN = Path(sys.executable).parent
APP_SERVICES = {"migrate", "web", "worker", "cron"}
REQUIRED_ENV = {"DATABASE_URL", "REDIS_URL", "SMTP_URL", "SECRET_KEY", "BASE_URL"}
#: What ${VAR:?message} stands for in these checks.
REQUIRED_VARS = {"SECRET_KEY": "compose-test-secret"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def interpolate(value: str) -> str:
    """Compose's ${VAR:-default} and ${VAR:?error}, with the defaults a bare `up` uses."""
    def sub(match: re.Match) -> str:
        name, op, rest = match.group(1), match.group(2), match.group(3)
        if op == ":-":
            return rest
        return REQUIRED_VARS[name]

    return re.sub(r"\$\{(\w+)(:-|:\?)([^}]*)\}", sub, str(value))


def env_of(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: interpolate(v) for k, v in env.items()}


def argv(command) -> list[str]:
    assert isinstance(command, list), "use the exec form (a list), so signals reach the process"
    return [str(part) for part in command]


def healthcheck_argv(service: dict) -> list[str]:
    test = service["healthcheck"]["test"]
    assert isinstance(test, list) and test[0] in {"CMD", "CMD-SHELL"}, test
    return test[1:]


def test_the_production_services_are_all_there(services):
    assert set(services) == APP_SERVICES | {"postgres", "redis", "mailpit"}
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    assert services["mailpit"]["image"].startswith("axllent/mailpit")
    assert "8000:8000" in services["web"]["ports"]
    assert "8025:8025" in services["mailpit"]["ports"]


def test_every_service_has_a_healthcheck(services):
    one_shot = {name for name, s in services.items() if s.get("restart") == "no"}
    # The only service without one runs once and exits; the others wait for it to succeed.
    assert one_shot == {"migrate"}
    for name, service in services.items():
        if name in one_shot:
            waiting = [other for other, s in services.items()
                       if s.get("depends_on", {}).get(name, {}).get("condition")
                       == "service_completed_successfully"]
            assert {"web", "worker", "cron"} <= set(waiting)
            continue
        check = service.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), name
        assert check.get("interval") and check.get("retries"), name


def test_dependencies_wait_for_health(services):
    for name, service in services.items():
        for dep, spec in service.get("depends_on", {}).items():
            assert dep in services, (name, dep)
            expected = ("service_completed_successfully" if services[dep].get("restart") == "no"
                        else "service_healthy")
            assert spec["condition"] == expected, (name, dep)
    assert {"postgres", "redis", "migrate"} <= set(services["web"]["depends_on"])


def test_app_services_share_one_image_built_from_ci_dockerfile(services):
    for name in APP_SERVICES:
        build = services[name]["build"]
        assert build["context"] == "."
        assert (PROJECT_ROOT / build["context"] / build["dockerfile"]).is_file()
        assert build["dockerfile"] == ".ci/Dockerfile"
    assert len({services[name]["image"] for name in APP_SERVICES}) == 1


def test_dockerfile_copies_what_exists_and_installs_the_project():
    dockerfile = (PROJECT_ROOT / ".ci" / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.MULTILINE)
    assert re.search(r"pip install \.$", dockerfile, re.MULTILINE)
    for sources in re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.MULTILINE):
        for source in sources.split():
            assert (PROJECT_ROOT / source).exists(), source
    # Top level stays fixed: no Dockerfile or .dockerignore next to pyproject.toml.
    assert not (PROJECT_ROOT / "Dockerfile").exists()


def test_environment_points_each_process_at_its_neighbours(services):
    postgres_env = env_of(services["postgres"])
    for name in APP_SERVICES:
        env = env_of(services[name])
        assert REQUIRED_ENV <= set(env), name
        db = urlsplit(env["DATABASE_URL"])
        assert db.scheme == "postgresql+psycopg" and db.hostname == "postgres"
        assert db.username == postgres_env["POSTGRES_USER"]
        assert db.password == postgres_env["POSTGRES_PASSWORD"]
        assert db.path.lstrip("/") == postgres_env["POSTGRES_DB"]
        redis = urlsplit(env["REDIS_URL"])
        assert (redis.scheme, redis.hostname, redis.port or 6379) == ("redis", "redis", 6379)
        smtp = urlsplit(env["SMTP_URL"])
        assert (smtp.scheme, smtp.hostname, smtp.port) == ("smtp", "mailpit", 1025)
        assert env["SECRET_KEY"] == REQUIRED_VARS["SECRET_KEY"]  # no default secret
        assert env["BASE_URL"].startswith("http")
    cron = argv(services["cron"]["command"])
    assert cron[cron.index("--url") + 1] == env_of(services["cron"])["REDIS_URL"]


def test_settings_are_accepted_by_the_app(services, monkeypatch):
    from matchmaker import create_app

    env = env_of(services["web"])
    env["DATABASE_URL"] = "sqlite://"  # the URL is checked above; don't dial postgres
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    app = create_app()
    assert app.config["REDIS_URL"] == "redis://redis:6379/0"
    assert type(app.extensions["matchmaker.mailer"]).__name__ == "SMTPMailer"


# --- every command refers to something real ----------------------------------------------

def _console_script(name: str) -> Path:
    path = VENV_BIN / name
    assert path.exists(), f"{name} is not installed in {VENV_BIN}"
    return path


def test_migrate_runs_the_flask_db_upgrade_command(services, app):
    cmd = argv(services["migrate"]["command"])
    assert cmd[:3] == ["flask", "--app", "matchmaker"]
    _console_script("flask")
    assert importlib.util.find_spec(cmd[2]) is not None
    result = app.test_cli_runner().invoke(args=[*cmd[3:], "--help"])
    assert result.exit_code == 0, result.output


def test_web_runs_gunicorn_on_the_app_factory(services, monkeypatch):
    from flask import Flask
    from gunicorn.config import Config as GunicornConfig
    from gunicorn.util import import_app

    cmd = argv(services["web"]["command"])
    assert cmd[0] == "gunicorn"
    _console_script("gunicorn")
    parsed = GunicornConfig().parser().parse_args(cmd[1:])  # options gunicorn accepts
    assert parsed.bind == ["0.0.0.0:8000"]
    [spec] = parsed.args
    assert spec == "matchmaker:create_app()"
    monkeypatch.setenv("SECRET_KEY", "compose-test-secret")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    assert isinstance(import_app(spec), Flask)


@pytest.mark.slow
def test_web_command_writes_json_lines_only(services, tmp_path):
    """The compose web command, really started: gunicorn's lines and the app's are JSON."""
    import json
    import signal
    import socket
    import time
    import urllib.error
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [str(_console_script("gunicorn"))] + [
        f"--bind=127.0.0.1:{port}" if part.startswith("--bind=") else
        "--workers=1" if part.startswith("--workers=") else part
        for part in argv(services["web"]["command"])[1:]]
    cmd.insert(1, f"--control-socket={tmp_path}/gunicorn.ctl")  # not the shared default in ~
    env = {**os.environ, **env_of(services["web"]), "DATABASE_URL": f"sqlite:///{tmp_path}/w.db",
           "REDIS_URL": "", "SMTP_URL": "", "FLASK_DEBUG": "", "GEOCODER": "nominatim",
           "INSTANCE_PATH": str(tmp_path)}
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz",
                                         headers={"X-Request-ID": "compose-web-1"})
        while True:
            try:
                # Once the master listens, the request waits for the worker to boot.
                with urllib.request.urlopen(request, timeout=30) as response:
                    assert response.headers["X-Request-ID"] == "compose-web-1"
                    break
            except urllib.error.URLError as exc:
                assert isinstance(exc.reason, ConnectionRefusedError), exc
                assert proc.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    lines = [line for line in output.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    loggers = {r["logger"] for r in records}
    assert "gunicorn.error" in loggers  # "Booting worker", "Shutting down" ...
    [request_line] = [r for r in records if r["logger"] == "matchmaker.request"]
    assert (request_line["path"], request_line["request_id"]) == ("/healthz", "compose-web-1")


def test_worker_runs_the_worker_module(services):
    cmd = argv(services["worker"]["command"])
    assert cmd[:2] == [cmd[0], "-m"] and cmd[0] == "python"
    assert importlib.util.find_spec(cmd[2]) is not None
    from workers.worker import parse_args

    parse_args(cmd[3:])  # exits on arguments it does not know
    # Scalable: nothing pins a single container.
    worker = services["worker"]
    assert "container_name" not in worker and "ports" not in worker


def test_cron_runs_rq_cron_on_the_config_file(services, monkeypatch):
    from redis import Redis
    from rq.cli.cli import main as rq_main
    from rq.cron import CronScheduler

    cmd = argv(services["cron"]["command"])
    assert cmd[:2] == ["rq", "cron"]
    _console_script("rq")
    rq_main.commands["cron"].make_context("cron", cmd[2:])  # rq 2.x accepts these flags
    config_path = next(part for part in cmd[2:] if part.endswith(".py"))
    assert (PROJECT_ROOT / config_path).is_file()
    monkeypatch.chdir(PROJECT_ROOT)  # rq cron adds "." to the import path
    scheduler = CronScheduler(connection=Redis(host="127.0.0.1", port=1))
    scheduler.load_config_from_file(config_path)
    assert scheduler._cron_jobs
    assert services["cron"]["deploy"]["replicas"] == 1  # exactly one cron process


def test_rq_cron_help_lists_the_flags_used():
    rq = _console_script("rq")
    out = subprocess.run([str(rq), "cron", "--help"], capture_output=True, text=True,
                         timeout=60, check=False)
    assert out.returncode == 0 and "--url" in out.stdout and "CONFIG_PATH" in out.stdout


def test_app_healthchecks_run_real_code(services, client):
    for name in APP_SERVICES - {"migrate"}:
        check = healthcheck_argv(services[name])
        assert check[0] == "python", name
        if check[1] == "-c":
            compile(check[2], f"<{name} healthcheck>", "exec")
            assert "/readyz" in check[2]  # ready means database and Redis reachable
        else:
            assert check[1] == "-m" and importlib.util.find_spec(check[2]) is not None
            from workers.healthcheck import CHECKS

            assert check[3] in CHECKS
    assert client.get("/readyz").status_code == 200


# --- .env.example and logs ------------------------------------------------------------------

ENV_EXAMPLE = PROJECT_ROOT / ".env.example"


def _env_example() -> dict[str, tuple[str, list[str]]]:
    """NAME -> (value, the comment lines just above it)."""
    entries, comments = {}, []
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.startswith("#"):
            comments.append(line)
        elif "=" in line:
            name, value = line.split("=", 1)
            entries[name] = (value, comments)
            comments = []
        else:
            comments = []
    return entries


def test_env_example_documents_every_variable_compose_reads():
    used = set(re.findall(r"\$\{(\w+)", COMPOSE.read_text()))
    example = _env_example()
    assert used == set(example), "compose and .env.example name different variables"
    for name, (_value, comments) in example.items():
        assert comments, f"{name} has no comment in .env.example"
    # No real secret in a file meant for git; the required one is left empty.
    assert example["SECRET_KEY"][0] == "" and example["POSTGRES_PASSWORD"][0] == ""
    assert ".env" in (PROJECT_ROOT / ".gitignore").read_text().split()  # the filled-in copy


def test_env_example_values_are_accepted_by_the_app(monkeypatch):
    from matchmaker import create_app

    for name, (value, _comments) in _env_example().items():
        monkeypatch.setenv(name, value or "placeholder")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app()
    assert app.config["LOG_FORMAT"] == "json" and app.config["PROXY_COUNT"] == 0


def test_every_process_logs_json_and_web_logs_requests_itself(services):
    for name in APP_SERVICES:
        assert env_of(services[name])["LOG_FORMAT"] == "json", name
    # The app's own request line (with request_id) replaces gunicorn's access log.
    assert not any(part.startswith("--access-log") for part in argv(services["web"]["command"]))


def test_docker_compose_accepts_the_file(tmp_path):
    """`docker compose config` where the compose plugin is installed (not everywhere)."""
    import shutil

    docker = shutil.which("docker")
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True,
                           check=False) if docker else None
    if probe is None or probe.returncode != 0:
        pytest.skip("SKIPPED (no docker compose plugin): YAML structure checked above instead")
    out = subprocess.run([docker, "compose", "-f", str(COMPOSE), "config", "-q"],
                         capture_output=True, text=True, timeout=60, check=False,
                         env={"PATH": "/usr/bin:/bin:/usr/local/bin", "SECRET_KEY": "x"})
    assert out.returncode == 0, out.stderr


def test_infrastructure_healthchecks_use_their_images_own_tools(services):
    assert healthcheck_argv(services["postgres"])[0] == "pg_isready"
    assert healthcheck_argv(services["redis"])[:2] == ["redis-cli", "ping"]
    assert "readyz" in " ".join(healthcheck_argv(services["mailpit"]))


# --- the RQ healthchecks against real Redis --------------------------------------------------

@pytest.mark.redis
def test_worker_healthcheck_sees_a_live_worker_of_this_host(redis_url):
    import socket

    from redis import Redis
    from rq import Queue, Worker

    from workers.healthcheck import main, worker_is_healthy

    conn = Redis.from_url(redis_url)
    host = f"compose-test-{socket.gethostname()}-{id(conn)}"
    assert not worker_is_healthy(conn, host)
    worker = Worker([Queue("mm-healthcheck-test", connection=conn)], connection=conn)
    worker.hostname = host
    worker.register_birth()
    try:
        assert worker_is_healthy(conn, host)
    finally:
        worker.register_death()
        conn.delete(worker.key)
    assert not worker_is_healthy(conn, host)
    assert main(["nonsense"]) == 2


@pytest.mark.redis
def test_cron_healthcheck_reads_the_scheduler_registry(redis_url):
    import time

    from redis import Redis
    from rq import cron_scheduler_registry

    from workers.healthcheck import cron_is_healthy

    conn = Redis.from_url(redis_url)
    key = cron_scheduler_registry.get_registry_key()
    member = "compose-test-host:123:abcdef"
    try:
        assert not cron_is_healthy(conn, "compose-test-host")
        conn.zadd(key, {member: time.time() - 600})
        assert not cron_is_healthy(conn, "compose-test-host")  # stale heartbeat
        conn.zadd(key, {member: time.time()})
        assert cron_is_healthy(conn, "compose-test-host")
        assert not cron_is_healthy(conn, "compose-test")  # another host's prefix
    finally:
        conn.zrem(key, member)

