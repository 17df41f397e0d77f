import time

from allauth.mfa import app_settings as mfa_settings
from django.core.management.base import BaseCommand, CommandError

from auditeurs.demo import NotADemoSecret, demo_totp_code


class Command(BaseCommand):
    help = (
        "Affiche le code TOTP du moment d'un compte de démonstration des personnels "
        "(ex. demo.gestionnaire), à saisir après le mot de passe."
    )

    def add_arguments(self, parser):
        parser.add_argument("identifiant", help="identifiant ENF du compte de démonstration")

    def handle(self, *args, identifiant, **options):
        try:
            code = demo_totp_code(identifiant)
        except NotADemoSecret as exc:
            raise CommandError(str(exc)) from None
        remaining = mfa_settings.TOTP_PERIOD - int(time.time()) % mfa_settings.TOTP_PERIOD
        self.stdout.write(code)
        self.stderr.write(f"Valable encore {remaining} s ; un code ne sert qu'une fois.")
