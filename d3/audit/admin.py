"""The audit trail for the administrateur: read, filtered, never changed."""

from django.contrib import admin

from d3.audit.models import AuditEntry
from d3.readonly_admin import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "actor_identifier", "object_type", "object_id",
                    "client_ip"]
    list_filter = ["action", "at", "object_type"]
    search_fields = ["actor_identifier", "client_ip", "object_id"]
    date_hierarchy = "at"
    fields = ["at", "action", "actor", "actor_identifier", "object_type", "object_id",
              "client_ip", "user_agent"]
    list_select_related = ["actor"]
    show_full_result_count = False  # the trail grows; counting it all is slow
