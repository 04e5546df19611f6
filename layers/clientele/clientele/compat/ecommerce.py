"""Vendor 001 (ecommerce admin, `/api/v4/admin/customers/{customer_id}`, COMPAT.md): its body in, its customer out.

Translation only: a 001 PUT body becomes the merge patch that
customer_merge.plan_merge applies (with `address` merged into the default
shipping address), and a customer becomes 001's `{"customer": {...}}`.
Errors stay the canonical problem details; validation pointers name 001's
fields (`/emails/0` → `/customer/email`).

Rules 001 has and the canonical API lacks live here:
- every key is optional and only sent keys change; unknown keys are ignored;
- `email` / `phone` replace only the first entry of `emails` / `phones` (null
  removes it, the next one becomes first); the others stay;
- a change of `first_name` or `last_name` sets `name` to "first last" of the
  merged values (plan_merge's `name_from_parts`; the name stays when both end up empty);
- `gender` or `sex` (gender wins when both are sent); `shipping_profile` is an
  id (a string, an integer, or the `{"id": …}` object 001 answers with);
  `newsletter` is `{"subscribed": bool}` (a bare boolean also works);
- the address keys merge into the default shipping address; a new one (made
  the default) gets the deployment's default country unless `country` is sent;
- `country` is an ISO 3166-1 code (alpha-2, any case; alpha-3 also works) or
  an English country name known to pycountry (exact, case-insensitive: "Australia",
  "United States", "Viet Nam" or "Vietnam"; no fuzzy guessing), stored as the alpha-2 code;
  `state` is stored as sent (and answered with its ISO 3166-2 name and code when it is one);
- money (`store_credit`, `credit_limit`) is a decimal string as in 001's
  document ("10", "10.5", "10.50"); a JSON number is 422, as in the canonical
  API (a binary float is not an amount), and answers always have two decimals.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import cache, lru_cache, partial
from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, ConfigDict, Field

from clientele.config import get_settings
from clientele.domain.customers.service import CustomerView
from clientele.domain.kernel.errors import FieldError, ValidationFailed
from clientele.http.types import HttpResponse

JSON = "application/json"

# 001 key of `customer` → canonical field, taken as sent.
CUSTOMER_FIELDS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "company_name": "company_name",
    "mobile": "mobile",
    "abn": "tax_id",
    "abn_branch": "tax_branch",
    "password": "password",
}
# 001 keys beside `customer` → canonical field.
TOP_LEVEL_FIELDS = {
    "store_credit": "store_credit",
    "credit_limit": "credit_limit",
    "customer_password_expired": "password_expired",
    "allow_credit_limit": "allow_credit_limit",
}
# 001 address keys of `customer` → field of the default shipping address.
ADDRESS_FIELDS = {
    "address_line": "line1",
    "city": "city",
    "state": "state",
    "post_code": "postal_code",
    "country": "country",
}
# Canonical fields whose 001 key is not one of the tables above.
_OTHER_POINTERS = {
    "name": "/customer/first_name",  # derived from first_name and last_name
    "emails": "/customer/email",
    "phones": "/customer/phone",
    "gender": "/customer/gender",
    "shipping_profile_id": "/customer/shipping_profile",
    "newsletter_subscribed": "/customer/newsletter/subscribed",
}
_CUSTOMER_NAMES = {canonical: vendor for vendor, canonical in CUSTOMER_FIELDS.items()}
_TOP_LEVEL_NAMES = {canonical: vendor for vendor, canonical in TOP_LEVEL_FIELDS.items()}
_ADDRESS_NAMES = {canonical: vendor for vendor, canonical in ADDRESS_FIELDS.items()}
# Fields of 001's customer that Clientele does not keep: always answered as null.
_NOT_KEPT = (
    "transaction_number",
    "referral_code",
    "used_referral_code",
    "count_referral_code_used",
    "how_do_you_know",
    "source",
    "base_url",
    "background_image",
    "profile_picture",
)


# ---------------------------------------------------------------- request


def new_address_defaults() -> dict[str, Any]:
    """What a default shipping address created by a 001 PUT starts from."""
    return {"country": get_settings().default_country}


@lru_cache(maxsize=1024)
def country_code(value: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country code or English name (pycountry), or None."""
    import pycountry

    text = value.strip()
    if not text or text.isdigit():
        return None
    if re.fullmatch(r"[A-Za-z]{2}", text):
        country = pycountry.countries.get(alpha_2=text.upper())
    else:
        try:
            country = pycountry.countries.lookup(text)
        except LookupError:
            country = None
    return country.alpha_2 if country is not None else None


