"""Request rates per API token and per staff user (REST_FRAMEWORK's
DEFAULT_THROTTLE_RATES). Counts live in the default cache, whose key function
prefixes the tenant's schema: token and user ids of different tenants never share
a count."""

from typing import TYPE_CHECKING

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

from api.models import ApiToken

if TYPE_CHECKING:  # DRF imports its settings' classes before rest_framework.views
    from rest_framework.views import APIView


class RateFromSettings:
    """The rate as configured now (DRF binds the rates when it is imported)."""

    scope: str

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class TokenRateThrottle(RateFromSettings, SimpleRateThrottle):
    scope = "token"

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class UserRateThrottle(RateFromSettings, SimpleRateThrottle):
    scope = "user"

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        if isinstance(request.auth, ApiToken) or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonymousRateThrottle(RateFromSettings, AnonRateThrottle):
    """Callers of the public schema and docs, by address."""

    scope = "anon"
