"""Attestation de M1: the formalities, and the request form filled in as a PDF.

D3 does not deliver the attestation itself: the auditeur downloads the request
form, pre-filled from the profile, signs it and sends it to the centre
d'inscription. Nothing is stored; the PDF is made on each request.
"""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.forms.widgets import ChoiceWidget
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from auditeurs.models import AuditeurProfile, Civilite
from d3.access import capability_required
from d3.pdf import render_pdf
from dossiers.downloads import attachment
from dossiers.models import Diplome, Family

EARLIEST_BIRTH_YEAR = 1900
# The Cnam awarded masters long before D3: an old M1 is a normal case.
EARLIEST_ACADEMIC_YEAR = 1990
ACADEMIC_YEAR_RE = re.compile(r"^(\d{4})\s*[-/–]\s*(\d{4})$")

MOTIF_CHOICES = [
    ("poursuite_etudes", "Poursuite d'études (deuxième année de master, autre établissement)"),
    ("emploi", "Candidature à un emploi ou à un concours"),
    ("employeur", "Demande de l'employeur ou d'un financeur de la formation"),
    ("autre", "Autre motif (à préciser ci-dessous)"),
]


class RadioSelect(forms.RadioSelect):
    """Radios whose group "label id" is the first radio's: error summaries link to it."""

    def id_for_label(self, id_, index="0"):
        return ChoiceWidget.id_for_label(self, id_, index)


def current_academic_year(today=None):
    """The academic year in progress, as (start, end): it starts in September."""
    today = today or timezone.localdate()
    start = today.year if today.month >= 9 else today.year - 1
    return start, start + 1


