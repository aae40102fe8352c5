"""Small helpers for driving the API as a seller's browser would."""

from __future__ import annotations

from typing import Any, NamedTuple

from flask.testing import FlaskClient

from infrastructure.totp import Totp

PASSWORD = "Corr3ct-Horse!Battery"
NEW_PASSWORD = "Gr33n-Meadow!Lantern"
EMPLOYEE_PASSWORD = "Bl0ssom-Tide!Harbor"
WRONG = "Wrong-Pass-1!x"
OWNER_IP = "198.51.100.10"
OTHER_IP = "198.51.100.20"
TOTP = Totp()


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


class TwoStep(NamedTuple):
    """What turning two-step on hands the person: the secret and the codes."""

    secret: str
    recovery_codes: list[str]


def turn_on_two_step(client: FlaskClient, token: str, clock: Any) -> TwoStep:
    """Enrol and confirm two-step with the authenticator app's code; the
    clock then moves past the step whose code was spent."""
    two_step = enrol_two_step(client, token, clock)
    clock.advance(seconds=30)
    return two_step


def enrol_two_step(client: FlaskClient, token: str, clock: Any) -> TwoStep:
    """Enrol and confirm two-step now (the confirming code's step is spent)."""
    secret = client.post("/api/v1/me/two-step", headers=bearer(token)).get_json()[
        "secret"
    ]
    confirmed = client.post(
        "/api/v1/me/two-step/confirm",
        headers=bearer(token),
        json={"code": TOTP.code_at(secret, clock.now())},
    )
    assert confirmed.status_code == 200, confirmed.get_json()
    return TwoStep(secret, confirmed.get_json()["recovery_codes"])


def challenge(
    client: FlaskClient, ip: str = OWNER_IP, device_id: str | None = None
) -> str:
    """The second-step challenge of the owner's sign-in (two-step on)."""
    response = login(client, ip=ip, device_id=device_id)
    assert response.status_code == 202, response.get_json()
    return str(response.get_json()["challenge_id"])


def answer(
    client: FlaskClient, challenge_id: str, code: str, ip: str = OWNER_IP
) -> Any:
    """Answer a sign-in's challenge with a code."""
    return client.post(
        "/api/v1/sessions/challenge",
        json={"challenge_id": challenge_id, "code": code},
        environ_base={"REMOTE_ADDR": ip},
    )


def hire(
    client: FlaskClient,
    token: str,
    username: str = "anna",
    role: str = "finance_specialist",
    password: str | None = EMPLOYEE_PASSWORD,
) -> dict[str, Any]:
    """The owner creates an employee's account, with a password, or (None)
    inviting the employee to choose one."""
    body = {"username": username, "email": f"{username}@example.com", "role": role}
    if password is not None:
        body["password"] = password
    response = client.post("/api/v1/sub-accounts", headers=bearer(token), json=body)
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())
