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
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app
from jinja2 import BaseLoader

log = logging.getLogger(__name__)

_HEADER_UNSAFE = re.compile(r"[\r\n]")
#: RFC 5322 field names: printable ASCII except the colon, no spaces.
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")
#: Headers are folded only where RFC 5322 forces it (998), not at 78: a long URL
#: in List-Unsubscribe has no space to fold at, and the default policy would turn
#: it into encoded words that no mail client can follow.
_POLICY = email_policy.default.clone(max_line_length=998)


class MailError(Exception):
    """The message could not be handed to the mail server."""

    #: The SMTP reply code when the server gave one.
    code: int | None = None


class TemporaryMailError(MailError):
    """A 4xx or a dropped connection: worth trying again later."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class PermanentMailError(MailError):
    """A 5xx about the recipient: the address does not take mail. Do not retry."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


def classify_smtp_error(exc: BaseException, host: str = "") -> MailError:
    """Map smtplib's exceptions onto temporary / permanent / other.

    Only a refusal of the *recipient* (at RCPT or DATA) is permanent for the
    address; a 5xx about our sender is our configuration problem, not theirs.
    """
    where = f"SMTP {host}: " if host else "SMTP: "
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()), (None, b""))
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        cls = PermanentMailError if code and 500 <= code < 600 else TemporaryMailError
        return cls(f"{where}{code} {text}".strip(), code)
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) \
            else str(exc.smtp_error)
        if 400 <= code < 500:
            return TemporaryMailError(f"{where}{code} {text}", code)
        if isinstance(exc, smtplib.SMTPDataError) and 500 <= code < 600:
            return PermanentMailError(f"{where}{code} {text}", code)
        error = MailError(f"{where}{code} {text}")
        error.code = code
        return error
    if _connection_lost(exc):
        return TemporaryMailError(f"{where}connection lost: {exc}")
    return MailError(f"{where}{exc}")


def _connection_lost(exc: BaseException) -> bool:
    # smtplib's own exceptions subclass OSError; only real socket trouble counts here.
    return isinstance(exc, smtplib.SMTPServerDisconnected) or (
        isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException))


def never_deliverable(addr: str) -> bool:
    """An address in the reserved ``.invalid`` domain (RFC 6761): a deleted account's
    placeholder (matchmaker.account.deletion). Whatever job still holds such a
    person's id, the message stops here: a deleted person is never emailed."""
    return addr.rstrip(">").lower().endswith(".invalid")


