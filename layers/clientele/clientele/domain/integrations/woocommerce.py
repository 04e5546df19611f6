"""WooCommerce REST API v3 customers (API.md §13): the adapter and the live customers page.

Auth as WooCommerce requires it: over https, HTTP Basic with the consumer key and secret; over
http (loopback only, see safety) one-legged OAuth 1.0a, HMAC-SHA256 with a timestamp and nonce,
signed into the query string by oauthlib. Pages are always read in id order (orderby=id): name
order has ties that drift between pages.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from clientele.domain.integrations import client, instances
from clientele.domain.kernel.clock import Deadline
from clientele.domain.kernel.errors import IntegrationUnavailable
from clientele.domain.kernel.principal import Principal
from clientele.store.customers import items as customer_store

API_PATH = "/wp-json/wc/v3"
CUSTOMER_FIELDS = ("email", "first_name", "last_name", "username", "role", "billing", "shipping")


class WooCustomersQuery(BaseModel):
    """Query parameters of GET /v1/integrations/{id}/woocommerce/customers."""

    model_config = ConfigDict(extra="ignore")

    page: Annotated[int, Field(ge=1, le=100_000)] = 1
    per_page: Annotated[int, Field(ge=1, le=100)] = 20
    search: Annotated[StrictStr, Field(min_length=1, max_length=100)] | None = None


def external_id(instance_id: str, woo_id: int) -> str:
    """The external_id of the Clientele customer linked to a Woo customer."""
    return f"woo:{instance_id}:{woo_id}"


def words(body: Any) -> list[dict[str, str | None]]:
    """Woo's error body {"code", "message", "data": {"status"}} as [{"message", "details"}]."""
    if isinstance(body, dict) and ("message" in body or "code" in body):
        return [{"message": body.get("message"), "details": body.get("code")}]
    return []


def _signer(consumer_key: str, consumer_secret: str) -> client.Signer:
    from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, SIGNATURE_TYPE_QUERY
    from oauthlib.oauth1 import Client as OAuthClient

    oauth = OAuthClient(
        consumer_key,
        client_secret=consumer_secret,
        signature_method=SIGNATURE_HMAC_SHA256,
        signature_type=SIGNATURE_TYPE_QUERY,
    )

    def sign(method: client.Method, url: str) -> str:
        signed_url, _, _ = oauth.sign(url, http_method=method)
        return str(signed_url)

    return sign


def request(connection: instances.Connection, path: str, query: list[tuple[str, str]]) -> client.Call:
    """A GET of the store's API, authenticated as WooCommerce wants for the URL's scheme."""
    instance, credentials = connection.instance, connection.credentials
    key, secret = credentials["consumer_key"], credentials["consumer_secret"]
    over_https = instance["base_url"].startswith("https://")
    return client.Call(
        instance_id=instance["id"],
        method="GET",
        base_url=instance["base_url"],
        path=API_PATH + path,
        query=query,
        auth=(key, secret) if over_https else None,
        signer=None if over_https else _signer(key, secret),
    )


def _count(headers: Any, name: str) -> int | None:
    value = headers.get(name)
    return int(value) if isinstance(value, str) and value.strip().isdigit() else None


def customers_page(
    connection: instances.Connection, page: int, per_page: int, search: str | None, deadline: Deadline
) -> tuple[list[dict[str, Any]], int | None, int | None]:
    """One page of the store's customers in id order, with X-WP-Total and X-WP-TotalPages."""
    query = [("orderby", "id"), ("order", "asc"), ("per_page", str(per_page)), ("page", str(page))]
    if (connection.instance.get("settings") or {}).get("roles", "all") == "all":
        query.append(("role", "all"))
    if search is not None:
        query.append(("search", search))
    answer = client.send(request(connection, "/customers", query), deadline, words)
    body = answer.body
    if not isinstance(body, list) or not all(
        isinstance(item, dict) and isinstance(item.get("id"), int) for item in body
    ):
        raise IntegrationUnavailable("the store's answer is not a list of customers", {"status": answer.status})
    return body, _count(answer.headers, "X-WP-Total"), _count(answer.headers, "X-WP-TotalPages")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def browse(principal: Principal, instance_id: str, query: WooCustomersQuery, deadline: Deadline) -> dict[str, Any]:
    """The store's page as it is now, each customer with the Clientele customer it is linked to."""
    connection = instances.connection(principal, instance_id, "woocommerce")
    found, total, total_pages = customers_page(connection, query.page, query.per_page, query.search, deadline)
    guards = {
        item["id"]: customer_store.Guard("external_id", (external_id(instance_id, item["id"]),)) for item in found
    }
    holders = customer_store.guard_holders(principal.tenant_id, list(guards.values())) if guards else {}
    if principal.organization_scoped and holders:
        visible = customer_store.load_many(principal.tenant_id, sorted(set(holders.values())))
        holders = {
            guard: holder
            for guard, holder in holders.items()
            if holder in visible and principal.can_see(visible[holder].get("organization_id"))
        }
    data = []
    for item in found:
        entry: dict[str, Any] = {"woo_id": item["id"]}
        for name in CUSTOMER_FIELDS:
            value = item.get(name)
            entry[name] = value if isinstance(value, dict) and name in {"billing", "shipping"} else _text(value)
        entry["date_modified"] = _text(item.get("date_modified_gmt")) or _text(item.get("date_modified"))
        entry["customer_id"] = holders.get(guards[item["id"]])
        data.append(entry)
    return {"data": data, "page": query.page, "per_page": query.per_page, "total": total, "total_pages": total_pages}
