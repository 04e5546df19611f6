"""The customer's writable fields with their rules, and how a customer is shown."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from clientele.domain.customers.addresses import AddressFields, address_view
from clientele.domain.customers.links import lifetime_totals
from clientele.domain.kernel import merge_patch
from clientele.domain.kernel.etags import etag_for
from clientele.domain.kernel.fields import (
    CustomerCode,
    EmailList,
    Metadata,
    Money,
    Password,
    Phone,
    PhoneList,
    Text,
    TimeZone,
)

Id64 = Annotated[str, Text(64)]


class CustomerFields(BaseModel):
    """Every writable field (API.md §2) with its default: what PUT replaces and PATCH merges into."""

    # cache_strings off: pydantic's string cache keeps up to 16,384 validated values alive, which
    # made an import's memory grow with the file (1.18x from 10,000 to 100,000 rows; flat without).
    model_config = ConfigDict(extra="forbid", strict=True, cache_strings=False)

    code: CustomerCode | None = None
    external_id: Annotated[str, Text(100, trimmed=True)] | None = None
    type: Literal["customer", "broker_3pl"] = "customer"
    status: Literal["active", "inactive"] = "active"
    name: Annotated[str, Text(200, trimmed=True)]
    first_name: Annotated[str, Text(100)] | None = None
    last_name: Annotated[str, Text(100)] | None = None
    company_name: Annotated[str, Text(200)] | None = None
    emails: EmailList = []
    phones: PhoneList = []
    mobile: Phone | None = None
    fax: Phone | None = None
    organization_id: Id64 | None = None
    branch: Annotated[str, Text(100)] | None = None
    tax_id: Annotated[str, Text(32)] | None = None
    tax_branch: Annotated[str, Text(32)] | None = None
    gender: Annotated[str, Text(32)] | None = None
    timezone: TimeZone | None = None
    newsletter_subscribed: StrictBool = False
    shipping_profile_id: Id64 | None = None
    pricing_tier: Id64 | None = None
    default_store: Id64 | None = None
    default_warehouse: Id64 | None = None
    default_tax_code: Id64 | None = None
    default_shipping_methods: Annotated[list[Id64], Field(max_length=20)] = []
    store_credit: Money = "0.00"
    credit_limit: Money = "0.00"
    allow_credit_limit: StrictBool = False
    hide_price: StrictBool = False
    password_expired: StrictBool = False
    metadata: Metadata = {}
    default_shipping_address_id: Id64 | None = None
    default_billing_address_id: Id64 | None = None


WRITABLE_FIELDS = tuple(CustomerFields.model_fields)
DEFAULT_ADDRESS_FIELDS = ("default_shipping_address_id", "default_billing_address_id")


class PasswordField(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    password: Password | None = None


class CustomerReplacement(CustomerFields):
    """PUT body: every writable field (omitted optional ones reset to defaults) and the write-only password."""

    password: Password | None = None


class CustomerCreation(CustomerFields):
    """POST body: the writable fields (defaults are set on PATCH/PUT), password and first addresses."""

    password: Password | None = None
    address: AddressFields | None = None
    billing_address: AddressFields | None = None


READ_ONLY_FIELDS = frozenset(
    {
        "id",
        "number",
        "archived",
        "archived_at",
        "password_set",
        "lifetime_value",
        "lifetime_values",
        "version",
        "etag",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
        "addresses",
        "default_shipping_address",
        "default_billing_address",
    }
)


def _default(name: str) -> Any:
    field = CustomerFields.model_fields[name]
    return None if field.is_required() else field.get_default(call_default_factory=True)


def customer_view(customer: dict[str, Any], addresses: list[dict[str, Any]], currency: str) -> dict[str, Any]:
    """The customer as the API shows it, with its address book embedded."""
    shipping_id = customer.get("default_shipping_address_id")
    billing_id = customer.get("default_billing_address_id")
    shown_addresses = [
        address_view(address, shipping_id, billing_id) for address in sorted(addresses, key=lambda a: a["id"])
    ]
    by_id = {address["id"]: address for address in shown_addresses}
    totals = lifetime_totals(customer)

    view: dict[str, Any] = {"id": customer["id"], "number": customer.get("number")}
    for name in WRITABLE_FIELDS:
        if name in DEFAULT_ADDRESS_FIELDS:
            continue
        view[name] = customer.get(name, _default(name))
        if name == "status":
            view["archived"] = bool(customer.get("archived", False))
            view["archived_at"] = customer.get("archived_at")
    view.update(
        {
            "password_set": customer.get("password_hash") is not None,
            "default_shipping_address_id": shipping_id,
            "default_billing_address_id": billing_id,
            "lifetime_value": totals.get(currency, "0.00"),
            "lifetime_values": totals,
            "version": customer["version"],
            "etag": etag_for(customer["id"], customer["version"]),
            "created_at": customer["created_at"],
            "updated_at": customer["updated_at"],
            "created_by": customer.get("created_by"),
            "updated_by": customer.get("updated_by"),
            "addresses": shown_addresses,
            "default_shipping_address": by_id.get(shipping_id) if shipping_id else None,
            "default_billing_address": by_id.get(billing_id) if billing_id else None,
        }
    )
    return view


if TYPE_CHECKING:
    CustomerPatch = BaseModel  # built at run time (below): to a type checker, a model
else:
    CustomerPatch = merge_patch.patch_model(
        CustomerReplacement,
        "CustomerPatch",
        "PATCH body (RFC 7396): absent keys stay, null clears (422 for name), objects merge, arrays replace.",
    )
