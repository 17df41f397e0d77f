"""``manage.py generate_scale_data``: Cnam-scale data for the load benchmark.

See :mod:`benchmarks.scale_data` for what is generated and how.
"""

from django.core.management.base import BaseCommand, CommandError

from benchmarks import scale_data


class Command(BaseCommand):
    help = ("Génère dans PostgreSQL les données d'un banc d'essai à l'échelle du Cnam "
            "(100 000 auditeurs, 150 000 dossiers…) ; même graine, mêmes données.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--scale", type=float, default=1.0,
                            help="multiplie chaque volume (1 = échelle du Cnam)")
        parser.add_argument("--reset", action="store_true",
                            help="efface d'abord TOUTES les données de la base")

    def handle(self, *args, seed, scale, reset, **options):
        if not 0 < scale <= 10:
            raise CommandError("--scale doit être compris entre 0 (exclu) et 10.")
        try:
            summary = scale_data.generate(scale=scale, seed=seed, reset=reset,
                                          log=self.stdout.write)
        except scale_data.ScaleDataError as exc:
            raise CommandError(str(exc)) from None
        for name, count in summary.counts.items():
            self.stdout.write(f"{name} : {count}")
        self.stdout.write(self.style.SUCCESS(
            f"Données générées en {summary.seconds:.0f} s (graine {seed}, échelle {scale})."))
