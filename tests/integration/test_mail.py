"""Mail: SMTP against a real aiosmtpd server, the file outbox, rendering, and the SMTP guard."""

from __future__ import annotations

import smtplib
import socket

import pytest

from matchmaker.mail import (
    Email,
    FileOutboxMailer,
    MailError,
    SMTPMailer,
    get_mailer,
    render_email,
    send_email,
)

SENDER = "matchmaker <hello@matchmaker.localhost>"


@pytest.fixture
def envelopes(smtp_sink, monkeypatch):
    """The SMTP envelope recipients of each message the sink receives."""
    seen: list[list[str]] = []
    original = smtp_sink.handle_DATA

    async def handle_data(server, session, envelope):
        seen.append(list(envelope.rcpt_tos))
        return await original(server, session, envelope)

    monkeypatch.setattr(smtp_sink, "handle_DATA", handle_data)
    return seen


def _mailer(sink) -> SMTPMailer:
    return SMTPMailer(sink.url, SENDER, "matchmaker.localhost")


def test_smtp_sends_multipart_text_and_html(smtp_sink, envelopes):
    sent = _mailer(smtp_sink).send(Email(
        to="Ada <ada@example.org>", subject="Your week: 3 ways to help",
        text="Plain words.\n", html="<p>Rich <b>words</b>.</p>",
    ))
    [msg] = smtp_sink.messages
    assert envelopes == [["ada@example.org"]]
    assert msg.get_content_type() == "multipart/alternative"
    assert msg.get_body(("plain",)).get_content().strip() == "Plain words."
    assert "<b>words</b>" in msg.get_body(("html",)).get_content()
    assert msg["Subject"] == "Your week: 3 ways to help"
    assert msg["From"] == SENDER and msg["To"] == "Ada <ada@example.org>"
    assert msg["Message-ID"].endswith("@matchmaker.localhost>")
    assert msg["Message-ID"] == sent["Message-ID"]
    assert msg["Date"]


def test_text_only_message_is_not_multipart(smtp_sink):
    _mailer(smtp_sink).send(Email(to="ada@example.org", subject="Hi", text="Only text"))
    [msg] = smtp_sink.messages
    assert msg.get_content_type() == "text/plain"


def test_each_message_gets_its_own_message_id(smtp_sink):
    mailer = _mailer(smtp_sink)
    for _ in range(2):
        mailer.send(Email(to="ada@example.org", subject="Hi", text="t"))
    ids = {m["Message-ID"] for m in smtp_sink.messages}
    assert len(ids) == 2


@pytest.mark.parametrize("to", [
    "victim@example.org\r\nBcc: evil@example.org",
    "victim@example.org\nBcc: evil@example.org",
    "Victim <victim@example.org>\r\nCc: evil@example.org",
])
def test_crlf_cannot_inject_headers_or_recipients(smtp_sink, envelopes, to):
    _mailer(smtp_sink).send(Email(
        to=to, subject="Hello\r\nBcc: evil2@example.org\r\n\r\nfake body",
        text="real body", headers={"X-Note": "a\r\nCc: evil3@example.org"},
    ))
    [msg] = smtp_sink.messages
    assert envelopes == [["victim@example.org"]]
    names = {name.lower() for name in msg}
    assert "bcc" not in names and "cc" not in names
    assert "\n" not in msg["Subject"] and "\r" not in msg["Subject"]
    assert msg["Subject"].startswith("Hello")
    assert msg.get_body(("plain",)).get_content().strip() == "real body"


def test_a_bad_extra_header_name_is_refused(smtp_sink):
    for name in ("X-Note\r\nBcc", "X Note", "X-Note:", ""):
        with pytest.raises(MailError, match="header name"):
            _mailer(smtp_sink).send(Email(to="ada@example.org", subject="Hi", text="t",
                                          headers={name: "v"}))
    assert smtp_sink.messages == []


def test_not_an_address_is_refused_before_connecting(smtp_sink):
    with pytest.raises(MailError):
        _mailer(smtp_sink).send(Email(to="nobody", subject="Hi", text="t"))
    assert smtp_sink.messages == []


def test_server_refusal_is_a_mail_error(smtp_sink, monkeypatch):
    async def refuse(server, session, envelope):
        return "554 no thank you"

    monkeypatch.setattr(smtp_sink, "handle_DATA", refuse)
    with pytest.raises(MailError, match="refused"):
        _mailer(smtp_sink).send(Email(to="ada@example.org", subject="Hi", text="t"))


