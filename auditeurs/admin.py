"""Administration of accounts, centres and validated UEs, with the CSV imports from
the Cnam information system. Labels come from the models' verbose names."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from auditeurs import imports
from auditeurs.models import AuditeurProfile, Centre, Role, User, ValidatedUE

# An upload larger than this is refused before it is read: the information system's
# exports are far smaller (200 000 lines of auditeurs are about 20 Mo).
MAX_UPLOAD_BYTES = imports.MAX_FILE_BYTES


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label="Fichier CSV",
        help_text="Encodage UTF-8, séparateur « ; », une ligne d'en-tête.",
    )
    dry_run = forms.BooleanField(
        label="Vérifier seulement (ne rien enregistrer)",
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"Le fichier dépasse {MAX_UPLOAD_BYTES // (1024 * 1024)} Mo : "
                "découpez-le en plusieurs fichiers."
            )
        return upload


class CsvImportMixin:
    """An "Importer un fichier CSV" button on the changelist, leading to an upload page.

    Subclasses name the import function, the page's title and the expected columns.
    Only users who may both add and change the model may import (the administrateur).
    """

    change_list_template = "admin/csv_import_change_list.html"
    import_function = None
    import_title = ""
    import_columns = ""
    import_help = ""

    def _import_url_name(self):
        opts = self.model._meta
        return f"{opts.app_label}_{opts.model_name}_import"

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [
            path("importer/", view, name=self._import_url_name()),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if self.has_import_permission(request):
            extra_context["import_url"] = reverse(
                f"{self.admin_site.name}:{self._import_url_name()}"
            )
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        report = None
        if request.method == "POST":
            form = CsvUploadForm(request.POST, request.FILES)
            if form.is_valid():
                report = self.import_function(
                    form.cleaned_data["file"], dry_run=form.cleaned_data["dry_run"]
                )
                if report.ok and not report.dry_run:
                    messages.success(request, report.summary)
                    opts = self.model._meta
                    return redirect(
                        f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist"
                    )
                if report.ok:
                    messages.info(request, report.summary)
                else:
                    messages.error(request, report.summary)
        else:
            form = CsvUploadForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": self.import_title,
            "subtitle": None,
            "form": form,
            "report": report,
            "columns": self.import_columns,
            "import_help": self.import_help,
            "changelist_url": reverse(
                f"{self.admin_site.name}:{self.model._meta.app_label}_"
                f"{self.model._meta.model_name}_changelist"
            ),
        }
        return TemplateResponse(request, "admin/csv_import_form.html", context)


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "service_email"]
    list_display_links = ["code", "name"]
    search_fields = ["code", "name"]


class D3UserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "role")


class D3UserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


class ProfileInline(admin.StackedInline):
    model = AuditeurProfile
    can_delete = False
    autocomplete_fields = ["centre"]
    fieldsets = [
        (None, {"fields": ["auditeur_number", "centre", "completed_at"]}),
        ("État civil", {"fields": ["civilite", "birth_name", "usage_name", "first_names",
                                    "birth_date", "birth_place", "nationality"]}),
        ("Coordonnées", {"fields": ["address_line1", "address_line2", "postal_code", "city",
                                     "country", "phone"]}),
    ]


AUDITEUR_IMPORT_COLUMNS = "numero_auditeur;nom;prenom;civilite;email;centre;identifiant"
AUDITEUR_IMPORT_HELP = (
    "Le numéro d'auditeur identifie le compte : une ligne dont le numéro est inconnu crée "
    "un compte auditeur (mot de passe à définir, profil à compléter à la première "
    "connexion), une ligne dont le numéro existe met le compte à jour. La colonne "
    "identifiant est facultative : vide, l'identifiant prenom.nom.auditeur est construit "
    "(avec un chiffre pour les homonymes). Le centre est désigné par son code. Si une "
    "seule ligne est erronée, rien n'est enregistré."
)


@admin.register(User)
class UserAdmin(CsvImportMixin, DjangoUserAdmin):
    form = D3UserChangeForm
    add_form = D3UserCreationForm
    list_display = ["username", "last_name", "first_name", "email", "role", "is_active"]
    list_filter = ["role", "is_active", "is_staff", "centres"]
    search_fields = ["username", "first_name", "last_name", "email", "profile__auditeur_number"]
    filter_horizontal = ["centres", "groups", "user_permissions"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Identité", {"fields": ["first_name", "last_name", "email"]}),
        ("Rôle", {"fields": ["role", "centres"]}),
        (
            "Permissions",
            {
                "classes": ["collapse"],
                "fields": ["is_active", "is_staff", "is_superuser", "groups",
                           "user_permissions"],
            },
        ),
        ("Dates importantes", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "role", "usable_password", "password1", "password2"],
            },
        ),
    ]

    import_function = staticmethod(imports.import_auditeurs)
    import_title = "Importer des auditeurs (fichier CSV)"
    import_columns = AUDITEUR_IMPORT_COLUMNS
    import_help = AUDITEUR_IMPORT_HELP

    def get_inlines(self, request, obj):
        # The profile belongs to auditeurs only; on the add page Django's UserAdmin
        # first creates the account, then shows the full form.
        if obj is not None and (obj.role == Role.AUDITEUR or hasattr(obj, "profile")):
            return [ProfileInline]
        return []

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        # The autocomplete of a validated UE's "auditeur" offers auditeurs only.
        if (
            request.path == reverse(f"{self.admin_site.name}:autocomplete")
            and request.GET.get("model_name") == "validatedue"
        ):
            queryset = queryset.filter(role=Role.AUDITEUR)
        return queryset, may_have_duplicates


@admin.register(AuditeurProfile)
class AuditeurProfileAdmin(CsvImportMixin, admin.ModelAdmin):
    list_display = ["auditeur_number", "display_name", "user", "centre", "completed_at"]
    list_display_links = ["auditeur_number", "display_name"]
    list_filter = ["centre", ("completed_at", admin.EmptyFieldListFilter)]
    search_fields = [
        "auditeur_number",
        "birth_name",
        "usage_name",
        "first_names",
        "user__username",
        "user__email",
    ]
    list_select_related = ["user", "centre"]
    autocomplete_fields = ["user", "centre"]
    fieldsets = [
        (None, {"fields": ["user", "auditeur_number", "centre", "completed_at"]}),
        *ProfileInline.fieldsets[1:],
    ]

    # The same import as on the accounts' list: a profile is created with its account.
    import_function = staticmethod(imports.import_auditeurs)
    import_title = UserAdmin.import_title
    import_columns = AUDITEUR_IMPORT_COLUMNS
    import_help = AUDITEUR_IMPORT_HELP

    @admin.display(description="nom", ordering="birth_name")
    def display_name(self, obj):
        return obj.display_name


@admin.register(ValidatedUE)
class ValidatedUEAdmin(CsvImportMixin, admin.ModelAdmin):
    list_display = ["auditeur", "auditeur_number", "ue", "validated_on", "centre", "grade"]
    list_filter = ["centre"]
    date_hierarchy = "validated_on"
    search_fields = [
        "auditeur__username",
        "auditeur__last_name",
        "auditeur__profile__auditeur_number",
        "ue__code",
        "ue__title",
    ]
    list_select_related = ["auditeur__profile", "ue", "centre"]
    autocomplete_fields = ["auditeur", "ue", "centre"]

    import_function = staticmethod(imports.import_validated_ues)
    import_title = "Importer des UE validées (fichier CSV)"
    import_columns = "numero_auditeur;code_ue;date_validation;centre;note"
    import_help = (
        "Une ligne par UE validée, rattachée à l'auditeur par son numéro et à l'UE par son "
        "code. Date au format AAAA-MM-JJ ou JJ/MM/AAAA ; centre (code) et note sur 20 "
        "facultatifs. Une UE déjà connue pour l'auditeur est mise à jour ; les UE absentes "
        "du fichier sont conservées. Si une seule ligne est erronée, rien n'est enregistré."
    )

    @admin.display(description="numéro d'auditeur", ordering="auditeur__profile__auditeur_number")
    def auditeur_number(self, obj):
        profile = getattr(obj.auditeur, "profile", None)
        return profile.auditeur_number if profile else "—"
