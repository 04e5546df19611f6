"""PUT /api/v4/admin/customers/{customer_id} (vendor 001, COMPAT.md)"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from clientele.compat import ecommerce
from clientele.domain.customers import numbers as customer_numbers
from clientele.http.auth import principal
from clientele.http.body import DOCUMENTED_BODY, json_object
from clientele.http.openapi import WRITE_PROBLEMS, documented
from clientele.http.preconditions import if_match
from clientele.http.resolver import make_resolver

app = make_resolver(writes=True)


@app.put(
    "/api/v4/admin/customers/<customer_id>",
    summary="Update a customer (ecommerce admin shape)",
    description="`customer_id` is the customer's number (or its `cus_…` id). Every key is optional and only "
    "sent keys change; unknown keys are ignored. The address keys update the default shipping address "
    "(created, and made default, when there is none). If-Match is honoured when sent (412 when stale), "
    "not required. Validation errors point at the vendor's fields (`/customer/email`).",
    tags=["Vendor 001 (ecommerce admin)"],
    enable_validation=False,  # the strict body parser, the translation and the domain validate (API.md §12)
    responses=documented(200, ecommerce.EcommerceCustomerResponse, *WRITE_PROBLEMS, 404, 409, 412),
)
def ecommerce_update_customer(
    customer_id: str, body: Annotated[ecommerce.EcommerceCustomerUpdate, Body()] = DOCUMENTED_BODY
):
    caller, payload = principal(app), json_object(app)
    with ecommerce.vendor_field_names():
        view = customer_numbers.merge(
            caller,
            customer_id,
            ecommerce.translator(payload),
            if_match(app),
            new_address_defaults=ecommerce.new_address_defaults(),
            name_from_parts=True,
        )
    return ecommerce.customer_response(view)


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
