from django.shortcuts import redirect
from django.urls import reverse

from auditeurs.models import Role

# Paths an auditeur with an incomplete profile may still reach.
_OPEN_PREFIXES = ("/compte/", "/static/", "/sante/", "/aide/")


class ProfileGateMiddleware:
    """First log-in: an auditeur completes the profile before any other page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.role == Role.AUDITEUR:
            profile_url = reverse("auditeurs:profile")
            if request.path != profile_url and not request.path.startswith(_OPEN_PREFIXES):
                profile = getattr(user, "profile", None)
                if profile is None or not profile.is_complete:
                    return redirect(profile_url)
        return self.get_response(request)