def _deliverable(to: str) -> bool:
    """Check a recipient before sending: MailError if it is no address at all,
    False (logged) if it must never be mailed, True to send. Both send paths use it."""
    _, addr = parseaddr(to)
    if "@" not in addr:
        raise MailError(f"not an email address: {to!r}")
    if never_deliverable(addr):
        log.info("not sent: %s is a deleted account's placeholder address", addr)
        return False
    return True


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
        msg = EmailMessage(policy=_POLICY)
        msg["From"] = header_safe(sender)
        msg["To"] = header_safe(self.to)
        msg["Subject"] = header_safe(self.subject)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain=domain)
        for name, value in self.headers.items():
            if name.lower() in {"date", "message-id"}:
                del msg[name]  # the caller's own (e.g. a pre-recorded Message-ID) wins
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

    def to_bytes(self, sender: str, domain: str) -> tuple[bytes, str]:
        """(RFC 5322 bytes with CRLF line ends, Message-ID) without the email package.

        The same message as :meth:`to_message` for text (+ HTML) without
        attachments, about ten times faster: bulk mail (digests) spends most of
        its time here otherwise. Every header value goes through
        :func:`header_safe`, and non-ASCII ones are RFC 2047-encoded.
        """
        if self.attachments:
            raise ValueError("to_bytes is for messages without attachments")
        message_id = make_msgid(domain=domain)
        headers = {"From": _sender_header(sender), "To": _address_header(self.to),
                   "Subject": _encoded(header_safe(self.subject)),
                   "Date": formatdate(localtime=False), "Message-ID": message_id,
                   "MIME-Version": "1.0"}
        for name, value in self.headers.items():
            if not _HEADER_NAME.match(name):
                raise MailError(f"not a valid header name: {name!r}")
            canonical = next((k for k in headers if k.lower() == name.lower()), name)
            headers[canonical] = _encoded(header_safe(value))
            if canonical == "Message-ID":
                message_id = headers[canonical]
        text_part = _text_part("plain", self.text)
        if self.html:
            boundary = f"=={uuid.uuid4().hex}=="
            headers["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
            body = (f"--{boundary}\r\n".encode() + text_part
                    + f"\r\n--{boundary}\r\n".encode() + _text_part("html", self.html)
                    + f"\r\n--{boundary}--\r\n".encode())
        else:
            head, _, body = text_part.partition(b"\r\n\r\n")
            for line in head.decode().split("\r\n"):
                name, _, value = line.partition(": ")
                headers[name] = value
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode("ascii")
        return head + b"\r\n" + body, message_id


def _encoded(value: str) -> str:
    if value.isascii():
        return value
    from email.header import Header

    return Header(value, "utf-8", maxlinelen=998).encode(linesep="\r\n")


@lru_cache(maxsize=8)
def _sender_header(value: str) -> str:
    """The From header: the same for every message, so formatted once."""
    return _address_header(value)


def _address_header(value: str) -> str:
    name, addr = parseaddr(header_safe(value))
    if not name:
        return header_safe(addr or value)
    return formataddr((name, addr), charset="utf-8")


def _text_part(subtype: str, text: str) -> bytes:
    """A text/<subtype> part: 8bit when every line fits, else quoted-printable."""
    import binascii

    raw = text.replace("\r\n", "\n").replace("\r", "\n")
    data = raw.encode("utf-8")
    if max((len(line) for line in data.split(b"\n")), default=0) <= 990:
        cte, body = ("7bit" if raw.isascii() else "8bit"), data.replace(b"\n", b"\r\n")
    else:
        cte = "quoted-printable"
        body = binascii.b2a_qp(data, istext=True).replace(b"\n", b"\r\n")
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return (f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
            f"Content-Transfer-Encoding: {cte}\r\n\r\n").encode() + body


class Mailer:
    """Send an :class:`Email`. Backends override :meth:`deliver`."""

    def __init__(self, sender: str, domain: str) -> None:
        self.sender = sender
        self.domain = domain

    def send(self, email: Email) -> EmailMessage:
        deliverable = _deliverable(email.to)
        message = email.to_message(self.sender, self.domain)
        if deliverable:
            self.deliver(message)
        return message

    def deliver(self, message: EmailMessage) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    @contextmanager
    def connection(self, **options) -> Iterator[MailConnection]:
        """Many messages over one connection (digest batches). Backends that have no
        connection to keep (the file outbox) just send one by one."""
        yield MailConnection(self, **options)


class MailConnection:
    """Sends many messages; the SMTP backend keeps one connection open for them.

    A temporary failure (4xx, dropped connection) is retried ``attempts`` times
    with exponential backoff (``backoff``, 2x, 4x seconds), reconnecting when the
    connection is gone; then :class:`TemporaryMailError` is raised for the caller
    to try again later. A permanent refusal of the recipient raises
    :class:`PermanentMailError` at once. The connection stays usable after both.
    """

    def __init__(self, mailer: Mailer, *, attempts: int = 3, backoff: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.mailer = mailer
        self.attempts = max(int(attempts), 1)
        self.backoff = backoff
        self.sleep = sleep
        self.sent = 0

    def send(self, email: Email) -> str:
        """Send one email; returns its Message-ID."""
        deliverable = _deliverable(email.to)
        message, message_id = self._prepare(email, parseaddr(email.to)[1])
        if deliverable:
            self.send_message(message)
        return message_id

    def _prepare(self, email: Email, addr: str):
        message = email.to_message(self.mailer.sender, self.mailer.domain)
        return message, str(message["Message-ID"])

    def send_message(self, message) -> None:
        for attempt in range(1, self.attempts + 1):
            try:
                self._deliver(message)
                self.sent += 1
                return
            except TemporaryMailError as exc:
                if attempt == self.attempts:
                    raise
                delay = self.backoff * 2 ** (attempt - 1)
                log.warning("temporary mail failure (%s); try %d of %d in %.1fs",
                            exc, attempt + 1, self.attempts, delay)
                self.sleep(delay)

    def _deliver(self, message: EmailMessage) -> None:
        try:
            self.mailer.deliver(message)
        except MailError as exc:
            cause = exc.__cause__
            if cause is not None and not isinstance(exc, TemporaryMailError | PermanentMailError):
                raise classify_smtp_error(cause) from cause
            raise

    def close(self) -> None:
        pass


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

    @contextmanager
    def connection(self, **options) -> Iterator[MailConnection]:
        conn = SMTPConnection(self, **options)
        try:
            yield conn
        finally:
            conn.close()


class SMTPConnection(MailConnection):
    """One SMTP session reused for every message; reopened if the server drops it."""

    mailer: SMTPMailer

    def __init__(self, mailer: SMTPMailer, **options) -> None:
        super().__init__(mailer, **options)
        self._smtp: smtplib.SMTP | None = None
        self._from = parseaddr(mailer.sender)[1]

    def _prepare(self, email: Email, addr: str):
        if email.attachments:
            return super()._prepare(email, addr)
        data, message_id = email.to_bytes(self.mailer.sender, self.mailer.domain)
        return (addr, data), message_id

    def _deliver(self, message) -> None:
        host = f"{self.mailer.host}:{self.mailer.port}"
        try:
            if self._smtp is None:
                self._smtp = self.mailer._connect()
            if isinstance(message, tuple):
                addr, data = message
                self._smtp.sendmail(self._from, [addr], data)
            else:
                self._smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            error = classify_smtp_error(exc, host)
            if _connection_lost(exc):
                self._drop()
            raise error from exc

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.close()
            except OSError:
                pass

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._drop()


class FileOutboxMailer(Mailer):
    """Writes each message as ``<n>.eml`` (plus a JSON summary) into a folder.

    For local runs: the debug-only /dev/outbox page lists what was "sent".
    """

    def __init__(self, directory: str | Path, sender: str, domain: str) -> None:
        super().__init__(sender, domain)
        self.directory = Path(directory)

    def deliver(self, message: EmailMessage) -> None:
        """Write the message all or nothing; a full disk is a temporary failure.

        Both files are written under temporary names first and the ``.eml`` is
        renamed into place last (a rename is atomic): a failed write leaves no
        half message behind that would count as sent, and a retry writes it whole.
        """
        summary = {"to": message["To"], "subject": message["Subject"], "date": message["Date"]}
        written: list[Path] = []
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            existing = sorted(self.directory.glob("*.eml"))
            number = int(existing[-1].stem) + 1 if existing else 1
            stem = f"{number:06d}"
            for suffix, data in ((".json", json.dumps(summary).encode()),
                                 (".eml", bytes(message))):
                tmp = self.directory / f".{stem}{suffix}.{uuid.uuid4().hex}.tmp"
                written.append(tmp)
                tmp.write_bytes(data)
            for tmp, suffix in zip(written, (".json", ".eml"), strict=True):
                tmp.replace(self.directory / f"{stem}{suffix}")
        except OSError as exc:
            for tmp in written:
                tmp.unlink(missing_ok=True)
            raise TemporaryMailError(f"outbox {self.directory}: could not write the message "
                                     f"({exc.strerror or exc})") from exc
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


_INLINER = None


def _inliner():
    """One inliner for every email. ``keep_at_rules`` keeps the dark-mode
    ``@media (prefers-color-scheme: dark)`` block, which cannot be inlined."""
    global _INLINER
    if _INLINER is None:
        import css_inline

        _INLINER = css_inline.CSSInliner(keep_at_rules=True)
    return _INLINER


_JINJA_TOKEN = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.DOTALL)
_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)


