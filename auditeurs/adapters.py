from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

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
