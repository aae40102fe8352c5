"""Small helpers for driving the API as a seller's browser would."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

PASSWORD = "Corr3ct-Horse!Battery"
NEW_PASSWORD = "Gr33n-Meadow!Lantern"
OWNER_IP = "198.51.100.10"
OTHER_IP = "198.51.100.20"


def register(
    client: FlaskClient, username: str = "Shop.One", password: str = PASSWORD
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/sellers",
        json={
            "username": username,
            "email": f"{username.lower()}@example.com",
            "password": password,
        },
    )
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def login(
    client: FlaskClient,
    username: str = "Shop.One",
    password: str = PASSWORD,
    *,
    ip: str = OWNER_IP,
    device_id: str | None = "laptop-1",
    device_token: str | None = None,
    user_agent: str | None = None,
) -> Any:
    body: dict[str, Any] = {"username": username, "password": password}
    if device_id:
        body["device_id"] = device_id
    if device_token:
        body["device_token"] = device_token
    headers = {"User-Agent": user_agent} if user_agent else {}
    return client.post(
        "/api/v1/sessions",
        json=body,
        headers=headers,
        environ_base={"REMOTE_ADDR": ip},
    )


def token_of(client: FlaskClient, **kwargs: Any) -> str:
    response = login(client, **kwargs)
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def reauthenticate(
    client: FlaskClient, token: str, password: str = PASSWORD, code: str | None = None
) -> None:
    """Prove the password (and code) again, as before a sensitive operation."""
    body: dict[str, Any] = {"password": password}
    if code:
        body["code"] = code
    response = client.post(
        "/api/v1/sessions/current/reauthenticate", headers=bearer(token), json=body
    )
    assert response.status_code == 200, response.get_json()
