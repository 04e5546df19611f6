"""Who is calling: the tenant, the role's reach, and (for organization-scoped roles) the organization."""

from __future__ import annotations

from dataclasses import dataclass

TENANT_WIDE_ROLES = frozenset({"admin", "manager"})


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    subject: str | None
    role: str | None
    # Set exactly when the role is organization-scoped: every read and write is limited to it.
    organization_id: str | None

    @property
    def organization_scoped(self) -> bool:
        return self.organization_id is not None

    def can_see(self, organization_id: str | None) -> bool:
        return not self.organization_scoped or organization_id == self.organization_id
