"""Log-ins, failed log-ins and log-outs, from Django's signals (allauth logs in and
out through Django's own functions, so they fire for every way in)."""

from django.contrib.auth import get_user_model, user_logged_in, user_logged_out
from django.contrib.auth import user_login_failed
from django.dispatch import receiver

from d3.audit.record import Action, record


@receiver(user_logged_in, dispatch_uid="d3-audit-logged-in")
def logged_in(sender, request, user, **kwargs):
    record(request, Action.CONNEXION, user=user)


@receiver(user_logged_out, dispatch_uid="d3-audit-logged-out")
def logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(request, Action.DECONNEXION, user=user)


@receiver(user_login_failed, dispatch_uid="d3-audit-login-failed")
def login_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password in ``credentials``; only the identifier
    # is kept, and linked to the account it names, if any.
    User = get_user_model()
    identifier = str(credentials.get(User.USERNAME_FIELD) or credentials.get("username")
                     or credentials.get("email") or "")
    account = User._default_manager.filter(
        **{User.USERNAME_FIELD: identifier.lower()}).first() if identifier else None
    record(request, Action.ECHEC_CONNEXION, user=account, identifier=identifier)
