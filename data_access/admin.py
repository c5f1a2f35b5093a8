"""Each tenant's own admin, on its host: clients (PostgreSQL) and contracts (MySQL)."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.utils.translation import gettext_lazy as _

from data_access.models import Client


class TenantAdminSite(admin.AdminSite):
    site_header = _("Contrata administration")
    site_title = _("Contrata")


tenant_admin_site = TenantAdminSite(name="tenant_admin")


@admin.register(Client, site=tenant_admin_site)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "country", "is_active", "created_at"]
    list_filter = ["is_active", "country"]
    search_fields = ["name", "email"]
    show_full_result_count = False


tenant_admin_site.register(User, UserAdmin)
tenant_admin_site.register(Group, GroupAdmin)
