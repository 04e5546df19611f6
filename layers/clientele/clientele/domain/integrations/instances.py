"""Integration instances (API.md §13): CRUD with If-Match; credentials in Secrets Manager, answered masked.

An instance's credentials are validated per type (every key required, no other key), kept in the
instance's own secret, and appear nowhere else: the item keeps only their masked form ("…" + the
last 4 characters), which is all an answer shows. base_url passes the outbound safety check when
saved (and again at every call, in the client).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from clientele.config import get_settings
from clientele.domain.integrations import safety
from clientele.domain.kernel import clock, cursors, ids, merge_patch
from clientele.domain.kernel.errors import (
    FieldError,
    MalformedRequest,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    UnsafeUrl,
    ValidationFailed,
)
from clientele.domain.kernel.etags import IfMatch, etag_for
from clientele.domain.kernel.fields import Text
from clientele.domain.kernel.principal import Principal
from clientele.domain.kernel.validation import read_only_errors, validate
from clientele.observability import count
from clientele.secrets import cursor_signing_key
from clientele.store.integrations import items as store
from clientele.store.integrations import secrets
from clientele.store.kernel import listing
from clientele.store.kernel.errors import ItemChanged

INSTANCE_ID = ids.id_pattern("int")
STARSHIPIT_DEFAULT_URL = "https://api.starshipit.com"
READ_ONLY = ("id", "type", "last_sync", "version", "etag", "created_at", "updated_at")
PATCHABLE = ("name", "base_url", "credentials", "settings")

# Vendor keys are printable ASCII without spaces; at least 8 characters, so the masked form
# (its last 4) never shows most of one.
type CredentialValue = Annotated[str, Text(512, pattern=r"[\x21-\x7e]{8,512}")]


class StarshipitCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    api_key: CredentialValue = Field(description="Sent as StarShipIT-Api-Key")
    subscription_key: CredentialValue = Field(description="Sent as Ocp-Apim-Subscription-Key")


class WooCommerceCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    consumer_key: CredentialValue = Field(description="The REST API key's consumer key (ck_…)")
    consumer_secret: CredentialValue = Field(description="The REST API key's consumer secret (cs_…)")


class StarshipitSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class WooCommerceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    roles: Literal["all", "customer"] = Field("all", description="Which Woo users a sync reads")
    archive_missing: StrictBool = Field(False, description="Archive linked customers a complete sync did not see")


CREDENTIALS: dict[str, type[BaseModel]] = {"starshipit": StarshipitCredentials, "woocommerce": WooCommerceCredentials}
SETTINGS: dict[str, type[BaseModel]] = {"starshipit": StarshipitSettings, "woocommerce": WooCommerceSettings}


class InstanceCreation(BaseModel):
    """Body of POST /v1/integrations."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["starshipit", "woocommerce"]
    name: Annotated[str, Text(100)]
    base_url: Annotated[StrictStr, Field(min_length=1, max_length=safety.MAX_URL_LENGTH)] | None = Field(
        None,
        description="https only; Starshipit defaults to https://api.starshipit.com, "
        "WooCommerce requires the store's root",
    )
    credentials: dict[str, Any] = Field(
        description="starshipit: {api_key, subscription_key}; woocommerce: {consumer_key, consumer_secret}; "
        "answered masked"
    )
    settings: dict[str, Any] = Field(
        default_factory=dict, description='woocommerce: {"roles": "all"|"customer", "archive_missing": bool}'
    )


