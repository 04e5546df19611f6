"""POST /v1/customers/bulk-unarchive (by ids: a result per id in request order; by filter: 202 and a job)"""

from clientele.domain import bulk
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import json_object
from clientele.http.resolver import make_resolver

app = make_resolver(writes=True)


@app.post("/v1/customers/bulk-unarchive")
def bulk_unarchive_customers():
    caller, body = principal(app), json_object(app)
    return responses.bulk(bulk.run(caller, "unarchive", body))


def handler(event, context):
    return app.resolve(event, context)
