"""Logger, metrics and tracer singletons (Powertools), configured from POWERTOOLS_* variables.

The tracer is created on first use so that X-Ray's SDK stays off the import
path of every handler; it is a no-op outside Lambda or when tracing is off.
No PII in logs: never log bodies, emails, phones, names or passwords.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

logger = Logger()
metrics = Metrics()


def count(name: str, value: int = 1) -> None:
    # Powertools prints a metric by itself once it holds 100 values, even with metrics disabled.
    if not is_metrics_disabled():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def flush_metrics() -> None:
    """Publish this request's metrics (EMF on stdout), if any; never keep them for the next request."""
    if metrics.provider.metric_set:
        metrics.flush_metrics()
    metrics.clear_metrics()


@cache
def tracer() -> Tracer:
    """Created on first use only (it imports the X-Ray SDK and patches boto3 to trace DynamoDB calls)."""
    from aws_lambda_powertools import Tracer

    return Tracer()


def traced[F: Callable[..., Any]](function: F) -> F:
    return tracer().capture_method(function)