class AttestationM1Form(forms.Form):
    # Identity and contact details: pre-filled from the profile, correctable here
    # for this request only (the profile itself is changed on "Mon profil").
    civilite = forms.ChoiceField(
        label="Civilité", choices=[("", "Choisissez"), *Civilite.choices]
    )
    birth_name = forms.CharField(label="Nom de naissance", max_length=150)
    usage_name = forms.CharField(
        label="Nom d'usage", max_length=150, required=False,
        help_text="S'il diffère du nom de naissance.",
    )
    first_names = forms.CharField(
        label="Prénoms", max_length=200,
        help_text="Tous vos prénoms, dans l'ordre de l'état civil.",
    )
    birth_date = forms.DateField(
        label="Date de naissance",
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Saisissez une date valide, par exemple 17/05/1990."},
    )
    birth_place = forms.CharField(
        label="Lieu de naissance", max_length=200,
        help_text="Commune, et pays si vous êtes né ou née à l'étranger.",
    )
    address_line1 = forms.CharField(
        label="Adresse", max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
        help_text="Numéro et voie.",
    )
    address_line2 = forms.CharField(
        label="Complément d'adresse", max_length=200, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    postal_code = forms.CharField(
        label="Code postal", max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    city = forms.CharField(
        label="Commune", max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    country = forms.CharField(
        label="Pays", max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "country-name"}),
    )
    email = forms.EmailField(
        label="Courriel", max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="L'adresse à laquelle votre centre peut vous répondre.",
    )
    phone = forms.CharField(
        label="Téléphone", max_length=30, required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )

    # The request itself.
    master = forms.CharField(
        label="Master concerné",
        max_length=250,
        help_text="Intitulé du master (mention et parcours), et son code s'il figure "
        "sur vos relevés.",
        widget=forms.TextInput(attrs={"list": "masters-du-cnam", "autocomplete": "off"}),
        error_messages={"required": "Indiquez le master dont vous avez validé la première année."},
    )
    academic_year = forms.CharField(
        label="Année universitaire de validation du M1",
        max_length=20,
        help_text="L'année au cours de laquelle vous avez validé la dernière UE de première "
        "année, au format AAAA-AAAA (par exemple 2023-2024).",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": "Indiquez l'année universitaire de validation du M1."},
    )
    motif = forms.ChoiceField(
        label="Motif de la demande",
        choices=MOTIF_CHOICES,
        widget=RadioSelect,
        error_messages={
            "required": "Choisissez le motif de votre demande.",
            "invalid_choice": "Choisissez l'un des motifs proposés.",
        },
    )
    details = forms.CharField(
        label="Précisions",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Obligatoire pour « Autre motif » ; 500 caractères au plus.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("civilite", "birth_name", "first_names", "birth_place", "address_line1",
                     "postal_code", "city", "country", "email"):
            self.fields[name].error_messages["required"] = (
                f"Renseignez le champ « {self.fields[name].label} »."
            )
        self.fields["birth_date"].error_messages["required"] = "Indiquez votre date de naissance."
        today = timezone.localdate()
        self.fields["birth_date"].widget.attrs.update(
            {"min": f"{EARLIEST_BIRTH_YEAR}-01-01", "max": today.isoformat()}
        )

    @classmethod
    def initial_from(cls, profile):
        user = profile.user
        return {
            "civilite": profile.civilite,
            "birth_name": profile.birth_name or user.last_name,
            "usage_name": profile.usage_name,
            "first_names": profile.first_names or user.first_name,
            "birth_date": profile.birth_date,
            "birth_place": profile.birth_place,
            "address_line1": profile.address_line1,
            "address_line2": profile.address_line2,
            "postal_code": profile.postal_code,
            "city": profile.city,
            "country": profile.country or "France",
            "email": user.email,
            "phone": profile.phone,
        }

    def clean_birth_date(self):
        birth_date = self.cleaned_data["birth_date"]
        if birth_date >= timezone.localdate():
            raise ValidationError("La date de naissance doit être dans le passé.", code="future")
        if birth_date < datetime.date(EARLIEST_BIRTH_YEAR, 1, 1):
            raise ValidationError("Vérifiez l'année de naissance.", code="too_old")
        return birth_date

    def clean_academic_year(self):
        value = self.cleaned_data["academic_year"]
        match = ACADEMIC_YEAR_RE.match(value)
        if not match:
            raise ValidationError(
                "Saisissez l'année universitaire au format AAAA-AAAA, par exemple 2023-2024.",
                code="format",
            )
        start, end = int(match[1]), int(match[2])
        if end != start + 1:
            raise ValidationError(
                "Une année universitaire couvre deux années civiles consécutives, "
                "par exemple 2023-2024.",
                code="not_consecutive",
            )
        _, current_end = current_academic_year()
        if start < EARLIEST_ACADEMIC_YEAR or end > current_end:
            raise ValidationError(
                f"L'année universitaire doit être comprise entre {EARLIEST_ACADEMIC_YEAR}-"
                f"{EARLIEST_ACADEMIC_YEAR + 1} et l'année en cours.",
                code="out_of_range",
            )
        return f"{start}-{end}"

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("motif") == "autre" and not cleaned_data.get("details"):
            self.add_error(
                "details",
                ValidationError("Précisez le motif de votre demande.", code="details_required"),
            )
        return cleaned_data

    def motif_label(self):
        return dict(MOTIF_CHOICES)[self.cleaned_data["motif"]]

    def civilite_label(self):
        return Civilite(self.cleaned_data["civilite"]).label


def _profile(user):
    try:
        return user.profile
    except AuditeurProfile.DoesNotExist:
        return None


def _page(request, profile, form):
    masters = Diplome.objects.active().filter(family=Family.MASTER).order_by("title")
    return render(
        request,
        "auditeurs/attestation_m1.html",
        {"profile": profile, "centre": profile.centre, "form": form, "masters": masters},
    )


def _download_name(profile):
    # Server-made: only letters, digits and hyphens reach the header.
    number = re.sub(r"[^A-Za-z0-9-]", "", profile.auditeur_number) or "auditeur"
    return f"demande-attestation-m1-{number}.pdf"


@capability_required("auditeur_space")
@require_GET
@never_cache
def attestation_m1(request):
    profile = _profile(request.user)
    if profile is None:
        return redirect("auditeurs:profile")
    form = AttestationM1Form(initial=AttestationM1Form.initial_from(profile))
    return _page(request, profile, form)


@capability_required("auditeur_space")
@require_POST
@never_cache
def attestation_m1_pdf(request):
    profile = _profile(request.user)
    if profile is None:
        return redirect("auditeurs:profile")
    form = AttestationM1Form(request.POST)
    if not form.is_valid():
        return _page(request, profile, form)
    pdf = render_pdf(
        "pdf/attestation_m1.html",
        {
            "data": form.cleaned_data,
            "civilite_label": form.civilite_label(),
            "motif_label": form.motif_label(),
            "auditeur_number": profile.auditeur_number,
            "centre": profile.centre,
            "username": request.user.username,
            "made_on": timezone.localdate(),
        },
        request=request,
    )
    return attachment(pdf, filename=_download_name(profile), content_type="application/pdf",
                      response_class=HttpResponse)
