"""PATCH /v1/customers/{customer_id}/addresses/{address_id} (merge patch; If-Match honoured)"""

from clientele.domain import address_book
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import json_object
from clientele.http.preconditions import if_match
from clientele.http.resolver import make_resolver

app = make_resolver(writes=True)


@app.patch("/v1/customers/<customer_id>/addresses/<address_id>")
def update_address(customer_id: str, address_id: str):
    caller, patch = principal(app), json_object(app, merge_patch=True)
    address = address_book.update_address(caller, customer_id, address_id, patch, if_match(app))
    return responses.address(address, customer_id)


def handler(event, context):
    return app.resolve(event, context)
