"""PUT /v1/customers/{customer_id} (full replacement, If-Match required)"""

from clientele.domain import customers
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import json_object
from clientele.http.preconditions import if_match
from clientele.http.resolver import make_resolver

app = make_resolver(writes=True)


@app.put("/v1/customers/<customer_id>")
def replace_customer(customer_id: str):
    caller, body = principal(app), json_object(app)
    return responses.customer(customers.replace(caller, customer_id, body, if_match(app)))


def handler(event, context):
    return app.resolve(event, context)