def _without_at_rules(css: str) -> str:
    """The stylesheet minus its ``@media`` (etc.) blocks, which cannot be inlined."""
    out, depth, start, i = [], 0, 0, 0
    while i < len(css):
        if depth == 0 and css.startswith("@", i):
            out.append(css[start:i])
            j = css.index("{", i)
            depth, i = 1, j + 1
            while depth:
                depth += {"{": 1, "}": -1}.get(css[i], 0)
                i += 1
            start = i
            continue
        i += 1
    out.append(css[start:])
    return "".join(out)


class InliningLoader(BaseLoader):
    """A Jinja loader serving HTML email templates with their CSS already inlined.

    Inlining the *rendered* message costs about as much as rendering it; the
    stylesheet and the markup it applies to are both in the templates, so this
    inlines each template's source once, when Jinja first loads it: the layout
    (a whole document: its rules are inlined, the ``@media`` dark-mode block stays
    in a ``<style>`` element) and every HTML fragment it pulls in (with the
    layout's stylesheet). Jinja tags pass through the HTML parser as text; a
    template where they would not survive unchanged (a ``<`` or ``&`` inside a
    tag) is refused with an error rather than rendered wrongly.
    """

    def __init__(self, loader, layout: str = "email/_layout.html") -> None:
        self.loader = loader
        self.layout = layout
        self._css: str | None = None

    def _stylesheet(self, environment) -> str:
        if self._css is None:
            source = self.loader.get_source(environment, self.layout)[0]
            self._css = _without_at_rules("\n".join(_STYLE.findall(source)))
        return self._css

    def get_source(self, environment, template: str):
        source, filename, uptodate = self.loader.get_source(environment, template)
        if not template.endswith(".html"):
            return source, filename, uptodate
        if template == self.layout:
            inlined = _inliner().inline(source)
        else:
            inlined = _inliner().inline_fragment(source, self._stylesheet(environment))
        if _JINJA_TOKEN.findall(inlined) != _JINJA_TOKEN.findall(source):
            raise ValueError(f"{template}: Jinja tags do not survive CSS inlining; "
                             "keep <, > and & out of template tags")
        return inlined, filename, uptodate

    def list_templates(self):
        return self.loader.list_templates()


