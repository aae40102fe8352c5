"""Serving that slow clients cannot stall: whole requests, read with a deadline.

gunicorn's threaded worker hands a connection to a thread as soon as its first
byte arrives; the thread then reads the request line, the headers and the body
from a blocking socket, however slowly they come. A client sending a byte a
second holds a thread for as long as it likes, and a few of them hold every
thread of a worker (the issue measured 8 stalling the default server).

The :class:`BufferingWorker` reads in its event loop instead, without blocking
and without a thread: every request (headers and body) is buffered until it is
complete, and only then given to a thread and the application, which read it
from memory. A request that is not complete within its deadline is answered
``408`` and its connection closed; the deadline is ``read_timeout`` seconds
(the whole request, not per read) plus a second for each 64 KiB of body it
declares, so that a large upload over a slow link still arrives. Connections
kept alive between requests are read the same way. In the threads, the socket
gets ``read_timeout`` per operation, so that a client that stops reading its
response cannot hold a thread either.
"""

from __future__ import annotations

import contextlib
import errno
import json
import selectors
import socket
import time
from functools import partial
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

from interface.problems import type_uri

READ_TIMEOUT = 10.0  # seconds for a whole request, the default of `serve`
BODY_RATE = 64 * 1024  # bytes a second a declared body is given on top
MAX_HEADER_BYTES = 64 * 1024  # gunicorn's own limits refuse far less than this
# The largest body any endpoint takes: a 10 MiB document and its multipart
# framing (the application refuses anything larger than its own limit anyway).
MAX_BODY_BYTES = 11 * 1024 * 1024
RECV_BYTES = 64 * 1024
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class RequestReader:
    """Decides, from the bytes received so far, whether one HTTP/1.x request is
    complete (request line, headers and body, by length or chunked), too large,
    or still arriving."""

    def __init__(self, started: float, read_timeout: float) -> None:
        self.data = bytearray()
        self.deadline = started + read_timeout
        self.complete = False
        self.refusal: int | None = None  # 413 or 431
        self.expects_continue = False
        self._body_start: int | None = None
        self._length: int | None = None  # None: chunked
        self._head_scan = 0  # where the search for the header end goes on
        self._scan = 0  # where the chunked scan goes on
        self._chunked_total = 0

    def feed(self, data: bytes) -> None:
        """Take more bytes of the request (nothing after it is complete)."""
        self.data += data
        if self._body_start is None:
            self._read_head()
        if self._body_start is not None and not self.complete:
            self._read_body()

    def _read_head(self) -> None:
        # Search only what is new (and the 3 bytes before it): a header section
        # fed a byte at a time is not scanned again and again.
        end = self.data.find(b"\r\n\r\n", self._head_scan)
        self._head_scan = max(len(self.data) - 3, 0)
        if end < 0:
            if len(self.data) > MAX_HEADER_BYTES:
                self.refusal = 431
            return
        self._body_start = end + 4
        fields = _fields(bytes(self.data[:end]))
        if "chunked" in fields.get("transfer-encoding", "").lower():
            self._length, self._scan = None, self._body_start
        else:
            self._length = _length(fields.get("content-length"))
            if self._length is None:
                self.complete = True  # no body, or one gunicorn will refuse
                return
            if self._length > MAX_BODY_BYTES:
                self.refusal = 413
                return
            self.deadline += self._length / BODY_RATE
        self.expects_continue = (
            fields.get("expect", "").lower() == "100-continue" and self._length != 0
        )

    def _read_body(self) -> None:
        if self._length is not None and self._body_start is not None:
            received = len(self.data) - self._body_start
            self.complete = received >= self._length
            return
        self._scan_chunks()

    def _scan_chunks(self) -> None:
        """Walk the chunks received so far; complete after the last chunk and
        the trailer section (malformed framing is left to gunicorn to refuse)."""
        while True:
            line_end = self.data.find(b"\r\n", self._scan)
            if line_end < 0:
                return
            size_text = bytes(self.data[self._scan : line_end]).split(b";")[0]
            try:
                size = int(size_text.strip(), 16)
            except ValueError:
                self.complete = True
                return
            if size == 0:
                self.complete = self._trailers_end(line_end + 2)
                return
            self._chunked_total += size
            if self._chunked_total > MAX_BODY_BYTES:
                self.refusal = 413
                return
            following = line_end + 2 + size + 2
            if len(self.data) < following:
                return
            self._scan = following

    def _trailers_end(self, start: int) -> bool:
        """Whether the trailer section from ``start`` has ended (empty line)."""
        while True:
            end = self.data.find(b"\r\n", start)
            if end < 0:
                return False
            if end == start:
                return True
            start = end + 2


def _fields(head: bytes) -> dict[str, str]:
    """The header fields by lower-case name (the request line left out)."""
    fields: dict[str, str] = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        key = name.strip().lower()
        value = value.strip()
        fields[key] = f"{fields[key]},{value}" if key in fields else value
    return fields


