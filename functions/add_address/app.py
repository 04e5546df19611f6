"""POST /v1/customers/{customer_id}/addresses (201 new, or 200 with `deduplicated: true`)"""

from clientele.domain import address_book
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import json_object
from clientele.http.idempotency import idempotent
from clientele.http.preconditions import if_match
from clientele.http.resolver import make_resolver

app = make_resolver(writes=True)


@app.post("/v1/customers/<customer_id>/addresses")
def add_address(customer_id: str):
    caller, body = principal(app), json_object(app)
    return idempotent(
        app,
        caller,
        f"add_address#{customer_id}",
        body,
        lambda: responses.added_address(address_book.add_address(caller, customer_id, body, if_match(app))),
    )


def handler(event, context):
    return app.resolve(event, context)
