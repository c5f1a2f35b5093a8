"""The page envelope of every list: {"count", "next", "previous", "results"}.

Selectors page their own rows (ResultPage, a django Page); these classes only
wrap a page DRF-style and link its neighbours with the query's own parameters,
and say whether its count is exact (past the selectors' cap it is a lower bound).
"""

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response

from data_access.querying import COUNT_LIMIT, ResultPage
from tenancy.models import CURRENCIES

if TYPE_CHECKING:  # DRF imports its settings' classes before rest_framework.views
    from rest_framework.views import APIView


def envelope_schema(results: dict[str, Any], **extra: dict[str, Any]) -> dict[str, Any]:
    link = {"type": ["string", "null"], "format": "uri"}
    properties = {
        "count": {"type": "integer", "minimum": 0, "example": 120},
        "next": {**link, "example": "http://acme.localhost/api/clients/?page=3"},
        "previous": {**link, "example": "http://acme.localhost/api/clients/?page=1"},
        **extra,
        "results": results,
    }
    return {"type": "object", "required": list(properties), "properties": properties}


COUNTING = {
    "count_is_exact": {
        "type": "boolean",
        "description": f"False when more than {COUNT_LIMIT:,} clients match a query "
        "that the rollups cannot count (a search, a created range, a filter on contract "
        "totals): `count` is then a lower bound, and `next` is null only on the last page.",
    },
}

DEGRADATION = {
    "contracts_available": {
        "type": "boolean",
        "description": "False while the contracts database cannot be reached: "
        "contract counts and totals are then null.",
    },
    "contract_terms_dropped": {
        "type": "boolean",
        "description": "True when a sort or filter on contract data was dropped because "
        "the contracts database cannot be reached; the page is then sorted by name.",
    },
}


class WholeListPagination(BasePagination):
    """A short list (the countries) in one page of the same envelope."""

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: "APIView | None" = None
    ) -> list[Any]:
        return list(queryset)

    def get_paginated_response(self, data: list[Any]) -> Response:
        return Response({"count": len(data), "next": None, "previous": None, "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return envelope_schema(schema)


class ResultPagePagination(BasePagination):
    """A page a selector already fetched, with absolute links to its neighbours.

    The view's `parameter_defaults` are parameters it fills in when absent (the
    client list's active=yes); a link then spells out the table's own default
    ("active=") so that it still asks the same question.
    """

    def paginate_queryset(
        self, queryset: ResultPage, request: Request, view: "APIView | None" = None
    ) -> list[Any]:
        self.page, self.request = queryset, request
        self.parameter_defaults: dict[str, str] = getattr(view, "parameter_defaults", {})
        return queryset.object_list

    def link(self, number: int) -> str:
        params = self.page.query.with_changes(page=number).to_params()
        for name in self.parameter_defaults:
            params.setdefault(name, "")
        url = self.request.build_absolute_uri(self.request.path)
        return f"{url}?{urlencode(params)}" if params else url

    def get_next_link(self) -> str | None:
        return self.link(self.page.next_page_number()) if self.page.has_next() else None

    def get_previous_link(self) -> str | None:
        if not self.page.has_previous():
            return None
        # Past the end, "previous" leads back to the last page, not to another empty one.
        return self.link(min(self.page.number - 1, self.page.paginator.num_pages))

    def extra_fields(self) -> dict[str, Any]:
        # What the page could answer: the count past its cap is a lower bound;
        # without the contracts database, contract figures are null and contract
        # sorts and filters were dropped.
        return {
            "count_is_exact": self.page.count_is_exact,
            "contracts_available": self.page.contracts_available,
            "contract_terms_dropped": self.page.contract_terms_dropped,
        }

    def get_paginated_response(self, data: list[Any]) -> Response:
        return Response(
            {
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                **self.extra_fields(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return envelope_schema(schema, **COUNTING, **DEGRADATION)


class CurrencyPagination(ResultPagePagination):
    """Pages of amounts, which are in the tenant's currency."""

    def extra_fields(self) -> dict[str, Any]:
        return super().extra_fields() | {"currency": self.request.tenant.currency}

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        currency = {"type": "string", "enum": [code for code, _label in CURRENCIES]}
        return envelope_schema(schema, **COUNTING, **DEGRADATION, currency=currency)
