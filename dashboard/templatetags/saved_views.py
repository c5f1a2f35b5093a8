"""The saved-views menu of a table page: open a view, save the current one."""

from typing import Any

from django import template

from data_access.selectors.saved_views import saved_views

register = template.Library()

PAGES = {"clients": "dashboard:home", "contracts": "dashboard:contracts"}


@register.inclusion_tag("dashboard/_saved_views.html", takes_context=True)
def saved_views_menu(context: dict[str, Any], table: str) -> dict[str, Any]:
    request = context["request"]
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "table": table,
        "page_url": PAGES[table],
        "views": saved_views(table=table, user=request.user),
    }
