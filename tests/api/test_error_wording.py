"""Errors that tell a person what happened and what to do, and nothing more.

From issue 21: a locked-out user is told to wait, a wrong password behind a
valid session does not sign the front end out, a code typed as the app shows
it is accepted, a form body is told it is not JSON, a refusal names the
permission it needed, a misspelt query parameter is refused, and no error
repeats what the caller sent.
"""

from __future__ import annotations

import pytest

from tests.api.helpers import (
    EMPLOYEE_PASSWORD,
    PASSWORD,
    TOTP,
    WRONG,
    bearer,
    challenge,
    hire,
    login,
    reauthenticate,
    token_of,
    turn_on_two_step,
)

MARKER = "zz-sentinel-9"


def shown_as_by_the_app(code, separator):
    return f"{code[:3]}{separator}{code[3:]}"


def test_every_wrong_sign_in_is_told_alike_to_wait_15_minutes(client, token):
    created = hire(client, token)
    client.post(
        f"/api/v1/sub-accounts/{created['id']}/deactivate",
        headers=bearer(token),
        json={},
    )
    wrong_password = login(client, password=WRONG)
    unknown_user = login(client, username="nobody.here")
    deactivated = login(client, username="anna", password=EMPLOYEE_PASSWORD)
    for _ in range(5):
        login(client, password=WRONG, ip="203.0.113.9")
    locked_out_right_password = login(client, ip="203.0.113.9")

    answers = [wrong_password, unknown_user, deactivated, locked_out_right_password]
    assert {a.status_code for a in answers} == {401}
    assert len({a.get_data() for a in answers}) == 1  # nothing to tell them apart
    detail = wrong_password.get_json()["detail"]
    assert "15 minutes" in detail
    assert wrong_password.get_json()["code"] == "invalid_credentials"


def test_a_wrong_code_at_sign_in_is_told_of_the_wait(client, token, clock):
    turn_on_two_step(client, token, clock)

    response = client.post(
        "/api/v1/sessions/challenge",
        json={"challenge_id": challenge(client), "code": "000000"},
    )

    assert (response.status_code, response.get_json()["code"]) == (401, "invalid_code")
    assert "15 minutes" in response.get_json()["detail"]


def test_a_wrong_password_on_reauthentication_is_403_and_keeps_the_session(
    client, token
):
    response = client.post(
        "/api/v1/sessions/current/reauthenticate",
        headers=bearer(token),
        json={"password": WRONG},
    )

    body = response.get_json()
    assert (response.status_code, body["code"]) == (403, "invalid_credentials")
    assert "username" not in body["detail"]  # no username was sent
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_a_wrong_code_on_reauthentication_is_403_invalid_code(client, token, clock):
    turn_on_two_step(client, token, clock)

    response = client.post(
        "/api/v1/sessions/current/reauthenticate",
        headers=bearer(token),
        json={"password": PASSWORD, "code": "000000"},
    )

    assert (response.status_code, response.get_json()["code"]) == (403, "invalid_code")
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_a_wrong_code_turning_two_step_off_is_403_invalid_code(client, token, clock):
    secret = turn_on_two_step(client, token, clock).secret
    reauthenticate(client, token, code=TOTP.code_at(secret, clock.now()))
    clock.advance(seconds=30)

    response = client.delete(
        "/api/v1/me/two-step",
        headers=bearer(token),
        json={"password": PASSWORD, "code": "000000"},
    )

    assert (response.status_code, response.get_json()["code"]) == (403, "invalid_code")
    me = client.get("/api/v1/me", headers=bearer(token)).get_json()
    assert me["two_step_enabled"] is True


@pytest.mark.parametrize("separator", [" ", "-"])
def test_a_sign_in_code_typed_as_the_app_shows_it_is_accepted(
    client, token, clock, separator
):
    secret = turn_on_two_step(client, token, clock).secret
    code = shown_as_by_the_app(TOTP.code_at(secret, clock.now()), separator)

    response = client.post(
        "/api/v1/sessions/challenge",
        json={"challenge_id": challenge(client), "code": code},
    )

    assert response.status_code == 201, response.get_json()


def test_confirming_two_step_accepts_a_grouped_code(client, token, clock):
    secret = client.post("/api/v1/me/two-step", headers=bearer(token)).get_json()[
        "secret"
    ]

    response = client.post(
        "/api/v1/me/two-step/confirm",
        headers=bearer(token),
        json={"code": shown_as_by_the_app(TOTP.code_at(secret, clock.now()), " ")},
    )

    assert response.status_code == 200
    me = client.get("/api/v1/me", headers=bearer(token)).get_json()
    assert me["two_step_enabled"] is True


def test_a_recovery_code_typed_with_spaces_still_signs_in(client, token, clock):
    codes = turn_on_two_step(client, token, clock).recovery_codes

    response = client.post(
        "/api/v1/sessions/challenge",
        json={"challenge_id": challenge(client), "code": codes[0].replace("-", " ")},
    )

    assert response.status_code == 201


