"""Every endpoint, as every principal, gets exactly the status in one table.

A later endpoint adds a row here, not a test.
"""

from __future__ import annotations

import pytest

from domain.roles import Role, StaffRole
from tests.api.principals import cast_of_principals, staff_token

ROLES = tuple(r.value for r in Role)
STAFF = tuple(r.value for r in StaffRole)
SELLERS = ("seller", "other_seller")
PEOPLE = SELLERS + ROLES + STAFF
SERVICES = ("service", "service_without_scope")
EVERYONE = ("anonymous", *PEOPLE, *SERVICES, "risk_service")


def only(allowed: dict[tuple[str, ...] | str, int]) -> dict[str, int]:
    """Statuses: the listed principals as given, others 403, anonymous 401."""
    table = dict.fromkeys(EVERYONE, 403)
    table["anonymous"] = 401
    for who, status in allowed.items():
        for principal in (who,) if isinstance(who, str) else who:
            table[principal] = status
    return table


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(EVERYONE, status)


SUB = "/api/v1/sub-accounts/{finance_specialist}"
CHECK = "/api/v1/authz/check?principal_id={finance_specialist}&permission=finance:view"
BLOCK_CHECK = "/api/v1/sellers/{seller}/blocklist/check?buyer=b1&action=place_order"
# How the concrete paths above name the operations of the OpenAPI document.
NO_CASE = "00000000-0000-4000-8000-000000000000"
CASE = f"/api/v1/recovery-cases/{NO_CASE}"
RISK_ORDER = f"/api/v1/security-center/risk-orders/{NO_CASE}"
RISK_REFUND = f"/api/v1/security-center/risk-refunds/{NO_CASE}"
NO_PASSKEY = "00000000-0000-4000-8000-00000000000b"
PASSKEY = f"/api/v1/me/passkeys/{NO_PASSKEY}"
SHOP_ADMINS = (*SELLERS, "main_administrator")
RISK_REFUND_STAFF = ("order_fulfilment_specialist", "customer_service_agent")
NO_STORE = "00000000-0000-4000-8000-000000000001"
NO_SUB = "/api/v1/sub-accounts/00000000-0000-4000-8000-000000000002"
SPEC_PATHS = [
    (f"recovery-requests/{NO_CASE}", "recovery-requests/{request_id}"),
    (NO_SUB, "/api/v1/sub-accounts/{sub_account_id}"),
    (NO_STORE, "{store_id}"),
    (f"risk-orders/{NO_CASE}", "risk-orders/{item_id}"),
    (f"risk-refunds/{NO_CASE}", "risk-refunds/{item_id}"),
    ("{finance_specialist}", "{sub_account_id}"),
    ("{seller}", "{seller_id}"),
    ("no-such-session", "{session_id}"),
    (NO_PASSKEY, "{passkey_id}"),
    ("/nobody", "/{buyer}"),
    ("/b1/", "/{buyer}/"),
    (NO_CASE, "{case_id}"),
    ("/aggregates/{seller_id}", "/aggregates/{aggregate_id}"),
    ("/documents/doc1", "/documents/{document_id}"),
]

