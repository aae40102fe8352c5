"""Login names: their accepted shape and the form under which they are unique."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from uuid import UUID, uuid5

from domain.errors import SellerGuardError

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{2,31}")


class UsernameError(SellerGuardError, ValueError):
    """A login name that does not have the accepted shape."""

    code = "validation_error"
    field = "username"


@dataclass(frozen=True)
class Username:
    """A login name: 3 to 32 ASCII letters, digits, dots, dashes or underscores.

    ASCII only, so that look-alike letters from other scripts cannot pass for
    someone else's name. Letter case is kept for display but ignored for
    uniqueness: ``Shop.One`` and ``shop.one`` are the same login.
    """

    value: str

    def __post_init__(self) -> None:
        if not USERNAME_PATTERN.fullmatch(self.value):
            msg = (
                "a username is 3 to 32 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
            raise UsernameError(msg)

    @property
    def normalised(self) -> str:
        """The form under which login names are unique."""
        return unicodedata.normalize("NFKC", self.value).casefold()

    def index_id(self, namespace: UUID) -> UUID:
        """The id of this name's index entry; the namespace is kept secret."""
        return uuid5(namespace, self.normalised)