def _length(value: str | None) -> int | None:
    """A Content-Length we can wait for, else None (absent or invalid)."""
    if value is None or not value.isdigit():
        return None
    return int(value)


def refusal(status: int) -> bytes:
    """A problem-details response written by the worker itself, then closed."""
    code, reason, detail = {
        408: (
            "request_timeout",
            "Request Timeout",
            "The request did not arrive in time.",
        ),
        413: (
            "payload_too_large",
            "Content Too Large",
            "The request body is larger than any endpoint takes.",
        ),
        431: (
            "request_header_fields_too_large",
            "Request Header Fields Too Large",
            "The request's header section is too large.",
        ),
    }[status]
    body = json.dumps(
        {
            "type": type_uri(code),
            "title": reason,
            "status": status,
            "detail": detail,
            "code": code,
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Content-Type: application/problem+json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class BufferedConn(TConn):
    """A connection whose next request was read by the event loop."""

    read_timeout = READ_TIMEOUT

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.buffered = b""
        self.reader: RequestReader | None = None
        self.continued = False

    def init(self) -> None:
        """In the thread: hand the buffered request to the parser, and bound
        each socket operation (a client that stops reading its response)."""
        super().init()
        if self.buffered:
            self.parser.unreader.unread(self.buffered)
            self.buffered = b""
        self.sock.settimeout(self.read_timeout)


class BufferingWorker(ThreadWorker):
    """gunicorn's threaded worker, handing threads only whole requests."""

    read_timeout = READ_TIMEOUT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reading: dict[BufferedConn, RequestReader] = {}

    def accept(self, listener: socket.socket) -> None:
        """A new connection: read its first request in the event loop."""
        if self.cfg.is_ssl:  # TLS is the proxy's job; this keeps gthread's way
            super().accept(listener)
            return
        try:
            client, address = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = BufferedConn(self.cfg, client, address, listener.getsockname())
        conn.read_timeout = self.read_timeout
        self._start_reading(conn, b"")

    def enqueue_req(self, conn: Any) -> None:
        """Give a thread a connection only once its request is all here."""
        if not isinstance(conn, BufferedConn) or conn.reader is not None:
            if isinstance(conn, BufferedConn):
                conn.reader = None
            super().enqueue_req(conn)
            return
        # A kept-alive connection's next request (or the part of it read ahead
        # while draining the last one): buffer it like a new one.
        leftover = conn.parser.unreader.take_buffered() if conn.parser else b""
        conn.sock.setblocking(False)
        self._start_reading(conn, leftover)

    def _start_reading(self, conn: BufferedConn, first: bytes) -> None:
        reader = RequestReader(time.monotonic(), self.read_timeout)
        conn.continued = False
        self.reading[conn] = reader
        self.poller.register(
            conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn)
        )
        if first:
            self._take(conn, reader, first)

    def _on_readable(self, conn: BufferedConn, _sock: Any) -> None:
        reader = self.reading.get(conn)
        if reader is None:
            return
        try:
            data = conn.sock.recv(RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(conn)
            return
        if not data:
            self._close(conn)  # the client went away
            return
        self._take(conn, reader, data)

    def _take(self, conn: BufferedConn, reader: RequestReader, data: bytes) -> None:
        reader.feed(data)
        if reader.refusal is not None:
            self._refuse(conn, reader.refusal)
        elif reader.complete:
            self._stop_reading(conn)
            conn.buffered = bytes(reader.data)
            conn.reader = reader  # marks it complete for enqueue_req
            conn.data_ready = True  # no need to wait for a first byte
            self.enqueue_req(conn)
        elif reader.expects_continue and not conn.continued:
            conn.continued = True
            _send(conn.sock, CONTINUE)

    def murder_pending(self) -> None:
        """Also answer 408 to requests past their deadline (checked each second)."""
        super().murder_pending()
        now = time.monotonic()
        late = [conn for conn, r in self.reading.items() if r.deadline <= now]
        for conn in late:
            self._refuse(conn, 408)

    def _refuse(self, conn: BufferedConn, status: int) -> None:
        _send(conn.sock, refusal(status))
        self._close(conn)

    def _close(self, conn: BufferedConn) -> None:
        self._stop_reading(conn)
        self.nr_conns -= 1
        conn.close()

    def _stop_reading(self, conn: BufferedConn) -> None:
        if self.reading.pop(conn, None) is not None:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.poller.unregister(conn.sock)


def _send(sock: socket.socket, data: bytes) -> None:
    """Best effort, never blocking: the client may not be reading at all."""
    with contextlib.suppress(OSError):
        sock.send(data)


def buffering_worker(read_timeout: float) -> type[BufferingWorker]:
    """The worker class for ``serve``, with its deadline."""
    return type("BufferingWorker", (BufferingWorker,), {"read_timeout": read_timeout})