def test_a_code_of_only_separators_is_a_validation_error(client, token, clock):
    turn_on_two_step(client, token, clock)

    response = client.post(
        "/api/v1/sessions/challenge",
        json={"challenge_id": challenge(client), "code": " - "},
    )

    assert (response.status_code, response.get_json()["code"]) == (
        422,
        "validation_error",
    )
    assert "code" in response.get_json()["errors"]


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "text/plain", None],
)
def test_a_body_that_is_not_json_is_415_and_says_so(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    body = "username=Shop.Two&email=two%40example.com&password=Corr3ct-Horse!Battery"

    response = client.post("/api/v1/sellers", data=body.encode(), headers=headers)

    assert (response.status_code, response.get_json()["code"]) == (
        415,
        "unsupported_media_type",
    )
    assert "application/json" in response.get_json()["detail"]
    assert "errors" not in response.get_json()  # no "Missing data" per field
    assert login(client, username="Shop.Two").status_code == 401  # nothing created


def test_a_refusal_names_the_permission_it_needed(client, token):
    response = client.get("/api/v1/audit/events", headers=bearer(token))

    body = response.get_json()
    assert (response.status_code, body["code"]) == (403, "forbidden")
    assert body["permission"] == "audit:read"
    assert "audit:read" in body["detail"]


def test_an_employee_is_told_which_permission_the_role_lacks(client, token):
    hire(client, token)
    employee = token_of(client, username="anna", password=EMPLOYEE_PASSWORD)

    response = client.get("/api/v1/sub-accounts", headers=bearer(employee))

    assert response.status_code == 403
    assert response.get_json()["permission"].startswith("sub_account")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/me?verbose=1"),
        ("GET", "/api/v1/me/logins?limt=5"),
        ("GET", "/api/v1/sub-accounts?limit=5&sort=name"),
        ("DELETE", "/api/v1/me/sessions/nope?force=1"),
        ("GET", "/api/v1/me/alerts?kind=login_locked"),
    ],
)
def test_an_unknown_query_parameter_is_refused_by_name(client, token, method, path):
    before = client.get("/api/v1/me", headers=bearer(token)).get_json()

    response = client.open(path, method=method, headers=bearer(token))

    body = response.get_json()
    assert (response.status_code, body["code"]) == (422, "validation_error")
    name = path.split("?")[1].split("&")[-1].split("=")[0]
    assert list(body["errors"]) == [name]
    assert client.get("/api/v1/me", headers=bearer(token)).get_json() == before


def test_an_unknown_query_parameter_on_a_public_operation_is_refused(client, seller):
    response = client.post(
        "/api/v1/sessions?remember=1",
        json={"username": "Shop.One", "password": PASSWORD},
    )

    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["remember"]


def test_a_stranger_with_an_unknown_parameter_is_still_401_first(client):
    response = client.get("/api/v1/me/logins?limt=5")

    assert (response.status_code, response.get_json()["code"]) == (401, "unauthorized")


def test_the_declared_query_parameters_still_work(client, token):
    response = client.get(
        "/api/v1/me/logins", headers=bearer(token), query_string={"limit": 1}
    )

    assert response.status_code == 200
    assert len(response.get_json()["items"]) == 1


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/me/logins?cursor={MARKER}",
        f"/api/v1/me/sessions?cursor={MARKER}",
        f"/api/v1/sub-accounts?cursor={MARKER}",
        f"/api/v1/me/logins?limit={MARKER}",
        f"/api/v1/me/logins?{MARKER}=1",
    ],
)
def test_no_error_echoes_what_was_sent(client, token, path):
    response = client.get(path, headers=bearer(token))

    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert all(MARKER not in message for m in errors.values() for message in m)
    assert response.get_json()["detail"] == "The request has invalid fields."


def test_a_bad_cursor_says_what_is_wrong_with_it(client, token):
    response = client.get(
        "/api/v1/me/logins", headers=bearer(token), query_string={"cursor": "garbage"}
    )

    assert response.get_json()["errors"] == {
        "cursor": ["The cursor is not one this list gave out."]
    }


def test_the_openapi_document_carries_the_new_error_tables(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]

    password = paths["/api/v1/me/password"]["post"]["responses"]
    assert "invalid_credentials" in password["403"]["description"]
    assert "415" in password
    assert (
        "15 minutes"
        in paths["/api/v1/sessions"]["post"]["responses"]["401"]["description"]
    )
    for item in paths.values():
        operations = [op for key, op in item.items() if key != "parameters"]
        for operation in operations:
            assert "422" in operation["responses"]
            if "requestBody" in operation and "application/json" in str(
                operation["requestBody"]
            ):
                assert "415" in operation["responses"]
    problem = spec["components"]["schemas"]["Problem"]["properties"]
    assert "permission" in problem
