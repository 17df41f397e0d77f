"""Forms of the DNF's pages: a jury session, and the filters of its lists.

The session form checks what a form can (a date, a place, at least one diploma,
accounts that are jury members); :mod:`jury.sessions` checks again, and what only it
can know (a diploma with dossiers on the session) comes back as field errors.
"""

from django import forms
from django.db.models import Q

from auditeurs.models import Role, User
from d3.search import search_query
from d3.widgets import Select
from dossiers.forms import DateInput
from dossiers.models import Diplome, Kind
from jury import selectors
from jury.sessions import MAX_PLACE_LENGTH

SEARCH_MAX_LENGTH = 100


class Checkboxes(forms.CheckboxSelectMultiple):
    """Checkboxes whose field "label" is the first box.

    Django gives the group no id, so the error summary (``form_errors.html``, linking
    to ``#<id_for_label>``) would link to "#"; it now leads to the first box. The
    pages render the boxes in a fieldset whose legend is the field's label.
    """

    def id_for_label(self, id_, index="0"):
        return super().id_for_label(id_, index)


class JuryMemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.username


class JuryMembersChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.username


class DiplomesChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, diplome):
        return f"{diplome.code} — {diplome.title}"


def jury_members():
    return User.objects.filter(role=Role.MEMBRE_JURY, is_active=True).order_by(
        "last_name", "first_name", "username"
    )


class SessionForm(forms.Form):
    date = forms.DateField(
        label="Date du jury",
        widget=DateInput,
        error_messages={
            "required": "Indiquez la date du jury.",
            "invalid": "Saisissez une date valide, par exemple 15/06/2026.",
        },
    )
    place = forms.CharField(
        label="Lieu",
        help_text="Le centre, l'adresse et la salle : ils figurent dans le procès-verbal.",
        max_length=MAX_PLACE_LENGTH,
        error_messages={
            "required": "Indiquez le lieu du jury.",
            "max_length": f"Le lieu ne peut pas dépasser {MAX_PLACE_LENGTH} caractères.",
        },
    )
    diplomes = DiplomesChoice(
        label="Diplômes concernés",
        help_text="Seuls les dossiers de ces diplômes pourront être inscrits à la session.",
        queryset=Diplome.objects.none(),
        widget=Checkboxes,
        error_messages={
            "required": "Choisissez au moins un diplôme examiné par cette session.",
            "invalid_choice": "Choisissez les diplômes dans la liste proposée.",
            "invalid_pk_value": "Choisissez les diplômes dans la liste proposée.",
        },
    )
    president = JuryMemberChoice(
        label="Président",
        queryset=User.objects.none(),
        empty_label="Choisissez le président",
        error_messages={
            "required": "Choisissez le président du jury.",
            "invalid_choice": "Le président doit être choisi parmi les membres de jury.",
        },
    )
    members = JuryMembersChoice(
        label="Membres",
        help_text="Les autres membres du jury ; le président en fait partie d'office.",
        queryset=User.objects.none(),
        required=False,
        widget=Checkboxes,
        error_messages={
            "invalid_choice": "Les membres doivent être choisis parmi les membres de jury.",
            "invalid_pk_value": "Les membres doivent être choisis parmi les membres de jury.",
        },
    )

    def __init__(self, *args, session=None, **kwargs):
        if session is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "date": session.date,
                "place": session.place,
                "diplomes": list(session.diplomes.all()),
                "president": session.president,
                "members": list(session.members.all()),
            }
        super().__init__(*args, **kwargs)
        # The active diplomas, and those the session already examines (a diploma
        # closed to new requests since stays on the sessions that examine it).
        diplomes = Q(active=True)
        members = Q(pk__in=jury_members())
        if session is not None:
            diplomes |= Q(pk__in=session.diplomes.values("pk"))
        self.fields["diplomes"].queryset = Diplome.objects.filter(diplomes).order_by("code")
        self.fields["president"].queryset = User.objects.filter(members).order_by(
            "last_name", "first_name", "username"
        )
        self.fields["members"].queryset = User.objects.filter(members).order_by(
            "last_name", "first_name", "username"
        )

    def clean_place(self):
        return self.cleaned_data["place"].strip()

    def session_fields(self):
        """The cleaned data as :mod:`jury.sessions` takes it."""
        data = self.cleaned_data
        president = data["president"]
        return {
            "date": data["date"],
            "place": data["place"],
            "diplomes": list(data["diplomes"]),
            "president": president,
            "members": [member for member in data["members"] if member != president],
        }

    def add_refusal(self, refusal):
        """Put the backend's field errors next to their fields; True if any was."""
        placed = False
        for field, message in refusal.errors.items():
            if field in self.fields:
                self.add_error(field, message)
                placed = True
        return placed


