"""`sellerguard serve` alone follows the log: it extends the Merkle tree and signs."""

from __future__ import annotations

import time

from infrastructure.tree_store import open_tree_store
from tests.e2e_helpers import call, running_server, settings_env

PASSWORD = "Corr3ct-Horse!Battery"


def test_serve_alone_signs_a_checkpoint_over_new_events_within_seconds(settings):
    env = settings_env(settings.data_dir, settings.database_url)
    store = open_tree_store(settings)
    try:
        with running_server(env) as base:
            status, _, _ = call(
                "POST",
                f"{base}/api/v1/sellers",
                {
                    "username": "Solo.Shop",
                    "email": "s@example.com",
                    "password": PASSWORD,
                },
            )
            assert status == 201
            head = store.rows(0, 2**62, 100_000)[-1][0]
            deadline = time.monotonic() + 15
            while (store.last_checkpoint() or _Never).position < head:
                assert time.monotonic() < deadline, "serve signed no checkpoint"
                time.sleep(0.1)
    finally:
        store.close()


class _Never:
    position = -1
