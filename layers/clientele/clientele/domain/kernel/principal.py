"""Who is calling: the tenant, the role's reach, and (for organization-scoped roles) the organization."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


def job_principal(tenant: str, job: dict[str, Any]) -> Principal:
    """Whose view of the customers a job acts with: its creator's role and organization."""
    scope = job.get("scope") or {}
    return Principal(
        tenant_id=tenant,
        subject=job.get("created_by"),
        role=scope.get("role"),
        organization_id=scope.get("organization_id"),
    )
