"""/api/… on a tenant host (included from site_config.urls_tenant)."""

from django.urls import path, re_path

from api import views

app_name = "api"
urlpatterns = [
    path("clients/", views.ClientList.as_view(), name="clients"),
    path("clients/stats/", views.ClientStats.as_view(), name="client-stats"),
    path("clients/amounts/", views.ClientAmounts.as_view(), name="client-amounts"),
    path("countries/", views.CountryList.as_view(), name="countries"),
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("docs/", views.SwaggerUIView.as_view(), name="docs"),
    # Last: every other path under /api/ is a JSON 404.
    re_path(r"", views.NotFoundView.as_view(), name="not-found"),
]
