from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.urls import reverse

from auditeurs.models import Role
from d3.access import home_url_name


class AccountAdapter(DefaultAccountAdapter):
    """ENF accounts already exist: D3 has no public sign-up."""

    # allauth's French catalogue says "pseudo" and leaves some messages untranslated;
    # these are the ones a D3 user meets.
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "username_password_mismatch": "L'identifiant ENF ou le mot de passe est incorrect.",
        "too_many_login_attempts": "Trop de tentatives de connexion ont échoué. "
        "Réessayez dans quelques minutes ou utilisez « Mot de passe oublié ? ».",
        "invalid_password_reset": "Ce lien n'est plus valable : il a déjà servi ou il a "
        "expiré. Demandez-en un nouveau.",
        "account_inactive": "Ce compte est désactivé. Adressez-vous à votre centre "
        "d'inscription.",
        "rate_limited": "Trop de demandes en peu de temps : patientez quelques minutes "
        "avant de réessayer.",
    }

    def is_open_for_signup(self, request):
        return False

    def get_login_redirect_url(self, request):
        # Every log-in lands on the role's home ("Suivi de dossiers" for auditeurs);
        # the profile gate sends an auditeur with an incomplete profile there first.
        return reverse(home_url_name(request.user))


class MFAAdapter(DefaultMFAAdapter):
    """The second factor as D3 uses it: required of staff, so staff cannot remove it."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "incorrect_code": "Ce code n'est pas valable : saisissez le code à six chiffres "
        "que votre application affiche en ce moment (ou l'un de vos codes de secours).",
        "cannot_delete_authenticator": "Les comptes des personnels doivent garder "
        "l'authentification à deux facteurs. En cas de perte de votre téléphone, "
        "adressez-vous à un administrateur de D3.",
    }

    def can_delete_authenticator(self, authenticator):
        return authenticator.user.role == Role.AUDITEUR

    def build_totp_svg(self, url):
        # Shown inline in the page (no data: URL for the content security policy
        # to allow); the XML declaration has no place inside HTML.
        svg = super().build_totp_svg(url)
        svg = svg[svg.index("<svg"):]
        return svg.replace(
            "<svg ", '<svg role="img" aria-labelledby="totp-qr-title" class="totp-qr" ', 1
        ).replace(
            ">", '><title id="totp-qr-title">QR code à scanner avec votre application '
            "d'authentification</title>", 1,
        )
