"""POST /v1/customers/match (candidates at a postal code, scored on line1 and name)"""

from clientele.domain import matching
from clientele.http import responses
from clientele.http.auth import principal
from clientele.http.body import json_object
from clientele.http.resolver import make_resolver

app = make_resolver()


@app.post("/v1/customers/match")
def match_customers():
    caller, body = principal(app), json_object(app)
    return responses.ok({"matches": matching.match(caller, body)})


def handler(event, context):
    return app.resolve(event, context)
