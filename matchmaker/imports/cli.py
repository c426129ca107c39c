"""``flask import-opportunities --org SLUG [--as EMAIL] FILE``: the upload form, from a shell.

Runs in this process (no worker needed), printing a line every
:data:`REPORT_EVERY` rows and the summary with each skipped line. Bad input (no
such organization or account, an unreadable file) ends with a one-line reason,
a non-zero exit status, and nothing written.
"""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from matchmaker.db import db
from matchmaker.imports.services import ImportFileError, create_run, run_import
from matchmaker.models import ImportRun, Membership, Organization, User

REPORT_EVERY = 50


def _progress(run: ImportRun, last: dict) -> None:
    if run.processed_rows - last["rows"] >= REPORT_EVERY or run.processed_rows == run.total_rows:
        last["rows"] = run.processed_rows
        share = 100 * run.processed_rows // max(run.total_rows, 1)
        click.echo(f"  {run.processed_rows}/{run.total_rows} rows ({share}%)")


@click.command("import-opportunities")
@click.option("--org", "slug", required=True, help="The organization's slug (as in its web address).")
@click.option("--as", "email", help="An organizer of it, recorded as the author of the imported rows.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def import_opportunities_command(slug: str, email: str | None, file: Path):
    """Import opportunities from an NYC Service CSV export into an organization.

    Every row becomes a draft; rows already imported are updated, never
    duplicated. Rows that cannot be imported are listed with their line number.
    """
    session = db.session
    org = session.scalar(select(Organization).where(Organization.slug == slug.strip()))
    if org is None:
        raise click.ClickException(f"no organization with the slug {slug!r}")
    author = None
    if email:
        author = session.scalar(select(User).where(User.email == email.strip().lower()))
        if author is None:
            raise click.ClickException(f"no account with the email {email.strip()!r}")
        if session.scalar(select(Membership.id).where(
                Membership.organization_id == org.id, Membership.user_id == author.id)) is None:
            raise click.ClickException(f"{author.email} is not an organizer of {org.name!r}")
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {str(file)!r}: {exc.strerror or exc}") from None
    try:
        run = create_run(session, org, author, file.name, raw)
    except ImportFileError as exc:
        session.rollback()
        raise click.ClickException(f"{file.name}: {exc}") from None
    session.commit()
    click.echo(f"importing {run.total_rows} rows from {file.name} into {org.name} (import {run.id})")
    started = time.perf_counter()
    last = {"rows": 0}
    run = run_import(session, run.id, on_progress=lambda r: _progress(r, last))
    elapsed = time.perf_counter() - started
    click.echo(f"done in {elapsed:.1f} s: {run.created_count} created, {run.updated_count} "
               f"updated, {run.skipped_count} skipped (all imported rows are drafts)")
    for problem in run.problems:
        click.echo(f"  line {problem['line']}: {problem['reason']}")
