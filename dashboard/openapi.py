"""The OpenAPI 3 document of dashboard.api, written by hand and kept true by
tests/dashboard/test_api.py (every route documented, every documented parameter
accepted, every response key documented).

Enumerations come from data_access.params, the single definition of the parameters.
"""

from typing import Any

from data_access.params import DEFAULT_PAGE_SIZE, MAX_PAGE, PAGE_SIZES, SORT_KEYS

SORTS = [prefix + key for key in SORT_KEYS for prefix in ("", "-")]
YES_NO = ["", "yes", "no"]


def _param(name: str, description: str, schema: dict[str, Any], example: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        "example": example,
    }


def _client_params(*, active_default: str) -> list[dict[str, Any]]:
    return [
        _param(
            "q",
            "Case-insensitive substring of the name or email.",
            {"type": "string", "maxLength": 100},
            "ana",
        ),
        _param(
            "country",
            "ISO 3166 two-letter code (case-insensitive).",
            {"type": "string", "pattern": "^[A-Za-z]{2}$"},
            "CL",
        ),
        _param(
            "active",
            f"Active clients (yes), inactive (no) or all (empty). Default here: "
            f"{active_default or 'all (empty)'}.",
            {"type": "string", "enum": YES_NO, "default": active_default},
            "no",
        ),
        _param(
            "min_total",
            "Minimum total amount of active contracts (inclusive).",
            {"type": "string", "format": "decimal", "pattern": r"^\d{1,14}(\.\d{1,2})?$"},
            "100.00",
        ),
        _param(
            "max_total",
            "Maximum total amount of active contracts (inclusive; not below min_total).",
            {"type": "string", "format": "decimal", "pattern": r"^\d{1,14}(\.\d{1,2})?$"},
            "5000",
        ),
        _param(
            "has_contracts",
            "Clients with (yes) or without (no) active contracts; empty for all.",
            {"type": "string", "enum": YES_NO, "default": ""},
            "yes",
        ),
        _param(
            "sort",
            "Sort key, '-' for descending; ties are broken by id. "
            "contracts and total need the contracts database.",
            {"type": "string", "enum": SORTS, "default": "name"},
            "-total",
        ),
        _param(
            "page",
            "Page number, from 1. Past the last page, results are empty.",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
            "2",
        ),
        _param(
            "per_page",
            "Page size.",
            {"type": "integer", "enum": list(PAGE_SIZES), "default": DEFAULT_PAGE_SIZE},
            "10",
        ),
    ]


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": list(properties), "properties": properties}


def _envelope(item: str, **extra: Any) -> dict[str, Any]:
    link = {"type": ["string", "null"], "format": "uri"}
    return _object(
        {
            "count": {"type": "integer", "description": "Matching rows on all pages."},
            "next": link,
            "previous": link,
            **extra,
            "results": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
        }
    )


def _json(schema: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


ERRORS = {
    "401": _json("Error", "No or bad credentials (a staff session or an API token)."),
    "403": _json("Error", "Logged in, but not staff."),
}
BAD_PARAMS = {"400": _json("Errors", "Invalid parameters, each named with its messages.")}
CONTRACTS_DOWN = {"503": _json("Error", "The contracts database is unreachable.")}


def _get(
    summary: str, description: str, ok: dict[str, Any], *, params=None, errors=None
) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "description": description,
            "parameters": params or [],
            "responses": {"200": ok, **ERRORS, **(errors or {})},
        }
    }


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Contrata API",
        "version": "1.0.0",
        "description": (
            "Read-only JSON API of one tenant, on its own host (acme.localhost). "
            "Authenticate with 'Authorization: Bearer <token>' (tokens are created "
            "in the tenant's admin) or a logged-in staff session of that tenant. "
            "Client endpoints take the same parameters as the dashboard's clients "
            "table. Responses are private and never cached by shared caches."
        ),
    },
    "servers": [{"url": "/"}],
    "security": [{"bearerAuth": []}, {"sessionCookie": []}],
    "paths": {
        "/api/clients/": _get(
            "Clients",
            "Clients of the tenant. Only active clients unless `active` is given: "
            "pass `active=` (empty) for all, `active=no` for inactive ones. "
            "Sorting or filtering by contracts/total needs the contracts database (503 if down).",
            _json("ClientList", "One page of clients."),
            params=_client_params(active_default="yes"),
            errors={**BAD_PARAMS, **CONTRACTS_DOWN},
        ),
        "/api/clients/stats/": _get(
            "Active contracts per client",
            "Number of active contracts of each client (all clients unless filtered).",
            _json("ClientStatsList", "One page of clients with their contract count."),
            params=_client_params(active_default=""),
            errors={**BAD_PARAMS, **CONTRACTS_DOWN},
        ),
        "/api/clients/amounts/": _get(
            "Contracted amount per client",
            "Total amount of each client's active contracts, as a decimal string with "
            "two places, in the tenant's currency (stated in the envelope).",
            _json("ClientAmountList", "One page of clients with their total amount."),
            params=_client_params(active_default=""),
            errors={**BAD_PARAMS, **CONTRACTS_DOWN},
        ),
        "/api/countries/": _get(
            "Countries",
            "Shared reference data, identical on every tenant host; one page, by code.",
            _json("CountryList", "Every country."),
        ),
        "/api/schema/": {
            "get": {
                "summary": "This document",
                "description": "Needs no credentials: it holds no tenant data.",
                "security": [],
                "parameters": [],
                "responses": {"200": {"description": "The OpenAPI document."}},
            }
        },
    },
    "components": {
        "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer"},
            "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
        },
        "schemas": {
            "Client": _object(
                {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "email": {"type": "string", "format": "email"},
                    "country": {"type": "string", "description": "ISO 3166 code"},
                    "created_at": {"type": "string", "format": "date-time"},
                }
            ),
            "ClientStats": _object(
                {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "contract_count": {"type": "integer", "minimum": 0},
                }
            ),
            "ClientAmount": _object(
                {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "total_amount": {
                        "type": "string",
                        "format": "decimal",
                        "example": "1234.50",
                        "description": "Sum of active contracts, two decimal places.",
                    },
                }
            ),
            "Country": _object({"code": {"type": "string"}, "name": {"type": "string"}}),
            "ClientList": _envelope("Client"),
            "ClientStatsList": _envelope("ClientStats"),
            "ClientAmountList": _envelope(
                "ClientAmount",
                currency={"type": "string", "description": "ISO 4217 code", "example": "EUR"},
            ),
            "CountryList": _envelope("Country"),
            "Error": _object({"error": {"type": "string"}}),
            "Errors": _object(
                {
                    "errors": {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        "description": "Messages by parameter name.",
                    }
                }
            ),
        },
    },
}
