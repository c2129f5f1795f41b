"""The caller of a request and the roles an account can hold."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """An account's role; the values are the ones stored in `users.role`."""

    BUYER = "buyer"
    SELLER = "seller"
    ADMIN = "admin"


ANY_ROLE: tuple[Role, ...] = tuple(Role)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request."""

    id: str
    role: Role
    jti: str
    exp: int

    @property
    def is_admin(self) -> bool:
        """Admins may see and act on what belongs to others."""
        return self.role is Role.ADMIN
