"""HTTP for CSV imports: upload a file, then watch its progress and read the report.

Only the people who run an organization may import into it or see its imports
(anyone else: 403; an import of another organization: 404). In inline mode (no
REDIS_URL) the import runs during the upload request, after its commit, so the
progress page is already the report.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from matchmaker.db import db
from matchmaker.imports import services
from matchmaker.imports.forms import UploadForm
from matchmaker.models import ImportRun, Organization
from matchmaker.orgs.services import get_by_slug, membership_of
from matchmaker.tasks import enqueue_after_commit

bp = Blueprint("imports", __name__)

#: Room for the form fields and multipart framing around the largest file we take.
REQUEST_LIMIT = services.MAX_BYTES + 64 * 1024
#: The progress page reloads itself this often (seconds) while the import runs.
REFRESH_SECONDS = 2


@bp.record_once
def _limit_upload_size(state) -> None:
    """Cap the upload request's size before anything reads its body.

    The CSRF check reads the form in an app-wide ``before_request``, so the cap
    must be set even earlier: this hook goes first in the app's list. Other
    routes keep the app's own setting.
    """
    def limit() -> None:
        if request.endpoint == "imports.upload":
            request.max_content_length = REQUEST_LIMIT

    state.app.before_request_funcs.setdefault(None, []).insert(0, limit)


def _org_for_organizer(slug: str) -> Organization:
    """The organization; 404 if there is none, 403 for anyone who does not run it."""
    org = get_by_slug(db.session, slug)
    if org is None:
        abort(404)
    if membership_of(db.session, org, current_user) is None:
        abort(403, "Only the people who run this organization can import opportunities "
                   "into it.")
    return org


def _render_upload(org: Organization, form: UploadForm, status: int = 200):
    runs = db.session.scalars(services.runs_of(org).limit(10)).all()
    return render_template("imports/new.html", org=org, form=form, runs=runs,
                           max_mb=services.MAX_BYTES // (1024 * 1024)), status


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    """A file over the limit: the form again, with a kind message and status 413."""
    slug = (request.view_args or {}).get("slug", "")
    org = get_by_slug(db.session, slug) if current_user.is_authenticated else None
    if org is None or membership_of(db.session, org, current_user) is None:
        return exc
    form = UploadForm(formdata=None)
    form.file.errors = [(f"This file is too large. The most we can take is "
                         f"{services.MAX_BYTES // (1024 * 1024)} MB. Please split it into "
                         "smaller files and import them one by one.")]
    return _render_upload(org, form, 413)


@bp.route("/organizations/<slug>/imports/new", methods=["GET", "POST"])
@login_required
def upload(slug: str):
    org = _org_for_organizer(slug)
    form = UploadForm()
    if form.validate_on_submit():
        upload_file = form.file.data
        raw = upload_file.read(services.MAX_BYTES + 1)
        try:
            run = services.create_run(db.session, org, current_user._get_current_object(),
                                      upload_file.filename or "upload.csv", raw)
        except services.ImportFileError as exc:
            db.session.rollback()
            form.file.errors.append(str(exc))
        else:
            enqueue_after_commit("workers.jobs.import_opportunities", run.id)
            db.session.commit()
            return redirect(url_for("imports.show", slug=org.slug, run_id=run.id), 303)
    return _render_upload(org, form, 400 if form.is_submitted() else 200)


@bp.get("/organizations/<slug>/imports/<int:run_id>")
@login_required
def show(slug: str, run_id: int):
    org = _org_for_organizer(slug)
    run = db.session.get(ImportRun, run_id)
    if run is None or run.organization_id != org.id:
        abort(404)
    running = run.status in (services.QUEUED, services.RUNNING)
    return render_template("imports/show.html", org=org, run=run, running=running,
                           refresh_seconds=REFRESH_SECONDS)
