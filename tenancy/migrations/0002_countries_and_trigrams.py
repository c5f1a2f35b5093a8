from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from tenancy.services import load_countries as load_country_list


def load_countries(apps, schema_editor):
    load_country_list(model=apps.get_model("tenancy", "Country"))


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0001_initial")]

    operations = [
        # In the public schema, so every tenant schema finds it on its search_path.
        TrigramExtension(),
        migrations.RunPython(load_countries, migrations.RunPython.noop),
    ]
