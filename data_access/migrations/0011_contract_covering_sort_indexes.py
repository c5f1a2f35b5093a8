from django.db import migrations, models


class Migration(migrations.Migration):
    """Seven secondary indexes on contracts become five: the signing-date and the
    client sorts carry the columns their covering twins held, and the twins go."""

    dependencies = [
        ("data_access", "0010_totals_coverage"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="contract",
            index=models.Index(
                fields=["tenant_id", "client_id", "id", "is_active", "amount"],
                name="contract_client_cover",
            ),
        ),
        migrations.RemoveIndex(model_name="contract", name="contract_client_totals"),
        migrations.RemoveIndex(model_name="contract", name="contract_client_sort"),
        migrations.RemoveIndex(model_name="contract", name="contract_signed_sort"),
        migrations.RemoveIndex(model_name="contract", name="contract_signed_cover"),
        migrations.AddIndex(
            model_name="contract",
            index=models.Index(
                fields=["tenant_id", "signed_on", "id", "client_id", "amount"],
                name="contract_signed_cover",
            ),
        ),
    ]
