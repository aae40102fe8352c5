"""Telling owners what happens to their account: e-mail through an SMTP relay."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit


class SmtpNotifier:
    """The ``Notifier`` port over SMTP: ``smtp://[user:password@]host:port``
    (STARTTLS when the relay offers it) or ``smtps://`` (TLS from the start)."""

    def __init__(self, url: str, sender: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (465 if self.tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.timeout = timeout

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2])
        message.set_content(body)
        with self._connect() as smtp:
            if self.user and self.password:
                smtp.login(self.user, self.password)
            smtp.send_message(message)

    def _connect(self) -> smtplib.SMTP:
        if self.tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls()
            smtp.ehlo()
        return smtp


def open_notifier(smtp_url: str | None, sender: str) -> SmtpNotifier | None:
    """Mail through the configured relay; without one, mails wait in the outbox."""
    return SmtpNotifier(smtp_url, sender) if smtp_url else None
