"""GET /v1/customers/{customer_id}"""

from clientele.domain import customers
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.preconditions import if_none_match
from clientele.http.resolver import make_resolver

app = make_resolver()


@app.get("/v1/customers/<customer_id>")
def get_customer(customer_id: str):
    view = customers.get(principal(app), customer_id)
    unchanged = if_none_match(app)
    if unchanged is not None and unchanged.matches(view.etag):
        return responses.not_modified(view.etag)
    return responses.customer(view)


def handler(event, context):
    return app.resolve(event, context)
