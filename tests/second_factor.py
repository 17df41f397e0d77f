"""Staff log in with a password, then a TOTP code: the helpers the tests share.

Every staff account of the factories has the same known secret (TOTP_SECRET);
the code of the moment is computed from the secret the account really stores.
"""

import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.urls import reverse

from tests.factories import PASSWORD, TOTP_SECRET  # noqa: F401 (re-exported)


def current_totp_code(user, offset_steps=0):
    """The code the user's authenticator app shows now (at the clock's time)."""
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    secret = decrypt(authenticator.data["secret"])
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD + offset_steps
    return format_hotp_value(hotp_value(secret, counter))


def log_in_through_form(client, user, password=PASSWORD, code=None):
    """Password, then (for an account with TOTP) the code: the response of the last step."""
    response = client.post(reverse("account_login"), {"login": user.username, "password": password})
    if response.status_code == 302 and response["Location"] == reverse("mfa_authenticate"):
        code = current_totp_code(user) if code is None else code
        response = client.post(reverse("mfa_authenticate"), {"code": code})
    return response
