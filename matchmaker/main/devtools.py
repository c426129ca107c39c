"""Debug-only pages (registered only when app.debug): the local mail outbox."""

from __future__ import annotations

from email import message_from_bytes, policy

from flask import Blueprint, abort, render_template

from matchmaker.mail import FileOutboxMailer, get_mailer

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.app_context_processor
def _dev_links() -> dict:
    # Registered only with this blueprint, so base.html links the outbox exactly
    # when the page exists (Jinja has no ``current_app`` to ask).
    return {"dev_outbox_available": True}


def _outbox() -> FileOutboxMailer:
    mailer = get_mailer()
    if not isinstance(mailer, FileOutboxMailer):
        abort(404)
    return mailer


@bp.get("/outbox")
def outbox():
    return render_template("dev/outbox.html", messages=_outbox().messages())


@bp.get("/outbox/<stem>")
def outbox_message(stem: str):
    raw = _outbox().read(stem)
    if raw is None:
        abort(404)
    msg = message_from_bytes(raw, policy=policy.default)
    text = msg.get_body(("plain",))
    return render_template(
        "dev/outbox_message.html", msg=msg, stem=stem,
        text=text.get_content() if text else "",
    )
