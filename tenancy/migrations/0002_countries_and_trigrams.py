import pycountry
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


def load_countries(apps, schema_editor):
    Country = apps.get_model("tenancy", "Country")
    Country.objects.bulk_create(
        [
            Country(code=c.alpha_2, name=getattr(c, "common_name", c.name))
            for c in pycountry.countries
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0001_initial")]

    operations = [
        # In the public schema, so every tenant schema finds it on its search_path.
        TrigramExtension(),
        migrations.RunPython(load_countries, migrations.RunPython.noop),
    ]
