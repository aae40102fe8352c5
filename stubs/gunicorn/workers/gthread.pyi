import selectors
import socket
from typing import Any

class TConn:
    cfg: Any
    sock: socket.socket
    client: Any
    server: Any
    parser: Any
    initialized: bool
    data_ready: bool
    def __init__(
        self, cfg: Any, sock: socket.socket, client: Any, server: Any
    ) -> None: ...
    def init(self) -> None: ...
    def close(self, graceful: bool = ...) -> None: ...

class ThreadWorker:
    cfg: Any
    log: Any
    nr_conns: int
    poller: selectors.BaseSelector
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...
    def accept(self, listener: socket.socket) -> None: ...
    def enqueue_req(self, conn: TConn) -> None: ...
    def murder_pending(self) -> None: ...
