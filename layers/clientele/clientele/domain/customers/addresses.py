"""Address-book entries: their fields, how they are shown, and when two are the same address."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict

from clientele.domain.kernel import merge_patch
from clientele.domain.kernel.fields import Country, Email, Phone, PostalCode, Text

ADDRESS_READ_ONLY = frozenset(
    {"id", "customer_id", "is_default_shipping", "is_default_billing", "created_at", "updated_at"}
)
ADDRESS_FIELDS = (
    "label",
    "first_name",
    "last_name",
    "company_name",
    "line1",
    "line2",
    "city",
    "state",
    "postal_code",
    "country",
    "email",
    "phone",
    "mobile",
    "fax",
)


class AddressFields(BaseModel):
    """The writable fields of an address (line1 and country required)."""

    model_config = ConfigDict(extra="forbid", strict=True, cache_strings=False)  # see CustomerFields

    label: Annotated[str, Text(64)] | None = None
    first_name: Annotated[str, Text(100)] | None = None
    last_name: Annotated[str, Text(100)] | None = None
    company_name: Annotated[str, Text(200)] | None = None
    line1: Annotated[str, Text(200, trimmed=True)]
    line2: Annotated[str, Text(200)] | None = None
    city: Annotated[str, Text(100)] | None = None
    state: Annotated[str, Text(100)] | None = None
    postal_code: PostalCode | None = None
    country: Country
    email: Email | None = None
    phone: Phone | None = None
    mobile: Phone | None = None
    fax: Phone | None = None


if TYPE_CHECKING:
    AddressPatch = BaseModel  # built at run time (below): to a type checker, a model
else:
    AddressPatch = merge_patch.patch_model(
        AddressFields, "AddressPatch", "Address PATCH body (RFC 7396); line1 and country can't be cleared."
    )


def new_address(fields: AddressFields, address_id: str, customer_id: str, now: str) -> dict[str, Any]:
    return {"id": address_id, "customer_id": customer_id, **fields.model_dump(), "created_at": now, "updated_at": now}


def address_view(
    address: dict[str, Any], default_shipping_id: str | None, default_billing_id: str | None
) -> dict[str, Any]:
    view = {"id": address["id"], "customer_id": address["customer_id"]}
    view.update({name: address.get(name) for name in ADDRESS_FIELDS})
    view["is_default_shipping"] = address["id"] == default_shipping_id
    view["is_default_billing"] = address["id"] == default_billing_id
    view["created_at"] = address["created_at"]
    view["updated_at"] = address["updated_at"]
    return view


# Common abbreviations compared as one word (both spellings map to the short one).
_ABBREVIATIONS = {
    "street": "st",
    "avenue": "ave",
    "road": "rd",
    "suite": "ste",
    "boulevard": "blvd",
    "drive": "dr",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "apartment": "apt",
    "highway": "hwy",
    "parkway": "pkwy",
    "square": "sq",
    "terrace": "ter",
    "floor": "fl",
    "building": "bldg",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "mount": "mt",
    "crescent": "cres",
    "circuit": "cct",
    "close": "cl",
}


_APOSTROPHES = "'\u2019"


def address_words(value: str | None) -> str:
    if not value:
        return ""
    # Punctuation separates words ("St.,Suite" is two words, "5/123" is not "5123"); apostrophes join them.
    kept = "".join(
        "" if char in _APOSTROPHES else " " if char.isspace() or unicodedata.category(char).startswith("P") else char
        for char in value.casefold()
    )
    return " ".join(_ABBREVIATIONS.get(word, word) for word in kept.split())


def address_fingerprint(address: dict[str, Any]) -> tuple[str, ...]:
    """Two addresses with the same fingerprint are the same place (labels, names and contacts aside)."""
    postal = "".join((address.get("postal_code") or "").upper().split())
    return (
        address_words(address.get("line1")),
        address_words(address.get("line2")),
        address_words(address.get("city")),
        address_words(address.get("state")),
        postal,
        address.get("country") or "",
    )
