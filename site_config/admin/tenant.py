"""Each tenant's own admin, on its host: clients (PostgreSQL), contracts (MySQL),
staff users and API tokens.

Client and contract writes go through data_access.services (which keep
ClientTotals, the rollups and the cross-database client check honest); the admin
never saves them itself.
"""

from collections.abc import Callable
from typing import Any

from axes.admin import AccessAttemptAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from api.admin import ApiTokenAdmin
from api.models import ApiToken
from dashboard.formats import country_name, format_count, format_date, format_money, sort_key
from data_access import services
from data_access.boundary import ContractsUnavailable, contracts_database
from data_access.models import Client, Contract
from data_access.selectors.aggregates import NO_CONTRACTS, Cents, cents_to_decimal, client_cents
from data_access.selectors.audit import TRAIL_LIMIT, AuditEntry, client_history, contract_history
from data_access.tenants import current_tenant


class TenantAdminSite(admin.AdminSite):
    site_header = _("Contrata administration")
    site_title = _("Contrata")
    site_url = "/"


tenant_admin_site = TenantAdminSite(name="tenant_admin")


# --- Clients -------------------------------------------------------------------


class DeletesThroughServices(admin.ModelAdmin):
    """No bulk "delete selected": it would bypass data_access.services (the
    client's contract check, ClientTotals). Single deletes go through
    delete_model."""

    def get_actions(
        self, request: HttpRequest, action_location: ActionLocation = ActionLocation.CHANGE_LIST
    ) -> dict[str, Any]:
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions


class ShowsAuditTrail(admin.ModelAdmin):
    """The history page shows the audit trail (django-simple-history, read through
    data_access.selectors.audit): who changed what, when, from which value to which."""

    object_history_template = "admin/audit_history.html"
    # Each admin defines it: the object's trail, from data_access.selectors.audit.
    audit_entries: Callable[[Model], list[AuditEntry]]

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        request.current_app = self.admin_site.name
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Change history: %s") % obj,
            "subtitle": None,
            "module_name": capfirst(opts.verbose_name_plural),
            "object": obj,
            "opts": opts,
            "entries": self.audit_entries(obj),
            "limit": TRAIL_LIMIT,
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.object_history_template, context)


class ClientChangeList(ChangeList):
    """Loads the page's contract totals from MySQL in one query, not one per row."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        ids = [client.pk for client in self.result_list]
        try:
            totals: Cents | None = client_cents(tenant=current_tenant(), client_ids=ids)
        except ContractsUnavailable:
            totals = None
            self.model_admin.message_user(
                request, gettext("Contract data is unavailable."), messages.WARNING
            )
        for client in self.result_list:
            client.contract_totals = None if totals is None else totals.get(client.pk, NO_CONTRACTS)


class CountryFilter(admin.SimpleListFilter):
    """The countries by name, in the user's language (the codes meant little)."""

    title = _("country")
    parameter_name = "country"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        # The countries this tenant's clients are in, as the plain field filter offered.
        codes = Client.objects.order_by().values_list("country", flat=True).distinct()
        return sorted(((code, country_name(code)) for code in codes), key=lambda c: sort_key(c[1]))

    def queryset(self, request: HttpRequest, queryset: QuerySet[Client]) -> QuerySet[Client]:
        return queryset.filter(country=self.value()) if self.value() else queryset


