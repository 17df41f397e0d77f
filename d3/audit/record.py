"""Writing the audit trail, and looking objects up so that a refused access is in it."""

from django.http import Http404

from d3.audit.models import IDENTIFIER_LENGTH, USER_AGENT_LENGTH, Action, AuditEntry
from d3.client_ip import client_ip

__all__ = ["Action", "record", "get_visible_or_404"]


def record(request, action, *, user=None, identifier="", obj=None, object_type="",
           object_id=""):
    """Write one entry. ``user``: who acts (default: the request's signed-in user);
    ``identifier``: what was typed when no account matches (a failed log-in);
    ``obj``: the object concerned (its model and primary key are kept)."""
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    if obj is not None:
        object_type, object_id = obj._meta.label_lower, obj.pk
    meta = request.META if request is not None else {}
    return AuditEntry.objects.create(
        actor=user,
        actor_identifier=(user.get_username() if user else identifier)[:IDENTIFIER_LENGTH],
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        client_ip=client_ip(request) if request is not None else None,
        user_agent=meta.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH],
    )


def get_visible_or_404(request, visible, **lookup):
    """``visible.get(**lookup)``, or a 404 — recorded as a refused access when the
    object exists but is not among those ``visible`` to the user.

    The 404 is the same either way: the user learns nothing of the object; only the
    trail tells an administrateur that someone tried another's dossier.
    """
    try:
        return visible.get(**lookup)
    except visible.model.DoesNotExist:
        model = visible.model
        existing = model._base_manager.filter(**lookup).values_list("pk", flat=True).first()
        if existing is not None:
            record(request, Action.ACCES_REFUSE, object_type=model._meta.label_lower,
                   object_id=existing)
        raise Http404(f"Aucun objet {model._meta.verbose_name} ne correspond.") from None
