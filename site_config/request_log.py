"""One JSON line per request, for operators (logger "contrata.request").

    {"time": ..., "request_id": "3f2a...", "tenant": "acme", "user": 4, "method": "GET",
     "path": "/", "status": 200, "duration_ms": 41.2, "queries": {"default": 5, "mysql": 2},
     "slow": false, "slow_queries": []}

The request id is also sent back as X-Request-ID; a valid incoming one (from a
proxy or a client) is kept, so one id follows a request through every log. Never
logged: the query string, the body, query parameters. A slow query is logged
with its SQL text, whose values are placeholders. The level is WARNING when the
request or one of its queries is slower than SLOW_REQUEST_MS / SLOW_QUERY_MS.
Queries run while a streamed response is sent are not counted.
"""

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("contrata.request")
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
MAX_SLOW_QUERIES = 20  # the slowest ones, per database


class QueryTimer:
    """A connection.execute_wrapper: counts one alias's queries, keeps the slow ones."""

    def __init__(self, alias: str, slow_ms: float) -> None:
        self.alias = alias
        self.slow_ms = slow_ms
        self.count = 0
        self.slow: list[dict[str, Any]] = []

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: Any):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            ms = (time.perf_counter() - start) * 1000
            if ms >= self.slow_ms:
                self.slow.append({"db": self.alias, "ms": round(ms, 1), "sql": sql[:500]})
                if len(self.slow) > MAX_SLOW_QUERIES:
                    self.slow.remove(min(self.slow, key=lambda query: query["ms"]))


def _user_id(request: HttpRequest) -> int | None:
    # Only a user the request already loaded: logging never adds a query.
    user = getattr(request, "_cached_user", None)
    return user.pk if user is not None and user.is_authenticated else None


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]

        timers = [QueryTimer(alias, settings.SLOW_QUERY_MS) for alias in connections]
        start = time.perf_counter()
        with ExitStack() as stack:
            for timer in timers:
                stack.enter_context(connections[timer.alias].execute_wrapper(timer))
            response = self.get_response(request)
        duration_ms = (time.perf_counter() - start) * 1000
        response["X-Request-ID"] = request_id

        slow_queries = [query for timer in timers for query in timer.slow]
        slow = duration_ms >= settings.SLOW_REQUEST_MS
        tenant = getattr(request, "tenant", None)
        line = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "request_id": request_id,
            "tenant": getattr(tenant, "schema_name", None),
            "user": _user_id(request),
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(duration_ms, 1),
            "queries": {timer.alias: timer.count for timer in timers},
            "slow": slow,
            "slow_queries": slow_queries,
        }
        level = logging.WARNING if slow or slow_queries else logging.INFO
        logger.log(level, json.dumps(line))
        return response
