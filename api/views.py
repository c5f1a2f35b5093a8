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
from data_access.querying import ClientQuery
from data_access.selectors.clients import client_page
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
    """One page of clients: parse, ask client_page, serialize.

    The count is the table's: past its cap a lower bound (`count_is_exact`). With
    the contracts database down the page degrades as the dashboard's does:
    contract figures are null, contract sorts and filters are dropped, and the
    envelope says both (`contracts_available`, `contract_terms_dropped`)."""

    query_class = ClientQuery
    pagination_class = ResultPagePagination
    # Parameters this endpoint fills in when they are absent.
    parameter_defaults: dict[str, str] = {}

    def get(self, request: Request) -> Response:
        params = request.query_params.copy()
        for name, value in self.parameter_defaults.items():
            params.setdefault(name, value)
        page = client_page(self.query_class.parse(params), tenant=request.tenant)
        rows = self.paginate_queryset(page)
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


@list_endpoint
class ClientList(ClientPageView):
    """Clients: active ones unless `active` is given (`active=` for all)."""

    serializer_class = serializers.ClientSerializer
    parameter_defaults = {"active": "yes"}


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
