"""The jury members' pages: the sessions a member sits on, a session's dossiers, a
dossier as the jury reads it, and the decision.

Thin views. Every session is looked up in :func:`jury.decisions.sits_on` and every
dossier in :func:`jury.decisions.jury_dossiers` — the sessions the member sits on, as
president or member —, so that anything else is a 404 and nothing leaks. Other roles
get a 403 (the ``jury_home`` capability), anonymous visitors the log-in page.

The decision goes through :func:`jury.decisions.record_decision`, which checks again
under the session's and the dossier's locks. Its form carries the version of the
decision it was loaded with: when another member saved the decision in between
(:class:`~jury.decisions.DecisionChanged`), the page comes back with the decision as it
now is and a fresh form, and nothing is overwritten. A decision the backend finds
incomplete (a motive missing for a decision that is not favourable…) comes back with
each error next to its field; a refusal (the session closed meanwhile) as a message.
Once the session is closed, the pages are read-only.
"""

from types import SimpleNamespace

from django import forms
from django.contrib import messages
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html_join
from django.views.decorators.http import require_POST, require_safe

from d3.access import capability_required
from d3.audit.record import get_visible_or_404
from dossiers.forms import Radios
from dossiers.models import (
    AepOutcome,
    Dossier,
    ExperiencePeriod,
    Kind,
    PieceFile,
    State,
)
from dossiers import queue, staff_view
from dossiers.pages.follow import PIECE_BADGES
from dossiers.workflow import TransitionError, display_name
from jury.decisions import (
    MAX_MOTIVE_LENGTH,
    MAX_STAGE_MONTHS,
    MIN_STAGE_MONTHS,
    SESSION_CLOSED,
    DecisionChanged,
    decision_summary,
    is_favourable,
    jury_dossiers,
    record_decision,
    sits_on,
)
from jury.models import DdOutcome, Decision, JurySession

# Short names of the kinds, for the columns of a session's list.
KIND_SHORT = {
    Kind.DD: "DD",
    Kind.AEP_ANTICIPEE: "AEP anticipée",
    Kind.DD_AEP: "DD + AEP",
}
# States in which the jury decides (until the session is closed).
DECIDABLE = (State.INSCRIT_JURY, State.DECISION_RENDUE)
# The rapport d'expérience is a pièce like the others; the catalogue names its type
# "rapport-experience" (a code starting with "rapport" elsewhere). The jury reads it
# first: its page shows it in a section of its own.
RAPPORT_PREFIX = "rapport"


# --- The member's sessions (jury_home) ----------------------------------------------------


def member_sessions(user, today):
    """The sessions ``user`` sits on, with their counts: ``(upcoming, past)``.

    Upcoming sessions soonest first, past ones latest first. Two queries, whatever the
    number of sessions and dossiers.
    """
    sessions = list(
        JurySession.objects.filter(pk__in=sits_on(user).values("pk"))
        .select_related("president")
        .prefetch_related("diplomes")
        .annotate(
            dossier_count=Count("dossiers", distinct=True),
            decided_count=Count("decisions", distinct=True),
        )
        .order_by("date", "pk")
    )
    rows = [_session_row(session, user) for session in sessions]
    upcoming = [row for row in rows if row["session"].date >= today]
    past = [row for row in reversed(rows) if row["session"].date < today]
    return upcoming, past


def _session_row(session, user):
    return {
        "session": session,
        "role": "Président" if session.president_id == user.pk else "Membre",
        "diplomes": list(session.diplomes.all()),
        "undecided": session.dossier_count - session.decided_count,
    }


# --- A session's dossiers -----------------------------------------------------------------


def _session(request, pk):
    """A session the member sits on; 404 otherwise."""
    sessions = sits_on(request.user).select_related("president", "closed_by")
    return get_visible_or_404(request, sessions, pk=pk)


def _assessment_cell(dossier, periods, today):
    """The pre-assessment's verdict as the session's list shows it."""
    if not dossier.includes_aep:
        return {"label": "Sans objet", "badge": "", "none": True}
    try:
        assessment = staff_view.pre_assessment(dossier, periods, today)
    except ValueError:  # a rule set edited into an incomplete one
        return {"label": "Règles incomplètes", "badge": "warning", "none": False}
    if assessment is None:
        return {"label": "Expérience non exigée", "badge": "", "none": True}
    badge = "success" if assessment.met else "warning" if assessment.stage_required else "error"
    return {"label": assessment.label, "badge": badge, "none": False}


