"""Read-only views of the jury's records for the administrators.

Sessions, decisions and courriers change only through the DNF's and the jury's pages
(:mod:`jury.sessions`, :mod:`jury.decisions`, :mod:`jury.courriers`), which check who
acts, lock rows and write the dossiers' history; editing them here would bypass all
of it, so the admin only shows them.
"""

from django.contrib import admin

from d3.readonly_admin import ReadOnlyAdmin
from jury.models import Courrier, Decision, JurySession


@admin.register(JurySession)
class JurySessionAdmin(ReadOnlyAdmin):
    list_display = ["date", "place", "president", "created_by", "closed_at"]
    list_filter = ["date", "closed_at", "diplomes"]
    search_fields = ["place", "president__last_name", "diplomes__code"]
    date_hierarchy = "date"
    fields = ["date", "place", "diplomes", "president", "members", "created_at",
              "created_by", "closed_at", "closed_by"]
    list_select_related = ["president", "created_by"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["dossier", "session", "cursus_valide", "aep_outcome", "stage_months",
                    "dd_outcome", "recorded_by", "recorded_at", "version"]
    list_filter = ["cursus_valide", "aep_outcome", "dd_outcome", "session__date"]
    fields = ["dossier", "session", "cursus_valide", "aep_outcome", "stage_months",
              "dd_outcome", "motive", "recorded_by", "recorded_at", "version"]
    list_select_related = ["dossier__diplome", "session", "recorded_by"]


@admin.register(Courrier)
class CourrierAdmin(ReadOnlyAdmin):
    list_display = ["dossier", "session", "due_on", "status", "attempts", "rendered_at",
                    "sent_at"]
    list_filter = ["status", "due_on", "sent_at"]
    search_fields = ["verification_code"]
    fields = ["dossier", "session", "due_on", "status", "verification_code", "storage_key",
              "rendered_at", "sent_at", "attempts", "next_attempt_at", "last_error"]
    list_select_related = ["dossier__diplome", "session"]
