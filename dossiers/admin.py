"""Administration of the catalogue: diplomas and their UE groups, UEs, experience
rule sets and pièce types. Labels come from the models' verbose names."""

from django import forms
from django.contrib import admin
from django.db.models import Count

from d3.readonly_admin import ReadOnlyAdmin
from dossiers.models import (
    UE,
    AnonymisedDecision,
    Diplome,
    ExperienceRuleSet,
    GroupKind,
    PieceFormat,
    PieceType,
    UEGroup,
)


@admin.register(ExperienceRuleSet)
class ExperienceRuleSetAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "months_total",
        "months_specialty",
        "months_outside",
        "stage_months_min",
        "stage_months_max",
    ]
    list_filter = ["kind"]
    search_fields = ["name"]


class UEGroupForm(forms.ModelForm):
    class Meta:
        model = UEGroup
        fields = ["label", "kind", "required", "ues", "position"]

    def clean(self):
        # A group that asks for more than its UEs can give could never be satisfied:
        # every DD for the diploma would be refused. The m2m is not saved yet when the
        # model's clean() runs, so the check lives here.
        cleaned = super().clean()
        ues, required, kind = (cleaned.get(name) for name in ("ues", "required", "kind"))
        if ues is None or not required or not kind:
            return cleaned
        if kind == GroupKind.ECTS:
            available = sum(ue.ects for ue in ues)
            unit = "crédits ECTS"
        else:
            available = len(ues)
            unit = "UE"
        if required > available:
            self.add_error(
                "required",
                f"Le groupe exige {required} {unit} mais ses UE n'en apportent que {available}.",
            )
        return cleaned


class UEGroupInline(admin.StackedInline):
    model = UEGroup
    form = UEGroupForm
    extra = 0
    filter_horizontal = ["ues"]
    fields = [("label", "position"), ("kind", "required"), "ues"]


@admin.register(Diplome)
class DiplomeAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "family", "rule_set", "group_count", "active"]
    list_display_links = ["code", "title"]
    list_filter = ["family", "active", "rule_set"]
    search_fields = ["code", "title", "specialty"]
    list_select_related = ["rule_set"]
    inlines = [UEGroupInline]
    fieldsets = [
        (None, {"fields": ["code", "title", "family", "specialty", "active"]}),
        (
            "Conditions",
            {"fields": ["prerequisite", "rule_set", "min_ues_for_early_aep"]},
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_group_count=Count("groups"))

    @admin.display(description="groupes d'UE", ordering="_group_count")
    def group_count(self, obj):
        return obj._group_count


@admin.register(UE)
class UEAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "ects"]
    search_fields = ["code", "title"]


@admin.register(UEGroup)
class UEGroupAdmin(admin.ModelAdmin):
    form = UEGroupForm
    list_display = ["diplome", "label", "kind", "required", "ue_count", "position"]
    list_filter = ["kind", "diplome__family"]
    search_fields = ["label", "diplome__code", "diplome__title", "ues__code"]
    list_select_related = ["diplome"]
    autocomplete_fields = ["diplome"]
    filter_horizontal = ["ues"]
    fields = ["diplome", "label", "kind", "required", "ues", "position"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_ue_count=Count("ues"))

    @admin.display(description="nombre d'UE", ordering="_ue_count")
    def ue_count(self, obj):
        return obj._ue_count


class PieceTypeForm(forms.ModelForm):
    # The model keeps a JSON list; administrators tick boxes instead of typing JSON.
    accepted_formats = forms.MultipleChoiceField(
        label="formats acceptés",
        choices=PieceFormat.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = PieceType
        fields = "__all__"


@admin.register(PieceType)
class PieceTypeAdmin(admin.ModelAdmin):
    form = PieceTypeForm
    list_display = [
        "label",
        "code",
        "required_for_dd",
        "required_for_aep",
        "multiple_files",
        "position",
    ]
    list_filter = ["required_for_dd", "required_for_aep", "multiple_files"]
    search_fields = ["code", "label"]
    list_editable = ["position"]


@admin.register(AnonymisedDecision)
class AnonymisedDecisionAdmin(ReadOnlyAdmin):
    """The traces dossiers.retention leaves, for the statistics."""

    list_display = ["closed_year", "diplome_code", "kind", "centre_code", "closing_state",
                    "decision_kind", "jury_date"]
    list_filter = ["closed_year", "closing_state", "kind", "centre_code"]
    search_fields = ["diplome_code"]