class InstancePatch(BaseModel):
    """PATCH body (RFC 7396): name, base_url, credentials (each key sent is replaced), settings."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    base_url: str | None = None
    credentials: dict[str, Any] | None = None
    settings: dict[str, Any] | None = None


class InstanceListQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, Field(max_length=4096)] | None = None
    type: Literal["starshipit", "woocommerce"] | None = None


@dataclass(frozen=True)
class Connection:
    """What a vendor adapter needs to call an instance: its checked settings and its credentials."""

    instance: dict[str, Any]
    credentials: dict[str, str]


def mask(value: str) -> str:
    return "…" + value[-4:]


def view(instance: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": instance["id"],
        "type": instance["type"],
        "name": instance["name"],
        "base_url": instance["base_url"],
        "settings": instance.get("settings") or {},
        "credentials": instance.get("credential_hints") or {},
        "last_sync": instance.get("last_sync"),
        "version": instance["version"],
        "etag": etag_for(instance["id"], instance["version"]),
        "created_at": instance["created_at"],
        "updated_at": instance["updated_at"],
    }


def _checked_url(url: str) -> str:
    try:
        return safety.check(url, get_settings().allow_loopback_integrations).url
    except safety.Unresolvable as error:
        raise UnsafeUrl(f"{error}, so it can't be checked") from None


def _checked(model: type[BaseModel], value: Any, at: tuple[str, ...], found: list[FieldError]) -> dict[str, Any] | None:
    """`value` as `model` checks it, or None with its broken rules added to `found` (all reported at once)."""
    try:
        return validate(model, value, at=at).model_dump()
    except ValidationFailed as failed:
        found.extend(failed.errors)
        return None


def _url_required(instance_type: str, base_url: str | None) -> list[FieldError]:
    if base_url is None and instance_type == "woocommerce":
        return [FieldError("required", "is required for a WooCommerce store", "/base_url")]
    return []


def create(principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    errors = read_only_errors(body, [name for name in READ_ONLY if name != "type"])
    fields = validate(
        InstanceCreation, {k: v for k, v in body.items() if k not in READ_ONLY or k == "type"}, extra_errors=errors
    )
    found = _url_required(fields.type, fields.base_url)
    credentials = _checked(CREDENTIALS[fields.type], fields.credentials, ("credentials",), found)
    settings = _checked(SETTINGS[fields.type], fields.settings, ("settings",), found)
    if found or credentials is None or settings is None:
        raise ValidationFailed(found)
    url = _checked_url(fields.base_url or STARSHIPIT_DEFAULT_URL)
    now = clock.now_timestamp()
    instance_id = ids.new_id("int")
    version_id = secrets.create(principal.tenant_id, instance_id, credentials)
    instance = {
        "id": instance_id,
        "type": fields.type,
        "name": fields.name,
        "base_url": url,
        "settings": settings,
        "credential_hints": {key: mask(value) for key, value in credentials.items()},
        "secret_version": version_id,
        "last_sync": None,
        "version": 1,
        "created_by": principal.subject,
        "created_at": now,
        "updated_at": now,
    }
    try:
        store.insert(principal.tenant_id, instance)
    except Exception:
        secrets.delete(principal.tenant_id, instance_id)
        raise
    count("IntegrationsCreated")
    return view(instance)


def not_found(instance_id: str) -> NotFound:
    return NotFound(f"integration {instance_id} not found")


def load(principal: Principal, instance_id: str) -> dict[str, Any]:
    instance = store.load(principal.tenant_id, instance_id) if INSTANCE_ID.fullmatch(instance_id) else None
    if instance is None:
        raise not_found(instance_id)
    return instance


def get(principal: Principal, instance_id: str) -> dict[str, Any]:
    return view(load(principal, instance_id))


def connection(principal: Principal, instance_id: str, instance_type: str) -> Connection:
    """An instance of `instance_type` and its credentials (404 for another type's instance)."""
    instance = load(principal, instance_id)
    if instance["type"] != instance_type:
        raise NotFound(f"integration {instance_id} is not a {instance_type} integration")
    return Connection(instance, secrets.read(principal.tenant_id, instance_id, instance["secret_version"]))


def _current(principal: Principal, instance_id: str, if_match: IfMatch | None) -> dict[str, Any]:
    if if_match is None:
        raise PreconditionRequired("this write needs an If-Match header with the integration's ETag")
    current = load(principal, instance_id)
    if not if_match.matches(etag_for(instance_id, current["version"])):
        raise PreconditionFailed("If-Match does not match the integration's current ETag")
    return current


def _changed(changed: ItemChanged, instance_id: str) -> Exception:
    if changed.current is None:
        return not_found(instance_id)
    return PreconditionFailed("the integration changed since it was read; fetch it again and retry")


class _Editable(BaseModel):
    """The instance's own fields after a merge patch."""

    model_config = ConfigDict(extra="ignore")

    name: Annotated[str, Text(100)]
    base_url: Annotated[StrictStr, Field(min_length=1, max_length=safety.MAX_URL_LENGTH)] | None = None


def update(principal: Principal, instance_id: str, patch: dict[str, Any], if_match: IfMatch | None) -> dict[str, Any]:
    current = _current(principal, instance_id, if_match)
    errors = read_only_errors(patch, READ_ONLY)
    sent = {name: value for name, value in patch.items() if name not in READ_ONLY}
    validate(InstancePatch, sent, extra_errors=errors)
    merged = merge_patch.apply({"name": current["name"], "base_url": current["base_url"]}, sent)
    found: list[FieldError] = []
    editable = _checked(_Editable, merged, (), found)
    if editable is not None:
        found += _url_required(current["type"], editable["base_url"])
    credentials = None
    if sent.get("credentials") is not None:
        # Keys not sent keep their value: read the current ones only when some are kept.
        required = set(CREDENTIALS[current["type"]].model_fields)
        kept = (
            {}
            if required <= set(sent["credentials"])
            else secrets.read(principal.tenant_id, instance_id, current["secret_version"])
        )
        credentials = _checked(
            CREDENTIALS[current["type"]], merge_patch.apply(kept, sent["credentials"]), ("credentials",), found
        )
    # null settings go back to the defaults; an object merges into the current ones.
    settings = {} if "settings" in sent and sent["settings"] is None else current.get("settings") or {}
    checked_settings = _checked(
        SETTINGS[current["type"]], merge_patch.apply(settings, sent.get("settings") or {}), ("settings",), found
    )
    if found or editable is None or checked_settings is None:
        raise ValidationFailed(found)
    url = current["base_url"]
    if "base_url" in sent:
        url = _checked_url(editable["base_url"] or STARSHIPIT_DEFAULT_URL)
    after = {
        **current,
        "name": editable["name"],
        "base_url": url,
        "settings": checked_settings,
        "updated_at": clock.now_timestamp(),
        "version": current["version"] + 1,
    }
    if credentials is not None:
        after["secret_version"] = secrets.put(principal.tenant_id, instance_id, credentials)
        after["credential_hints"] = {key: mask(value) for key, value in credentials.items()}
    try:
        store.replace(principal.tenant_id, after, current["version"])
    except ItemChanged as changed:
        raise _changed(changed, instance_id) from None
    count("IntegrationsUpdated")
    return view(after)


def delete(principal: Principal, instance_id: str, if_match: IfMatch | None) -> None:
    current = _current(principal, instance_id, if_match)
    try:
        store.delete(principal.tenant_id, instance_id, current["version"])
    except ItemChanged as changed:
        raise _changed(changed, instance_id) from None
    secrets.delete(principal.tenant_id, instance_id)
    count("IntegrationsDeleted")


def list_instances(principal: Principal, query: InstanceListQuery) -> dict[str, Any]:
    """The tenant's instances newest first (one Query on a created index), optionally of one type."""
    binding = {"list": "integrations", "tenant": principal.tenant_id, "type": query.type}
    key = cursor_signing_key()
    positions: list[Any] = [None]
    if query.cursor is not None:
        positions = cursors.redeem(query.cursor, binding, key)
        if not isinstance(positions, list) or len(positions) != 1:
            raise MalformedRequest("the cursor is not one this API issued")
    page = listing.read_page(store.instances_query(principal.tenant_id, query.type), positions, query.limit)
    return {
        "data": [view(instance) for instance in page.items],
        "has_more": page.has_more,
        "next_cursor": cursors.issue(page.positions, binding, key) if page.has_more else None,
    }
