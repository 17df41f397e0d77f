from django.core.management.base import BaseCommand

from auditeurs.demo import load_demo


class Command(BaseCommand):
    help = (
        "Charge les données de démonstration (centres, diplômes, UE, types de pièces, "
        "auditeurs et un compte par rôle). Ne crée que ce qui manque : peut être lancée à "
        "chaque démarrage."
    )

    def handle(self, *args, **options):
        summary = load_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Données de démonstration prêtes : {summary.centres} centres, "
                f"{summary.diplomes} diplômes, {summary.ues} UE, {summary.auditeurs} auditeurs."
            )
        )
        self.stdout.write(f"Comptes de démonstration (mot de passe : {summary.password}) :")
        width = max(len(username) for username, _ in summary.accounts)
        for username, description in summary.accounts:
            self.stdout.write(f"  {username.ljust(width)}  {description}")
        self.stdout.write(
            "Les comptes des personnels demandent ensuite un code TOTP : "
            "python manage.py code_totp demo.gestionnaire (ou demo.dnf, demo.jury, demo.admin)."
        )
