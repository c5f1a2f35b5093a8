from django.apps import AppConfig
from django.db.models.signals import post_delete


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = "Tenancy"

    def ready(self) -> None:
        from django_tenants.signals import tenant_delete_callback

        from tenancy.models import Tenant

        # django-tenants listens to the deletes of every model, for the tenant model's
        # sake. Any listener makes Django fetch the rows of `queryset.delete()` and then
        # delete them by primary key, which drops the filter (tenant_id) from the DELETE.
        # Listening to the tenant model alone keeps it one DELETE with its filter.
        post_delete.disconnect(tenant_delete_callback)
        post_delete.connect(tenant_delete_callback, sender=Tenant)
