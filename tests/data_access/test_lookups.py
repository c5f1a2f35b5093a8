"""data_access.lookups: `in_integers` matches what `in` matches, on both databases."""

import pytest
from django.conf import settings
from django_tenants.utils import tenant_context

from conftest import BOTH_DATABASES
from data_access.models import Client, Contract

pytestmark = pytest.mark.django_db(databases=BOTH_DATABASES)


def test_in_integers_matches_what_in_matches(books):
    acme = books[0]
    ids = [*sorted(acme.clients)[::2], *range(900_000, 900_300)]
    contracts = Contract.unscoped.using(settings.CONTRACTS_DATABASE).filter(
        tenant_id=acme.tenant.pk
    )
    written = contracts.filter(client_id__in_integers=ids).values_list("id", flat=True)
    prepared = contracts.filter(client_id__in=ids).values_list("id", flat=True)
    assert sorted(written) == sorted(prepared) and len(written) > 0
    assert "IN (" in str(contracts.filter(client_id__in_integers=ids).query)
    assert not contracts.filter(client_id__in_integers=[]).exists()


def test_in_integers_works_on_postgresql_too(books):
    with tenant_context(books[0].tenant):
        ids = sorted(books[0].clients)[:5]
        assert (
            sorted(Client.objects.filter(id__in_integers=ids).values_list("id", flat=True)) == ids
        )


@pytest.mark.parametrize("bad", [["1"], [1.0], [True], [None]])
def test_in_integers_takes_ints_only(bad):
    with pytest.raises(TypeError):
        Contract.unscoped.filter(client_id__in_integers=bad)
