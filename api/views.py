"""The read-only JSON API of a tenant host.

Each client endpoint parses the dashboard table's parameters (ClientQuery),
asks one selector for a page and serializes its rows. Authentication,
permissions, throttling, paging, errors and the schema are the REST_FRAMEWORK
settings' classes (api.authentication, api.permissions, api.throttling,
api.pagination, api.exceptions, api.schema).
"""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponseBase
from django.utils.cache import patch_cache_control, patch_vary_headers
from drf_spectacular.renderers import OpenApiJsonRenderer2
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers
from api.pagination import CurrencyPagination, ResultPagePagination, WholeListPagination
from api.renderers import MarkupSafeJSONRenderer
from api.schema import list_endpoint
from data_access.boundary import ContractsUnavailable
from data_access.querying import ClientQuery
from data_access.selectors.clients import ClientPage, client_page
from tenancy.models import Country


class PrivateReadOnly:
    """GET and HEAD only; never kept by shared caches, which must not serve one
    caller's answer to another."""

    http_method_names = ["get", "head"]

    def finalize_response(
        self, request: Request, response: HttpResponseBase, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_cache_control(response, private=True, no_store=True)
        patch_vary_headers(response, ("Authorization", "Cookie"))
        return response


class ClientPageView(PrivateReadOnly, GenericAPIView):
    """One page of clients: parse, ask client_page, serialize."""

    query_class = ClientQuery
    pagination_class = ResultPagePagination
    # Parameters this endpoint fills in when they are absent.
    parameter_defaults: dict[str, str] = {}
    # Whether the answer is about contracts, so that it cannot be given without them.
    needs_contract_data = True

    def get(self, request: Request) -> Response:
        params = request.query_params.copy()
        for name, value in self.parameter_defaults.items():
            params.setdefault(name, value)
        page = client_page(self.query_class.parse(params), tenant=request.tenant)
        self.refuse_if_degraded(page)
        rows = self.paginate_queryset(page)
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    def refuse_if_degraded(self, page: ClientPage) -> None:
        """A 503 rather than an answer to another question than the one asked."""
        if page.contract_terms_dropped or (
            self.needs_contract_data and not page.contracts_available
        ):
            raise ContractsUnavailable("contract data unavailable")


@list_endpoint
class ClientList(ClientPageView):
    """Clients: active ones unless `active` is given (`active=` for all).

    Answers 503 only when the sort or the filters need contract data while the
    contracts database cannot be reached."""

    serializer_class = serializers.ClientSerializer
    parameter_defaults = {"active": "yes"}
    needs_contract_data = False


@list_endpoint
class ClientStats(ClientPageView):
    """Number of active contracts per client."""

    serializer_class = serializers.ClientStatsSerializer


@list_endpoint
class ClientAmounts(ClientPageView):
    """Total amount of active contracts per client, in the tenant's `currency`."""

    serializer_class = serializers.ClientAmountSerializer
    pagination_class = CurrencyPagination


@list_endpoint
class CountryList(PrivateReadOnly, ListAPIView):
    """The shared country list (public schema): the same on every tenant host."""

    serializer_class = serializers.CountrySerializer
    pagination_class = WholeListPagination

    def get_queryset(self) -> QuerySet[Country]:
        return Country.objects.order_by("code")


class SchemaView(PrivateReadOnly, SpectacularJSONAPIView):
    """The OpenAPI document, generated from the views; it holds no tenant data."""

    renderer_classes = [OpenApiJsonRenderer2]  # served as application/json


class SwaggerUIView(PrivateReadOnly, SpectacularSwaggerSplitView):
    """Swagger UI from vendored files; its set-up script is a separate request,
    so the page needs no inline script (the CSP allows none)."""

    url_name = "api:schema"
    template_name = "api/swagger_ui.html"


@extend_schema(exclude=True)
class NotFoundView(PrivateReadOnly, APIView):
    """Any other path under /api/: a JSON 404, whatever the method."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    renderer_classes = [MarkupSafeJSONRenderer]

    @property
    def default_response_headers(self) -> dict[str, str]:
        return {}  # no Allow: there is nothing here

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        raise NotFound("No such API endpoint.")
