from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from auditeurs.imports import import_validated_ues


class CsvImportCommand(BaseCommand):
    """Shared by both imports: read the file, print the report, fail on any error."""

    import_function = None

    def add_arguments(self, parser):
        parser.add_argument("file", help="chemin du fichier CSV")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="vérifie le fichier et affiche le bilan sans rien enregistrer",
        )

    def handle(self, *args, file, dry_run, **options):
        path = Path(file)
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise CommandError(f"Impossible de lire le fichier « {path} » : {exc.strerror}.")
        with handle:
            report = self.import_function(handle, dry_run=dry_run)
        if not report.ok:
            for message in report.errors:
                self.stderr.write(message)
            raise CommandError(report.summary)
        self.stdout.write(self.style.SUCCESS(report.summary))


class Command(CsvImportCommand):
    help = (
        "Importe les UE validées des auditeurs (CSV UTF-8, séparateur « ; », en-tête "
        "numero_auditeur;code_ue;date_validation;centre;note ; dates AAAA-MM-JJ ou JJ/MM/AAAA). "
        "Tout ou rien : si une ligne est erronée, rien n'est enregistré."
    )
    import_function = staticmethod(import_validated_ues)
