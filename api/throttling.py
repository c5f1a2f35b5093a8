"""Request rates per API token and per staff user (REST_FRAMEWORK's
DEFAULT_THROTTLE_RATES). Counts live in the default cache, whose key function
prefixes the tenant's schema: token and user ids of different tenants never share
a count.

DRF's SimpleRateThrottle reads a history, decides, and writes it back: workers
answering at the same moment each read the same history and each let a request
through (a burst got 24 % past the rate under load). Here every request takes a
number from an atomic counter instead (cache.add, then cache.incr: single
commands in Redis), so the rate holds whatever the concurrency. The window slides
in SLOTS steps and is one step longer than the rate's period, so that no period of
that length ever holds more than the rate. With the database cache, incr is a read and a write, as DRF's
history is.
"""

import math
from typing import TYPE_CHECKING

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

from api.models import ApiToken

if TYPE_CHECKING:  # DRF imports its settings' classes before rest_framework.views
    from collections.abc import Callable

    from django.core.cache.backends.base import BaseCache
    from rest_framework.views import APIView


class RateFromSettings:
    """The rate as configured now (DRF binds the rates when it is imported)."""

    scope: str

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class CountedRate:
    """At most `num_requests` in any `duration`: counted over the current slot of
    duration / SLOTS seconds and the SLOTS whole slots before it (up to one slot
    more than `duration`, never less), each slot one atomic counter in the cache."""

    SLOTS = 10
    # Set by SimpleRateThrottle.__init__ and allow_request.
    cache: "BaseCache"
    timer: "Callable[[], float]"
    rate: str | None
    num_requests: int
    duration: int
    key: str | None

    def allow_request(self, request: Request, view: "APIView") -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if self.key is None:
            return True
        width = self.duration / self.SLOTS
        current = int(self.timer() // width)
        self._slots = [current - back for back in range(self.SLOTS, -1, -1)]
        self._counts = self.cache.get_many([self._slot_key(slot) for slot in self._slots[:-1]])
        earlier = sum(self._counts.values())
        if earlier >= self.num_requests:
            return False
        key = self._slot_key(current)
        # Kept for a whole window past its slot: later requests still count it.
        self.cache.add(key, 0, math.ceil(self.duration + width))
        taken = self.cache.incr(key)
        self._counts[key] = taken
        if earlier + taken > self.num_requests:
            self.cache.decr(key)  # refused: it does not count
            return False
        return True

    def wait(self) -> float:
        """Seconds until the oldest slot that holds requests leaves the window."""
        width = self.duration / self.SLOTS
        held = [slot for slot in self._slots if self._counts.get(self._slot_key(slot))]
        oldest = held[0] if held else self._slots[-1]
        return max((oldest + self.SLOTS + 1) * width - self.timer(), 1.0)

    def _slot_key(self, slot: int) -> str:
        return f"{self.key}:{slot}"


class TokenRateThrottle(CountedRate, RateFromSettings, SimpleRateThrottle):
    scope = "token"

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class UserRateThrottle(CountedRate, RateFromSettings, SimpleRateThrottle):
    scope = "user"

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        if isinstance(request.auth, ApiToken) or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonymousRateThrottle(CountedRate, RateFromSettings, AnonRateThrottle):
    """Callers of the public schema and docs, by address."""

    scope = "anon"