def _replace_first(items: list[Any], value: Any) -> list[Any]:
    return list(items[1:]) if value is None else [value, *items[1:]]


def _shipping_profile(value: Any) -> Any:
    if isinstance(value, dict):  # the shape 001 answers with
        value = value.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _invalid(pointer: str, message: str, code: str = "invalid_type") -> FieldError:
    return FieldError(code, message, pointer=pointer)


def canonical_patch(body: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The merge patch (plan_merge's input, with name_from_parts) a 001 PUT body stands for, given the current customer.

    `current` is the customer's canonical representation. Raises ValidationFailed (001 pointers)
    for what only 001 defines, the shape of `customer` and `newsletter`; every value is left to
    the canonical models (a country name that names no country included), so one 422 lists them all.
    """
    errors: list[FieldError] = []
    customer = body.get("customer", {})
    if not isinstance(customer, dict):
        errors.append(_invalid("/customer", "must be an object"))
        customer = {}
    patch: dict[str, Any] = {
        canonical: customer[vendor] for vendor, canonical in CUSTOMER_FIELDS.items() if vendor in customer
    }
    if "email" in customer:
        patch["emails"] = _replace_first(current.get("emails") or [], customer["email"])
    if "phone" in customer:
        patch["phones"] = _replace_first(current.get("phones") or [], customer["phone"])
    for key in ("gender", "sex"):
        if key in customer:
            patch["gender"] = customer[key]
            break
    if "shipping_profile" in customer:
        patch["shipping_profile_id"] = _shipping_profile(customer["shipping_profile"])
    if "newsletter" in customer:
        newsletter = customer["newsletter"]
        if newsletter is None or isinstance(newsletter, bool):  # null: back to the default (not subscribed)
            patch["newsletter_subscribed"] = newsletter
        elif not isinstance(newsletter, dict):
            errors.append(_invalid("/customer/newsletter", "must be an object"))
        elif "subscribed" in newsletter:
            patch["newsletter_subscribed"] = newsletter["subscribed"]
    address = {canonical: customer[vendor] for vendor, canonical in ADDRESS_FIELDS.items() if vendor in customer}
    if isinstance(address.get("country"), str):
        # A value that names no country goes on as it is: the canonical model refuses it, with the other errors.
        address["country"] = country_code(address["country"]) or address["country"]
    # Clearing fields of an address the customer doesn't have changes nothing (and creates none).
    if current.get("default_shipping_address") is not None or any(value is not None for value in address.values()):
        patch["address"] = address
    patch.update({canonical: body[vendor] for vendor, canonical in TOP_LEVEL_FIELDS.items() if vendor in body})
    if errors:
        raise ValidationFailed(errors)
    return patch


def translator(body: dict[str, Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """canonical_patch for this body, waiting for the current customer (customer_numbers.merge)."""
    return partial(canonical_patch, body)


def vendor_pointer(pointer: str) -> str:
    """A canonical JSON Pointer as 001's ("/address/postal_code" → "/customer/post_code")."""
    parts = pointer.split("/")[1:]
    if not parts:
        return pointer
    head = parts[0]
    if head == "address":
        inner = _ADDRESS_NAMES.get(parts[1]) if len(parts) > 1 else None
        return f"/customer/{inner or 'address_line'}"
    if head in _OTHER_POINTERS:
        return _OTHER_POINTERS[head]
    if head in _CUSTOMER_NAMES:
        return f"/customer/{_CUSTOMER_NAMES[head]}"
    if head in _TOP_LEVEL_NAMES:
        return f"/{_TOP_LEVEL_NAMES[head]}"
    return pointer


_COUNTRY_MESSAGE = "must be an ISO 3166-1 alpha-2 code or an English country name"


def _vendor_error(error: FieldError) -> FieldError:
    if error.pointer is None:
        return error
    renamed = replace(error, pointer=vendor_pointer(error.pointer))
    if renamed.pointer == "/customer/country" and error.code == "invalid_country":
        renamed = replace(renamed, message=_COUNTRY_MESSAGE)
    return renamed


@contextmanager
def vendor_field_names() -> Iterator[None]:
    """Validation errors raised inside point at 001's fields; every other error goes through as it is."""
    try:
        yield
    except ValidationFailed as failed:
        raise ValidationFailed([_vendor_error(error) for error in failed.errors]) from None


# ---------------------------------------------------------------- response


@cache
def _country(code: str) -> dict[str, Any]:
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    name = (getattr(country, "common_name", None) or country.name) if country is not None else None
    return {"id": None, "name": name, "code": code}


@lru_cache(maxsize=1024)
def _state(country: str | None, state: str | None) -> dict[str, Any]:
    """The state as sent, with its ISO 3166-2 name and code when it is one of the country's subdivisions."""
    if state is None:
        return {"id": None, "name": None, "code": None}
    import pycountry

    wanted = state.strip().casefold()
    subdivisions = (pycountry.subdivisions.get(country_code=country) if country else None) or ()  # type: ignore[no-untyped-call]  # pycountry leaves Subdivisions.get() unannotated
    for subdivision in subdivisions:
        code = subdivision.code.split("-", 1)[1]
        if wanted in {code.casefold(), subdivision.code.casefold(), subdivision.name.casefold()}:
            return {"id": None, "name": subdivision.name, "code": code}
    return {"id": None, "name": state, "code": None}


def _address(address: dict[str, Any], kind: str) -> dict[str, Any]:
    return {
        "id": address["id"],
        "type": kind,
        "first_name": address.get("first_name"),
        "last_name": address.get("last_name"),
        "email": address.get("email"),
        "company_name": address.get("company_name"),
        "address_line_1": address.get("line1"),
        "address_line_2": address.get("line2"),
        "country": dict(_country(address["country"])),
        "state": dict(_state(address.get("country"), address.get("state"))),
        "city": address.get("city"),
        "post_code": address.get("postal_code"),
        "mobile": address.get("mobile"),
        "phone": address.get("phone"),
        "fax": address.get("fax"),
    }


def customer_body(view: dict[str, Any]) -> dict[str, Any]:
    """001's `{"customer": {...}}` for a customer's canonical representation (never its password)."""
    shipping, billing = view.get("default_shipping_address"), view.get("default_billing_address")
    addresses = []
    if shipping is not None:
        addresses += [_address(shipping, "PRIMARY"), _address(shipping, "SHIPPING")]
    if billing is not None:
        addresses.append(_address(billing, "BILLING"))
    emails = view.get("emails") or []
    profile = view.get("shipping_profile_id")
    customer: dict[str, Any] = {
        "id": view["number"],
        "display_id": view.get("code"),
        "status": "ACTIVE" if view["status"] == "active" else "INACTIVE",
        "first_name": view.get("first_name"),
        "last_name": view.get("last_name"),
        "email": emails[0] if emails else None,
        "sex": view.get("gender"),
        "parent": None,
        "company": bool(view.get("company_name")),
        "company_name": view.get("company_name"),
        "timezone": view.get("timezone"),
        "abn": view.get("tax_id"),
        "abn_branch": view.get("tax_branch"),
        "shipping_profile": {"id": profile} if profile is not None else None,
        "allow_credit_limit": view["allow_credit_limit"],
        "store_credit": view["store_credit"],
        "credit_limit": view["credit_limit"],
        "customer_password_expired": view["password_expired"],
        "hide_price": view["hide_price"],
        "default_tax_code": view.get("default_tax_code"),
        "created_at": view["created_at"],
        "version": view["version"],
        "addresses": addresses,
        "active_billing_address": view.get("default_billing_address_id"),
        "active_shipping_address": view.get("default_shipping_address_id"),
        "is_in_trash": bool(view.get("archived")),
    }
    customer.update(dict.fromkeys(_NOT_KEPT))
    return {"customer": {key: customer[key] for key in RESPONSE_KEYS}}


def customer_response(view: CustomerView) -> HttpResponse:
    """200 with 001's customer and the canonical ETag header."""
    return Response(status_code=200, content_type=JSON, body=customer_body(view.body), headers={"ETag": view.etag})


# ---------------------------------------------------------------- documentation models


class EcommerceNewsletter(BaseModel):
    subscribed: bool | None = None


class EcommerceCustomerChanges(BaseModel):
    """`customer` of a 001 PUT: every key optional, only sent keys change, unknown keys are ignored."""

    model_config = ConfigDict(extra="allow")

    first_name: str | None = None
    last_name: str | None = None
    shipping_profile: str | int | None = Field(None, description="A shipping profile id")
    gender: str | None = None
    sex: str | None = Field(None, description="Same as gender (gender wins when both are sent)")
    email: str | None = Field(None, description="Replaces the first email; the others stay")
    company_name: str | None = None
    address_line: str | None = Field(None, description="The default shipping address (created when missing)")
    country: str | None = Field(None, description='ISO 3166-1 alpha-2 code or English name ("AU", "Australia")')
    state: str | None = Field(None, description="Stored as sent")
    post_code: str | None = None
    city: str | None = None
    mobile: str | None = None
    phone: str | None = Field(None, description="Replaces the first phone; the others stay")
    abn: str | None = None
    abn_branch: str | None = None
    newsletter: EcommerceNewsletter | None = None
    password: str | None = Field(None, description="Write-only, 8-128 characters; never answered")


class EcommerceCustomerUpdate(BaseModel):
    """The 001 PUT body."""

    model_config = ConfigDict(extra="allow")

    customer: EcommerceCustomerChanges | None = None
    store_credit: str | None = Field(None, description='A decimal string ("10.50"); JSON numbers are 422')
    credit_limit: str | None = Field(None, description='A decimal string ("1000.00"); JSON numbers are 422')
    customer_password_expired: bool | None = None
    allow_credit_limit: bool | None = None


class EcommerceCountry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: None
    name: str | None
    code: str


class EcommerceState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: None
    name: str | None
    code: str | None


class EcommerceAddress(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    type: str = Field(description="PRIMARY and SHIPPING: the default shipping address; BILLING: the default billing")
    first_name: str | None
    last_name: str | None
    email: str | None
    company_name: str | None
    address_line_1: str
    address_line_2: str | None
    country: EcommerceCountry
    state: EcommerceState
    city: str | None
    post_code: str | None
    mobile: str | None
    phone: str | None
    fax: str | None


class EcommerceCustomer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int = Field(description="The customer's number")
    display_id: str | None = Field(description="The customer's code")
    status: str = Field(description="ACTIVE or INACTIVE")
    first_name: str | None
    last_name: str | None
    email: str | None = Field(description="The first email")
    sex: str | None
    parent: None
    company: bool
    company_name: str | None
    timezone: str | None
    abn: str | None
    abn_branch: str | None
    shipping_profile: dict[str, str] | None
    transaction_number: None
    referral_code: None
    used_referral_code: None
    count_referral_code_used: None
    allow_credit_limit: bool
    store_credit: str
    credit_limit: str
    how_do_you_know: None
    customer_password_expired: bool
    hide_price: bool
    default_tax_code: str | None
    source: None
    base_url: None
    background_image: None
    profile_picture: None
    created_at: str
    version: int
    addresses: list[EcommerceAddress]
    active_billing_address: str | None
    active_shipping_address: str | None
    is_in_trash: bool = Field(description="The customer is archived")


class EcommerceCustomerResponse(BaseModel):
    """What GET and PUT answer."""

    model_config = ConfigDict(extra="forbid")

    customer: EcommerceCustomer


RESPONSE_KEYS = tuple(EcommerceCustomer.model_fields)
