"""The centre's review: the queue of the centre's dossiers, its CSV export, the dossier
page of a gestionnaire and the actions of the review.

Thin views. Every dossier is looked up in :func:`dossiers.queue.reviewable` — the
gestionnaire's centres, from the deposit on — so that any other one is a 404 and
nothing leaks; every change goes through :mod:`dossiers.workflow` or
:mod:`dossiers.review`, which check again under the dossier's lock: a refusal
(:class:`~dossiers.workflow.TransitionError`, e.g. a colleague acted first) comes back
as an error message on the dossier page, and nothing has changed.

A form the gestionnaire filled in wrong (a comment missing…) shows the dossier page
again with the errors next to the fields; everything else redirects to the dossier
page with a message.
"""

from django import forms
from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from d3.access import capability_required
from d3.audit.record import get_visible_or_404
from d3.pagination import KeyedPaginator
from d3.widgets import Select
from d3.search import search_query
from dossiers import exports, queue, review, staff_view, workflow
from dossiers.downloads import attachment
from dossiers.forms import DateInput, Radios
from dossiers.models import Dossier, Event, Kind, Piece, PieceFile, PieceStatus, Signature
from dossiers.pages import queue_table
from dossiers.pages.follow import PIECE_BADGES

MAX_TEXT_LENGTH = workflow.MAX_TEXT_LENGTH

