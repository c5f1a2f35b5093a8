"""The API token admin; site_config.admin.tenant registers it on the tenant site."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from api.models import ApiToken


class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "created", "last_used", "revoked"]
    list_filter = ["revoked"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created", "last_used"]
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        if obj is None:
            return ["name"]  # the key is generated, never typed in
        return ["name", "prefix", "created", "last_used", "revoked"]

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        raw = None if change else obj.set_new_key()
        super().save_model(request, obj, form, change)
        if raw is not None:
            # Only the hash is stored: this message is the one chance to copy it.
            self.message_user(
                request,
                _(
                    "API token “%(name)s” created: %(token)s — copy it now, it will not be shown again."
                )
                % {"name": obj.name, "token": raw},
                messages.WARNING,
            )

    @admin.action(description="Revoke selected API tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.update(revoked=True)
        self.message_user(request, _("%(count)d token(s) revoked.") % {"count": count})
