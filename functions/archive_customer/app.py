"""POST /v1/customers/{customer_id}/archive (idempotent; If-Match honoured when sent)"""

from clientele.domain import customers
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.preconditions import if_match
from clientele.http.resolver import make_resolver

app = make_resolver(writes=True)


@app.post("/v1/customers/<customer_id>/archive")
def archive_customer(customer_id: str):
    return responses.customer(customers.set_archived(principal(app), customer_id, True, if_match(app)))


def handler(event, context):
    return app.resolve(event, context)
