"""The public simulator: anyone, before logging in, checks the experience rules of a
diploma against periods he or she types in. Nothing is saved.

Works without JavaScript: "Ajouter une période" is a submit button that re-renders the
page with one more blank period.
"""

from django import forms
from django.shortcuts import render
from django.utils import timezone

from dossiers.experience import (
    EMPLOYMENT,
    PERIOD_KINDS,
    Period,
    Rules,
    assess,
    validate_period,
)
from dossiers.models import ExperienceRuleSet

PREFIX = "periode"
EXTRA_PERIODS = 3
MAX_PERIODS = 20
ADD_PERIOD = "ajouter_periode"

# What an untouched period form holds: forms still equal to it are left out, so the
# blank periods at the end of the page do not count as errors.
PERIOD_INITIAL = {"working_time": 100, "kind": EMPLOYMENT}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        # The ISO format is the one <input type="date"> sends and expects.
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class RuleSetChoiceForm(forms.Form):
    rule_set = forms.ModelChoiceField(
        label="Règles d'expérience du diplôme",
        queryset=ExperienceRuleSet.objects.order_by("name"),
        empty_label="Choisissez…",
        help_text="Les règles dépendent du diplôme préparé : licence (parcours L1-L2-L3 "
        "ou admission directe en L3), titre RNCP…",
        error_messages={
            "required": "Choisissez les règles d'expérience de votre diplôme.",
            "invalid_choice": "Choisissez des règles d'expérience dans la liste.",
        },
    )


class PeriodForm(forms.Form):
    start = forms.DateField(
        label="Date de début",
        widget=DateInput,
        error_messages={"required": "Indiquez la date de début."},
    )
    end = forms.DateField(
        label="Date de fin",
        required=False,
        widget=DateInput,
        help_text="Laissez vide si la période est en cours.",
    )
    working_time = forms.IntegerField(
        label="Temps de travail (%)",
        min_value=1,
        max_value=100,
        help_text="100 pour un temps plein, 50 pour un mi-temps.",
        error_messages={
            "required": "Indiquez le temps de travail.",
            # These two are %-formatted with the limit: the percent sign is doubled.
            "min_value": "Le temps de travail doit être compris entre 1 et 100 %%.",
            "max_value": "Le temps de travail doit être compris entre 1 et 100 %%.",
        },
    )
    kind = forms.ChoiceField(label="Type d'expérience", choices=list(PERIOD_KINDS.items()))
    in_specialty = forms.BooleanField(
        label="Dans la spécialité (ou le domaine) du diplôme", required=False
    )
    at_level = forms.BooleanField(
        label="À un niveau correspondant au diplôme", required=False
    )

    def clean(self):
        cleaned = super().clean()
        # Field errors (missing or malformed values) come first; the rules of
        # validate_period only make sense on a complete period.
        if self.errors:
            return cleaned
        period = self.to_period()
        for field, message in validate_period(period, timezone.localdate()).items():
            self.add_error(field, message)
        return cleaned

    def to_period(self):
        data = self.cleaned_data
        return Period(
            start=data["start"],
            end=data.get("end"),
            working_time=data["working_time"],
            in_specialty=data.get("in_specialty", False),
            at_level=data.get("at_level", False),
            kind=data["kind"],
        )


PeriodFormSet = forms.formset_factory(
    PeriodForm,
    extra=EXTRA_PERIODS,
    max_num=MAX_PERIODS,
    validate_max=True,
    absolute_max=MAX_PERIODS,
)


def _period_formset(data=None):
    return PeriodFormSet(
        data, prefix=PREFIX, initial=None, form_kwargs={"initial": PERIOD_INITIAL}
    )


def _with_one_more_period(post):
    """The posted data with one more blank period, pre-filled like the others."""
    data = post.copy()
    try:
        total = int(data.get(f"{PREFIX}-TOTAL_FORMS") or 0)
    except ValueError:
        total = 0
    if not 0 <= total < MAX_PERIODS:
        return data
    data[f"{PREFIX}-TOTAL_FORMS"] = str(total + 1)
    for name, value in PERIOD_INITIAL.items():
        # A bound form shows its data, not its initial values: give it the initial
        # values as data, so that it stays "unchanged" and is skipped when empty.
        data[f"{PREFIX}-{total}-{name}"] = str(value)
    return data


def _rules_or_error(form):
    """The chosen rules, or None with an error on the field.

    A row saved without the admin's checks (shell, import) may lack a number its kind
    needs: the visitor gets a message, not a server error.
    """
    try:
        return Rules.from_rule_set(form.cleaned_data["rule_set"])
    except ValueError:
        form.add_error(
            "rule_set",
            "Ces règles d'expérience sont incomplètes : choisissez-en d'autres ou "
            "contactez votre centre.",
        )
        return None


def simulateur(request):
    assessment = None
    rule_set = None
    if request.method == "POST" and ADD_PERIOD in request.POST:
        # Only adding a form: keep the chosen rule set without reporting errors on it.
        form = RuleSetChoiceForm(initial={"rule_set": request.POST.get("rule_set")})
        formset = _period_formset(_with_one_more_period(request.POST))
    elif request.method == "POST":
        form = RuleSetChoiceForm(request.POST)
        formset = _period_formset(request.POST)
        # Both validated, so that every error shows at once.
        form_valid = form.is_valid()
        if formset.is_valid() and form_valid:
            rules = _rules_or_error(form)
            if rules is not None:
                rule_set = form.cleaned_data["rule_set"]
                periods = [f.to_period() for f in formset.forms if f.has_changed()]
                assessment = assess(periods, rules, today=timezone.localdate())
    else:
        form = RuleSetChoiceForm()
        formset = _period_formset()

    has_errors = form.is_bound and (bool(form.errors) or not formset.is_valid())
    return render(
        request,
        "dossiers/simulateur.html",
        {
            "form": form,
            "formset": formset,
            "assessment": assessment,
            "rule_set": rule_set,
            "has_rule_sets": ExperienceRuleSet.objects.exists(),
            "has_errors": has_errors,
            "can_add_period": formset.total_form_count() < MAX_PERIODS,
            "add_period_name": ADD_PERIOD,
        },
    )
