"""Slow clients cannot stall the served API: 50 connections dripping their
requests a byte a second, while normal requests are still answered."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest

from tests.e2e_helpers import call, running_server, settings_env

SLOW_CLIENTS = 50
READ_TIMEOUT = 4  # the server's deadline for a whole request, in seconds
BODY = b'{"username": "slow.one", "email": "s@example.com", "password": "x"}'
SLOW_HEADERS = (
    b"GET /api/v1/me HTTP/1.1\r\nHost: localhost\r\n"
    b"User-Agent: a-very-slow-client/1.0\r\nAccept: application/json\r\n\r\n"
)
SLOW_BODY_HEAD = (
    b"POST /api/v1/sellers HTTP/1.1\r\nHost: localhost\r\n"
    b"Content-Type: application/json\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n"
)


@pytest.fixture(params=["sqlite"])
def store(request):
    return request.param


class Dripper:
    """Connections that each send one byte a second of a request, never all of it
    before the deadline: half the header section, half a body after headers."""

    def __init__(self, base: str, count: int) -> None:
        address = urlsplit(base)
        self.sockets: list[socket.socket] = []
        self.pending: dict[socket.socket, bytes] = {}
        for n in range(count):
            sock = socket.create_connection((address.hostname, address.port))
            if n % 2:
                sock.sendall(SLOW_BODY_HEAD)  # the headers at once, then the body
                self.pending[sock] = BODY
            else:
                self.pending[sock] = SLOW_HEADERS
            self.sockets.append(sock)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._drip, daemon=True)

    def __enter__(self) -> Dripper:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        for sock in self.sockets:
            sock.close()

    def _drip(self) -> None:
        while not self.stop.wait(1.0):
            for sock, rest in list(self.pending.items()):
                if not rest:
                    continue
                try:
                    sock.send(rest[:1])
                except OSError:
                    rest = b"."  # closed by the server: nothing more to send
                self.pending[sock] = rest[1:]

    def answers(self, wait: float) -> list[bytes]:
        """What each connection got before the server closed it (b"" for a
        plain close), waiting up to ``wait`` seconds in all."""
        deadline = time.monotonic() + wait
        answers = []
        for sock in self.sockets:
            sock.settimeout(max(deadline - time.monotonic(), 0.1))
            received = b""
            try:
                while chunk := sock.recv(4096):
                    received += chunk
            except ConnectionResetError:
                received += b"<reset>"
            except TimeoutError:
                received = b"<still open>"
            answers.append(received)
        return answers


def test_slow_clients_neither_stall_the_server_nor_stay_connected(settings):
    env = settings_env(settings.data_dir, settings.database_url)
    with (
        running_server(env, "--read-timeout", str(READ_TIMEOUT)) as base,
        Dripper(base, SLOW_CLIENTS) as slow,
    ):
        time.sleep(1.5)  # every slow connection has started dripping
        timings = []
        for n in range(6):
            started = time.monotonic()
            if n % 2:
                status, _, _ = call("GET", f"{base}/healthz")
            else:
                status, _, _ = call(
                    "POST",
                    f"{base}/api/v1/sellers",
                    {
                        "username": f"Quick.{n}",
                        "email": f"quick{n}@example.com",
                        "password": "Corr3ct-Horse!Battery",
                    },
                )
            timings.append(time.monotonic() - started)
            assert status in (200, 201)
        answers = slow.answers(wait=READ_TIMEOUT + 10)

    # The must-show: normal requests answered within a second.
    assert max(timings) < 1.0, timings
    # Every slow connection was ended by the deadline: 408 and closed (a byte
    # dripped after the close may turn the close into a reset).
    assert b"<still open>" not in answers
    timed_out = [a for a in answers if a.startswith(b"HTTP/1.1 408 ")]
    assert all(a in timed_out or a == b"<reset>" for a in answers), set(answers)
    assert timed_out
    assert all(b'"code": "request_timeout"' in a for a in timed_out)


def test_requests_of_every_framing_are_served_whole(settings):
    env = settings_env(settings.data_dir, settings.database_url)
    with running_server(env, "--read-timeout", str(READ_TIMEOUT)) as base:
        address = urlsplit(base)
        kept = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        statuses = []
        for _ in range(3):  # one kept-alive connection, request after request
            kept.request("GET", "/healthz")
            response = kept.getresponse()
            response.read()
            statuses.append(response.status)
        body = json.dumps(
            {
                "username": "Chunked.One",
                "email": "chunked@example.com",
                "password": "Corr3ct-Horse!Battery",
            }
        ).encode()
        kept.request(
            "POST",
            "/api/v1/sellers",
            body=iter([body[:10], body[10:30], body[30:]]),
            headers={"Content-Type": "application/json"},
            encode_chunked=True,
        )
        chunked = kept.getresponse()
        chunked_view = json.loads(chunked.read())
        kept.close()
        continued = _expecting_continue(address.hostname, address.port)

    assert statuses == [200, 200, 200]
    assert (chunked.status, chunked_view["username"]) == (201, "Chunked.One")
    assert continued.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert b"HTTP/1.1 201 " in continued


def _expecting_continue(host: str, port: int) -> bytes:
    """A client that waits for 100 Continue before sending its body."""
    body = json.dumps(
        {
            "username": "Patient.One",
            "email": "patient@example.com",
            "password": "Corr3ct-Horse!Battery",
        }
    ).encode()
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v1/sellers HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
            b"Connection: close\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
        )
        interim = sock.recv(4096)
        sock.sendall(body)
        received = interim
        while chunk := sock.recv(4096):
            received += chunk
    return received
