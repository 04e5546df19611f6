"""Types shared by the HTTP modules and the functions."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

# Powertools serializes a dict body as JSON; a str goes out as it is (problem JSON, CSV, HTML, "").
type ResponseBody = dict[str, Any] | str

# What every route, problem renderer and exception handler answers.
type HttpResponse = Response[ResponseBody]
