"""Trigram indexes for the search of the centre's queue and the DNF's list.

``dossiers.queue.search`` looks for a word anywhere in the names, the ENF identifier
and the numéro d'auditeur (``UPPER(column) LIKE UPPER('%word%')``, Django's
``icontains``): only a trigram index (pg_trgm, GIN) answers that without reading every
account (benchmarks/load.py: 100,000 auditeurs). PostgreSQL only: the embedded SQLite
of local development has no such index and does not need one.
"""

from django.db import migrations

INDEXES = {
    "user_first_name_trgm": ("auditeurs_user", "first_name"),
    "user_last_name_trgm": ("auditeurs_user", "last_name"),
    "user_username_trgm": ("auditeurs_user", "username"),
    "profile_birth_name_trgm": ("auditeurs_auditeurprofile", "birth_name"),
    "profile_usage_name_trgm": ("auditeurs_auditeurprofile", "usage_name"),
    "profile_first_names_trgm": ("auditeurs_auditeurprofile", "first_names"),
    "profile_number_trgm": ("auditeurs_auditeurprofile", "auditeur_number"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("auditeurs", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
