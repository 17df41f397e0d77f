from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("dossiers", "0007_piecefile_scan_status"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="signature",
            index=models.Index(fields=["recapitulatif_key"], name="signature_recapitulatif"),
        ),
    ]
