"""Who may see the dashboard: signed-in staff of the tenant whose host it is."""

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect

View = Callable[..., HttpResponse]


def staff_view(view: View) -> View:
    """Logged-in staff of this tenant only; every response varies on HX-Request."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            if request.htmx:
                # A fragment request would swap the login page into the table.
                page = request.htmx.current_url_abs_path or request.get_full_path()
                response = HttpResponseClientRedirect(
                    f"{reverse('login')}?next={quote(page, safe='/')}"
                )
            else:
                response = redirect_to_login(request.get_full_path())
            patch_vary_headers(response, ["HX-Request"])
            return response
        if not user.is_staff:
            raise PermissionDenied
        response = view(request, *args, **kwargs)
        patch_vary_headers(response, ["HX-Request"])
        return response

    return wrapper
