"""GET /v1/customers/{customer_id}/addresses"""

from clientele.domain import address_book
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.resolver import make_resolver

app = make_resolver()


@app.get("/v1/customers/<customer_id>/addresses")
def list_addresses(customer_id: str):
    return responses.ok({"data": address_book.list_addresses(principal(app), customer_id)})


def handler(event, context):
    return app.resolve(event, context)
