"""What the API answers, as pydantic models: the responses of the OpenAPI document.

The domain builds plain dicts; these models describe them exactly, and the
tests (and schemathesis, against the local runner) hold every answer to them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class GatewayMessage(BaseModel):
    """What API Gateway itself answers (401 Unauthorized, 403 Forbidden, 404 Not Found)."""

    message: str


class FieldErrorOut(BaseModel):
    pointer: str | None = Field(None, description="JSON Pointer into the request body")
    parameter: str | None = Field(None, description="The query parameter at fault")
    code: str
    message: str


class ConflictOut(BaseModel):
    field: str
    existing_id: str | None


class Problem(BaseModel):
    """RFC 9457 problem details (`application/problem+json`)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str
    errors: list[FieldErrorOut] | None = None
    errors_truncated: bool | None = None
    conflict: ConflictOut | None = None
    links: dict[str, int] | None = None


class ShipToOut(BaseModel):
    """An address's own fields; as an order's `ship_to`, a snapshot taken when the order was created
    (later address-book changes don't alter it)."""

    label: str | None
    first_name: str | None
    last_name: str | None
    company_name: str | None
    line1: str
    line2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str
    email: str | None
    phone: str | None
    mobile: str | None
    fax: str | None


class AddressOut(ShipToOut):
    """An address-book entry: the address's fields and the entry's own."""

    id: str
    customer_id: str
    is_default_shipping: bool
    is_default_billing: bool
    created_at: str
    updated_at: str
    deduplicated: bool | None = Field(None, description="Present (true) when the same place was already there")


class AddressList(BaseModel):
    data: list[AddressOut]


class _CustomerColumns(BaseModel):
    id: str
    number: int | None
    code: str | None
    external_id: str | None
    type: Literal["customer", "broker_3pl"]
    status: Literal["active", "inactive"]
    archived: bool
    archived_at: str | None
    name: str
    first_name: str | None
    last_name: str | None
    company_name: str | None
    emails: list[str]
    phones: list[str]
    mobile: str | None
    fax: str | None
    organization_id: str | None
    branch: str | None
    tax_id: str | None
    tax_branch: str | None
    gender: str | None
    timezone: str | None
    newsletter_subscribed: bool
    shipping_profile_id: str | None
    pricing_tier: str | None
    default_store: str | None
    default_warehouse: str | None
    default_tax_code: str | None
    default_shipping_methods: list[str]
    store_credit: str
    credit_limit: str
    allow_credit_limit: bool
    hide_price: bool
    password_set: bool
    password_expired: bool
    metadata: dict[str, str]
    default_shipping_address_id: str | None
    default_billing_address_id: str | None
    lifetime_value: str
    lifetime_values: dict[str, str]
    version: int
    etag: str
    created_at: str
    updated_at: str
    created_by: str | None
    updated_by: str | None


class CustomerOut(_CustomerColumns):
    """A customer with its address book embedded."""

    addresses: list[AddressOut]
    default_shipping_address: AddressOut | None
    default_billing_address: AddressOut | None


class CustomerListItem(BaseModel):
    """A list item: the customer's columns (all of them, or those `fields`/`exclude` keep; `id` always)."""

    id: str
    number: int | None = None
    code: str | None = None
    external_id: str | None = None
    type: Literal["customer", "broker_3pl"] | None = None
    status: Literal["active", "inactive"] | None = None
    archived: bool | None = None
    archived_at: str | None = None
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    emails: list[str] | None = None
    phones: list[str] | None = None
    mobile: str | None = None
    fax: str | None = None
    organization_id: str | None = None
    branch: str | None = None
    tax_id: str | None = None
    tax_branch: str | None = None
    gender: str | None = None
    timezone: str | None = None
    newsletter_subscribed: bool | None = None
    shipping_profile_id: str | None = None
    pricing_tier: str | None = None
    default_store: str | None = None
    default_warehouse: str | None = None
    default_tax_code: str | None = None
    default_shipping_methods: list[str] | None = None
    store_credit: str | None = None
    credit_limit: str | None = None
    allow_credit_limit: bool | None = None
    hide_price: bool | None = None
    password_set: bool | None = None
    password_expired: bool | None = None
    metadata: dict[str, str] | None = None
    default_shipping_address_id: str | None = None
    default_billing_address_id: str | None = None
    lifetime_value: str | None = None
    lifetime_values: dict[str, str] | None = None
    version: int | None = None
    etag: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    created_by: str | None = None
    updated_by: str | None = None


class CustomerPage(BaseModel):
    data: list[CustomerListItem]
    has_more: bool
    next_cursor: str | None = Field(description="Null exactly when has_more is false")
    sort: str | None = Field(
        None, description='"relevance" with q (identifier matches, then name words; `sort` is ignored)'
    )
    total: int | None = Field(None, description="The number of matches, with include_total=true")
    total_exact: bool | None = Field(
        None,
        description="With include_total=true: false when counting stopped at its budget (time or calls) "
        "before the end, and `total` is a lower bound",
    )