def _decision_cell(dossier):
    decision = getattr(dossier, "decision", None)
    if decision is None:
        return {"decided": False, "lines": [], "favourable": None}
    return {
        "decided": True,
        "lines": decision_summary(decision, dossier),
        "favourable": is_favourable(cursus_valide=decision.cursus_valide,
                                    aep_outcome=decision.aep_outcome,
                                    dd_outcome=decision.dd_outcome),
    }


# Columns the session's list never shows, left in the database: 100 rows of five models
# in full (address, password hash, dates…) were a good part of the page's time.
SESSION_LIST_UNUSED = (
    "prerequisite_title", "prerequisite_year", "prerequisite_institution", "updated_at",
    "transmitted_at", "corrections_due", "state_changed_at",
    "auditeur__password", "auditeur__last_login", "auditeur__is_superuser",
    "auditeur__email", "auditeur__is_staff", "auditeur__date_joined",
    *(f"auditeur__profile__{name}" for name in (
        "civilite", "birth_date", "birth_place", "nationality", "address_line1",
        "address_line2", "postal_code", "city", "country", "phone", "completed_at")),
    "decision__motive", "decision__recorded_at",
)


def _dossier_row(dossier, dossier_url, today):
    """A line of the session's list, every text made here once: 100 rows of
    ``{% url %}``, ``{% with %}`` and lookups through the dossier were most of the
    page's time (docs/benchmarks.md)."""
    profile = getattr(dossier.auditeur, "profile", None)
    kind_label = queue.KIND_LABELS.get(dossier.kind, dossier.kind)
    if profile is not None:
        name, number = profile.display_name, profile.auditeur_number
    else:
        name, number = dossier.auditeur.get_full_name() or dossier.auditeur.username, None
    decision = _decision_cell(dossier)
    # The lines after the badge, one "<br>label : value" each (values lowered), made
    # here once rather than by a loop of the template in each of the 100 rows.
    decision["lines_html"] = format_html_join(
        "", "<br>{} : {}", ((label, value.lower()) for label, value in decision["lines"])
    )
    return {
        "dossier": dossier,
        "url": dossier_url(dossier.pk),
        "reference": dossier.reference,
        "name": name,
        "number": number,  # None without a profile: no second line
        "diplome_code": dossier.diplome.code,
        "kind_label": kind_label,
        "kind": KIND_SHORT.get(dossier.kind, kind_label),
        "assessment": _assessment_cell(dossier, list(dossier.periods.all()), today),
        "decision": decision,
    }


@require_safe
@capability_required("jury_home")
def session_page(request, pk):
    """The session's dossiers: five queries whatever their number (the session, its
    diplomas, its members, the dossiers with their auditeur, diploma and decision,
    their periods)."""
    session = _session(request, pk)
    today = timezone.localdate()
    dossiers = list(
        jury_dossiers(request.user)
        .filter(jury_session=session)
        .select_related("auditeur__profile", "diplome__rule_set", "decision")
        .defer(*SESSION_LIST_UNUSED)
        .prefetch_related(
            Prefetch("periods", queryset=ExperiencePeriod.objects.order_by("start", "pk"))
        )
        .order_by("auditeur__last_name", "auditeur__first_name", "pk")
    )
    dossier_url = queue.pk_url("jury:member_dossier")
    rows = [_dossier_row(dossier, dossier_url, today) for dossier in dossiers]
    decided = sum(1 for row in rows if row["decision"]["decided"])
    return render(
        request,
        "jury/members/session.html",
        {
            "session": session,
            "role": "Président" if session.president_id == request.user.pk else "Membre",
            "diplomes": list(session.diplomes.all()),
            "members": list(session.members.exclude(pk=session.president_id)
                            .order_by("last_name", "first_name")),
            "rows": rows,
            "decided_count": decided,
            "undecided_count": len(rows) - decided,
        },
    )


# --- The decision form --------------------------------------------------------------------

YES_NO = [("oui", "Oui"), ("non", "Non")]
AEP_CHOICES = [
    (AepOutcome.VALIDEE.value, "Expérience validée"),
    (AepOutcome.VALIDEE_SOUS_RESERVE.value, "Validée sous réserve d'un stage"),
    (AepOutcome.NON_VALIDEE.value, "Non validée"),
]


