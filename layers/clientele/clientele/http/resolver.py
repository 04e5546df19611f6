"""The resolver every function builds: request id, logging context, and the one error-to-problem mapping."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from clientele.config import get_settings
from clientele.domain.kernel.errors import ClienteleError, HeadersTooLarge, NotFound, ServiceUnavailable
from clientele.http.problems import parameter_problem, problem_response
from clientele.http.types import HttpResponse
from clientele.http.writes import require_writes_enabled
from clientele.observability import flush_metrics, logger, traced
from clientele.store.kernel.errors import StoreUnavailable

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

MAX_HEADER_BYTES = 10 * 1024
type ProblemRenderer = Callable[[ClienteleError, str, str], HttpResponse]
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# C0 controls and DEL, raw or percent-encoded. Route patterns end in `$`, which matches before a final
# newline: `/v1/customers/cus_X%0A` would otherwise route (and answer) as `/v1/customers/cus_X`.
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


def _request_id(event: Mapping[str, Any]) -> str:
    sent = (event.get("headers") or {}).get("x-request-id")
    if isinstance(sent, str) and _CLIENT_REQUEST_ID.fullmatch(sent):
        return sent
    return (event.get("requestContext") or {}).get("requestId") or str(uuid.uuid4())


def _has_control_characters(event: Mapping[str, Any]) -> bool:
    """Whether the request's path, or a path parameter, holds a control character (decoded or not)."""
    raw_path = str(event.get("rawPath") or "")
    parameters = [str(value) for value in (event.get("pathParameters") or {}).values()]
    return any(_CONTROL_CHARACTER.search(text) for text in (raw_path, unquote(raw_path), *parameters))


def _header_bytes(event: Mapping[str, Any]) -> int:
    headers = event.get("headers") or {}
    return sum(len(name) + len(str(value)) for name, value in headers.items())


class ClienteleResolver(APIGatewayHttpResolver):
    """An HTTP API (payload 2.0) resolver that answers every failure as a problem document."""

    def __init__(self, *, problems: ProblemRenderer, **options: Any) -> None:
        super().__init__(**options)
        self.problems = problems

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        # Log keys start afresh for every request (a container serves many): Lambda context,
        # cold start, request id as correlation id, and the tenant once the caller is known.
        with_log_context = logger.inject_lambda_context(self._resolve_request, clear_state=True)
        try:
            return with_log_context(event, context)
        finally:
            flush_metrics()

    def _resolve_request(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        request_id = _request_id(event)
        logger.set_correlation_id(request_id)
        self.context["request_id"] = request_id  # as append_context() would, which is unannotated
        path = event.get("rawPath") or "/"
        if _header_bytes(event) > MAX_HEADER_BYTES:
            error = HeadersTooLarge("request headers exceed 10 KB")
            response = self._early_problem(problem_response(error, path, request_id))
        elif _has_control_characters(event):
            # Answered as any unknown id is, in the route's own problem shape (vendor routes included).
            response = self._early_problem(self.problems(NotFound("no such resource"), path, request_id))
        elif get_settings().tracing_enabled:
            response = traced(super().resolve)(event, context)
        else:
            response = super().resolve(event, context)
        response.setdefault("headers", {})["X-Request-Id"] = request_id
        return response

    def _early_problem(self, built: HttpResponse) -> dict[str, Any]:
        """A problem answered before routing, as the Lambda proxy response Powertools would build."""
        return {
            "statusCode": built.status_code,
            "headers": dict(built.headers),
            "body": built.body,
            "isBase64Encoded": False,
        }

    @property
    def request_id(self) -> str:
        request_id: str = self.context.get("request_id", "")
        return request_id

    def exception_handler[H: Callable[..., Response[Any]]](
        self, exc_class: type[Exception] | list[type[Exception]]
    ) -> Callable[[H], H]:
        """Powertools' decorator, typed: a handler keeps its signature."""
        register: Callable[[H], H] = super().exception_handler(exc_class)
        return register


def _writes_switch(app: ClienteleResolver, next_middleware: NextMiddleware) -> Response[Any]:
    require_writes_enabled()
    return next_middleware(app)


def make_resolver(*, writes: bool = False, problems: ProblemRenderer = problem_response) -> ClienteleResolver:
    """The resolver of one function; `writes=True` for routes that change data (503 while writes are off).

    Powertools validates typed query and path parameters (422 naming the
    parameter) and documents every route in the OpenAPI document. Routes with a
    JSON body turn Powertools' body validation off and declare the body model
    only for the document: the strict parser (clientele.http.body) and the
    domain validate it, since Powertools' JSON parsing accepts what API.md §12 forbids.
    `problems` renders errors: the canonical problem details, or a vendor route's own shapes.
    """
    app = ClienteleResolver(problems=problems, enable_validation=True)

    def problem_for(error: ClienteleError) -> HttpResponse:
        return problems(error, app.current_event.path, app.request_id)

    @app.exception_handler(ClienteleError)
    def clientele_error(error: ClienteleError) -> HttpResponse:
        if error.status >= 500:
            logger.warning("answered %s %s", error.status, error.slug)
        return problem_for(error)

    @app.exception_handler(StoreUnavailable)
    def store_unavailable(error: StoreUnavailable) -> HttpResponse:
        logger.warning("DynamoDB unavailable: %s", error)
        unavailable = ServiceUnavailable("the data store is busy; retry shortly")
        response = problem_for(unavailable)
        response.headers["Retry-After"] = "1"
        return response

    from aws_lambda_powertools.event_handler.exceptions import NotFoundError
    from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

    @app.exception_handler(RequestValidationError)
    def invalid_parameters(error: RequestValidationError) -> HttpResponse:
        return problem_for(parameter_problem(list(error.errors())))

    @app.not_found
    def route_not_found(_: NotFoundError) -> HttpResponse:
        return Response(status_code=404, content_type="application/json", body={"message": "Not Found"})

    @app.exception_handler(Exception)
    def unexpected(error: Exception) -> HttpResponse:
        logger.exception("unhandled error")
        return problem_for(ClienteleError("an unexpected error occurred; quote the request_id when reporting it"))

    if writes:
        app.use(middlewares=[_writes_switch])
    return app
