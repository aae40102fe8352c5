"""What the fault and load tests share: a fresh store, a free port on loopback,
and a keep-alive HTTP client that says how a broken connection failed."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from infrastructure.scratch_schema import scratch_schema, store_url

Answer = tuple[int, Any]


@contextlib.contextmanager
def fresh_store(
    store: str, postgres_url: str, prefix: str, **settings: str
) -> Iterator[dict[str, str]]:
    """The environment of a fresh store; a PostgreSQL schema is dropped afterwards.

    ``settings`` are extra ``SELLERGUARD_*`` variables, given without the prefix.
    """
    with tempfile.TemporaryDirectory(prefix=f"sg-{prefix}-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SELLERGUARD_")}
        env["SELLERGUARD_DATA_DIR"] = str(Path(tmp) / "var")
        env.update({f"SELLERGUARD_{name}": value for name, value in settings.items()})
        with contextlib.ExitStack() as stack:
            if store == "postgres":
                schema = stack.enter_context(
                    scratch_schema(postgres_url, f"sg_{prefix}")
                )
                env["SELLERGUARD_DATABASE_URL"] = store_url(postgres_url, schema)
            yield env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Http:
    """One keep-alive connection to 127.0.0.1; a broken one is dropped and made anew."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port = port
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer | str:
        """Status and JSON body, or how the connection failed: "refused" (the
        request never reached a server) or "cut off" (it may have been handled).
        """
        headers = {"Content-Type": "application/json", **(headers or {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body)
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=self.timeout
                )
            self.connection.request(method, path, data, headers)
            response = self.connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            return "refused" if isinstance(error, ConnectionRefusedError) else "cut off"
        return response.status, json.loads(raw) if raw else None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