def test_smtp_url_parsing():
    m = SMTPMailer("smtp://mailer:p%40ss@mail.example.org:2525?starttls=1", SENDER, "x")
    assert (m.host, m.port, m.username, m.password, m.starttls, m.ssl) == (
        "mail.example.org", 2525, "mailer", "p@ss", True, False)
    m = SMTPMailer("smtps://mail.example.org", SENDER, "x")
    assert (m.port, m.ssl, m.username) == (465, True, None)
    assert SMTPMailer("smtp://mailpit:1025", SENDER, "x").port == 1025
    with pytest.raises(ValueError, match="smtp://"):
        SMTPMailer("http://mail.example.org", SENDER, "x")


# --- the file outbox --------------------------------------------------------------------------

def test_file_outbox_writes_and_lists_newest_first(tmp_path):
    mailer = FileOutboxMailer(tmp_path / "outbox", SENDER, "matchmaker.localhost")
    mailer.send(Email(to="a@example.org", subject="First", text="one"))
    mailer.send(Email(to="b@example.org", subject="Second", text="two", html="<p>two</p>"))
    listed = mailer.messages()
    assert [(m["id"], m["to"], m["subject"]) for m in listed] == [
        ("000002", "b@example.org", "Second"), ("000001", "a@example.org", "First")]
    assert all(m["date"] for m in listed)
    raw = mailer.read("000002")
    assert b"Subject: Second" in raw and b"<p>two</p>" in raw
    assert mailer.read("000009") is None
    assert mailer.read("../secret_key") is None
    assert mailer.read("000001.json") is None


def test_the_test_app_writes_to_its_outbox(app, outbox):
    assert isinstance(get_mailer(), FileOutboxMailer)
    send_email("password_changed", "ada@example.org",
               user=type("U", (), {"display_name": "Ada"})(), link="http://localhost/forgot")
    [msg] = outbox.messages
    assert msg["To"] == "ada@example.org"


# --- rendering --------------------------------------------------------------------------------

def test_render_email_takes_the_subject_block(app):
    user = type("U", (), {"display_name": "Ada"})()
    email = render_email("verify_email", "ada@example.org", user=user,
                         link="http://localhost/verify/abc")
    assert email.subject == "Please confirm your email address"
    assert email.to == "ada@example.org"
    assert "Hello Ada," in email.text and "http://localhost/verify/abc" in email.text
    assert "Please confirm your email address" not in email.text  # the subject is not body
    assert "{%" not in email.text and "{{" not in email.text
    assert "http://localhost/" in email.text  # base_url comes from the config
    # The HTML part has its CSS inlined for mail clients that drop <style>.
    assert 'href="http://localhost/verify/abc"' in email.html
    assert 'style="' in email.html


def test_render_and_send_through_smtp(app, smtp_sink, monkeypatch):
    monkeypatch.setitem(app.extensions, "matchmaker.mailer", _mailer(smtp_sink))
    user = type("U", (), {"display_name": "Ada"})()
    send_email("reset_password", "ada@example.org", user=user, link="http://localhost/r/x")
    [msg] = smtp_sink.messages
    assert msg["Subject"] and "http://localhost/r/x" in msg.get_body(("plain",)).get_content()
    assert msg.get_body(("html",)) is not None


# --- the guard ---------------------------------------------------------------------------------

def _listening_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def test_guard_fails_an_unexpected_smtp_connection():
    sock = _listening_port()  # something really listens there, and still we never connect
    port = sock.getsockname()[1]
    try:
        with pytest.raises(AssertionError, match="unexpected SMTP connection"):
            smtplib.SMTP("127.0.0.1", port, timeout=2)
        with pytest.raises(AssertionError, match="unexpected SMTP connection"):
            SMTPMailer(f"smtp://127.0.0.1:{port}", SENDER, "x").send(
                Email(to="ada@example.org", subject="Hi", text="t"))
    finally:
        sock.close()


def test_guard_allows_the_tests_own_sink(smtp_sink):
    with smtplib.SMTP("127.0.0.1", smtp_sink.port, timeout=5) as conn:
        assert conn.noop()[0] == 250