def _yes(value):
    return value == "oui"


class DecisionForm(forms.Form):
    """The jury's decision on one dossier; only the fields of the dossier's kind.

    ``version`` is the version of the decision the form was loaded with (empty for a
    first decision): :func:`record_decision` refuses to save over another one.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    cursus_valide = forms.TypedChoiceField(
        label="Cursus validé",
        choices=YES_NO,
        coerce=_yes,
        widget=Radios,
        error_messages={
            "required": "Indiquez si le cursus est validé.",
            "invalid_choice": "Répondez oui ou non.",
        },
    )
    aep_outcome = forms.ChoiceField(
        label="Analyse de l'expérience",
        choices=AEP_CHOICES,
        widget=Radios,
        error_messages={
            "required": "Indiquez la décision sur l'expérience professionnelle.",
            "invalid_choice": "Choisissez une décision parmi celles proposées.",
        },
    )
    stage_months = forms.IntegerField(
        label="Durée du stage (mois)",
        help_text=f"Seulement pour une expérience validée sous réserve d'un stage : "
        f"de {MIN_STAGE_MONTHS} à {MAX_STAGE_MONTHS} mois, dans la spécialité du diplôme.",
        required=False,
        min_value=MIN_STAGE_MONTHS,
        max_value=MAX_STAGE_MONTHS,
        error_messages={
            "invalid": "Indiquez un nombre entier de mois.",
            "min_value": f"Le stage exigé dure au moins {MIN_STAGE_MONTHS} mois.",
            "max_value": f"Le stage exigé ne peut pas dépasser {MAX_STAGE_MONTHS} mois.",
        },
    )
    dd_outcome = forms.ChoiceField(
        label="Délivrance du diplôme",
        choices=DdOutcome.choices,
        widget=Radios,
        error_messages={
            "required": "Indiquez la décision sur la délivrance du diplôme.",
            "invalid_choice": "Choisissez une décision parmi celles proposées.",
        },
    )
    motive = forms.CharField(
        label="Motif",
        help_text="Imprimé dans le courrier envoyé à l'auditeur. Obligatoire si la décision "
        "n'est pas entièrement favorable.",
        required=False,
        max_length=MAX_MOTIVE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, dossier, decision=None, **kwargs):
        if decision is not None and not args and "data" not in kwargs:
            kwargs["initial"] = {
                "version": decision.version,
                "cursus_valide": "oui" if decision.cursus_valide else "non",
                "aep_outcome": decision.aep_outcome,
                "stage_months": decision.stage_months,
                "dd_outcome": decision.dd_outcome,
                "motive": decision.motive,
            }
        super().__init__(*args, **kwargs)
        if not dossier.includes_aep:
            del self.fields["aep_outcome"], self.fields["stage_months"]
        if not dossier.includes_dd:
            del self.fields["dd_outcome"]

    def clean(self):
        data = super().clean()
        if data.get("aep_outcome") != AepOutcome.VALIDEE_SOUS_RESERVE:
            # A length typed before choosing another outcome means nothing: dropped.
            data["stage_months"] = None
            self.errors.pop("stage_months", None)
        return data

    def arguments(self):
        """The keyword arguments of :func:`record_decision`."""
        data = self.cleaned_data
        return {
            "expected_version": data.get("version"),
            "cursus_valide": data["cursus_valide"],
            "aep_outcome": data.get("aep_outcome") or "",
            "stage_months": data.get("stage_months"),
            "dd_outcome": data.get("dd_outcome") or "",
            "motive": data.get("motive") or "",
        }


# --- A dossier for the jury ---------------------------------------------------------------


def _dossier(request, pk):
    """A dossier of a session the member sits on, with what its page shows; 404 otherwise."""
    dossiers = jury_dossiers(request.user).select_related(
        "auditeur__profile__centre", "diplome__rule_set", "centre", "jury_session"
    )
    return get_visible_or_404(request, dossiers, pk=pk)


def _current_decision(dossier):
    return Decision.objects.filter(dossier=dossier).select_related("recorded_by").first()


def _piece_rows(dossier):
    """The pièces with their current files, the rapport d'expérience apart."""
    pieces = dossier.pieces.select_related("piece_type").prefetch_related(
        Prefetch(
            "files",
            queryset=PieceFile.objects.order_by("uploaded_at", "pk"),
        )
    )
    rapports, others = [], []
    for piece in pieces:
        versions = [
            {"file": file, "number": number}
            for number, file in enumerate(piece.files.all(), start=1)
        ]
        row = {
            "piece": piece,
            "badge": PIECE_BADGES.get(piece.status, ""),
            "current": [v for v in versions if v["file"].replaced_at is None],
        }
        is_rapport = piece.piece_type.code.lower().startswith(RAPPORT_PREFIX)
        (rapports if is_rapport else others).append(row)
    return rapports, others


