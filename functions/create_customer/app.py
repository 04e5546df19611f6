"""POST /v1/customers"""

from clientele.domain import customers
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import json_object
from clientele.http.idempotency import idempotent
from clientele.http.resolver import make_resolver

app = make_resolver(writes=True)


@app.post("/v1/customers")
def create_customer():
    caller, body = principal(app), json_object(app)
    return idempotent(
        app, caller, "create_customer", body, lambda: responses.customer(customers.create(caller, body), status=201)
    )


def handler(event, context):
    return app.resolve(event, context)
