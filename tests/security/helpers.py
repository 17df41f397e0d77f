"""What the security tests share: every URL of the project, and a fingerprint of every
row a page could change."""

from django.urls import URLPattern, URLResolver, get_resolver

from auditeurs.models import AuditeurProfile, User, ValidatedUE
from d3.courriels.models import Courriel
from dossiers.models import Dossier, Event, ExperiencePeriod, Piece, PieceFile, Signature
from jury.models import Courrier, Decision, JurySession


def url_patterns(patterns=None, prefix="", namespace=""):
    """(route, URL name or None, pattern) of every URL of the project."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_patterns(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            yield route, name, entry


def fingerprint():
    """Every row a page could change (log-in times aside), to compare with ``==``."""
    tables = [Dossier, ExperiencePeriod, Piece, PieceFile, Signature, Event, JurySession,
              JurySession.members.through, JurySession.diplomes.through, Decision, Courrier,
              Courriel, AuditeurProfile, ValidatedUE]
    rows = {model._meta.label: list(model.objects.order_by("pk").values()) for model in tables}
    rows["users"] = list(User.objects.order_by("pk").values(
        "pk", "username", "role", "is_active", "email", "first_name", "last_name",
        "password"))
    return rows


def read_to_the_end(response):
    """A streamed file is read to its end, which closes it (as a server does)."""
    if response.streaming:
        b"".join(response.streaming_content)
    return response
