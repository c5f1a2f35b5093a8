"""A database that cannot be reached answers 503, never a 500 or a stack trace.

The tenant lookup (site_config.tenant_middleware) and the views
(DatabaseOutageMiddleware) both end here. The failed connection is closed, so
the next request connects afresh and the site recovers by itself.
"""

import logging

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.deprecation import MiddlewareMixin

DATABASE_OUTAGE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30

logger = logging.getLogger("contrata.outage")


def close_failed_connections() -> None:
    # A request's own transaction has already been left when the error gets here.
    for conn in connections.all(initialized_only=True):
        if conn.errors_occurred and not conn.in_atomic_block:
            conn.close()


def outage_response(request: HttpRequest, error: Exception) -> HttpResponse:
    close_failed_connections()
    logger.warning(
        "database unavailable on %s (request %s): %s",
        request.path,
        getattr(request, "request_id", "-"),
        error,
    )
    if request.path_info.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"error": "The service is temporarily unavailable. Try again shortly."}, status=503
        )
    else:
        # No request context: the page shows no tenant, no user, and needs no database.
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    patch_cache_control(response, no_store=True)
    return response


class DatabaseOutageMiddleware(MiddlewareMixin):
    """Turns a database outage raised by a view into the 503 answer."""

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_OUTAGE):
            return outage_response(request, exception)
        return None
