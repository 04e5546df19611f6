"""One validated settings model, read from the environment once per process."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    table_name: str = Field(min_length=1)
    import_bucket: str | None = None
    import_queue_url: str | None = None
    # SSM parameter holding "true"/"false"; unset means writes are always on.
    writes_switch_parameter: str | None = None
    # Where bulk-operation jobs are queued for the job worker.
    jobs_queue_url: str | None = None
    # The stack's EventBridge bus, where the change stream function puts change events (API.md §14).
    event_bus_name: str | None = None
    # Deliveries before a job message goes to the dead-letter queue (the queue's maxReceiveCount).
    jobs_max_receives: int = Field(default=5, ge=1)
    # Seconds a worker keeps the message it runs invisible, renewed every third of it while it runs:
    # a worker that dies lets go of its message within this (the queues' own visibility is hours).
    worker_lease_seconds: int = Field(default=60, ge=1, le=900)
    writes_switch_cache_seconds: int = Field(default=30, ge=0, le=30)
    default_country: str = "US"
    default_currency: str = "USD"
    max_body_bytes: int = 1024 * 1024
    idempotency_ttl_seconds: int = 24 * 60 * 60

    # Integration instances (API.md §13): each instance's credentials are one Secrets Manager secret
    # named with this prefix (the functions' IAM policies are scoped to it).
    integration_secret_prefix: str = "clientele/integrations/"
    # Lets integrations call loopback addresses over http or https (local fakes). The local runner
    # turns it on; the template never does.
    allow_loopback_integrations: bool = False

    # Key that signs list cursors: the secret's ARN in AWS, or the value itself locally.
    cursor_secret_arn: str | None = None
    cursor_secret: str | None = None

    # Claim names the functions read from the JWT authorizer's claims.
    tenant_claim: str = "tenant_id"
    role_claim: str = "role"
    organization_claim: str = "organization_id"

    # Set by `sam local start-api`, which does not run the HTTP API JWT
    # authorizer: only then do the functions verify the bearer token themselves.
    aws_sam_local: bool = False
    local_jwt_secret: str = "clientele-local-secret"
    local_jwt_issuer: str = "clientele-local"
    local_jwt_audience: str = "clientele"

    # Lambda sets AWS_LAMBDA_FUNCTION_NAME; tracing needs it, X-Ray's daemon, and no opt-out.
    aws_lambda_function_name: str | None = None
    powertools_trace_disabled: bool = False

    @property
    def tracing_enabled(self) -> bool:
        return bool(self.aws_lambda_function_name) and not self.powertools_trace_disabled and not self.aws_sam_local

    @classmethod
    def from_environ(cls, environ: dict[str, str]) -> Settings:
        """Each field reads the upper-cased variable of the same name."""
        values = {name: environ[name.upper()] for name in cls.model_fields if name.upper() in environ}
        return cls.model_validate(values)


@cache
def get_settings() -> Settings:
    return Settings.from_environ(dict(os.environ))
