"""URLs of a tenant host (acme.localhost): the dashboard, its API and its admin."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from site_config.admin.tenant import tenant_admin_site

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", tenant_admin_site.urls),
    path("api/", include("api.urls")),
    path("", include("dashboard.urls")),
]
