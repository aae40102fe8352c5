"""What the served OpenAPI document says beyond the views: operation ids, examples.

Both are set here, in one apispec plugin, rather than on each view: an
operation's id is derived from its view's name (``register_seller`` becomes
``registerSeller``), so client generators name methods after what they do,
not after paths; and each JSON request body carries an example a caller can
send as it is (``tests/api/test_openapi.py`` checks it against the schema).
"""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin

# Views whose name alone says too little once it leaves its blueprint.
RENAMED = {
    "me.me": "getMe",
    "me.freeze": "freezeOwnAccount",
    "sessions.reauthenticate": "reauthenticateSession",
    "sub_accounts.roles": "listRoles",
    "sub_accounts.deactivate": "deactivateSubAccount",
    "sub_accounts.reactivate": "reactivateSubAccount",
    "sub_accounts.authz_check": "checkAuthorization",
    "block_lists.check": "checkBuyer",
    "block_lists.override": "overrideBlock",
    "block_lists.blocking_access": "setBlockingAccess",
    "health.healthz": "checkLiveness",
    "health.readyz": "checkReadiness",
    "recovery.decide": "decideRecoveryCase",
    "recovery.reset": "resetRecoveredAccount",
    "recovery.unfreeze": "unfreezeSeller",
    "store_health.inspection": "inspectStore",
    "store_health.invite": "invitePortfolioStore",
    "store_health.link": "linkPortfolioStore",
    "store_health.unlink": "unlinkPortfolioStore",
}
# A GET view named after what it returns gets a verb in front.
READ_VERBS = ("get", "list", "view", "download", "verify", "check")

PASSWORD = "Tr4vel-Mug!Orbit"  # noqa: S105 - an example in the docs
SELLER_ID = "3f1c2a9e-5b7d-4e8f-9a01-2b3c4d5e6f70"
REQUEST_EXAMPLES: dict[str, dict[str, Any]] = {
    "registerSeller": {
        "username": "shop.owner",
        "email": "owner@example.com",
        "password": PASSWORD,
    },
    "createSession": {
        "username": "shop.owner",
        "password": PASSWORD,
        "device_id": "front-desk-laptop",
    },
    "answerChallenge": {
        "challenge_id": "9c0f6f4e8f0a4b5c8d7e6f5a4b3c2d1e",
        "code": "528 181",
    },
    "reauthenticateSession": {"password": PASSWORD, "code": "528181"},
    "changePassword": {
        "current_password": PASSWORD,
        "new_password": "Quiet-Lantern#Meadow7",
    },
    "disableTwoStep": {"password": PASSWORD, "code": "528181"},
    "confirmTwoStep": {"code": "528181"},
    "freezeOwnAccount": {"reason": "I think someone else signed in as me."},
    "changePayoutAccount": {
        "holder_name": "Example Shop Ltd",
        "bank_code": "DEUTDEFF",
        "account_number": "DE89370400440532013000",
    },
    "cancelBySupport": {"reason": "The owner called: the change was not theirs."},
    "createSubAccount": {
        "username": "shop.packer",
        "email": "packer@example.com",
        "role": "order_fulfilment_specialist",
        "password": "Paper-Crane!Harbor42",
    },
    "changeRole": {"role": "customer_service_agent"},
    "setPolicies": {"sub_accounts_require_two_step": True},
    "acceptInvitation": {
        "token": "sgi1.3f1c2a9e5b7d4e8f9a012b3c4d5e6f70.8d3e.kQ2v",
        "password": PASSWORD,
    },
    "deactivateSubAccount": {"reason": "Left the company."},
    "blockBuyer": {
        "buyer": "buyer_4711",
        "reason": "malicious_refund",
        "scope": "this_id",
        "duration": "90d",
        "note": "Third refund claim for a delivered parcel.",
    },
    "linkBuyers": {"linked": ["buyer_4712", "buyer_4713"]},
    "overrideBlock": {"reason": "The buyer's refunds were found genuine."},
    "setBlockingAccess": {"granted": False, "reason": "Blocks used against reviewers."},
    "requestRecovery": {
        "username": "shop.owner",
        "contact_email": "owner.backup@example.com",
        "description": "My password and phone were changed by someone else.",
    },
    "openCase": {
        "account_id": SELLER_ID,
        "reason": "Takeover reported by phone; identity to be checked.",
        "contact_email": "owner.backup@example.com",
    },
    "dismissRequest": {
        "reason": "No shop has this name; the caller was told how to find theirs.",
    },
    "decideRecoveryCase": {
        "decision": "approve",
        "note": "Passport and registration match the account.",
    },
    "objectToCase": {
        "objection_token": "obj_3kT9qZ7wV1yX5aB2",
        "note": "I did not ask for this; my account is fine.",
    },
    "resetRecoveredAccount": {
        "reset_token": "rst_8hJ2mN4pQ6rS0tU1",
        "new_password": "Quiet-Lantern#Meadow7",
    },
    "unfreezeSeller": {"reason": "The owner confirmed the sign-ins were theirs."},
    "receiveSignal": {
        "signal_id": "sig-2026-000017",
        "seller_id": SELLER_ID,
        "subject_kind": "order",
        "subject_id": "order-88172",
        "order_id": "order-88172",
        "verdict": "high_risk",
        "category": "fraudulent_order",
        "buyer": "buyer_4711",
        "detail": "Card used in three countries within an hour.",
        "occurred_at": "2026-11-22T15:04:05Z",
    },
    "decideOrder": {"decision": "cancel", "note": "Address does not exist."},
    "decideRefund": {"decision": "reject", "note": "Tracking shows delivery."},
    "linkPortfolioStore": {"code": "PF-7Q2M-9XK4"},
    "passkeySignInOptions": {"username": "shop.owner"},
    "signInWithPasskey": {
        "challenge_id": "5b9e0c7a2d4f4e1b9a8c7d6e5f4a3b2c",
        "credential": {
            "id": "hK3v9Qm2Lx8",
            "rawId": "hK3v9Qm2Lx8",
            "type": "public-key",
            "response": {
                "clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0",
                "authenticatorData": "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MF",
                "signature": "MEUCIQDx9k",
                "userHandle": "c2hvcC5vd25lcg",
            },
        },
        "device_id": "front-desk-laptop",
    },
    "registerPasskey": {
        "challenge_id": "5b9e0c7a2d4f4e1b9a8c7d6e5f4a3b2c",
        "name": "Office security key",
        "credential": {
            "id": "hK3v9Qm2Lx8",
            "rawId": "hK3v9Qm2Lx8",
            "type": "public-key",
            "response": {
                "clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIn0",
                "attestationObject": "o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YVjF",
            },
        },
    },
    "renamePasskey": {"name": "Phone (Android)"},
}