# (method, path, JSON body, expected status by principal). Bodies are chosen so
# that an admitted principal gets a distinctive answer and changes nothing.
MATRIX = [
    ("GET", "/healthz", None, everyone(200)),
    ("GET", "/metrics", None, only({})),  # service keys with metrics:read only
    ("POST", "/api/v1/sellers", {}, everyone(422)),
    ("POST", "/api/v1/sessions", {}, everyone(422)),
    ("POST", "/api/v1/sessions/challenge", {}, everyone(422)),
    ("POST", "/api/v1/sessions/passkey/options", {"username": ""}, everyone(422)),
    ("POST", "/api/v1/sessions/passkey", {}, everyone(422)),
    ("POST", "/api/v1/sessions/current/reauthenticate", {}, only({PEOPLE: 422})),
    (
        "POST",
        "/api/v1/sessions/current/reauthenticate/options",
        None,
        only({PEOPLE: 200}),
    ),
    ("GET", "/api/v1/me", None, only({PEOPLE: 200})),
    ("POST", "/api/v1/me/password", {}, only({PEOPLE: 422})),
    ("POST", "/api/v1/me/two-step/confirm", {}, only({PEOPLE: 422})),
    ("DELETE", "/api/v1/me/two-step", {}, only({PEOPLE: 422})),
    ("GET", "/api/v1/me/logins", None, only({PEOPLE: 200})),
    ("GET", "/api/v1/me/sessions", None, only({PEOPLE: 200})),
    ("DELETE", "/api/v1/me/sessions/no-such-session", None, only({PEOPLE: 404})),
    ("GET", "/api/v1/me/alerts", None, only({SELLERS: 200})),
    ("POST", "/api/v1/me/passkeys/options", None, only({PEOPLE: 200})),
    ("POST", "/api/v1/me/passkeys", {}, only({PEOPLE: 422})),
    ("GET", "/api/v1/me/passkeys", None, only({PEOPLE: 200})),
    ("PATCH", PASSKEY, {"name": "x"}, only({PEOPLE: 404})),
    ("DELETE", PASSKEY, None, only({PEOPLE: 404})),
    (
        "POST",
        "/api/v1/me/two-step/recovery-codes",
        None,
        only({SELLERS: 409, ROLES: 409, STAFF: 200}),
    ),
    ("POST", "/api/v1/me/freeze", {}, only({SELLERS: 422})),
    ("POST", "/api/v1/sub-accounts", {}, only({SELLERS: 422})),
    ("GET", "/api/v1/sub-accounts", None, only({SELLERS: 200})),
    ("GET", SUB, None, only({"seller": 200, "other_seller": 404})),
    ("PATCH", SUB, {"role": "no_such_role"}, only({SELLERS: 422})),
    ("POST", SUB + "/reactivate", None, only({"seller": 409, "other_seller": 404})),
    ("POST", SUB + "/deactivate", {"reason": 7}, only({SELLERS: 422})),
    ("POST", SUB + "/invitation", None, only({"seller": 409, "other_seller": 404})),
    ("DELETE", SUB + "/invitation", None, only({"seller": 409, "other_seller": 404})),
    ("POST", NO_SUB + "/reset-password", None, only({SELLERS: 404})),
    ("POST", NO_SUB + "/reset-two-step", None, only({SELLERS: 404})),
    ("GET", "/api/v1/me/policies", None, only({SELLERS: 200})),
    ("PUT", "/api/v1/me/policies", {}, only({SELLERS: 422})),
    ("POST", "/api/v1/invitations/accept", {}, everyone(422)),
    ("GET", "/api/v1/roles", None, only({PEOPLE: 200})),
    ("GET", CHECK, None, only({"service": 200})),
    (
        "GET",
        "/api/v1/blocklist",
        None,
        only({SELLERS: 200, "main_administrator": 200, "customer_service_agent": 200}),
    ),
    ("POST", "/api/v1/blocklist", {}, only({SELLERS: 422, "main_administrator": 422})),
    (
        "DELETE",
        "/api/v1/blocklist/nobody",
        None,
        only({SELLERS: 404, "main_administrator": 404}),
    ),
    ("GET", BLOCK_CHECK, None, only({SERVICES: 200, STAFF: 200})),
    ("POST", "/api/v1/platform/buyers/b1/links", {}, only({"platform_admin": 422})),
    (
        "POST",
        "/api/v1/platform/sellers/{seller}/blocklist/b1/override",
        {},
        only({("support_agent", "platform_admin"): 422}),
    ),
    (
        "POST",
        "/api/v1/platform/sellers/{seller}/blocking-access",
        {},
        only({"platform_admin": 422}),
    ),
    ("GET", "/api/v1/platform/staff", None, only({"platform_admin": 200})),
    ("GET", "/api/v1/platform/service-keys", None, only({"platform_admin": 200})),
    ("POST", "/api/v1/recovery-requests", {}, everyone(422)),
    ("GET", "/api/v1/recovery-requests", None, only({"support_agent": 200})),
    (
        "POST",
        f"/api/v1/recovery-requests/{NO_CASE}/dismiss",
        {},
        only({"support_agent": 422}),
    ),
    ("POST", "/api/v1/recovery-cases", {}, only({"support_agent": 422})),
    ("GET", "/api/v1/recovery-cases", None, only({"support_agent": 200})),
    ("GET", CASE, None, only({"support_agent": 404})),
    # Uploads take the case's upload token, which no principal's token is.
    ("POST", CASE + "/documents", None, everyone(401)),
    ("GET", CASE + "/documents/doc1", None, only({"support_agent": 404})),
    ("POST", CASE + "/decision", {}, only({"support_agent": 422})),
    ("POST", CASE + "/reset", {}, everyone(422)),
    ("POST", CASE + "/objection", {}, everyone(422)),
    ("GET", "/api/v1/me/payout-account", None, only({SELLERS: 200})),
    ("PUT", "/api/v1/me/payout-account", {}, only({SELLERS: 422})),
    ("DELETE", "/api/v1/me/payout-account/pending", None, only({SELLERS: 404})),
    (
        "POST",
        "/api/v1/platform/sellers/{seller}/payout-account/pending/cancel",
        {},
        only({"support_agent": 422}),
    ),
    ("GET", "/api/v1/sellers/{seller}/payout-account", None, only({"service": 200})),
    (
        "POST",
        "/api/v1/platform/sellers/{seller}/unfreeze",
        {},
        only({"support_agent": 422}),
    ),
    ("POST", "/api/v1/platform/risk-signals", {}, only({"risk_service": 422})),
    ("GET", "/api/v1/security-center/dashboard", None, only({SHOP_ADMINS: 200})),
    ("GET", "/api/v1/security-center/intercepted", None, only({SHOP_ADMINS: 200})),
    (
        "GET",
        "/api/v1/security-center/risk-orders",
        None,
        only({SHOP_ADMINS: 200, "order_fulfilment_specialist": 200}),
    ),
    (
        "POST",
        RISK_ORDER + "/decision",
        {},
        only({SHOP_ADMINS: 422, "order_fulfilment_specialist": 422}),
    ),
    (
        "GET",
        "/api/v1/security-center/risk-refunds",
        None,
        only({SHOP_ADMINS: 200, RISK_REFUND_STAFF: 200}),
    ),
    (
        "POST",
        RISK_REFUND + "/decision",
        {"decision": "reject"},
        only({SHOP_ADMINS: 404, RISK_REFUND_STAFF: 404}),
    ),
    (
        "GET",
        "/api/v1/platform/sellers/{seller}/risk-decisions",
        None,
        only({"risk_service": 200}),
    ),
    ("GET", "/api/v1/me/inspection", None, only({SHOP_ADMINS: 200})),
    ("POST", "/api/v1/me/portfolio/invitations", None, only({SELLERS: 201})),
    ("POST", "/api/v1/me/portfolio/links", {}, only({SELLERS: 422})),
    (
        "DELETE",
        f"/api/v1/me/portfolio/links/{NO_STORE}",
        None,
        only({SELLERS: 404}),
    ),
    ("GET", "/api/v1/me/portfolio/inspection", None, only({SELLERS: 200})),
    ("GET", "/api/v1/audit/integrity", None, only({"auditor": 200})),
    ("GET", "/api/v1/audit/checkpoints", None, only({"auditor": 200})),
    ("GET", "/api/v1/audit/public-key", None, only({"auditor": 200})),
    # Nothing is signed in this store yet: an admitted caller is told so.
    ("GET", "/api/v1/audit/checkpoint", None, only({"auditor": 404})),
    ("GET", "/api/v1/audit/proofs/inclusion?position=1", None, only({"auditor": 404})),
    ("GET", "/api/v1/audit/proofs/consistency?from=1", None, only({"auditor": 404})),
    ("GET", "/api/v1/audit/events", None, only({"auditor": 200})),
    ("GET", "/api/v1/audit/event-types", None, only({"auditor": 200})),
    ("GET", "/api/v1/audit/export?format=jsonl", None, only({"auditor": 200})),
    (
        "GET",
        "/api/v1/accounts?username=Shop.One",
        None,
        only({("support_agent", "auditor"): 200}),
    ),
    ("GET", "/api/v1/audit/aggregates/{seller}/events", None, only({"auditor": 200})),
    ("GET", "/api/v1/audit/aggregates/{seller}/state", None, only({"auditor": 200})),
    # Last: it ends each caller's session.
    ("DELETE", "/api/v1/sessions/current", None, only({PEOPLE: 204})),
]


