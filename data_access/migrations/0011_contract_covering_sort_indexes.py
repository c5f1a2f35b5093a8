from django.db import migrations, models


class Migration(migrations.Migration):
    """Seven secondary indexes on contracts become six: the signing-date sort carries
    the columns its covering twin held, and the twin goes."""

    dependencies = [
        ("data_access", "0010_totals_coverage"),
    ]

    operations = [
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