@admin.register(Client, site=tenant_admin_site)
class ClientAdmin(ShowsAuditTrail, DeletesThroughServices):
    list_display = [
        "name",
        "email",
        "country_label",
        "is_active",
        "created",
        "active_contracts",
        "active_total",
    ]
    list_filter = ["is_active", CountryFilter]

    class Media:
        css = {"all": ["css/admin.css"]}

    search_fields = ["name", "email", "=id"]
    show_full_result_count = False
    list_per_page = 50

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ClientChangeList

    # A date, not a timestamp: the full "Nov. 24, 2026, 3:47 p.m." pushed the totals
    # off the right edge of the list.
    @admin.display(description=_("created"), ordering="created_at")
    def created(self, client: Client) -> str:
        return format_date(client.created_at)

    @admin.display(description=_("country"), ordering="country")
    def country_label(self, client: Client) -> str:
        return country_name(client.country)

    @admin.display(description=_("active contracts"))
    def active_contracts(self, client: Client) -> str:
        totals = getattr(client, "contract_totals", None)
        return "—" if totals is None else format_count(totals[0])

    @admin.display(description=_("active total"))
    def active_total(self, client: Client) -> str:
        totals = getattr(client, "contract_totals", None)
        if totals is None:
            return "—"
        return format_money(cents_to_decimal(totals[1]), current_tenant().currency)

    def save_model(self, request: HttpRequest, obj: Client, form: forms.ModelForm, change: bool):
        # Through the services: a new country or active flag moves the client's
        # contract totals between rollup rows in the same transaction.
        fields = {name: getattr(obj, name) for name in services.CLIENT_FIELDS}
        if change:
            services.update_client(client_id=obj.pk, **fields)
        else:
            obj.pk = services.create_client(**fields).pk

    def delete_model(self, request: HttpRequest, obj: Client) -> None:
        services.delete_client(client_id=obj.pk)

    def audit_entries(self, obj: Client) -> list[AuditEntry]:
        return client_history(client_id=obj.pk)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        if request.method == "GET" and object_id.isdigit():
            # Say so before the user confirms, not after: the service would refuse.
            try:
                count = services.contracts_of_client_count(client_id=int(object_id))
            except ContractsUnavailable:
                count = 0  # the refusal after confirming still stands
            if count:
                self.message_user(
                    request,
                    ngettext(
                        "This client has %(count)s contract, so it cannot be deleted. "
                        "Delete or reassign it first.",
                        "This client has %(count)s contracts, so it cannot be deleted. "
                        "Delete or reassign them first.",
                        count,
                    )
                    % {"count": format_count(count)},
                    messages.WARNING,
                )
        try:
            return super().delete_view(request, object_id, extra_context)
        except services.ClientHasContracts as refusal:
            message = " ".join(refusal.messages)
        except ContractsUnavailable:
            message = gettext(
                "Contract data is unavailable, so whether this client has contracts cannot "
                "be checked. Try again in a moment."
            )
        self.message_user(request, message, messages.ERROR)
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:data_access_client_change", args=[object_id])
        )


# --- Contracts -----------------------------------------------------------------


class ClientIdWidget(forms.NumberInput):
    """A number box with the admin's raw-id lookup (magnifier) beside it: the
    popup is the clients changelist, searchable, and a click fills in the id."""

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer=None) -> str:
        box = super().render(name, value, {**(attrs or {}), "class": "vIntegerField"}, renderer)
        lookup = reverse("tenant_admin:data_access_client_changelist") + "?_to_field=id"
        return format_html(
            '{}<a href="{}" class="related-lookup" id="lookup_id_{}" title="{}"></a>',
            box,
            lookup,
            name,
            _("Look up a client"),
        )


class ContractAdminForm(forms.ModelForm):
    """client_id is a plain number checked against this tenant's clients: a
    select of 100k clients is unusable, and autocomplete can't cross databases."""

    client_id = forms.IntegerField(label=_("Client id"), min_value=1, widget=ClientIdWidget)

    class Meta:
        model = Contract
        fields = ["client_id", "title", "amount", "signed_on", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client_id"].help_text = _(
            "Use the magnifier to search clients by name or email."
        )
        currency = current_tenant().currency
        self.fields["amount"].label = _("Amount (%(currency)s)") % {"currency": currency}
        self.fields["amount"].help_text = _("In %(currency)s, the tenant's currency.") % {
            "currency": currency
        }

    def clean_client_id(self) -> int:
        client_id = self.cleaned_data["client_id"]
        # Client lives in the tenant's PostgreSQL schema: this only sees this tenant.
        if not Client.objects.filter(pk=client_id).exists():
            raise forms.ValidationError(
                _("Client %(id)s does not exist in this tenant."), params={"id": client_id}
            )
        return client_id