class TransmittedFilterForm(forms.Form):
    """The transmitted list's filters. A filter never fails: a wrong value is ignored."""

    q = forms.CharField(
        label="Rechercher",
        help_text="Nom, identifiant ENF, numéro d'auditeur ou référence du dossier.",
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    # d3.widgets.Select: Django's HTML rendered in Python (the list page's cost).
    etat = forms.ChoiceField(
        label="État",
        required=False,
        widget=Select,
        choices=[(state.value, selectors.TRANSMITTED_LABELS[state])
                 for state in selectors.TRANSMITTED_STATES]
        + [(selectors.ALL_STATES, "Tous les états")],
    )
    diplome = forms.ChoiceField(label="Diplôme", required=False, widget=Select)
    nature = forms.ChoiceField(
        label="Nature de la demande",
        required=False,
        widget=Select,
        choices=[("", "Toutes les natures"), *Kind.choices],
    )
    centre = forms.ChoiceField(label="Centre", required=False, widget=Select)
    depuis = forms.DateField(
        label="Transmis depuis le",
        required=False,
        widget=DateInput,
        error_messages={"invalid": "Saisissez une date valide, par exemple 01/03/2026."},
    )
    jusqu_au = forms.DateField(
        label="Transmis jusqu'au",
        required=False,
        widget=DateInput,
        error_messages={"invalid": "Saisissez une date valide, par exemple 31/03/2026."},
    )

    def __init__(self, data, *, diplomas, centres):
        data = data.copy()
        if not data.get("etat"):
            data["etat"] = selectors.DEFAULT_STATE
        super().__init__(data)
        self.fields["diplome"].choices = [("", "Tous les diplômes")] + [
            (str(diplome.pk), f"{diplome.code} — {diplome.title}") for diplome in diplomas
        ]
        self.fields["centre"].choices = [("", "Tous les centres")] + [
            (str(centre.pk), centre.name) for centre in centres
        ]

    def clean(self):
        data = super().clean()
        since, until = data.get("depuis"), data.get("jusqu_au")
        if since and until and since > until:
            self.add_error("jusqu_au", "Cette date est antérieure à celle du début de la "
                                       "période : elle n'est pas prise en compte.")
        return data

    def filters(self):
        self.is_valid()
        data = self.cleaned_data
        diplome, centre = data.get("diplome"), data.get("centre")
        return selectors.TransmittedFilters(
            state=data.get("etat") or selectors.DEFAULT_STATE,
            diplome_id=int(diplome) if diplome else None,
            kind=data.get("nature") or "",
            centre_id=int(centre) if centre else None,
            since=data.get("depuis"),
            until=data.get("jusqu_au"),
            query=search_query(self.data.get("q"), SEARCH_MAX_LENGTH),
        )


class EligibleFilterForm(forms.Form):
    """Narrows the dossiers offered to a session; never fails either."""

    q = forms.CharField(
        label="Rechercher",
        help_text="Nom, identifiant ENF, numéro d'auditeur ou référence du dossier.",
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    diplome = forms.ChoiceField(label="Diplôme", required=False)
    centre = forms.ChoiceField(label="Centre", required=False)

    def __init__(self, data, *, diplomas, centres):
        super().__init__(data, prefix="inscrire")
        self.fields["diplome"].choices = [("", "Tous les diplômes de la session")] + [
            (str(diplome.pk), f"{diplome.code} — {diplome.title}") for diplome in diplomas
        ]
        self.fields["centre"].choices = [("", "Tous les centres")] + [
            (str(centre.pk), centre.name) for centre in centres
        ]

    def filters(self):
        self.is_valid()
        data = self.cleaned_data
        diplome, centre = data.get("diplome"), data.get("centre")
        return selectors.EligibleFilters(
            diplome_id=int(diplome) if diplome else None,
            centre_id=int(centre) if centre else None,
            query=search_query(self.data.get(self.add_prefix("q")), SEARCH_MAX_LENGTH),
        )
