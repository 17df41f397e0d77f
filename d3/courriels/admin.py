from django.contrib import admin, messages
from django.utils.text import Truncator
from django.utils.translation import ngettext

from d3.courriels.models import Courriel, Status
from d3.courriels.tasks import resend


@admin.register(Courriel)
class CourrielAdmin(admin.ModelAdmin):
    """Read-only view of the outbox: what was sent to whom, and what failed."""

    list_display = ["subject", "to", "dossier_reference", "status", "attempts", "error",
                    "created_at", "sent_at"]
    list_filter = ["status", "created_at", "sent_at", "template"]
    search_fields = ["to", "subject", "dossier_reference"]
    date_hierarchy = "created_at"
    actions = ["resend_failed"]
    fields = readonly_fields = [
        "to", "recipient_user", "dossier_reference", "subject", "template", "status",
        "attempts", "last_error", "created_at", "next_attempt_at", "sent_at",
        "claimed_until", "attachments", "body_text", "body_html",
    ]

    @admin.display(description="dernière erreur")
    def error(self, courriel):
        # Why it is still pending or has failed, where staff look for it: the list.
        if courriel.status == Status.SENT:
            return ""
        return Truncator(courriel.last_error).chars(120)

    def has_add_permission(self, request):
        # Courriels are written by the transitions they report, never by hand.
        return False

    def has_delete_permission(self, request, obj=None):
        # The outbox is also the record of what each auditeur was told.
        return False

    @admin.action(description="Renvoyer les courriels sélectionnés", permissions=["change"])
    def resend_failed(self, request, queryset):
        resent = sum(resend(courriel) for courriel in queryset.filter(status=Status.FAILED))
        skipped = queryset.count() - resent
        if resent:
            self.message_user(request, ngettext(
                "%d courriel remis en file d'envoi.",
                "%d courriels remis en file d'envoi.", resent) % resent, messages.SUCCESS)
        if skipped:
            self.message_user(request, ngettext(
                "%d courriel ignoré : seuls les courriels en échec peuvent être renvoyés.",
                "%d courriels ignorés : seuls les courriels en échec peuvent être renvoyés.",
                skipped) % skipped, messages.WARNING)
