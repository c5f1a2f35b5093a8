from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("data_access", "0004_contract_signed_sort")]

    operations = [
        migrations.AlterField(
            model_name="clienttotals",
            name="active_contracts",
            field=models.PositiveIntegerField(verbose_name="contracts"),
        ),
        migrations.AlterField(
            model_name="clienttotals",
            name="active_amount",
            field=models.DecimalField(decimal_places=2, max_digits=18, verbose_name="total"),
        ),
    ]
