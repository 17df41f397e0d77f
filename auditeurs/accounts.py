"""Creation of an auditeur's ENF account by a gestionnaire of the centre."""

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from auditeurs import identifiers
from auditeurs.models import AuditeurProfile, Civilite, Role, User
from d3.access import can
from d3.courriels.outbox import queue_courriel

# Two gestionnaires creating homonyms at the same instant may both find the same
# identifier free; the loser of the unique constraint simply takes the next one.
_IDENTIFIER_ATTEMPTS = 5


def _duplicate_number_error():
    message = AuditeurProfile._meta.get_field("auditeur_number").error_messages["unique"]
    return ValidationError({"auditeur_number": ValidationError(message, code="unique")})


def _identifier_taken(identifier):
    return User.objects.filter(username__iexact=identifier).exists()


def set_password_url(user):
    """Absolute link to allauth's "choose a new password" page for ``user``.

    The token is allauth's password-reset token: it stops working once the
    password is set or after ``PASSWORD_RESET_TIMEOUT``; "Mot de passe oublié ?"
    then sends a fresh one.
    """
    path = reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )
    return settings.D3_SITE_URL.rstrip("/") + path


def create_auditeur_account(
    *, created_by, first_name, last_name, email, auditeur_number, centre, civilite
):
    """Create the account, its incomplete profile and the "compte créé" courriel.

    All or nothing, in one transaction. Raises ``PermissionDenied`` when
    ``created_by`` does not manage ``centre``, and ``ValidationError`` (on
    ``auditeur_number``) when the number already belongs to another account.
    """
    if not can(created_by, "create_auditeur_account") or not created_by.centres.filter(
        pk=centre.pk
    ).exists():
        raise PermissionDenied("Ce centre n'est pas l'un des vôtres.")

    with transaction.atomic():
        if AuditeurProfile.objects.filter(auditeur_number=auditeur_number).exists():
            raise _duplicate_number_error()
        for _attempt in range(_IDENTIFIER_ATTEMPTS):
            identifier = identifiers.available_identifier(
                first_name, last_name, taken=_identifier_taken
            )
            try:
                with transaction.atomic():  # a savepoint, so that a lost race can retry
                    user = User(
                        username=identifier,
                        first_name=first_name,
                        last_name=last_name,
                        email=email,
                        role=Role.AUDITEUR,
                    )
                    # No password until the auditeur chooses one through the link.
                    user.set_unusable_password()
                    user.save()
                    profile = AuditeurProfile.objects.create(
                        user=user,
                        auditeur_number=auditeur_number,
                        centre=centre,
                        civilite=civilite,
                    )
            except IntegrityError:
                if AuditeurProfile.objects.filter(auditeur_number=auditeur_number).exists():
                    raise _duplicate_number_error() from None
                continue
            break
        else:
            raise RuntimeError(f"No free ENF identifier found for {identifier!r}.")

        queue_courriel(
            to=email,
            template="compte_cree",
            context={
                "civilite": Civilite(civilite).label if civilite else "",
                "first_name": first_name,
                "last_name": last_name,
                "identifier": user.username,
                "auditeur_number": profile.auditeur_number,
                "centre_name": centre.name,
                "set_password_url": set_password_url(user),
                "link_validity_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
                "login_url": settings.D3_SITE_URL.rstrip("/") + reverse("account_login"),
            },
            recipient_user=user,
        )
    return user
