"""POST /v1/customers/bulk-unarchive (by ids: one result per id, in request order)"""

from clientele.domain import bulk
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import json_object
from clientele.http.resolver import make_resolver

app = make_resolver(writes=True)


@app.post("/v1/customers/bulk-unarchive")
def bulk_unarchive_customers():
    caller, body = principal(app), json_object(app)
    return responses.ok({"results": bulk.bulk_set_archived(caller, bulk.parse_ids(body), False)})


def handler(event, context):
    return app.resolve(event, context)
