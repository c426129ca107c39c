"""Flask commands for operators and scripts (``flask --app matchmaker <command>``).

=================  =====================================================================
db-upgrade         apply every alembic migration
seed-demo          a believable Brooklyn and Queens neighbourhood (idempotent)
demo-logins        the demo accounts to try, and their shared password
users create       a verified account; ``--org`` makes it a member of an existing
                   organization, ``--org X --create-org`` creates X with it as owner
tokens create      a personal API token, printed once (``tokens list``, ``tokens revoke``)
jobs run-due       run every due job recorded in queued_jobs, here and now
jobs sweep         hand pending jobs to RQ (what ``rq cron`` does every minute)
=================  =====================================================================

``import-opportunities --org SLUG [--as EMAIL] FILE`` imports an NYC Service CSV
export (matchmaker/imports/cli.py).

Bad input ends with a one-line reason and a non-zero exit status, and writes
nothing: every command that writes does so in one transaction.
"""

from __future__ import annotations

import secrets

import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from matchmaker.db import db
from matchmaker.models import Membership, Organization, Role, User

users_cli = AppGroup("users", help="Create accounts.")
tokens_cli = AppGroup("tokens", help="Personal API tokens (Authorization: Bearer ...).")
jobs_cli = AppGroup("jobs", help="The job outbox (queued_jobs) and its hand-over to RQ.")


def init_app(app: Flask) -> None:
    app.cli.add_command(db_upgrade)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(demo_logins_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(jobs_cli)
    from matchmaker.imports.cli import import_opportunities_command

    app.cli.add_command(import_opportunities_command)


# --- database ----------------------------------------------------------------------------

@click.command("db-upgrade")
@with_appcontext
def db_upgrade():
    """Apply every alembic migration (alembic upgrade head)."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    from matchmaker.config import PROJECT_ROOT

    cfg = AlembicConfig(str(PROJECT_ROOT / "migrations" / "alembic.ini"))
    cfg.set_main_option("sqlalchemy.url", current_app.config["DATABASE_URL"].replace("%", "%%"))
    command.upgrade(cfg, "head")
    click.echo("database is up to date")


# --- demo data -----------------------------------------------------------------------------

@click.command("seed-demo")
@click.option("--force", is_flag=True,
              help="Seed even though BASE_URL is https:// (which looks like production).")
@with_appcontext
def seed_demo_command(force: bool):
    """Fill the database with a demo neighbourhood in Brooklyn and Queens.

    Eight organizations with their organizers, 200 residents with profiles, and
    one admin, all sharing one password (see `flask demo-logins`). Running it
    again changes nothing.
    """
    from matchmaker.demo.seed import SeedConflict, seed_demo

    if current_app.config["BASE_URL"].startswith("https://") and not force:
        raise click.ClickException(
            "BASE_URL is https://, which looks like production: demo accounts share a "
            "published password. Use --force if this really is a demo server."
        )
    try:
        with db.transaction() as session:
            report = seed_demo(session)
    except SeedConflict as exc:
        raise click.ClickException(f"cannot seed the demo: {exc}") from None
    if not report.created:
        click.echo("demo data already present (nothing changed)")
        return
    click.echo(
        f"seeded {report.organizations} organizations ({report.verified_organizations} "
        f"verified), {report.organizers} organizers, {report.residents} residents "
        f"and {report.admins} admin, with {report.opportunities} published opportunities"
    )


@click.command("demo-logins")
@with_appcontext
def demo_logins_command():
    """Print the demo accounts to sign in with, and their shared password."""
    from matchmaker.demo.seed import DEMO_PASSWORD, demo_logins

    logins = demo_logins(db.session)
    if logins is None:
        raise click.ClickException("there is no demo data here: run `flask seed-demo` first")
    click.echo(f"  Demo accounts (the password of every one is: {DEMO_PASSWORD})")
    width = max(len(login.email) for login in logins)
    for login in logins:
        click.echo(f"    {login.role:<10} {login.email:<{width}}  {login.who}")


# --- users -------------------------------------------------------------------------------

ROLES = [role.value for role in Role]


def _valid_email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > 254:
        raise click.ClickException("that email address is too long (254 characters at most)")
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise click.ClickException(f"not a valid email address: {raw!r} ({exc})") from None
    return email


def _find_org(session, name: str) -> Organization | None:
    """The organization with this name (any case or spacing) or this slug."""
    from matchmaker.models.organization import name_key

    return session.scalar(select(Organization).where(
        (Organization.name_key == name_key(name)) | (Organization.slug == name.strip())
    ))


def _user_by_email(session, raw: str) -> User:
    email = raw.strip().lower()
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        raise click.ClickException(f"no account with the email {email!r}")
    return user


@users_cli.command("create")
@click.option("--email", required=True, help="Their email address (the account is verified).")
@click.option("--role", default=Role.RESIDENT.value, show_default=True,
              help="resident, organizer or admin.")
@click.option("--org", "org_name", metavar="NAME",
              help="Make them a member (organizer) of this existing organization.")
@click.option("--create-org", is_flag=True,
              help="With --org: create that organization (unverified) with them as its owner.")
@click.option("--name", "display_name", help="Display name (default: from the email address).")
@click.option("--password", help="Their password (10 to 200 characters).")
@click.option("--prompt", "prompt_password", is_flag=True, help="Type the password, hidden.")
def create_user_command(email, role, org_name, create_org, display_name, password,
                        prompt_password):
    """Create a verified account.

    Without --password or --prompt a password is generated and printed once.
    --org joins an existing organization as an organizer; add --create-org to
    create a new one with this person as its owner. Organization members must be
    organizers or admins.
    """
    from matchmaker.auth.services import AuthError, create_user
    from matchmaker.orgs.services import OrgError, create_organization

    email = _valid_email(email)
    role = role.strip().lower()
    if role not in ROLES:
        raise click.ClickException(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    if create_org and not org_name:
        raise click.ClickException("--create-org needs --org NAME (the organization to create)")
    if org_name and role == Role.RESIDENT:
        raise click.ClickException("organization members run it: use --role organizer (or admin)")
    display_name = (display_name or email.split("@")[0].replace(".", " ").title()).strip()
    if not display_name or len(display_name) > 80:
        raise click.ClickException("the name must be 1 to 80 characters")
    if password is not None and prompt_password:
        raise click.ClickException("give --password or --prompt, not both")
    if prompt_password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    generated = password is None
    if generated:
        password = secrets.token_urlsafe(15)
    if not 10 <= len(password) <= 200:
        raise click.ClickException("the password needs 10 to 200 characters")
    if password.lower() == email:
        raise click.ClickException("the password must not be the email address")

    with db.transaction() as session:
        org = None
        if org_name:
            org_name = " ".join(org_name.split())
            org = _find_org(session, org_name)
            if create_org and org is not None:
                raise click.ClickException(
                    f"organization {org.name!r} already exists: drop --create-org to join it")
            if not create_org and org is None:
                raise click.ClickException(
                    f"no organization called {org_name!r} (add --create-org to create it)")
            if create_org and not 1 <= len(org_name) <= 120:
                raise click.ClickException("an organization name needs 1 to 120 characters")
        try:
            user = create_user(session, email, display_name, password, role=role,
                               verified=True)
        except AuthError:
            raise click.ClickException(f"an account with the email {email!r} already exists") \
                from None
        if create_org:
            try:
                org = create_organization(session, user, name=org_name, summary="", area="")
            except OrgError as exc:
                raise click.ClickException(str(exc)) from None
        elif org is not None:
            session.add(Membership(organization_id=org.id, user_id=user.id, role="organizer"))
            session.flush()
    line = f"created {role} {user.email} (id {user.id})"
    if org is not None:
        line += (f", owner of the new organization {org.name!r} (unverified)" if create_org
                 else f", organizer of {org.name!r}")
    click.echo(line)
    if generated:
        click.echo(f"password: {password}  (shown once: pass it on safely)")


# --- API tokens ------------------------------------------------------------------------------

@tokens_cli.command("create")
@click.option("--email", required=True, help="Whose token it is.")
@click.option("--name", default="", help="What it is for, e.g. 'spreadsheet sync'.")
def create_token_command(email, name):
    """Create a personal API token. It is printed once and stored only as a hash."""
    from matchmaker.api.auth import TokenError, create_token

    with db.transaction() as session:
        user = _user_by_email(session, email)
        if not user.is_active:
            raise click.ClickException(f"the account {user.email!r} is deactivated")
        try:
            row, token = create_token(session, user, name)
        except TokenError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(token)
    click.echo(f"(token {row.prefix}… for {user.email}: copy it now, it is not shown again)",
               err=True)


@tokens_cli.command("list")
@click.option("--email", required=True)
def list_tokens_command(email):
    """List someone's tokens by prefix (never the tokens themselves)."""
    from matchmaker.models import ApiToken

    user = _user_by_email(db.session, email)
    rows = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    ).all()
    if not rows:
        click.echo(f"{user.email} has no API tokens")
    for row in rows:
        state = "revoked" if row.revoked_at else (
            f"last used {row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never used")
        click.echo(f"{row.prefix}  {row.name or '-':<24} created {row.created_at:%Y-%m-%d}  "
                   f"{state}")


