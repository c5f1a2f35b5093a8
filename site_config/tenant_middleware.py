"""django-tenants' host → tenant lookup, with forgiving host names, outages as 503,
and the answer remembered for a few seconds per process."""

import threading
import time
from typing import Any

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import remove_www

from site_config.outage import DATABASE_OUTAGE, outage_response
from tenancy.models import Domain, Tenant


class TenantsByHost:
    """host -> Tenant, each answer kept TENANT_CACHE_SECONDS: one query fewer per
    request. A change made here clears it; other processes see it within the TTL."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Tenant]] = {}
        self._lock = threading.Lock()

    def get(self, hostname: str) -> Tenant | None:
        entry = self._entries.get(hostname)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, hostname: str, tenant: Tenant) -> None:
        with self._lock:
            self._entries[hostname] = (time.monotonic() + settings.TENANT_CACHE_SECONDS, tenant)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


tenants_by_host = TenantsByHost()


@receiver([post_save, post_delete], sender=Domain)
@receiver([post_save, post_delete], sender=Tenant)
def _forget_tenants(**kwargs: Any) -> None:
    tenants_by_host.clear()


class TenantMiddleware(TenantMainMiddleware):
    @staticmethod
    def hostname_from_request(request: HttpRequest) -> str:
        # DNS names are case-insensitive and may end with a dot: ACME.LOCALHOST.
        # and acme.localhost are the same host (Django's ALLOWED_HOSTS agrees).
        domain, _port = split_domain_port(request.get_host())
        return remove_www(domain)

    def get_tenant(self, domain_model: type[Domain], hostname: str) -> Tenant:
        tenant = tenants_by_host.get(hostname)
        if tenant is None:
            tenant = super().get_tenant(domain_model, hostname)
            tenants_by_host.put(hostname, tenant)
        return tenant

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        # A host outside ALLOWED_HOSTS raises DisallowedHost here: Django answers
        # 400, where django-tenants would turn it into a 404.
        request.get_host()
        try:
            return super().process_request(request)
        except DATABASE_OUTAGE as error:
            return outage_response(request, error)
