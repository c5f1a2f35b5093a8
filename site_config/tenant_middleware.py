"""django-tenants' host → tenant lookup, with forgiving host names and outages as 503."""

from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import remove_www

from site_config.outage import DATABASE_OUTAGE, outage_response


class TenantMiddleware(TenantMainMiddleware):
    @staticmethod
    def hostname_from_request(request: HttpRequest) -> str:
        # DNS names are case-insensitive and may end with a dot: ACME.LOCALHOST.
        # and acme.localhost are the same host (Django's ALLOWED_HOSTS agrees).
        domain, _port = split_domain_port(request.get_host())
        return remove_www(domain)

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        # A host outside ALLOWED_HOSTS raises DisallowedHost here: Django answers
        # 400, where django-tenants would turn it into a 404.
        request.get_host()
        try:
            return super().process_request(request)
        except DATABASE_OUTAGE as error:
            return outage_response(request, error)
