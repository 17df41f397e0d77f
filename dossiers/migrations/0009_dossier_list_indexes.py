# Written by hand (AddIndex only): the covering indexes of the centre's and the DNF's lists.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("dossiers", "0008_signature_recapitulatif_index")]

    operations = [
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(
                fields=["centre", "-state_changed_at", "-id"],
                include=["state", "diplome", "kind", "owner", "correction_round", "auditeur"],
                name="dossier_centre_list",
            ),
        ),
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(
                fields=["state", "transmitted_at", "id"],
                include=["centre", "diplome", "kind", "auditeur"],
                name="dossier_dnf_list",
            ),
        ),
    ]