# --- Forms ----------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    """The queue's filters. A filter never fails: a wrong value is ignored.

    Its lists are :class:`d3.widgets.Select`: Django's HTML, rendered in Python.
    """

    q = forms.CharField(
        label="Rechercher",
        help_text="Nom, identifiant ENF, numéro d'auditeur ou référence du dossier.",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    etat = forms.ChoiceField(
        label="État",
        required=False,
        widget=Select,
        choices=[(state.value, state.label) for state in queue.QUEUE_STATES]
        + [(queue.ALL_STATES, "Tous les états")],
    )
    diplome = forms.ChoiceField(label="Diplôme", required=False, widget=Select)
    nature = forms.ChoiceField(
        label="Nature de la demande",
        required=False,
        widget=Select,
        choices=[("", "Toutes les natures"), *Kind.choices],
    )
    charge = forms.ChoiceField(
        label="Prise en charge",
        required=False,
        widget=Select,
        choices=[("", "Par n'importe qui"), *queue.CHARGE_CHOICES],
    )

    def __init__(self, data, *, diplomas):
        data = data.copy()
        if not data.get("etat"):
            data["etat"] = queue.DEFAULT_STATE
        super().__init__(data)
        self.fields["diplome"].choices = [("", "Tous les diplômes")] + [
            (str(diplome.pk), f"{diplome.code} — {diplome.title}") for diplome in diplomas
        ]

    def filters(self):
        self.is_valid()
        data = self.cleaned_data
        diplome = data.get("diplome")
        return queue.Filters(
            state=data.get("etat") or queue.DEFAULT_STATE,
            diplome_id=int(diplome) if diplome else None,
            kind=data.get("nature") or "",
            charge=data.get("charge") or "",
            query=search_query(self.data.get("q")),
        )


class VerdictForm(forms.Form):
    """The verdict on one pièce (prefixed by the pièce: several forms on one page)."""

    status = forms.ChoiceField(
        label="Avis sur la pièce",
        widget=Radios,
        error_messages={
            "required": "Choisissez un avis sur la pièce.",
            "invalid_choice": "Choisissez un avis parmi ceux proposés.",
        },
    )
    comment = forms.CharField(
        label="Commentaire pour l'auditeur",
        help_text="Obligatoire si la pièce est erronée ou manquante : l'auditeur le lira "
        "dans la demande de corrections.",
        required=False,
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, piece, has_file, **kwargs):
        kwargs.setdefault("prefix", f"piece-{piece.pk}")
        if "data" not in kwargs and not args:
            initial = {"comment": piece.comment}
            if piece.status in review.VERDICTS:
                initial["status"] = piece.status
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        # Without a file, a pièce can only be missing.
        verdicts = review.VERDICTS if has_file else (PieceStatus.MANQUANTE,)
        self.fields["status"].choices = [(status.value, status.label) for status in verdicts]

    def clean(self):
        data = super().clean()
        if data.get("status") in (PieceStatus.ERRONEE, PieceStatus.MANQUANTE) and not (
            data.get("comment") or ""
        ).strip():
            self.add_error(
                "comment",
                "Expliquez à l'auditeur ce qui ne va pas : le commentaire est obligatoire "
                "pour une pièce erronée ou manquante.",
            )
        return data


class AskCorrectionsForm(forms.Form):
    deadline = forms.DateField(
        label="Date limite pour les corrections",
        help_text="Facultative. Elle figure dans le courriel envoyé à l'auditeur.",
        required=False,
        widget=DateInput,
        error_messages={"invalid": "Saisissez une date valide, par exemple 15/09/2026."},
    )

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        if deadline is not None and deadline <= timezone.localdate():
            raise forms.ValidationError(
                "La date limite des corrections doit être postérieure à aujourd'hui."
            )
        return deadline


class DeclareCompleteForm(forms.Form):
    confirm = forms.BooleanField(
        label="Je confirme que le dossier est complet et que ses pièces sont conformes : "
        "il sera transmis à la DNF et ne pourra plus être modifié par le centre.",
        error_messages={
            "required": "Cochez la confirmation pour transmettre le dossier à la DNF."
        },
    )


class InadmissibleForm(forms.Form):
    motive = forms.CharField(
        label="Motif de l'irrecevabilité",
        help_text="L'auditeur le lira dans le courriel qui lui annonce la décision et sur "
        "la page de son dossier.",
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": workflow.MOTIVE_REQUIRED},
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Note interne",
        help_text="Visible des seuls gestionnaires du centre, jamais de l'auditeur.",
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Écrivez le texte de la note."},
    )


# --- Queue and export ------------------------------------------------------------------


def _queue_form(request):
    diplomas = queue.recent_diplomas_in(request.user)
    asked = request.GET.get("diplome", "")
    if asked and asked not in {str(diplome.pk) for diplome in diplomas}:
        # A diploma newer than the cached list: read it afresh rather than drop the
        # filter and show every dossier as if it applied.
        diplomas = queue.recent_diplomas_in(request.user, refresh=True)
    return QueueFilterForm(request.GET, diplomas=diplomas)


@require_safe
@capability_required("centre_review")
def queue_page(request):
    form = _queue_form(request)
    filters = queue.with_search_done(request.user, form.filters())
    centres = list(request.user.centres.order_by("name"))
    counts = queue.recent_counts(request.user, filters, [centre.pk for centre in centres])
    # The list shown is one of the counts' (same filters): no second COUNT.
    page = KeyedPaginator(
        queue.page_dossiers(request.user, filters), queue.PAGE_SIZE,
        count=counts[filters.state],
    ).get_page(request.GET.get("page"))
    tabs = [
        {"state": state.value, "label": state.label, "count": counts[state.value],
         "current": filters.state == state}
        for state in queue.QUEUE_STATES
    ]
    tabs.append({"state": queue.ALL_STATES, "label": "Tous les états",
                 "count": counts[queue.ALL_STATES],
                 "current": filters.state == queue.ALL_STATES})
    filtered = bool(filters.query or filters.diplome_id or filters.kind or filters.charge)
    rows = queue.rows(page.object_list, request.user, timezone.localdate())
    return render(
        request,
        "dossiers/centre/queue.html",
        {
            "form": form,
            "filters": filters,
            "filtered": filtered,
            "tabs": tabs,
            "counts": counts,
            "page_obj": page,
            "rows": rows,
            "rows_html": queue_table.rows_html(rows),
            "state_label": next((tab["label"] for tab in tabs if tab["current"]), ""),
            "centres": centres,
        },
    )


@require_safe
@capability_required("centre_review")
def export(request):
    """The filtered queue as CSV (all its pages), streamed."""
    filters = _queue_form(request).filters()
    dossiers = queue.dossiers(request.user, filters)
    return attachment(
        exports.lines(dossiers),
        filename=exports.filename(request.user, timezone.localdate()),
        content_type="text/csv; charset=utf-8",
        response_class=StreamingHttpResponse,
    )


# --- Dossier page ---------------------------------------------------------------------


def _dossier(request, pk):
    """A dossier the gestionnaire reviews, with what its page shows; 404 otherwise."""
    dossiers = queue.reviewable(request.user).select_related(
        "auditeur__profile", "diplome__rule_set", "centre", "owner"
    )
    return get_visible_or_404(request, dossiers, pk=pk)


def _pieces(dossier):
    return list(
        dossier.pieces.select_related("piece_type").prefetch_related(
            Prefetch("files", queryset=PieceFile.objects.order_by("uploaded_at", "pk"))
        )
    )


def _is_required(dossier, piece):
    piece_type = piece.piece_type
    return (dossier.includes_dd and piece_type.required_for_dd) or (
        dossier.includes_aep and piece_type.required_for_aep
    )


def _piece_rows(dossier, pieces, actions, bound=None):
    rows = []
    for piece in pieces:
        files = list(piece.files.all())
        versions = [
            {"file": file, "number": number}
            for number, file in enumerate(files, start=1)
        ]
        current = [v for v in versions if v["file"].replaced_at is None]
        earlier = [v for v in reversed(versions) if v["file"].replaced_at is not None]
        form = None
        if "set_verdict" in actions:
            if bound is not None and bound.prefix == f"piece-{piece.pk}":
                form = bound
            else:
                form = VerdictForm(piece=piece, has_file=bool(current))
        rows.append({
            "piece": piece,
            "required": _is_required(dossier, piece),
            "badge": PIECE_BADGES.get(piece.status, ""),
            "current": current,
            "earlier": earlier,
            "form": form,
        })
    return rows


def _history(events):
    return [
        {"event": event, "label": workflow.event_label(event),
         "internal": not event.visible_to_auditeur}
        for event in events
    ]


def _render_dossier(request, dossier, *, verdict_form=None, corrections_form=None,
                    complete_form=None, note_form=None, status=200):
    today = timezone.localdate()
    pieces = _pieces(dossier)
    actions = review.available_actions(dossier, request.user, pieces=pieces)
    events = list(
        Event.objects.filter(dossier=dossier).select_related("actor").order_by(
            "created_at", "pk"
        )
    )
    period_rows, assessment, rules_incomplete = staff_view.experience(dossier, today)
    error_form = next(
        (form for form in (verdict_form, corrections_form, complete_form, note_form)
         if form is not None and form.errors),
        None,
    )
    signature = (
        Signature.objects.filter(dossier=dossier).exclude(recapitulatif_key="")
        .order_by("-signed_at", "-pk").first()
    )
    waiting_days = None
    if dossier.state == "a_completer":
        waiting_days = (today - timezone.localdate(dossier.state_changed_at)).days
    return render(
        request,
        "dossiers/centre/dossier.html",
        {
            "dossier": dossier,
            "profile": getattr(dossier.auditeur, "profile", None),
            "state_badge": queue.STATE_BADGES.get(dossier.state, ""),
            "owner_label": queue.owner_label(dossier, request.user),
            "waiting_days": waiting_days,
            "actions": actions,
            "cursus": staff_view.cursus_against_groups(dossier),
            "period_rows": period_rows,
            "assessment": assessment,
            "piece_rows": _piece_rows(dossier, pieces, actions, verdict_form),
            "notes": [event for event in events if event.action == workflow.NOTE],
            "history": _history(events),
            "signature": signature,
            "corrections_form": corrections_form or AskCorrectionsForm(),
            "complete_form": complete_form or DeclareCompleteForm(),
            "note_form": note_form or NoteForm(),
            "error_form": error_form,
        },
        status=status,
    )


@require_safe
@capability_required("centre_review")
def dossier_page(request, pk):
    return _render_dossier(request, _dossier(request, pk))


# --- Actions -----------------------------------------------------------------------------


def _act(request, dossier, action, success, **arguments):
    """Run ``action`` of the backend; back to the dossier page with a message."""
    try:
        action(**arguments)
    except (Dossier.DoesNotExist, Piece.DoesNotExist):
        raise Http404 from None
    except workflow.TransitionError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, success)
    return redirect("dossiers:centre_dossier", pk=dossier.pk)


def _refusal(action, dossier, user):
    """Why ``user`` may not take a decision ``action`` on the dossier now (French)."""
    try:
        workflow.check(action, dossier, user)
        workflow.require_owner(dossier, user)
    except workflow.TransitionError as refusal:
        return refusal.message
    return "Cette action n'est pas possible sur ce dossier pour le moment."


@require_POST
@capability_required("centre_review")
def take(request, pk):
    dossier = _dossier(request, pk)
    return _act(request, dossier, workflow.take, "Vous avez pris ce dossier en charge.",
                dossier_id=dossier.pk, user=request.user)


@require_POST
@capability_required("centre_review")
def take_over(request, pk):
    dossier = _dossier(request, pk)
    return _act(request, dossier, workflow.take_over,
                "Vous avez repris ce dossier : vous en avez maintenant la charge.",
                dossier_id=dossier.pk, user=request.user)


@require_POST
@capability_required("centre_review")
def piece_verdict(request, pk, piece_id):
    dossier = _dossier(request, pk)
    piece = get_object_or_404(
        Piece.objects.select_related("piece_type"), pk=piece_id, dossier=dossier
    )
    has_file = PieceFile.objects.filter(piece=piece, replaced_at__isnull=True).exists()
    form = VerdictForm(request.POST, piece=piece, has_file=has_file)
    if not form.is_valid():
        return _render_dossier(request, dossier, verdict_form=form)
    status = PieceStatus(form.cleaned_data["status"])
    return _act(
        request, dossier, review.set_piece_verdict,
        f"Avis enregistré : « {piece.piece_type.label} » est {status.label.lower()}.",
        piece_id=piece.pk, user=request.user, status=status.value,
        comment=form.cleaned_data["comment"].strip(),
    )


@require_POST
@capability_required("centre_review")
def ask_corrections(request, pk):
    dossier = _dossier(request, pk)
    form = AskCorrectionsForm(request.POST)
    if not form.is_valid():
        return _render_dossier(request, dossier, corrections_form=form)
    return _act(
        request, dossier, workflow.ask_corrections,
        "Les corrections sont demandées : l'auditeur en est informé par courriel.",
        dossier_id=dossier.pk, user=request.user, deadline=form.cleaned_data["deadline"],
    )


@require_POST
@capability_required("centre_review")
def declare_complete(request, pk):
    dossier = _dossier(request, pk)
    form = DeclareCompleteForm(request.POST)
    if not form.is_valid():
        return _render_dossier(request, dossier, complete_form=form)
    return _act(
        request, dossier, workflow.declare_complete,
        "Le dossier est déclaré complet et transmis à la DNF ; l'auditeur en est informé "
        "par courriel.",
        dossier_id=dossier.pk, user=request.user,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@capability_required("centre_review")
def declare_inadmissible(request, pk):
    dossier = _dossier(request, pk)
    if request.method != "POST" and not review.can_act(
        "declare_inadmissible", dossier, request.user
    ):
        # A stale link: say why at once rather than after the motive is typed.
        messages.error(request, _refusal("declare_inadmissible", dossier, request.user))
        return redirect("dossiers:centre_dossier", pk=dossier.pk)
    form = InadmissibleForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        return _act(
            request, dossier, workflow.declare_inadmissible,
            "Le dossier est déclaré irrecevable ; l'auditeur en est informé par courriel.",
            dossier_id=dossier.pk, user=request.user,
            motive=form.cleaned_data["motive"].strip(),
        )
    return render(request, "dossiers/centre/inadmissible.html",
                  {"dossier": dossier, "form": form})


@require_POST
@capability_required("centre_review")
def add_note(request, pk):
    dossier = _dossier(request, pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_dossier(request, dossier, note_form=form)
    return _act(request, dossier, review.add_note,
                "Note ajoutée. Elle n'est visible que des gestionnaires du centre.",
                dossier_id=dossier.pk, user=request.user, text=form.cleaned_data["text"])
