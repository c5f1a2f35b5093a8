"""django-tenants' host → tenant lookup, with outages as 503."""

from django.http import HttpRequest, HttpResponse
from django_tenants.middleware.main import TenantMainMiddleware

from site_config.outage import DATABASE_OUTAGE, outage_response


class TenantMiddleware(TenantMainMiddleware):
    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        try:
            return super().process_request(request)
        except DATABASE_OUTAGE as error:
            return outage_response(request, error)
