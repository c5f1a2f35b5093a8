"""Saved views: one's own and the shared ones of the same tenant, never another tenant's."""

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from data_access import services
from data_access.models import SavedView
from data_access.selectors.saved_views import saved_views


@pytest.fixture
def staff_and_colleague(in_acme) -> tuple[User, User]:
    colleague = User.objects.create_user("bea", password="x", is_staff=True)
    return User.objects.get(username="staff"), colleague


def test_a_view_keeps_the_filters_and_sort_but_not_the_page(staff_and_colleague):
    staff, _ = staff_and_colleague
    view = services.save_view(
        owner=staff, table="clients", name=" Chile by total ",
        params={"country": "CL", "sort": "-total", "page": "3", "junk": "x"}, shared=False,
    )  # fmt: skip
    assert (view.name, view.params) == ("Chile by total", "country=CL&sort=-total")
    again = services.save_view(owner=staff, table="clients", name="Chile by total",
                               params={"country": "BR"}, shared=True)  # fmt: skip
    assert again.pk == view.pk and (again.params, again.shared) == ("country=BR", True)


def test_bad_filters_and_tables_are_refused(staff_and_colleague):
    staff, _ = staff_and_colleague
    with pytest.raises(ValidationError):
        services.save_view(owner=staff, table="clients", name="x", params={"sort": "nope"},
                           shared=False)  # fmt: skip
    with pytest.raises(ValidationError):
        services.save_view(owner=staff, table="users", name="x", params={}, shared=False)
    with pytest.raises(ValidationError):
        services.save_view(owner=staff, table="clients", name="", params={}, shared=False)
    assert not SavedView.objects.exists()


def test_shared_views_reach_the_tenants_staff_and_only_the_owner_deletes(staff_and_colleague):
    staff, colleague = staff_and_colleague
    mine = services.save_view(owner=staff, table="contracts", name="Mine", params={},
                              shared=False)  # fmt: skip
    ours = services.save_view(owner=staff, table="contracts", name="Ours",
                              params={"status": "active"}, shared=True)  # fmt: skip
    assert saved_views(table="contracts", user=staff) == [mine, ours]
    assert saved_views(table="contracts", user=colleague) == [ours]
    assert saved_views(table="clients", user=staff) == []
    with pytest.raises(SavedView.DoesNotExist):
        services.delete_saved_view(view_id=ours.pk, user=colleague)
    services.delete_saved_view(view_id=ours.pk, user=staff)
    assert saved_views(table="contracts", user=colleague) == []


def test_another_tenant_never_sees_the_views(acme, globex):
    with tenant_context(acme):
        staff = User.objects.get(username="staff")
        services.save_view(owner=staff, table="clients", name="Acme's", params={}, shared=True)
    with tenant_context(globex):
        assert saved_views(table="clients", user=User.objects.get(username="staff")) == []
