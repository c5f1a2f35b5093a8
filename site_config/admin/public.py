"""The public admin, on the public host only: tenants, domains, countries."""

from axes.admin import AccessAttemptAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.utils.translation import gettext_lazy as _
from django_tenants.admin import TenantAdminMixin

from tenancy.models import Country, Domain, Tenant


class PublicAdminSite(admin.AdminSite):
    site_header = _("Contrata: platform administration")
    site_title = _("Contrata platform")
    index_title = _("Tenants and shared data")


public_admin_site = PublicAdminSite(name="public_admin")


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 1


@admin.register(Tenant, site=public_admin_site)
class TenantAdmin(TenantAdminMixin, admin.ModelAdmin):
    """Saving a new tenant creates and migrates its schema (auto_create_schema)."""

    list_display = ["name", "schema_name", "currency", "created_on"]
    search_fields = ["name", "schema_name"]
    inlines = [DomainInline]

    def get_readonly_fields(self, request, obj=None):
        # Renaming a schema in place is not supported; it is fixed at creation.
        return ["schema_name"] if obj else []


@admin.register(Domain, site=public_admin_site)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "tenant", "is_primary"]
    search_fields = ["domain"]


@admin.register(Country, site=public_admin_site)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


public_admin_site.register(User, UserAdmin)
public_admin_site.register(Group, GroupAdmin)

# --- Login lockouts (django-axes) of the public host: delete an attempt to unlock ---
public_admin_site.register(AccessAttempt, AccessAttemptAdmin)
public_admin_site.register(AccessLog, AccessLogAdmin)
