"""{% query_href query page=2 %}: a link's querystring, from dashboard.querystrings."""

from typing import Any

from django import template

from dashboard.querystrings import querystring
from data_access.querying import TableQuery

register = template.Library()


@register.simple_tag
def query_href(query: TableQuery, **changes: Any) -> str:
    return querystring(query, **changes)
