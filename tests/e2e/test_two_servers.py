"""Two server processes writing to one database: the block caps still hold."""

from __future__ import annotations

import threading

from tests.e2e_helpers import call, running_server, settings_env

PASSWORD = "Corr3ct-Horse!Battery"


def test_twenty_blocks_across_two_servers_let_exactly_ten_through(postgres_settings):
    env = settings_env(postgres_settings.data_dir, postgres_settings.database_url)
    with running_server(env) as first, running_server(env) as second:
        call(
            "POST",
            f"{first}/api/v1/sellers",
            {"username": "Race.Shop", "email": "r@example.com", "password": PASSWORD},
        )
        status, _, grant = call(
            "POST",
            f"{second}/api/v1/sessions",
            {"username": "Race.Shop", "password": PASSWORD},
        )
        assert status == 201
        headers = {"Authorization": f"Bearer {grant['token']}"}
        outcomes: list[tuple[int, str | None]] = []
        start = threading.Barrier(20)

        def attempt(n: int) -> None:
            base = (first, second)[n % 2]
            start.wait()
            status, _, body = call(
                "POST",
                f"{base}/api/v1/blocklist",
                {
                    "buyer": f"racer{n}",
                    "reason": "fake_review",
                    "scope": "this_id",
                    "duration": "90d",
                },
                headers,
            )
            outcomes.append((status, (body or {}).get("code")))

        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        _, _, listed = call("GET", f"{first}/api/v1/blocklist", headers=headers)

    assert outcomes.count((201, None)) == 10
    assert outcomes.count((422, "daily_block_limit_reached")) == 10
    assert listed["active_count"] == 10
