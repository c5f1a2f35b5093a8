from django.db import migrations

# icontains compiles to UPPER(col::text) LIKE UPPER(...): trigram GIN indexes on
# the same expressions serve it. pg_trgm lives in the public schema.
TRIGRAM_INDEXES = [
    ("client_name_trgm", "name"),
    ("client_email_trgm", "email"),
]


class Migration(migrations.Migration):
    dependencies = [("data_access", "0001_initial"), ("tenancy", "0002_countries_and_trigrams")]

    operations = [
        migrations.RunSQL(
            f'CREATE INDEX "{index}" ON "data_access_client" USING gin '
            f'((UPPER("{column}"::text)) public.gin_trgm_ops)',
            f'DROP INDEX "{index}"',
            hints={"model_name": "client"},
        )
        for index, column in TRIGRAM_INDEXES
    ]
