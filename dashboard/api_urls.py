"""/api/… on a tenant host (included from site_config.urls_tenant)."""

from django.urls import path

from dashboard import api

app_name = "api"
urlpatterns = [
    path("clients/", api.clients, name="clients"),
    path("clients/stats/", api.client_stats, name="client-stats"),
    path("clients/amounts/", api.client_amounts, name="client-amounts"),
    path("countries/", api.countries, name="countries"),
    path("schema/", api.schema, name="schema"),
]
