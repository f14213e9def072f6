"""Who is acting: a signed-in user, an integration, or the system itself (workers, sweeper)."""

from __future__ import annotations

from dataclasses import dataclass

from factcheck.models import ROLES, User


@dataclass(frozen=True)
class Actor:
    label: str
    role: str
    """One of ROLES, ``integration`` or ``system``."""
    user: User | None = None

    @property
    def user_id(self) -> str | None:
        return self.user.id if self.user is not None else None

    @property
    def is_system(self) -> bool:
        return self.role == "system"

    def has_role(self, role: str) -> bool:
        """True for this role or a more powerful person role; integrations and system never."""
        if self.role not in ROLES:
            return False
        return ROLES.index(self.role) >= ROLES.index(role)

    @classmethod
    def for_user(cls, user: User) -> Actor:
        return cls(label=user.email, role=user.role, user=user)


SYSTEM = Actor(label="system", role="system")
