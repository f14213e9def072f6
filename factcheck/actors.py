"""Who is acting: a signed-in user, an integration, or the system itself (workers, sweeper)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from factcheck.models import ROLES


class Person(Protocol):
    """A signed-in user as the code that acts needs them: a ``User`` row or a ``TokenOwner``."""

    @property
    def id(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def role(self) -> str: ...


@dataclass(frozen=True)
class Actor:
    label: str
    role: str
    """One of ROLES, ``integration`` or ``system``."""
    user_id: str | None = None
    """The acting user's id; None for integrations and the system."""

    @property
    def is_system(self) -> bool:
        return self.role == "system"

    def has_role(self, role: str) -> bool:
        """True for this role or a more powerful person role; integrations and system never."""
        if self.role not in ROLES:
            return False
        return ROLES.index(self.role) >= ROLES.index(role)

    @classmethod
    def for_user(cls, user: Person) -> Actor:
        return cls(label=user.email, role=user.role, user_id=user.id)


SYSTEM = Actor(label="system", role="system")
