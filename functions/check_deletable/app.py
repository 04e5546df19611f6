"""POST /v1/customers/deletable (per id: deletable, and the reasons it is not)"""

from clientele.domain import bulk
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import json_object
from clientele.http.resolver import make_resolver

app = make_resolver()


@app.post("/v1/customers/deletable")
def check_deletable():
    caller, body = principal(app), json_object(app)
    return responses.ok({"results": bulk.deletable(caller, bulk.parse_ids(body))})


def handler(event, context):
    return app.resolve(event, context)