class BulkResult(BaseModel):
    id: str
    outcome: Literal["deleted", "archived", "unarchived", "not_found", "linked_records", "failed"]
    detail: str | None


class BulkResults(BaseModel):
    results: list[BulkResult]


class DeletableResult(BaseModel):
    id: str
    deletable: bool
    reasons: list[Literal["has_sales_orders", "has_sales_credits", "not_found"]]


class DeletableResults(BaseModel):
    results: list[DeletableResult]


class MatchedCustomer(BaseModel):
    id: str
    code: str | None
    name: str
    status: Literal["active", "inactive"]


class Match(BaseModel):
    customer: MatchedCustomer
    address_id: str
    score: float = Field(ge=0, le=1)
    matched_on: list[Literal["postal_code", "line1", "name"]]


class Matches(BaseModel):
    matches: list[Match]


class JobError(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str
    message: str


class JobOut(BaseModel):
    id: str
    type: str
    status: Literal["awaiting_upload", "queued", "running", "succeeded", "completed_with_errors", "failed"]
    filter: dict[str, Any] | None
    counts: dict[str, int]
    progress: float = Field(ge=0, le=1)
    errors_sample: list[JobError]
    error: JobError | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    progressed_at: str | None = Field(description="When the job last made progress: its start, each chunk, its end")


class ImportCounts(BaseModel):
    rows: int
    created: int
    updated: int
    unchanged: int = Field(description="Rows that match what is stored already: nothing written")
    skipped: int
    failed: int


class RowErrorOut(BaseModel):
    row: int = Field(description="1-based data row (the header not counted)")
    line: int = Field(description="The file line where the record starts")
    column: str = Field(description="The file's header name; empty when the error is about the whole row")
    code: str
    message: str


class UploadOut(BaseModel):
    url: str = Field(description="Presigned S3 URL: PUT the CSV file here")
    method: Literal["PUT"]
    headers: dict[str, str]
    expires_at: str


class ImportJobOut(BaseModel):
    id: str
    type: Literal["customer_import", "sku_mapping_import"]
    status: Literal["awaiting_upload", "queued", "running", "succeeded", "completed_with_errors", "failed"]
    mode: Literal["preview", "commit"]
    on_conflict: Literal["update", "skip", "error"]
    customer_id: str | None
    filename: str | None
    source: Literal["upload", "drop"]
    source_job_id: str | None
    counts: ImportCounts
    progress: float = Field(ge=0, le=1)
    warnings: list[dict[str, str]]
    errors_sample: list[RowErrorOut]
    preview_rows: list[dict[str, Any]]
    error: JobError | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    progressed_at: str | None = Field(description="When the job last made progress: its start, each chunk, its end")
    upload: UploadOut | None = Field(default=None, description="Only in the answer to POST /v1/imports")


class JobPage(BaseModel):
    data: list[ImportJobOut | JobOut]
    has_more: bool
    next_cursor: str | None = Field(description="Null exactly when has_more is false")


class JobErrorPage(BaseModel):
    data: list[RowErrorOut | JobError]
    has_more: bool
    next_cursor: str | None = Field(description="Null exactly when has_more is false")


class SkuMappingOut(BaseModel):
    id: str
    customer_id: str
    customer_sku: str = Field(description="The customer's own SKU, exactly as sent (case-sensitive)")
    product_id: str
    created_at: str
    updated_at: str


class SkuMappingPage(BaseModel):
    data: list[SkuMappingOut]
    has_more: bool
    next_cursor: str | None = Field(description="Null exactly when has_more is false")


class FieldChangeOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: Any = Field(alias="from", description="The value before this version (null: unset)")
    to: Any = Field(description="The value in this version (null: unset)")


class HistoryEntryOut(BaseModel):
    version: int = Field(description="The customer version; a hard delete is one past the last version")
    action: Literal["created", "updated", "archived", "unarchived", "deleted"]
    at: str
    by: str | None = Field(description="Subject of the token that wrote this version (null for a hard delete)")
    changes: dict[str, FieldChangeOut] = Field(
        description="Changed fields; the address book as `addresses` (address ids), the password only as `password_set`"
    )


class HistoryPage(BaseModel):
    data: list[HistoryEntryOut]
    has_more: bool
    next_cursor: str | None = Field(description="Null exactly when has_more is false")


class DownloadLink(BaseModel):
    """Where to fetch a file too large to answer inline (also the Location header)."""

    url: str = Field(description="Presigned GET URL")
    expires_at: str


class Health(BaseModel):
    status: Literal["ok", "unavailable"]


class OrderLineOut(BaseModel):
    id: str
    sku: str | None
    customer_sku: str | None
    product_id: str | None = Field(description="From the customer's SKU mapping when customer_sku was given")
    description: str
    quantity: int
    unit_price: str
    weight_kg: str | None
    fulfilled_quantity: int


class PaymentOut(BaseModel):
    type: Literal["credit"]
    allocation_id: str
    credit_id: str
    amount: str
    created_at: str


class CustomerSnapshotOut(BaseModel):
    code: str | None
    name: str | None


class SalesOrderOut(BaseModel):
    id: str
    customer_id: str
    number: str
    order_date: str
    currency: str
    total: str
    status: Literal["open", "cancelled"]
    payment_status: Literal["unpaid", "partially_paid", "paid"]
    amount_paid: str
    balance: str
    payments: list[PaymentOut]
    customer_snapshot: CustomerSnapshotOut = Field(description="The customer's code and name at creation")
    lines: list[OrderLineOut]
    ship_to: ShipToOut | None
    shipping_method: str | None
    fulfillment_status: Literal["unfulfilled", "partially_fulfilled", "fulfilled"]
    created_at: str
    updated_at: str


class SalesOrderPage(BaseModel):
    data: list[SalesOrderOut]
    has_more: bool
    next_cursor: str | None = Field(description="Null exactly when has_more is false")


class SalesCreditOut(BaseModel):
    id: str
    customer_id: str
    currency: str
    amount: str
    allocated: str
    remaining: str
    payment_status: Literal["open", "partially_paid", "paid"]
    reason: str | None
    created_at: str


class SalesCreditPage(BaseModel):
    data: list[SalesCreditOut]
    has_more: bool
    next_cursor: str | None = Field(description="Null exactly when has_more is false")


class AllocationOut(BaseModel):
    id: str
    credit_id: str
    order_id: str
    amount: str
    created_at: str


class AllocationResult(BaseModel):
    allocations: list[AllocationOut]
    credit: SalesCreditOut
    orders: list[SalesOrderOut]


class UnallocationResult(BaseModel):
    credit: SalesCreditOut
    order: SalesOrderOut


class FulfillmentLineOut(BaseModel):
    line_id: str
    sku: str | None
    product_id: str | None
    description: str
    quantity: int
    unit_price: str
    weight_kg: str | None


class PackageOut(BaseModel):
    weight_kg: str | None
    length_m: str | None
    width_m: str | None
    height_m: str | None


class StarshipitLinkOut(BaseModel):
    integration_id: str
    order_id: int | str
    order_number: str
    submitted_at: str
    updated_at: str | None


class FulfillmentOut(BaseModel):
    id: str
    order_id: str
    order_number: str
    customer_id: str
    status: Literal["pending", "submitted", "cancelled"]
    lines: list[FulfillmentLineOut]
    packages: list[PackageOut]
    carrier: str | None
    service_code: str | None
    reference: str | None
    ship_to: ShipToOut | None
    starshipit: StarshipitLinkOut | None = Field(description="The Starshipit order it made (API.md §13), or null")
    version: int
    etag: str
    created_at: str
    updated_at: str


class WarningOut(BaseModel):
    code: str
    message: str


class CancelledFulfillmentOut(FulfillmentOut):
    warnings: list[WarningOut] = Field(description="e.g. a submitted fulfillment's Starshipit order is kept")


class FulfillmentPage(BaseModel):
    data: list[FulfillmentOut]
    has_more: bool
    next_cursor: str | None = Field(description="Null exactly when has_more is false")


class LastSyncOut(BaseModel):
    job_id: str
    status: str
    finished_at: str | None


class IntegrationOut(BaseModel):
    id: str
    type: Literal["starshipit", "woocommerce"]
    name: str
    base_url: str
    settings: dict[str, Any] = Field(description='woocommerce: {"roles", "archive_missing"}; starshipit: {}')
    credentials: dict[str, str] = Field(description='Masked: each value as "…" + its last 4 characters')
    last_sync: LastSyncOut | None = Field(description="WooCommerce: the last finished sync, or null")
    version: int
    etag: str
    created_at: str
    updated_at: str


class IntegrationPage(BaseModel):
    data: list[IntegrationOut]
    has_more: bool
    next_cursor: str | None = Field(description="Null exactly when has_more is false")


class WooCustomerOut(BaseModel):
    woo_id: int
    email: str | None
    first_name: str | None
    last_name: str | None
    username: str | None
    role: str | None
    billing: dict[str, Any] | None
    shipping: dict[str, Any] | None
    date_modified: str | None
    customer_id: str | None = Field(
        description="The linked Clientele customer (external_id woo:{integration_id}:{woo_id})"
    )


class WooCustomerPage(BaseModel):
    data: list[WooCustomerOut]
    page: int
    per_page: int
    total: int | None = Field(description="X-WP-Total")
    total_pages: int | None = Field(description="X-WP-TotalPages")
