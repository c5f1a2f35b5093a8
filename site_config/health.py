"""/healthz (the process answers) and /readyz (its databases and cache answer).

Answered first, on any host, before the host check and the tenant lookup, with
no authentication and no tenant data: load balancers and orchestrators probe
by IP address, and readiness must not depend on the tenant tables.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control

from site_config.outage import close_failed_connections

READY_KEY = "readyz"


def _database(alias: str) -> Callable[[], None]:
    def check() -> None:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    return check


def _cache() -> None:
    cache.set(READY_KEY, "ok", timeout=10)
    if cache.get(READY_KEY) != "ok":
        raise RuntimeError("cache did not return the value just written")


def readiness() -> dict[str, str]:
    checks = {
        "postgresql": _database("default"),
        "mysql": _database(settings.CONTRACTS_DATABASE),
        "cache": _cache,
    }
    results = {}
    for name, check in checks.items():
        try:
            check()
        except Exception as error:  # any failure means "not ready", never a 500
            results[name] = f"error: {type(error).__name__}"
        else:
            results[name] = "ok"
    close_failed_connections()  # the next probe reconnects
    return results


def _answer(data: dict, status: int) -> HttpResponse:
    response = JsonResponse(data, status=status)
    patch_cache_control(response, no_store=True)
    return response


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info.rstrip("/")
        if path == "/healthz":
            return _answer({"status": "ok"}, 200)
        if path == "/readyz":
            checks = readiness()
            ready = all(result == "ok" for result in checks.values())
            status = "ok" if ready else "unavailable"
            return _answer({"status": status, "checks": checks}, 200 if ready else 503)
        return self.get_response(request)