@tokens_cli.command("revoke")
@click.option("--email", required=True)
@click.option("--prefix", required=True, help="The prefix shown by `tokens list`.")
def revoke_token_command(email, prefix):
    """Revoke one token; requests with it get 401 from then on."""
    from matchmaker.api.auth import TokenError, revoke_token

    with db.transaction() as session:
        user = _user_by_email(session, email)
        try:
            row = revoke_token(session, user, prefix)
        except TokenError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"revoked token {row.prefix}… of {user.email}")


# --- jobs ----------------------------------------------------------------------------------

def _pending_line() -> str:
    from matchmaker.tasks import pending_counts

    due, later = pending_counts()
    return f"{due} due job(s) still pending, {later} scheduled for later"


@jobs_cli.command("run-due")
def run_due_command():
    """Run every due job in queued_jobs now, in this process.

    The way scheduled jobs run in inline mode (no REDIS_URL); with Redis it runs
    them here instead of on a worker. Jobs scheduled for later stay where they are.
    """
    from matchmaker.tasks import dispatch_pending

    count = dispatch_pending(inline=True)
    click.echo(f"ran {count} due job(s); {_pending_line()}")


@jobs_cli.command("sweep")
def sweep_command():
    """Hand pending jobs over (to RQ, or run them inline without REDIS_URL).

    What `rq cron` does every minute: catches jobs whose after-commit hand-over
    failed, for instance because Redis was briefly down.
    """
    from matchmaker.db import db
    from matchmaker.holds import release_stale
    from matchmaker.tasks import dispatch_pending, redis_connection

    released = release_stale(db.session)
    if released:
        click.echo(f"gave back {released} email claim(s) left by a worker that died mid-send")
    count = dispatch_pending()
    where = "to RQ" if redis_connection() is not None else "inline"
    click.echo(f"handed over {count} job(s) {where}; {_pending_line()}")