def _next_undecided(request, dossier):
    """The next dossier of the session still without a decision, in the list's order."""
    return (
        jury_dossiers(request.user)
        .filter(jury_session=dossier.jury_session_id, decision__isnull=True)
        .exclude(pk=dossier.pk)
        .select_related("auditeur")
        .order_by("auditeur__last_name", "auditeur__first_name", "pk")
        .first()
    )


def _typed(form, dossier):
    """What the member typed, in words, when another member saved first."""
    if not form.is_valid():
        return None
    data = form.arguments()
    typed = SimpleNamespace(**{key: data[key] for key in
                               ("cursus_valide", "aep_outcome", "stage_months", "dd_outcome")})
    return {"lines": decision_summary(typed, dossier), "motive": data["motive"]}


def _render_dossier(request, dossier, *, form=None, decision=None, changed=None, typed=None):
    today = timezone.localdate()
    session = dossier.jury_session
    if decision is None:
        decision = _current_decision(dossier)
    can_decide = not session.is_closed and dossier.state in DECIDABLE
    if can_decide and form is None:
        form = DecisionForm(dossier=dossier, decision=decision)
    period_rows, assessment, rules_incomplete = staff_view.experience(dossier, today)
    rapport_rows, piece_rows = _piece_rows(dossier)
    return render(
        request,
        "jury/members/dossier.html",
        {
            "dossier": dossier,
            "session": session,
            "profile": getattr(dossier.auditeur, "profile", None),
            "cursus": staff_view.cursus_against_groups(dossier),
            "period_rows": period_rows,
            "assessment": assessment,
            "rules_incomplete": rules_incomplete,
            "rapport_rows": rapport_rows,
            "piece_rows": piece_rows,
            "decision": decision,
            "decision_lines": decision_summary(decision, dossier) if decision else [],
            "decided_by": display_name(decision.recorded_by) if decision else "",
            "can_decide": can_decide,
            "form": form if can_decide else None,
            "error_form": form if can_decide and form is not None and form.errors else None,
            "changed": changed,
            "typed": typed,
            "next_dossier": _next_undecided(request, dossier),
        },
    )


@require_safe
@capability_required("jury_home")
def dossier_page(request, pk):
    return _render_dossier(request, _dossier(request, pk))


@require_POST
@capability_required("jury_home")
def decision(request, pk):
    dossier = _dossier(request, pk)
    if dossier.jury_session.is_closed or dossier.state not in DECIDABLE:
        messages.error(
            request,
            SESSION_CLOSED if dossier.jury_session.is_closed
            else "La décision de ce dossier ne peut plus être modifiée.",
        )
        return redirect("jury:member_dossier", pk=dossier.pk)
    form = DecisionForm(request.POST, dossier=dossier)
    if not form.is_valid():
        return _render_dossier(request, dossier, form=form)
    try:
        record_decision(dossier.pk, user=request.user, **form.arguments())
    except Dossier.DoesNotExist:
        # Taken off the session (or the member off it) in the meantime.
        raise Http404 from None
    except DecisionChanged as changed:
        current = changed.current_decision
        dossier = _dossier(request, pk)
        return _render_dossier(
            request, dossier, decision=current,
            form=DecisionForm(dossier=dossier, decision=current),
            changed=changed, typed=_typed(form, dossier),
        )
    except TransitionError as refusal:
        if refusal.errors:
            for field, message in refusal.errors.items():
                form.add_error(field if field in form.fields else None, message)
            return _render_dossier(request, dossier, form=form)
        messages.error(request, refusal.message)
        return redirect("jury:member_dossier", pk=dossier.pk)
    messages.success(request, f"La décision sur le dossier {dossier.reference} est "
                              f"enregistrée.")
    return redirect("jury:member_dossier", pk=dossier.pk)
