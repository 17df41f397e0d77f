"""Querysets of the accounts space, scoped by the user who asks.

Pages build on these and never filter by centre themselves: "which auditeurs may
this person see" is answered here once.
"""

from django.db.models import Q
from django.urls import reverse

from auditeurs.models import Role, User, ValidatedUE
from d3.dates import moment


def auditeurs_visible_to(user):
    """Auditeur accounts ``user`` may list: those of his/her centres for a gestionnaire.

    Administrators see everything through the Django admin; every other role
    sees no auditeur here.
    """
    auditeurs = User.objects.filter(role=Role.AUDITEUR).select_related("profile__centre")
    if not (user.is_authenticated and user.is_active):
        return auditeurs.none()
    if user.role == Role.GESTIONNAIRE:
        # A subquery, not a list of ids: the scope stays one SQL statement.
        return auditeurs.filter(profile__centre__in=user.centres.values("pk"))
    if user.role == Role.ADMINISTRATEUR:
        return auditeurs
    return auditeurs.none()


def search_auditeurs(queryset, query):
    """Narrow ``queryset`` to auditeurs matching every word of ``query``.

    Each word may match a name (account or profile), the ENF identifier or the
    numéro d'auditeur, so "martin PAR1000" finds Jeanne Martin of number PAR100001.
    """
    for word in query.split():
        queryset = queryset.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(profile__birth_name__icontains=word)
            | Q(profile__usage_name__icontains=word)
            | Q(profile__first_names__icontains=word)
            | Q(username__icontains=word)
            | Q(profile__auditeur_number__icontains=word)
        )
    return queryset.order_by("last_name", "first_name", "username")


def validated_ues_of(user):
    """The auditeur's own validated UEs, with what the table shows, in one query."""
    return (
        ValidatedUE.objects.filter(auditeur=user)
        .select_related("ue", "centre")
        .order_by("validated_on", "ue__code")
    )


def suivi_rows(user):
    """The auditeur's dossiers as Suivi de dossiers lists them, most recently changed
    first, in one query: each row with its progress, its addresses and its date written
    once here (the template's url and date tags cost 0.3 ms a row)."""
    from dossiers.models import Dossier, State
    from dossiers.progress import progress

    dossiers = Dossier.objects.visible_to(user).select_related("diplome")
    return [
        {
            "dossier": dossier,
            "progress": progress(dossier.state),
            "url": reverse("dossiers:detail", args=[dossier.pk]),
            "edit_url": reverse("dossiers:edit_prerequisite", args=[dossier.pk])
            if dossier.state == State.BROUILLON else "",
            "updated": moment(dossier.updated_at),
        }
        for dossier in dossiers.order_by("-updated_at", "-pk")
    ]
