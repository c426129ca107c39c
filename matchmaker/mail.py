"""One Mailer interface with two backends: SMTP, or a file outbox for local runs.

Emails are rendered from template pairs ``email/<name>.txt`` and
``email/<name>.html``; the subject is the ``subject`` block of the text template.
The HTML part gets its CSS inlined (css-inline), because many mail clients drop
``<style>`` blocks.
"""

from __future__ import annotations

import json
import logging
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app, render_template

log = logging.getLogger(__name__)

_HEADER_UNSAFE = re.compile(r"[\r\n]")
#: RFC 5322 field names: printable ASCII except the colon, no spaces.
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")


class MailError(Exception):
    """The message could not be handed to the mail server."""


def header_safe(value: str) -> str:
    """Collapse CR/LF so user-supplied text can never start a new header."""
    return _HEADER_UNSAFE.sub(" ", value).strip()


@dataclass
class Email:
    to: str
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: (filename, MIME type like "text/calendar", bytes)
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)

    def to_message(self, sender: str, domain: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = header_safe(sender)
        msg["To"] = header_safe(self.to)
        msg["Subject"] = header_safe(self.subject)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain=domain)
        for name, value in self.headers.items():
            # A bad name cannot be "collapsed" safely: it would end the header block.
            if not _HEADER_NAME.match(name):
                raise MailError(f"not a valid header name: {name!r}")
            msg[name] = header_safe(value)
        msg.set_content(self.text)
        if self.html:
            msg.add_alternative(self.html, subtype="html")
        for filename, mime, data in self.attachments:
            maintype, _, subtype = mime.partition("/")
            msg.add_attachment(data, maintype=maintype, subtype=subtype,
                               filename=header_safe(filename))
        return msg


class Mailer:
    """Send an :class:`Email`. Backends override :meth:`deliver`."""

    def __init__(self, sender: str, domain: str) -> None:
        self.sender = sender
        self.domain = domain

    def send(self, email: Email) -> EmailMessage:
        _, addr = parseaddr(email.to)
        if "@" not in addr:
            raise MailError(f"not an email address: {email.to!r}")
        message = email.to_message(self.sender, self.domain)
        self.deliver(message)
        return message

    def deliver(self, message: EmailMessage) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class SMTPMailer(Mailer):
    """SMTP from a URL: ``smtp://[user:pass@]host[:port][?starttls=1]`` or ``smtps://``."""

    def __init__(self, url: str, sender: str, domain: str, timeout: float = 10.0) -> None:
        super().__init__(sender, domain)
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"}:
            raise ValueError(f"SMTP_URL must start with smtp:// or smtps://, got {url!r}")
        self.ssl = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.ssl else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.starttls = parse_qs(parts.query).get("starttls", ["0"])[0] in {"1", "true"}
        self.timeout = timeout

    def _connect(self) -> smtplib.SMTP:
        if self.ssl:
            conn = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                    context=ssl.create_default_context())
        else:
            conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                conn.starttls(context=ssl.create_default_context())
        if self.username:
            conn.login(self.username, self.password or "")
        return conn

    def deliver(self, message: EmailMessage) -> None:
        try:
            with self._connect() as conn:
                conn.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"SMTP {self.host}:{self.port} refused the message: {exc}") from exc


class FileOutboxMailer(Mailer):
    """Writes each message as ``<n>.eml`` (plus a JSON summary) into a folder.

    For local runs: the debug-only /dev/outbox page lists what was "sent".
    """

    def __init__(self, directory: str | Path, sender: str, domain: str) -> None:
        super().__init__(sender, domain)
        self.directory = Path(directory)

    def deliver(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        existing = sorted(self.directory.glob("*.eml"))
        number = int(existing[-1].stem) + 1 if existing else 1
        stem = f"{number:06d}"
        (self.directory / f"{stem}.eml").write_bytes(bytes(message))
        summary = {"to": message["To"], "subject": message["Subject"], "date": message["Date"]}
        (self.directory / f"{stem}.json").write_text(json.dumps(summary))
        log.info("outbox: wrote %s for %s (%s)", stem, message["To"], message["Subject"])

    def messages(self) -> list[dict]:
        """Newest first: the summaries plus the stem to open the full message."""
        out = []
        for path in sorted(self.directory.glob("*.json"), reverse=True):
            data = json.loads(path.read_text())
            data["id"] = path.stem
            out.append(data)
        return out

    def read(self, stem: str) -> bytes | None:
        if not stem.isdigit():
            return None
        path = self.directory / f"{stem}.eml"
        return path.read_bytes() if path.exists() else None


def render_email(name: str, to: str, **context) -> Email:
    """Render ``email/<name>.txt`` and ``.html`` into an :class:`Email`."""
    import css_inline

    env = current_app.jinja_env
    text_template = env.get_template(f"email/{name}.txt")
    ctx = {"base_url": current_app.config["BASE_URL"], **context}
    subject = "".join(text_template.blocks["subject"](text_template.new_context(ctx))).strip()
    text = render_template(f"email/{name}.txt", **ctx)
    html = css_inline.inline(render_template(f"email/{name}.html", **ctx))
    return Email(to=to, subject=subject, text=text, html=html)


def get_mailer(app: Flask | None = None) -> Mailer:
    app = app or current_app
    return app.extensions["matchmaker.mailer"]


def send_email(name: str, to: str, *, attachments: list[tuple[str, str, bytes]] | None = None,
               **context) -> EmailMessage:
    """Render and send in one call. Raises :class:`MailError` if the server refuses."""
    email = render_email(name, to, **context)
    email.attachments = list(attachments or [])
    return get_mailer().send(email)


def init_app(app: Flask) -> None:
    domain = urlsplit(app.config["BASE_URL"]).hostname or "localhost"
    if app.config.get("SMTP_URL"):
        mailer: Mailer = SMTPMailer(app.config["SMTP_URL"], app.config["MAIL_FROM"], domain)
    else:
        mailer = FileOutboxMailer(app.config["OUTBOX_DIR"], app.config["MAIL_FROM"], domain)
    app.extensions["matchmaker.mailer"] = mailer
