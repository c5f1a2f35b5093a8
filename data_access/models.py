"""Clients live in each tenant's PostgreSQL schema; contracts live in MySQL.

There is no database foreign key between them: `Contract.client_id` is kept
honest by `data_access.services` (see `check_integrity`).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Collate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from data_access.history import ContractHistoryRecords, tracked
from data_access.tenants import current_tenant

# Sorting by text uses code-point order, identical on every PostgreSQL server.
BINARY_COLLATION = "C"


class Client(models.Model):
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), unique=True)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 code"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    history = tracked()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        indexes = [
            models.Index(Collate("name", BINARY_COLLATION), "id", name="client_name_sort"),
            models.Index(Collate("email", BINARY_COLLATION), "id", name="client_email_sort"),
            models.Index("country", "id", name="client_country_sort"),
            models.Index("created_at", "id", name="client_created_sort"),
            # Trigram indexes on UPPER(name) and UPPER(email) serve icontains search;
            # they are created in migration 0002 (RunSQL).
        ]

    def __str__(self) -> str:
        return self.name


class TenantContractManager(models.Manager["Contract"]):
    """Contracts of the current tenant only; raises NoTenantError outside one."""

    def get_queryset(self) -> models.QuerySet["Contract"]:
        return super().get_queryset().filter(tenant_id=current_tenant().pk)


class Contract(models.Model):
    tenant_id = models.PositiveIntegerField(_("tenant"), editable=False)
    client_id = models.BigIntegerField(_("client"))
    title = models.CharField(_("title"), max_length=200)
    amount = models.DecimalField(
        _("amount"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    signed_on = models.DateField(_("signed on"))
    is_active = models.BooleanField(_("active"), default=True)

    objects = TenantContractManager()
    unscoped = models.Manager()
    history = tracked(ContractHistoryRecords)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        base_manager_name = "unscoped"
        indexes = [
            # Each contracts-page sort walks an index that starts with tenant_id and
            # has id as its tie-break. The default order (newest first) also carries
            # the columns of contracts signed per day/month (active or not), also for
            # a list of client ids, read from the index alone: one index for both
            # (each index costs a seed a sort of the whole table).
            models.Index(
                fields=["tenant_id", "signed_on", "id", "client_id", "amount"],
                name="contract_signed_cover",
            ),
            models.Index(fields=["tenant_id", "amount", "id"], name="contract_amount_sort"),
            models.Index(fields=["tenant_id", "title", "id"], name="contract_title_sort"),
            models.Index(fields=["tenant_id", "client_id", "id"], name="contract_client_sort"),
            models.Index(fields=["tenant_id", "is_active", "id"], name="contract_status_sort"),
            # Covers per-client COUNT/SUM of active contracts without touching rows. Not
            # merged into contract_client_sort as (…, id, is_active, amount): the Spider
            # head then lost groups of a client-id list filtered on is_active.
            models.Index(
                fields=["tenant_id", "client_id", "is_active", "amount"],
                name="contract_client_totals",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="contract_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return self.title


class ClientTotals(models.Model):
    """Per-client aggregates of active contracts, kept exact by data_access.services.

    Every client has a row, zero (no active contract) included, so the
    (tenant, total, client) index walks every client in the table's order:
    create_client and seeding write the zero row, delete_client removes it,
    and a contract write changes it in the same MySQL transaction as the
    contract. Clients written outside the services (ORM, COPY) have none until
    check_integrity --repair; TotalsCoverage says whether the rows are complete.
    Contract amounts are positive, so a row has contracts iff its amount is.
    """

    pk = models.CompositePrimaryKey("tenant_id", "client_id")
    tenant_id = models.PositiveIntegerField()
    client_id = models.BigIntegerField()
    active_contracts = models.PositiveIntegerField(_("contracts"))
    active_amount = models.DecimalField(_("total"), max_digits=18, decimal_places=2)

    class Meta:
        indexes = [
            models.Index(
                fields=["tenant_id", "active_amount", "client_id"], name="totals_by_amount"
            ),
            models.Index(
                fields=["tenant_id", "active_contracts", "client_id"], name="totals_by_count"
            ),
        ]

    def __str__(self) -> str:
        return f"client {self.client_id}: {self.active_contracts}, {self.active_amount}"


# --- Rollups: whole-tenant figures whose size does not grow with the tenant ----------


class ClientCount(models.Model):
    """Clients of the tenant per (country, active), in its PostgreSQL schema.

    Kept by statement-level triggers on the clients table (migration 0006), in the
    same transaction as every write to it: the services, the admin, COPY and any
    ORM call alike. A row exists only while its count is positive.
    """

    pk = models.CompositePrimaryKey("country", "is_active")
    country = models.CharField(max_length=2)
    is_active = models.BooleanField()
    clients = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.country}/{self.is_active}: {self.clients}"


class TotalsCoverage(models.Model):
    """Whether every client of the tenant has its ClientTotals row (one row, id 1,
    in the tenant's PostgreSQL schema).

    A statement-level trigger (migration 0007) clears `complete` whenever clients
    are inserted, deleted or truncated by anything but the services, which
    write the zero rows themselves; rebuilding the rollups sets it again. While
    it is clear, the client table reads every id for the orders the zero rows
    would bound, and stays exact."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    complete = models.BooleanField(default=False)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="totals_coverage_one")]

    def __str__(self) -> str:
        return f"complete={self.complete}"


class SegmentTotals(models.Model):
    """Active contracts per (country, active) of their clients, kept exact by
    data_access.services in the same MySQL transaction as the contract or client
    write that moves them. Their sum is the tenant's total; one country's rows,
    its total. A row exists only while it counts at least one contract."""

    pk = models.CompositePrimaryKey("tenant_id", "country", "client_active")
    tenant_id = models.PositiveIntegerField()
    country = models.CharField(max_length=2)
    client_active = models.BooleanField()
    active_contracts = models.PositiveIntegerField()
    active_amount = models.DecimalField(max_digits=18, decimal_places=2)

    def __str__(self) -> str:
        return f"{self.country}/{self.client_active}: {self.active_contracts}"


class MonthTotals(models.Model):
    """Contracts signed per month (active or not), kept like SegmentTotals."""

    pk = models.CompositePrimaryKey("tenant_id", "month")
    tenant_id = models.PositiveIntegerField()
    month = models.DateField()  # first day of the month
    contracts = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=18, decimal_places=2)

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.contracts}"


class SavedView(models.Model):
    """A named set of filters and sort of a table (clients or contracts), kept in
    the tenant's schema: its owner's, or every staff member's when shared."""

    table = models.CharField(_("table"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    params = models.CharField(_("filters and sort"), max_length=2000, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    shared = models.BooleanField(_("shared with the staff"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "table", "name"], name="saved_view_name_per_owner"
            )
        ]

    def __str__(self) -> str:
        return self.name