class DuplicateOperationIdError(ValueError):
    """Two operations would share an id."""


class OperationDocs(BasePlugin):
    """An apispec plugin: an ``operationId`` for every operation, and examples."""

    def __init__(self) -> None:
        self.taken: dict[str, str] = {}  # operation id -> endpoint and method
        # (endpoint, METHOD) -> operation id, for metrics labels and logs.
        self.operation_ids: dict[tuple[str, str], str] = {}

    def operation_helper(
        self,
        path: str | None = None,
        operations: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        for method, operation in operations.items():
            operation_id = self._unique(operation_id_of(rule.endpoint, method), rule)
            operation["operationId"] = operation_id
            self.operation_ids[rule.endpoint, method.upper()] = operation_id
            body = operation.get("requestBody", {}).get("content", {})
            example = REQUEST_EXAMPLES.get(operation_id)
            if example is not None and "application/json" in body:
                body["application/json"]["example"] = example

    def _unique(self, operation_id: str, rule: Any) -> str:
        """The id, or, when another blueprint took it, the id with its area."""
        where = f"{rule.endpoint} {rule.rule}"
        if self.taken.setdefault(operation_id, where) == where:
            return operation_id
        area = _camel(rule.endpoint.split(".")[0])
        qualified = area + operation_id[0].upper() + operation_id[1:]
        if self.taken.setdefault(qualified, where) != where:
            raise DuplicateOperationIdError(qualified)
        return qualified


def operation_id_of(endpoint: str, method: str) -> str:
    """``sellers.register_seller`` -> ``registerSeller``; GET ``me.logins`` ->
    ``getLogins``."""
    if endpoint in RENAMED:
        return RENAMED[endpoint]
    view = endpoint.rsplit(".", 1)[-1]
    if method.lower() == "get" and not view.startswith(READ_VERBS):
        view = f"get_{view}"
    return _camel(view)


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(word.capitalize() for word in rest)
