"""What each role may see and do: the one place that answers it.

Pages ask :func:`can` (or use :func:`capability_required`); object-level scoping
("this dossier is yours", "this auditeur is of your centre") lives in the
querysets next to the models and builds on the same roles.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from auditeurs.models import Role
from d3.audit.record import Action, record

A, G, D, J, ADM = (
    Role.AUDITEUR,
    Role.GESTIONNAIRE,
    Role.AGENT_DNF,
    Role.MEMBRE_JURY,
    Role.ADMINISTRATEUR,
)
STAFF = frozenset({G, D, J, ADM})

CAPABILITIES = {
    # auditeur space
    "auditeur_space": {A},  # profile, Suivi de dossiers, Attestation de M1
    # centre staff
    "centre_home": {G},
    "create_auditeur_account": {G},
    "centre_review": {G},  # the queue of the centre's dossiers, their review, the export
    # DNF
    "dnf_home": {D},
    "dnf_pages": {D},  # transmitted dossiers, jury sessions, PV and courriers
    # jury
    "jury_home": {J},
    # administration
    "admin_home": {ADM},
    "staff_help": STAFF,
}

# The home page of each role, where log-in lands.
HOME_URL_NAMES = {
    A: "auditeurs:suivi",
    G: "auditeurs:centre_home",
    D: "jury:dnf_home",
    J: "jury:jury_home",
    ADM: "admin:index",
}

# Main navigation of each role: (URL name, label).
NAVIGATION = {
    A: [
        ("auditeurs:suivi", "Suivi de dossiers"),
        ("auditeurs:profile", "Mon profil"),
        ("auditeurs:attestation_m1", "Attestation de M1"),
        ("auditeurs:personal_data", "Mes données personnelles"),
    ],
    G: [
        ("auditeurs:centre_home", "Accueil du centre"),
        ("dossiers:centre_queue", "Dossiers à contrôler"),
        ("auditeurs:create_account", "Créer un compte auditeur"),
    ],
    D: [
        ("jury:dnf_home", "Accueil DNF"),
        ("jury:dnf_dossiers", "Dossiers transmis"),
        ("jury:dnf_sessions", "Sessions de jury"),
    ],
    J: [("jury:jury_home", "Mes sessions de jury")],
    ADM: [("admin:index", "Administration")],
}


def can(user, capability):
    if capability not in CAPABILITIES:
        raise KeyError(f"Unknown capability {capability!r}")
    return (
        user.is_authenticated and user.is_active and user.role in CAPABILITIES[capability]
    )


def capability_required(capability):
    """Anonymous → log-in page; signed in without the capability → 403."""
    if capability not in CAPABILITIES:
        raise KeyError(f"Unknown capability {capability!r}")

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not can(request.user, capability):
                # A signed-in user on a page of another role: in the audit trail.
                page = getattr(request.resolver_match, "view_name", "")
                record(request, Action.ACCES_REFUSE, object_type="page", object_id=page[:40])
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.capability = capability
        return wrapper

    return decorator


def home_url_name(user):
    return HOME_URL_NAMES.get(user.role, "aide")
