"""Staff log in with a password, then a TOTP code: the helper the tests share.

Every staff account of the factories has the same known secret (TOTP_SECRET); the
code of the moment is computed from the secret the account really stores.
"""

from django.urls import reverse

from auditeurs.staff_security import current_totp_code as code_for_secret
from auditeurs.staff_security import totp_secret_of
from tests.factories import PASSWORD


def current_totp_code(user):
    """The code the user's authenticator app shows now (at the clock's time)."""
    return code_for_secret(totp_secret_of(user))


def log_in_through_form(client, user, password=PASSWORD, code=None):
    """Password, then (for an account with TOTP) the code: the response of the last step."""
    response = client.post(reverse("account_login"), {"login": user.username, "password": password})
    if response.status_code == 302 and response["Location"] == reverse("mfa_authenticate"):
        code = current_totp_code(user) if code is None else code
        response = client.post(reverse("mfa_authenticate"), {"code": code})
    return response
