"""ApiToken moves here from the dashboard app, keeping its table and rows.

The table "dashboard_apitoken" is created by dashboard's 0001 (on a fresh
database) or already exists; this migration only takes the model into the api
app's state. Its content type is renamed so that permissions granted on it stay.
"""

from django.db import migrations, models


def rename_content_type(apps, schema_editor, *, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label=new, model="apitoken").exists():
        ContentType.objects.using(db).filter(app_label=old, model="apitoken").update(app_label=new)


def forwards(apps, schema_editor):
    rename_content_type(apps, schema_editor, old="dashboard", new="api")


def backwards(apps, schema_editor):
    rename_content_type(apps, schema_editor, old="api", new="dashboard")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("dashboard", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ApiToken',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(help_text='Who or what uses it.', max_length=100, verbose_name='name')),
                        ('prefix', models.CharField(editable=False, max_length=12, verbose_name='prefix')),
                        ('hashed_key', models.CharField(editable=False, max_length=64, unique=True, verbose_name='hashed key')),
                        ('created', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                        ('last_used', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='last used')),
                        ('revoked', models.BooleanField(default=False, verbose_name='revoked')),
                    ],
                    options={
                        'verbose_name': 'API token',
                        'verbose_name_plural': 'API tokens',
                        'ordering': ['-created', '-id'],
                        'db_table': 'dashboard_apitoken',
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
