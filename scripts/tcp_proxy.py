"""A small TCP proxy between the servers and PostgreSQL, to break the network on cue.

Used by ``scripts/chaos_test.py`` and the store tests: it can refuse
connections for a while (as a database that is down), cut every connection
(as a network failure), or cut one connection just after it sent a COMMIT and
before the answer came back, so a commit lands and its writer never hears so.

    proxy = TcpProxy(("127.0.0.1", 5432)).start()
    url = f"postgresql://127.0.0.1:{proxy.port}/test"
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Literal, Self

CHUNK = 65536
# Long enough for PostgreSQL to act on a COMMIT it has received.
COMMIT_GRACE = 0.3

CommitFault = Literal["after_commit", "instead_of_commit"]


@dataclass(eq=False)
class _Pair:
    client: socket.socket
    upstream: socket.socket
    replies_held: bool = False
    closed: bool = field(default=False)
    marked: bool = False  # sent the fault's marker since its last COMMIT

    def close(self) -> None:
        self.closed = True
        for sock in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()


class TcpProxy:
    """Forwards a local port to ``upstream``; breaks things when asked."""

    def __init__(self, upstream: tuple[str, int], port: int = 0) -> None:
        self.upstream = upstream
        self.port = port
        self._listener: socket.socket | None = None
        self._pairs: set[_Pair] = set()
        self._lock = threading.Lock()
        self._fault: CommitFault | None = None
        self._refuse_after_fault = False
        self._marker: bytes | None = None
        self.fault_fired = threading.Event()

    def start(self) -> Self:
        """Listen (again, on the same port once one was chosen)."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def refuse(self) -> None:
        """Stop listening and cut every connection: connecting is refused."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        self.cut_all()

    def cut_all(self) -> int:
        """Cut every open connection; returns how many were cut."""
        with self._lock:
            pairs, self._pairs = self._pairs, set()
        for pair in pairs:
            pair.close()
        return len(pairs)

    def break_next_commit(
        self, how: CommitFault, *, then_refuse: bool = False, after: bytes = b""
    ) -> threading.Event:
        """Cut the next connection that sends a COMMIT, either just after the
        server received it (it lands; the answer is lost) or instead of it
        (the server never sees it and rolls back); ``then_refuse`` also
        refuses connections from then on (nobody can ask what happened).
        ``after``: only a COMMIT of a transaction that sent these bytes (a
        table's name, say) is broken."""
        self.fault_fired.clear()
        self._marker = after
        self._fault = how
        self._refuse_after_fault = then_refuse
        return self.fault_fired

    def disarm(self) -> None:
        """Forget a fault that has not fired."""
        self._fault = None

    @property
    def refusing(self) -> bool:
        """Whether connections are refused (after :meth:`refuse`)."""
        return self._listener is None

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._pairs)

    def stop(self) -> None:
        """Stop for good."""
        self.refuse()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # refused or stopped
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            pair = _Pair(client, upstream)
            with self._lock:
                self._pairs.add(pair)
            threading.Thread(target=self._to_server, args=(pair,), daemon=True).start()
            threading.Thread(target=self._to_client, args=(pair,), daemon=True).start()

    def _to_server(self, pair: _Pair) -> None:
        while not pair.closed:
            try:
                data = pair.client.recv(CHUNK)
                if not data:
                    break
                fault = self._fault
                if self._marker and self._marker in data:
                    pair.marked = True
                if b"COMMIT" in data:
                    if fault is not None and (pair.marked or not self._marker):
                        self._fault = None
                        self._break(pair, data, fault)
                        return
                    pair.marked = False
                pair.upstream.sendall(data)
            except OSError:
                break
        self._drop(pair)

    def _to_client(self, pair: _Pair) -> None:
        while not pair.closed:
            try:
                data = pair.upstream.recv(CHUNK)
                if not data:
                    break
                if not pair.replies_held:
                    pair.client.sendall(data)
            except OSError:
                break
        self._drop(pair)

    def _break(self, pair: _Pair, data: bytes, fault: CommitFault) -> None:
        pair.replies_held = True
        if fault == "after_commit":
            with contextlib.suppress(OSError):
                pair.upstream.sendall(data)
            time.sleep(COMMIT_GRACE)
        if self._refuse_after_fault:
            self.refuse()
        self._drop(pair)
        self.fault_fired.set()

    def _drop(self, pair: _Pair) -> None:
        with self._lock:
            self._pairs.discard(pair)
        pair.close()


def main() -> None:
    """Run a proxy from the command line (for trying things by hand)."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=int, default=6432)
    parser.add_argument("--upstream", default="127.0.0.1:5432")
    args = parser.parse_args()
    host, port = args.upstream.rsplit(":", 1)
    proxy = TcpProxy((host, int(port)), args.listen).start()
    print(f"forwarding 127.0.0.1:{proxy.port} to {args.upstream}; Ctrl-C stops")
    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()


if __name__ == "__main__":
    main()
