from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

from d3.access import home_url_name


class AccountAdapter(DefaultAccountAdapter):
    """ENF accounts already exist: D3 has no public sign-up."""

    def is_open_for_signup(self, request):
        return False

    def get_login_redirect_url(self, request):
        # Every log-in lands on the role's home ("Suivi de dossiers" for auditeurs);
        # the profile gate sends an auditeur with an incomplete profile there first.
        return reverse(home_url_name(request.user))
