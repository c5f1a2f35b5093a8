from django.db import migrations


class Migration(migrations.Migration):
    """ApiToken now belongs to the api app, which keeps its table: forget it
    here without dropping anything."""

    dependencies = [
        ("dashboard", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ApiToken")],
            database_operations=[],
        ),
    ]
