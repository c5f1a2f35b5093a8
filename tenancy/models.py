from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

CURRENCIES = [
    ("EUR", "EUR"),
    ("USD", "USD"),
    ("BRL", "BRL"),
    ("CLP", "CLP"),
    ("MXN", "MXN"),
    ("GBP", "GBP"),
]


class Tenant(TenantMixin):
    """A customer company: one PostgreSQL schema, one currency."""

    name = models.CharField(_("name"), max_length=100)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="EUR")
    created_on = models.DateField(_("created on"), auto_now_add=True)

    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")

    def __str__(self) -> str:
        return self.name


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")


class Country(models.Model):
    """Shared reference data: lives in the public schema, read by every tenant."""

    code = models.CharField(_("ISO code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")

    def __str__(self) -> str:
        return self.name
