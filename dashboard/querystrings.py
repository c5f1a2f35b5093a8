"""The one way the dashboard writes a query back into a URL (headers, page links,
the export link and the pushed URL all go through `querystring`)."""

from typing import Any

from django.utils.http import urlencode

from data_access.querying import TableQuery


def querystring(query: TableQuery, **changes: Any) -> str:
    """'?…' asking `query` with some fields changed, without defaults.

    Any change but the page's own (a filter, the sort, the page size) goes back
    to page 1: the old page number means nothing in the new result.
    """
    if changes and "page" not in changes:
        changes["page"] = 1
    params = query.with_changes(**changes).to_params()
    return "?" + urlencode(params) if params else "?"
