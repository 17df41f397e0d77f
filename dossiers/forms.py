"""Forms of the auditeur's dossier pages: starting a request, then filling in the draft.

The rules themselves live in the services (:mod:`dossiers.requests`,
:mod:`dossiers.experience`); these forms turn posted values into their arguments and
their French answers into errors next to the fields. Every change to a draft goes
through :func:`locked_draft`, which takes the same row lock as signing: a period
cannot change between the digest the auditeur signs and the signature itself.
"""

from contextlib import contextmanager

from django import forms
from django.db import transaction
from django.utils import timezone

from d3.search import search_query
from dossiers.experience import Period, validate_period
from dossiers.models import Dossier, ExperiencePeriod, Kind, PeriodKind, State

EARLIEST_PREREQUISITE_YEAR = 1950
SEARCH_MAX_LENGTH = 100


class DraftNotEditable(Exception):
    """The dossier is no longer a draft (signed or withdrawn meanwhile)."""

    message = (
        "Ce dossier n'est plus un brouillon : il ne peut plus être modifié depuis ces "
        "pages."
    )


@contextmanager
def locked_draft(dossier):
    """A transaction holding the dossier's row lock, entered only while it is a draft.

    Also touches ``updated_at`` on the way out ("untouched draft" reminders and the
    list of dossiers go by it).
    """
    with transaction.atomic():
        locked = Dossier.objects.select_for_update(of=("self",)).get(pk=dossier.pk)
        if locked.state != State.BROUILLON:
            raise DraftNotEditable
        yield locked
        locked.save(update_fields=["updated_at"])


def as_period(period):
    """An :class:`ExperiencePeriod` row as the plain data :mod:`dossiers.experience` takes."""
    return Period(
        start=period.start,
        end=period.end,
        working_time=period.working_time,
        in_specialty=period.in_specialty,
        at_level=period.at_level,
        kind=period.kind,
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        # The ISO format is the one <input type="date"> sends and expects.
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class Radios(forms.RadioSelect):
    """Radio buttons whose field "label" is the first button.

    Django's ``RadioSelect`` has no id for the group, so the shared error summary
    (``form_errors.html``, linking to ``#<id_for_label>``) would link to "#"; its
    links now lead to the first button of the group. The pages render the buttons
    themselves, in a fieldset whose legend is the question.
    """

    def id_for_label(self, id_, index="0"):
        return super().id_for_label(id_, index)


# --- Starting a request -------------------------------------------------------------


class DiplomeSearchForm(forms.Form):
    q = forms.CharField(label="Rechercher un diplôme", required=False,
                        max_length=SEARCH_MAX_LENGTH)

    def query(self):
        # A search box never fails: an over-long query is cut rather than refused.
        return search_query(self.data.get("q"), SEARCH_MAX_LENGTH)


YES, NO = "oui", "non"


class StartRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label="Nature de la demande",
        choices=Kind.choices,
        widget=Radios,
        error_messages={
            "required": "Choisissez la nature de votre demande.",
            "invalid_choice": "Choisissez la nature de votre demande dans la liste.",
        },
    )
    formation_continue = forms.ChoiceField(
        label="Avez-vous suivi votre cursus en formation continue (stages en journée) ?",
        choices=[(YES, "Oui"), (NO, "Non")],
        widget=Radios,
        error_messages={
            "required": "Indiquez si vous avez suivi votre cursus en formation continue.",
            "invalid_choice": "Répondez par oui ou par non.",
        },
    )

    def start_arguments(self):
        return {
            "kind": Kind(self.cleaned_data["kind"]),
            "formation_continue": self.cleaned_data["formation_continue"] == YES,
        }


# --- Step 1: prerequisite diploma ---------------------------------------------------


class PrerequisiteForm(forms.ModelForm):
    """The diploma the auditeur holds; required for a request including a DD."""

    class Meta:
        model = Dossier
        fields = ["prerequisite_title", "prerequisite_year", "prerequisite_institution"]
        labels = {
            "prerequisite_title": "Intitulé du diplôme obtenu",
            "prerequisite_year": "Année d'obtention",
            "prerequisite_institution": "Établissement qui l'a délivré",
        }
        help_texts = {
            "prerequisite_title": "Par exemple : DUT informatique, BTS SIO, Licence 2 de "
            "mathématiques.",
            "prerequisite_year": "Sur quatre chiffres, par exemple 2015.",
        }

    def __init__(self, *args, required, **kwargs):
        super().__init__(*args, **kwargs)
        year = self.fields["prerequisite_year"]
        year.widget = forms.NumberInput(attrs={
            "min": EARLIEST_PREREQUISITE_YEAR, "max": timezone.localdate().year,
            "inputmode": "numeric",
        })
        year.error_messages["invalid"] = "Indiquez l'année sur quatre chiffres, par exemple 2015."
        # The model's own bounds (0, 32767) speak of numbers, not of years.
        year.error_messages["min_value"] = (
            f"L'année d'obtention doit être {EARLIEST_PREREQUISITE_YEAR} ou après."
        )
        year.error_messages["max_value"] = "L'année d'obtention ne peut pas être dans le futur."
        messages = {
            "prerequisite_title": "Indiquez l'intitulé du diplôme prérequis obtenu.",
            "prerequisite_year": "Indiquez l'année d'obtention du diplôme.",
            "prerequisite_institution": "Indiquez l'établissement qui a délivré le diplôme.",
        }
        for name, message in messages.items():
            self.fields[name].required = required
            self.fields[name].error_messages["required"] = message
        self.fields["prerequisite_title"].widget.attrs["autocomplete"] = "off"

    def clean_prerequisite_year(self):
        year = self.cleaned_data.get("prerequisite_year")
        if year is None:
            return year
        if year > timezone.localdate().year:
            raise forms.ValidationError("L'année d'obtention ne peut pas être dans le futur.")
        if year < EARLIEST_PREREQUISITE_YEAR:
            raise forms.ValidationError(
                f"L'année d'obtention doit être {EARLIEST_PREREQUISITE_YEAR} ou après."
            )
        return year

    def save(self, commit=True):
        """Saved under the dossier's lock; raises :class:`DraftNotEditable`."""
        with locked_draft(self.instance) as locked:
            for name in self._meta.fields:
                setattr(locked, name, self.cleaned_data[name])
            locked.save(update_fields=list(self._meta.fields))
        return locked


