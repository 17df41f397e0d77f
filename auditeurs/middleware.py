"""First log-in: an auditeur completes the profile before any other page.

Whether the profile is complete is written in the session at log-in (or at the first
request after its completion), so that an auditeur's page costs no query for the gate:
it runs on every request. Only an auditeur whose profile is still incomplete is looked
up again at each request, until it is complete. An administrateur who empties the
completion date of a profile sends the auditeur back to it at the next log-in.
"""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse

from auditeurs.models import AuditeurProfile, Role

# Paths an auditeur with an incomplete profile may still reach.
_OPEN_PREFIXES = ("/compte/", "/static/", "/sante/", "/aide/")

# True once the auditeur's profile is known to be complete.
SESSION_PROFILE_COMPLETE_KEY = "d3_profile_complete"


def profile_is_complete(user):
    return AuditeurProfile.objects.filter(user_id=user.pk, completed_at__isnull=False).exists()


@receiver(user_logged_in, dispatch_uid="d3_profile_complete_at_log_in")
def _remember_at_log_in(sender, request, user, **kwargs):
    # Django's login() sends this after the session key has changed, for every way in.
    if request is None or not hasattr(request, "session") or user.role != Role.AUDITEUR:
        return
    request.session[SESSION_PROFILE_COMPLETE_KEY] = profile_is_complete(user)


class ProfileGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (user.is_authenticated and user.role == Role.AUDITEUR
                and not request.session.get(SESSION_PROFILE_COMPLETE_KEY)):
            profile_url = reverse("auditeurs:profile")
            if request.path != profile_url and not request.path.startswith(_OPEN_PREFIXES):
                if not profile_is_complete(user):
                    return redirect(profile_url)
                request.session[SESSION_PROFILE_COMPLETE_KEY] = True  # completed since
        return self.get_response(request)
