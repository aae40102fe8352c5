"""A real SMTP server (aiosmtpd) started by the tests, and reading what it got."""

from __future__ import annotations

import re
import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller

LINK = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class Mail:
    """One delivered message."""

    to: list[str]
    subject: str
    body: str
    raw: bytes

    def links(self) -> list[str]:
        return LINK.findall(self.body)

    def token(self, path_suffix: str | None = None) -> str | None:
        """The token of this mail's (first) link whose path ends with the suffix."""
        for link in self.links():
            parts = urlsplit(link)
            if path_suffix is None or parts.path.endswith(path_suffix):
                return parse_qs(parts.query)["token"][0]
        return None


class _Collector:
    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        mail = Mail(
            list(envelope.rcpt_tos),
            str(message["Subject"]),
            body.get_content() if body else "",
            bytes(envelope.content),
        )
        with self.arrived:
            self.mails.append(mail)
            self.arrived.notify_all()
        return "250 Message accepted for delivery"


class SmtpRelay:
    """aiosmtpd on a free loopback port, collecting every message it accepts."""

    def __init__(self) -> None:
        self._collector = _Collector()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self._controller = Controller(
            self._collector, hostname="127.0.0.1", port=self.port
        )

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def mails(self) -> list[Mail]:
        return list(self._collector.mails)

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.mails if address in m.to]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Mail]:
        """Wait until at least ``count`` messages arrived; returns them all."""
        with self._collector.arrived:
            self._collector.arrived.wait_for(
                lambda: len(self._collector.mails) >= count, timeout
            )
        return self.mails

    def start(self) -> SmtpRelay:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