class ReadsContracts(admin.ModelAdmin):
    """Every page of a contracts model runs inside the contracts error boundary:
    with MySQL down it shows a message on the admin index instead of failing."""

    def _within_boundary(self, request: HttpRequest, view: Any, *args: Any) -> HttpResponse:
        try:
            with contracts_database():
                response = view(request, *args)
                if isinstance(response, TemplateResponse):
                    response.render()  # its queries run here, inside the boundary
                return response
        except ContractsUnavailable:
            self.message_user(
                request,
                gettext("Contract data is unavailable right now. Try again in a moment."),
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse(f"{self.admin_site.name}:index"))

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        return self._within_boundary(request, super().changelist_view, extra_context)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict | None = None,
    ):
        return self._within_boundary(
            request, super().changeform_view, object_id, form_url, extra_context
        )

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None):
        return self._within_boundary(request, super().delete_view, object_id, extra_context)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None):
        return self._within_boundary(request, super().history_view, object_id, extra_context)


@admin.register(Contract, site=tenant_admin_site)
class ContractAdmin(ReadsContracts, ShowsAuditTrail, DeletesThroughServices):
    form = ContractAdminForm
    list_display = [
        "title",
        "client_number",
        "client_name",
        "amount_money",
        "signed_on",
        "is_active",
    ]
    list_filter = ["is_active"]
    search_fields = ["title"]  # and a client id: see get_search_results
    search_help_text = _("A number finds the contracts of that client id; text searches titles.")

    class Media:
        css = {"all": ["css/admin.css"]}

    readonly_fields = ["client_name"]
    ordering = ["-signed_on", "-id"]
    show_full_result_count = False
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contract]:
        # Contract.objects is scoped to the current tenant: other tenants' ids 404.
        return Contract.objects.all()

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Contract:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # The admin would redirect with "doesn't exist"; a plain 404 reveals nothing.
            raise Http404
        return obj

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Contract], search_term: str
    ) -> tuple[QuerySet[Contract], bool]:
        term = search_term.strip()
        if term.isdigit():
            # By client id alone: "title LIKE '%42%' OR client_id = 42" reads every
            # row of the tenant; client_id = 42 walks the (tenant, client) index.
            return queryset.filter(client_id=int(term)), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("Client id"), ordering="client_id")
    def client_number(self, contract: Contract) -> int:
        return contract.client_id

    @admin.display(description=_("amount"), ordering="amount")
    def amount_money(self, contract: Contract) -> str:
        return format_money(contract.amount, current_tenant().currency)

    @admin.display(description=_("client"))
    def client_name(self, contract: Contract) -> str:
        if contract.client_id is None:
            return "—"
        if hasattr(contract, "client_label"):  # loaded for the whole changelist page
            name = contract.client_label
        else:
            name = (
                Client.objects.filter(pk=contract.client_id).values_list("name", flat=True).first()
            )
        if name is None:
            return gettext("Missing client #%(id)s") % {"id": contract.client_id}
        url = reverse("tenant_admin:data_access_client_change", args=[contract.client_id])
        return format_html('<a href="{}">{}</a>', url, name)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ContractChangeList

    def save_model(self, request: HttpRequest, obj: Model, form: forms.ModelForm, change: bool):
        fields = {name: form.cleaned_data[name] for name in ContractAdminForm.Meta.fields}
        if change:
            saved = services.update_contract(contract_id=obj.pk, **fields)
        else:
            saved = services.create_contract(**fields)
        # The admin logs and redirects using this instance.
        obj.pk, obj.tenant_id = saved.pk, saved.tenant_id

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        services.delete_contract(contract_id=obj.pk)

    def audit_entries(self, obj: Contract) -> list[AuditEntry]:
        return contract_history(contract_id=obj.pk)


class ContractChangeList(ChangeList):
    """Names the page's clients with one PostgreSQL query instead of one per row."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        ids = {contract.client_id for contract in self.result_list}
        names = dict(Client.objects.filter(pk__in=ids).values_list("id", "name"))
        for contract in self.result_list:
            contract.client_label = names.get(contract.client_id)


# --- API tokens and staff users --------------------------------------------------

tenant_admin_site.register(ApiToken, ApiTokenAdmin)
tenant_admin_site.register(User, UserAdmin)
tenant_admin_site.register(Group, GroupAdmin)

# --- Login lockouts (django-axes), this tenant's own: delete an attempt to unlock ---
tenant_admin_site.register(AccessAttempt, AccessAttemptAdmin)
tenant_admin_site.register(AccessLog, AccessLogAdmin)
