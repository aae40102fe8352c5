"""Telling owners what happens to their account: e-mail, or the log."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)


class SmtpNotifier:
    """The ``Notifier`` port over SMTP (``smtp://host:port``)."""

    def __init__(self, url: str, sender: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 25
        self.sender = sender

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            smtp.send_message(message)


class LogNotifier:
    """Without an SMTP relay configured, messages are only logged (no address)."""

    def send(self, to: str, subject: str, body: str) -> None:
        logger.info("notification not e-mailed (no SMTP relay): %s", subject)