class EmailTemplates:
    """Render one email template pair, many times if need be (bulk mail: digests).

    The templates are compiled once, their HTML comes pre-inlined
    (:class:`InliningLoader`), and rendering skips Flask's per-call context
    processors: the result is the same :class:`Email` as :func:`render_email`
    gives (same text and subject; the same inline styles), at a fraction of the
    cost. ``context`` holds values shared by every message.
    """

    def __init__(self, name: str, app: Flask | None = None, **context) -> None:
        app = app or current_app
        envs = app.extensions.setdefault("matchmaker.email_env", {})
        if "env" not in envs:
            # A cache of its own: the web pages' copies of shared fragments stay as they are.
            envs["env"] = app.jinja_env.overlay(loader=InliningLoader(app.jinja_env.loader),
                                                cache_size=100)
        env = envs["env"]
        self.text = env.get_template(f"email/{name}.txt")
        self.html = env.get_template(f"email/{name}.html")
        self._subject = self.text.blocks["subject"]
        self.context = {"base_url": app.config["BASE_URL"], **context}

    def render(self, to: str, **context) -> Email:
        ctx = {**self.context, **context}
        subject = "".join(self._subject(self.text.new_context(ctx))).strip()
        return Email(to=to, subject=subject, text=self.text.render(ctx),
                     html=self.html.render(ctx))


def render_email(name: str, to: str, **context) -> Email:
    """Render ``email/<name>.txt`` and ``.html`` into an :class:`Email` (one message).

    The same templates and inlining as bulk mail (:class:`EmailTemplates`), so
    every email is built one way; compiled templates are cached by Jinja.
    """
    return EmailTemplates(name).render(to, **context)


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
