"""Every error of the API as JSON: 400 {"errors": {param: [messages]}} for bad
parameters, {"error": message} for the rest (401 with WWW-Authenticate, 429 with
Retry-After)."""

from math import ceil
from typing import Any

from rest_framework import status
from rest_framework.exceptions import Throttled
from rest_framework.response import Response
from rest_framework.views import exception_handler

from data_access.querying import InvalidQuery


def _retry_after(seconds: float) -> str:
    # Whole seconds, never "0": a client retrying at once would only be refused again.
    return str(max(1, ceil(seconds)))


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, InvalidQuery):
        return Response({"errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
    response = exception_handler(exc, context)  # sets WWW-Authenticate and Retry-After
    if response is None:
        return None  # not a caller's error: Django's 500
    data = response.data
    response.data = {"error": str(data.get("detail", data) if isinstance(data, dict) else data)}
    if isinstance(exc, Throttled) and exc.wait is not None:
        response["Retry-After"] = _retry_after(exc.wait)
    return response
