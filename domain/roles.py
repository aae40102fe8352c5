"""Who may do what: the marketplace's roles as one permission matrix.

Every endpoint of the product, and every other service through
``/authz/check``, asks this matrix; nothing checks a role by name.
A permission is ``<module>:<action>`` with action ``view`` or ``manage``, or
one of the product's own permissions below.
"""

from __future__ import annotations

from enum import StrEnum


class Module(StrEnum):
    """The seller centre's modules."""

    PRODUCTS = "products"
    ORDERS = "orders"
    FINANCE = "finance"
    MARKETING = "marketing"
    AFFILIATE = "affiliate"
    ADVERTISING = "advertising"
    CUSTOMER_SERVICE = "customer_service"
    BLOCK_LIST = "block_list"
    ACCOUNT_SECURITY = "account_security"
    SUB_ACCOUNT_MANAGEMENT = "sub_account_management"
    SENSITIVE_SHOP_INFORMATION = "sensitive_shop_information"
    # The Security Center: what was stopped, and the flagged orders and refunds.
    SECURITY_CENTER = "security_center"
    RISK_ORDERS = "risk_orders"
    RISK_REFUNDS = "risk_refunds"


class Role(StrEnum):
    """The marketplace's sub-account roles."""

    MAIN_ADMINISTRATOR = "main_administrator"
    AFFILIATE_MANAGER = "affiliate_manager"
    FINANCE_SPECIALIST = "finance_specialist"
    ADVERTISING_MANAGER = "advertising_manager"
    MARKETING_SPECIALIST = "marketing_specialist"
    CUSTOMER_SERVICE_AGENT = "customer_service_agent"
    ORDER_FULFILMENT_SPECIALIST = "order_fulfilment_specialist"
    PRODUCT_MANAGEMENT_SPECIALIST = "product_management_specialist"


class StaffRole(StrEnum):
    """The platform's own people."""

    SUPPORT_AGENT = "support_agent"
    AUDITOR = "auditor"
    PLATFORM_ADMIN = "platform_admin"


# Every person manages their own password, two-step and sessions.
OWN_ACCOUNT = "own_account"
ACTIONS = ("view", "manage")
SERVICE_SCOPES = (
    "blocklist:check",
    "authz:check",
    "payout:read",
    "risk:write",
    "risk:read",
    "audit:witness",
    "metrics:read",
)


def permission(name: Module, action: str) -> str:
    """One permission: an action (``view`` or ``manage``) on a module."""
    return f"{name}:{action}"


def module(name: Module, *actions: str) -> frozenset[str]:
    """The permissions on one module (both actions unless named)."""
    return frozenset(permission(name, action) for action in actions or ACTIONS)


def modules(*names: Module) -> frozenset[str]:
    """Full permissions on several modules."""
    return frozenset().union(*(module(name) for name in names))


SELLER_PERMISSIONS = modules(*Module) | {OWN_ACCOUNT}

ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    # Everything but managing sub-accounts and sensitive shop information.
    Role.MAIN_ADMINISTRATOR: modules(
        *(
            m
            for m in Module
            if m
            not in (Module.SUB_ACCOUNT_MANAGEMENT, Module.SENSITIVE_SHOP_INFORMATION)
        )
    ),
    Role.AFFILIATE_MANAGER: modules(Module.AFFILIATE),
    Role.FINANCE_SPECIALIST: modules(Module.FINANCE),
    Role.ADVERTISING_MANAGER: modules(Module.ADVERTISING),
    Role.MARKETING_SPECIALIST: modules(Module.MARKETING),
    # Customer service sees whom the shop blocks, to answer buyers.
    # Customer service handles after-sales, so it decides on risk refunds too.
    Role.CUSTOMER_SERVICE_AGENT: modules(Module.CUSTOMER_SERVICE, Module.RISK_REFUNDS)
    | module(Module.BLOCK_LIST, "view"),
    # Orders, returns and refunds are order fulfilment's work.
    Role.ORDER_FULFILMENT_SPECIALIST: modules(
        Module.ORDERS, Module.RISK_ORDERS, Module.RISK_REFUNDS
    ),
    Role.PRODUCT_MANAGEMENT_SPECIALIST: modules(Module.PRODUCTS),
}

STAFF_PERMISSIONS: dict[StaffRole, frozenset[str]] = {
    StaffRole.SUPPORT_AGENT: frozenset(
        {
            "recovery:manage",
            "accounts:lookup",
            "accounts:unfreeze",
            "payouts:cancel",
            "blocklist:override",
            "blocklist:check",
        }
    ),
    StaffRole.AUDITOR: frozenset(
        {"audit:read", "audit:witness", "accounts:lookup", "blocklist:check"}
    ),
    StaffRole.PLATFORM_ADMIN: frozenset(
        {
            "platform:links",
            "platform:blocking_access",
            # Who works on the platform and which services hold keys: listed
            # for the admins who answer for them (created at the command line).
            "platform:staff",
            "platform:service_keys",
            "blocklist:override",
            "blocklist:check",
        }
    ),
}


def role_permissions(role: Role) -> frozenset[str]:
    """What a sub-account of this role may do (its own account included)."""
    return ROLE_PERMISSIONS[role] | {OWN_ACCOUNT}


def staff_permissions(role: StaffRole) -> frozenset[str]:
    """What a staff member of this role may do (their own account included)."""
    return STAFF_PERMISSIONS[role] | {OWN_ACCOUNT}


def seller_side_permissions() -> list[str]:
    """Every permission a shop can grant, as ``/roles`` and ``/authz/check`` name."""
    return sorted(SELLER_PERMISSIONS)
