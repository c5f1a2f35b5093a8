"""The OpenAPI description of what the code already defines: each query parameter
from its Param (data_access.querying), each result from its serializer, each
error from api.exceptions. drf-spectacular assembles the document."""

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema

from api.serializers import ErrorSerializer, QueryErrorsSerializer
from data_access.querying import Param, TableQuery

# What each parameter means: prose for readers; the constraints come from the fields.
DESCRIPTIONS = {
    "q": "Text searched for in the client's name and email, ignoring case.",
    "country": "The client's two-letter ISO country code, in either case.",
    "active": "`yes`: active clients only, `no`: inactive ones only, empty: all.",
    "min_total": "Lowest total of the client's active contracts.",
    "max_total": "Highest total of the client's active contracts.",
    "has_contracts": "`yes`: clients with an active contract, `no`: clients without one.",
    "created": "Clients created in this calendar period (the current time zone's days).",
    "created_from": "First day of creation (YYYY-MM-DD), included.",
    "created_to": "Last day of creation (YYYY-MM-DD), included.",
    "page": "Page number, from 1.",
    "per_page": "Rows per page.",
}
EXAMPLES = {"q": "ana", "country": "CL", "min_total": "100.00", "max_total": "5000.00"}


def _optional_pattern(regex: str) -> str:
    """A Python validator regex as an ECMA one that also admits "" (no value)."""
    body = regex.removeprefix("^").removesuffix(r"\Z").removesuffix("$")
    return f"^(?:{body})?$"


def field_schema(field: forms.Field) -> dict[str, Any]:
    """The JSON schema of the values a form field accepts (a subset, where a
    field is lenient: surrounding spaces, exponents)."""
    if isinstance(field, forms.TypedChoiceField) and field.coerce is int:
        return {"type": "integer", "enum": [value for value, _label in field.choices]}
    if isinstance(field, forms.ChoiceField):
        return {"type": "string", "enum": [str(value) for value, _label in field.choices]}
    if isinstance(field, forms.DecimalField):  # before IntegerField, its base class
        whole_digits = field.max_digits - field.decimal_places
        fraction = rf"(?:\.[0-9]{{1,{field.decimal_places}}})?"
        return {"type": "string", "pattern": f"^(?:[0-9]{{1,{whole_digits}}}{fraction})?$"}
    if isinstance(field, forms.IntegerField):
        bounds = {"minimum": field.min_value, "maximum": field.max_value}
        return {"type": "integer", **{k: v for k, v in bounds.items() if v is not None}}
    if isinstance(field, forms.DateField):
        return {"type": "string", "format": "date"}
    schema: dict[str, Any] = {"type": "string"}
    if isinstance(field, forms.CharField) and field.max_length is not None:
        schema["maxLength"] = field.max_length
    patterns = [v.regex.pattern for v in field.validators if isinstance(v, RegexValidator)]
    # Django's CharField refuses NUL characters.
    schema["pattern"] = _optional_pattern(patterns[0]) if patterns else "^[^\\x00]*$"
    return schema


def _example(param: Param, schema: dict[str, Any]) -> Any:
    if param.name in EXAMPLES:
        return EXAMPLES[param.name]
    if "enum" in schema:
        return next(value for value in schema["enum"] if value != "")
    return schema.get("minimum", "")


def _description(param: Param, query_class: type[TableQuery]) -> str:
    if param.name != "sort":
        return DESCRIPTIONS.get(param.name, "")
    columns = ", ".join(f"`{column.key}` ({column.label})" for column in query_class.COLUMNS)
    return f"The column to sort by, `-` first for descending: {columns}."


def query_parameters(
    query_class: type[TableQuery], *, defaults: dict[str, str] | None = None
) -> list[OpenApiParameter]:
    """One OpenAPI parameter per Param of the query, with its default (the
    endpoint's own `defaults` first)."""
    default_query = query_class()
    parameters = []
    for param in query_class.PARAMS:
        schema = field_schema(param.field)
        default = (defaults or {}).get(param.name)
        if default is None:
            default = param.to_text(getattr(default_query, param.target)) or None
        if default is not None:
            schema["default"] = int(default) if schema["type"] == "integer" else default
        parameters.append(
            OpenApiParameter(
                param.name,
                schema,
                OpenApiParameter.QUERY,
                description=_description(param, query_class),
                examples=[OpenApiExample("example", value=_example(param, schema))],
            )
        )
    return parameters


RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    description="Seconds to wait before trying again.",
    response=[429],
)
WWW_AUTHENTICATE = OpenApiParameter(
    "WWW-Authenticate",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="How to authenticate: `Bearer`.",
    response=[401],
)


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


CALLER_ERRORS = {
    401: _error("No credentials, or an invalid or revoked token."),
    403: _error("A signed-in user who is not staff."),
    429: _error("Too many requests for this token or user."),
}


def list_endpoint[View: type](view: View) -> View:
    """Describe a list view from what it declares: its page of `serializer_class`
    rows and, for the client pages (`query_class`), the query's parameters with
    the view's `parameter_defaults`, and 400 for bad ones. (Without the contracts
    database a client page still answers 200, degraded: see api.pagination.)"""
    query_class = getattr(view, "query_class", None)
    responses: dict[int, Any] = {200: view.serializer_class(many=True)}
    parameters = [RETRY_AFTER, WWW_AUTHENTICATE]
    if query_class is not None:
        defaults = getattr(view, "parameter_defaults", {})
        parameters = query_parameters(query_class, defaults=defaults) + parameters
        responses[400] = OpenApiResponse(QueryErrorsSerializer, description="Bad parameters.")
    responses.update(CALLER_ERRORS)
    return extend_schema(parameters=parameters, responses=responses)(view)


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token of this tenant, created in its admin.",
        }