def spec_path(path: str) -> str:
    path = path.split("?")[0]
    for concrete, template in SPEC_PATHS:
        path = path.replace(concrete, template)
    return path


@pytest.fixture
def cast(client, services, clock):
    return cast_of_principals(client, services, clock)


def test_every_endpoint_answers_every_principal_as_the_table_says(client, cast):
    failures = []
    for method, path, body, expected in MATRIX:
        url = path.format(**cast.ids)
        for n, principal in enumerate(EVERYONE):
            # Each principal calls from an address of its own, as in real life
            # (the per-address limits of the anonymous endpoints stay apart).
            response = client.open(
                url,
                method=method,
                json=body,
                headers=cast.headers[principal],
                environ_base={"REMOTE_ADDR": f"198.51.100.{100 + n}"},
            )
            if response.status_code != expected[principal]:
                failures.append(
                    f"{method} {path} as {principal}: "
                    f"{response.status_code}, expected "
                    f"{expected[principal]}"
                )

    assert failures == []


def test_the_matrix_covers_every_operation_of_the_api(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if method != "parameters"
    }
    covered = {(m, spec_path(p)) for m, p, _, _ in MATRIX}

    # Starting enrolment is covered by the staff test below (it changes state).
    missing = (
        documented - covered - {("POST", "/api/v1/me/two-step"), ("GET", "/readyz")}
    )
    assert missing == set()


def test_staff_without_two_step_may_only_enrol_it(client, services, clock):
    token = staff_token(
        client, services, clock, StaffRole.SUPPORT_AGENT, two_step=False
    )
    headers = {"Authorization": f"Bearer {token}"}

    refused = client.get("/api/v1/roles", headers=headers)
    enrol = client.post("/api/v1/me/two-step", headers=headers)

    assert (refused.status_code, refused.get_json()["code"]) == (
        403,
        "two_step_required",
    )
    assert enrol.status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 200
