"""PATCH /v1/customers/{customer_id} (RFC 7396 merge patch, If-Match required)"""

from clientele.domain import customers
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import json_object
from clientele.http.preconditions import if_match
from clientele.http.resolver import make_resolver

app = make_resolver(writes=True)


@app.patch("/v1/customers/<customer_id>")
def update_customer(customer_id: str):
    caller, patch = principal(app), json_object(app, merge_patch=True)
    return responses.customer(customers.update(caller, customer_id, patch, if_match(app)))


def handler(event, context):
    return app.resolve(event, context)
