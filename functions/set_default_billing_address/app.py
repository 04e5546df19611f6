"""PUT /v1/customers/{customer_id}/default-billing-address (body {"address_id"}; answers the customer)"""

from clientele.domain import address_book
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import json_object
from clientele.http.preconditions import if_match
from clientele.http.resolver import make_resolver

app = make_resolver(writes=True)


@app.put("/v1/customers/<customer_id>/default-billing-address")
def set_default_billing_address(customer_id: str):
    caller, body = principal(app), json_object(app)
    return responses.customer(address_book.set_default(caller, customer_id, "billing", body, if_match(app)))


def handler(event, context):
    return app.resolve(event, context)
