"""Saved views a staff member can open: their own and those shared in their tenant."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

from data_access.models import SavedView


def saved_views(*, table: str, user: AbstractBaseUser) -> list[SavedView]:
    """The current tenant's views of `table` that `user` may open, by name."""
    return list(
        SavedView.objects.filter(Q(owner_id=user.pk) | Q(shared=True), table=table)
        .select_related("owner")
        .order_by("name", "pk")
    )