# --- Step 2: experience periods -----------------------------------------------------

WORKING_TIME_MESSAGE = "Le temps de travail doit être compris entre 1 et 100 %."


class PeriodForm(forms.ModelForm):
    """One period of experience; the date rules are those of ``validate_period``."""

    ongoing = forms.BooleanField(
        label="En cours (je suis toujours dans ce poste)", required=False,
    )

    class Meta:
        model = ExperiencePeriod
        fields = ["employer", "position", "start", "end", "ongoing", "working_time",
                  "in_specialty", "at_level", "kind", "tasks"]
        labels = {
            "employer": "Employeur",
            "position": "Poste occupé",
            "start": "Date de début",
            "end": "Date de fin",
            "working_time": "Temps de travail (%)",
            "in_specialty": "Dans la spécialité (ou le domaine) du diplôme",
            "at_level": "À un niveau correspondant au diplôme",
            "kind": "Nature de l'activité",
            "tasks": "Missions et tâches principales",
        }
        help_texts = {
            "employer": "Ou « Activité indépendante » si vous étiez à votre compte.",
            "end": "Laissez vide et cochez « En cours » si vous occupez toujours ce poste.",
            "working_time": "100 pour un temps plein, 50 pour un mi-temps.",
            "tasks": "Ce que vous faisiez : le jury s'appuie sur cette description.",
        }
        widgets = {
            "start": DateInput,
            "end": DateInput,
            "kind": Radios,
            "tasks": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.fields
        fields["employer"].error_messages["required"] = "Indiquez l'employeur."
        fields["position"].error_messages["required"] = "Indiquez le poste occupé."
        for name in ("start", "end"):
            fields[name].error_messages["invalid"] = (
                "Indiquez une date valide, au format JJ/MM/AAAA."
            )
        fields["start"].error_messages["required"] = "Indiquez la date de début."
        working_time = fields["working_time"]
        working_time.min_value, working_time.max_value = 1, 100
        working_time.widget.attrs.update({"min": 1, "max": 100, "inputmode": "numeric"})
        # Django %-formats these messages with the limit: the percent sign is doubled.
        for code in ("min_value", "max_value"):
            working_time.error_messages[code] = WORKING_TIME_MESSAGE.replace("%", "%%")
        working_time.error_messages["required"] = "Indiquez le temps de travail."
        working_time.error_messages["invalid"] = "Indiquez un nombre entier, de 1 à 100."
        kind = fields["kind"]
        kind.choices = PeriodKind.choices  # no blank choice for radio buttons
        kind.error_messages["required"] = "Choisissez la nature de l'activité."
        kind.error_messages["invalid_choice"] = "Choisissez la nature de l'activité dans la liste."
        if self.instance.pk is not None and not self.is_bound:
            self.initial["ongoing"] = self.instance.end is None

    def clean(self):
        cleaned = super().clean()
        ongoing = cleaned.get("ongoing")
        end = cleaned.get("end")
        if "end" not in self.errors:
            if ongoing and end is not None:
                self.add_error("end", "Pour une période en cours, laissez la date de fin vide "
                                      "(ou décochez « En cours »).")
            elif not ongoing and end is None:
                self.add_error("end", "Indiquez la date de fin, ou cochez « En cours » si "
                                      "vous occupez toujours ce poste.")
        required = ("start", "working_time", "kind")
        if any(name in self.errors or cleaned.get(name) is None for name in required):
            # The rules of validate_period only make sense on complete values.
            return cleaned
        errors = validate_period(self.to_period(), timezone.localdate())
        for name, message in errors.items():
            if name not in self.errors:
                self.add_error(name, message)
        return cleaned

    def to_period(self):
        data = self.cleaned_data
        return Period(
            start=data["start"],
            end=data.get("end"),
            working_time=data["working_time"],
            in_specialty=bool(data.get("in_specialty")),
            at_level=bool(data.get("at_level")),
            kind=data["kind"],
        )

    def save(self, commit=True):
        """Create or update the period under the dossier's lock; raises
        :class:`DraftNotEditable`."""
        period = super().save(commit=False)
        with locked_draft(period.dossier):
            if period.pk is not None and not ExperiencePeriod.objects.filter(
                pk=period.pk, dossier_id=period.dossier_id
            ).exists():
                # Deleted in another tab meanwhile: nothing to update.
                raise ExperiencePeriod.DoesNotExist
            period.save()
        return period


def delete_period(period):
    """Delete ``period`` under its dossier's lock; raises :class:`DraftNotEditable`."""
    with locked_draft(period.dossier):
        ExperiencePeriod.objects.filter(pk=period.pk).delete()
