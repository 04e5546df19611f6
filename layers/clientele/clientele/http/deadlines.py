"""How long a request may keep working: the Lambda's remaining time, less what answering needs."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from clientele.domain.kernel.clock import Deadline

# Kept back for building, serializing and returning the answer once the work stops.
ANSWER_RESERVE_MS = 1_500


def request_deadline(app: APIGatewayHttpResolver) -> Deadline:
    context = app.lambda_context
    if context is None:
        return Deadline.none()
    return Deadline.within(context.get_remaining_time_in_millis(), ANSWER_RESERVE_MS)
