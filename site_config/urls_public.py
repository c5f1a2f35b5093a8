"""URLs of the public host (localhost): the platform admin and a landing page only."""

from django.urls import path
from django.views.generic import TemplateView

from site_config.admin.public import public_admin_site

urlpatterns = [
    path("admin/", public_admin_site.urls),
    path("", TemplateView.as_view(template_name="public_home.html"), name="public_home"),
]
