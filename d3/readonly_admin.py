"""A ModelAdmin that shows and never changes: for records that change only through
D3's own modules (which check who acts and write the history) or never at all."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
