"""Turning a chosen password into a stored hash, once the policy accepts it."""

from __future__ import annotations

from application.ports import PasswordHasher
from domain.errors import SellerGuardError
from domain.password_policy import PasswordContext, PasswordPolicy, Violation


class PasswordRejectedError(SellerGuardError):
    """The password breaks one or more rules of the policy."""

    code = "password_policy"

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__(", ".join(v.code for v in violations))
        self.violations = violations


class Credentials:
    """Checks new passwords against the policy and hashes the accepted ones."""

    def __init__(self, policy: PasswordPolicy, hasher: PasswordHasher) -> None:
        self.policy = policy
        self.hasher = hasher

    def hash_new_password(self, password: str, context: PasswordContext) -> str:
        """The hash of an acceptable new password; every violation otherwise."""
        violations = self.policy.violations(password, context)
        if violations:
            raise PasswordRejectedError(violations)
        return self.hasher.hash(password)
