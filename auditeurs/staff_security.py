"""Staff accounts (every role but auditeur): a second factor before any staff page,
sessions that end after inactivity, and the sessions of a disabled account ended.

What the two middlewares need to know is written in the session at log-in, so that a
staff page costs no extra query (the pinned query counts of the pages stay what they
were); only a staff account still without TOTP is looked up again at each request,
until it has one.
"""

import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.shortcuts import redirect

from auditeurs.models import Role, User

# True once the account is known to have an active TOTP authenticator (at log-in,
# or at the first request after its activation). Staff cannot remove theirs
# (auditeurs.adapters.MFAAdapter); when an administrator deletes one (a lost
# phone), the account's sessions end and the next log-in asks for a new activation.
SESSION_TOTP_KEY = "d3_staff_totp_active"
# Unix time of the last request seen, to within ACTIVITY_STEP seconds.
SESSION_ACTIVITY_KEY = "d3_last_activity"
# Writing the session at every request would cost an UPDATE per page; once a
# minute is enough for an idle delay counted in tens of minutes.
ACTIVITY_STEP = 60

# Pages a staff account without TOTP may still open (URL names): the set-up pages
# and what they need (re-authentication), log-out, the health check.
OPEN_WHILE_TOTP_PENDING = frozenset({
    "mfa_activate_totp",
    "mfa_index",
    "mfa_reauthenticate",
    "mfa_view_recovery_codes",
    "mfa_download_recovery_codes",
    "mfa_generate_recovery_codes",
    "account_reauthenticate",
    "account_logout",
    "health",
})

IDLE_MESSAGE = (
    "Votre session a été fermée après {minutes} minutes sans activité, pour protéger "
    "les dossiers. Reconnectez-vous pour continuer."
)


def is_staff_account(user):
    return user.is_authenticated and user.role != Role.AUDITEUR


def has_active_totp(user):
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def totp_secret_of(user):
    """The base32 secret of the account's TOTP authenticator (DoesNotExist without one)."""
    authenticator = Authenticator.objects.get(user_id=user.pk, type=Authenticator.Type.TOTP)
    return decrypt(authenticator.data["secret"])


def current_totp_code(secret):
    """The code an authenticator app shows now for this secret (demo and tests)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))


def idle_seconds():
    return settings.D3_STAFF_IDLE_MINUTES * 60


@receiver(user_logged_in, dispatch_uid="d3_staff_session_at_log_in")
def _remember_at_log_in(sender, request, user, **kwargs):
    # Django's login() sends this after the session key has changed, for every way
    # in (allauth's form once every stage is passed; force_login in tests).
    if request is None or not hasattr(request, "session"):
        return
    request.session[SESSION_ACTIVITY_KEY] = int(time.time())
    if user.role != Role.AUDITEUR:
        request.session[SESSION_TOTP_KEY] = has_active_totp(user)


@receiver(post_save, sender=User, dispatch_uid="d3_end_sessions_of_disabled_account")
def end_sessions_of_disabled_account(sender, instance, update_fields=None, **kwargs):
    """A disabled account's sessions are deleted, whoever disabled it (admin, code).

    Even without this, Django's backends refuse an inactive user on the next request;
    deleting the rows also drops what the sessions held. ``QuerySet.update()`` sends
    no signal: only the backend's refusal covers it.
    """
    if instance.is_active or (update_fields is not None and "is_active" not in update_fields):
        return
    end_sessions_of(instance)


@receiver(post_delete, sender=Authenticator, dispatch_uid="d3_end_sessions_without_totp")
def end_sessions_of_staff_without_totp(sender, instance, **kwargs):
    """A staff TOTP authenticator deleted (by an administrator: staff cannot) ends the
    account's sessions, which the session flag would otherwise keep open."""
    if instance.type == Authenticator.Type.TOTP:
        user = User.objects.filter(pk=instance.user_id).first()
        if user is not None and user.role != Role.AUDITEUR:
            end_sessions_of(user)


def end_sessions_of(user):
    from allauth.usersessions.models import UserSession

    for user_session in UserSession.objects.filter(user_id=user.pk):
        user_session.end()


class StaffIdleTimeoutMiddleware:
    """A staff session left idle longer than D3_STAFF_IDLE_MINUTES is logged out;
    the next request goes to the log-in page with a French message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if is_staff_account(user):
            now = int(time.time())
            last = request.session.get(SESSION_ACTIVITY_KEY)
            if last is not None and now - last > idle_seconds():
                path = request.get_full_path()
                logout(request)
                messages.info(
                    request, IDLE_MESSAGE.format(minutes=settings.D3_STAFF_IDLE_MINUTES)
                )
                return redirect_to_login(path)
            if last is None or now - last >= ACTIVITY_STEP:
                request.session[SESSION_ACTIVITY_KEY] = now
        return self.get_response(request)


class StaffTOTPRequiredMiddleware:
    """A staff account without an active TOTP authenticator is sent to its activation
    page from every page but the few it needs meanwhile (OPEN_WHILE_TOTP_PENDING).

    It acts once the URL is resolved: an unknown address still gets its 404 page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not is_staff_account(user) or request.session.get(SESSION_TOTP_KEY):
            return None
        if request.resolver_match.view_name in OPEN_WHILE_TOTP_PENDING:
            return None
        if has_active_totp(user):  # activated since log-in
            request.session[SESSION_TOTP_KEY] = True
            return None
        return redirect("mfa_activate_totp")
