"""Filling in a draft dossier, step by step: prerequisite, experience, pièces.

Each step saves what is posted at once, so the auditeur may leave and come back.
Every page looks the dossier up among the auditeur's own (anything else is a 404)
and only works on a draft: a signed or withdrawn dossier sends the auditeur to its
detail page with a message. The récapitulatif and the signature are the fourth step
(dossiers/pages/follow.py, which shows the same step indicator and pre-assessment).
"""

from functools import wraps

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from d3 import ratelimits
from d3.access import capability_required
from d3.audit.record import get_visible_or_404
from dossiers.antivirus import refused_files
from dossiers.experience import Rules, assess
from dossiers.forms import (
    DraftNotEditable,
    PeriodForm,
    PrerequisiteForm,
    as_period,
    delete_period,
)
from dossiers.models import Dossier, ExperiencePeriod, Piece, PieceFile, PieceStatus, State
from dossiers.pieces import add_file, remove_file
from dossiers.uploads import (
    MAX_UPLOAD_SIZE,
    UploadRefused,
    accepted_formats_message,
    bounded_uploads,
    uploaded_file,
)

FILE_FIELD = "fichier"
# D3_RATE_LIMITS["upload"]: files per auditeur and per hour, both pages together.
UPLOADS_HELD_BACK = (
    "Vous avez déposé de nombreux fichiers en peu de temps : celui-ci n'est pas "
    "enregistré. Patientez quelques minutes avant de le déposer à nouveau."
)
CONTINUE = "continuer"

STATUS_BADGES = {
    PieceStatus.ATTENDUE: "badge--info",
    PieceStatus.DEPOSEE: "badge--success",
    PieceStatus.CONFORME: "badge--success",
    PieceStatus.ERRONEE: "badge--error",
    PieceStatus.MANQUANTE: "badge--warning",
}
ACCEPTS = {"pdf": ".pdf,application/pdf", "jpeg": ".jpg,.jpeg,image/jpeg",
           "png": ".png,image/png"}


# --- Looking the dossier up -------------------------------------------------------


def owned_dossiers(user):
    return Dossier.objects.visible_to(user).filter(auditeur=user)


def detail_url(dossier):
    return reverse("dossiers:detail", args=[dossier.pk])


def _not_editable(request, dossier):
    messages.error(
        request,
        f"Le dossier {dossier.reference} est « {dossier.get_state_display()} » : ce n'est "
        "plus un brouillon, il ne peut plus être modifié depuis ces pages.",
    )
    return redirect(detail_url(dossier))


def draft_page(view):
    """The auditeur's own draft dossier ``pk``, passed to ``view`` instead of ``pk``.

    Someone else's dossier (or none) is a 404; a dossier that is not a draft, or stops
    being one while the change is saved, redirects to its detail page. Installs no
    parsing of the body, so that :func:`bounded_uploads` may come below it.
    """

    @capability_required("auditeur_space")
    @wraps(view)
    def wrapper(request, pk, *args, **kwargs):
        dossier = get_visible_or_404(
            request, owned_dossiers(request.user).select_related("diplome__rule_set"), pk=pk
        )
        if dossier.state != State.BROUILLON:
            return _not_editable(request, dossier)
        try:
            return view(request, dossier, *args, **kwargs)
        except DraftNotEditable:
            dossier.refresh_from_db(fields=["state"])
            return _not_editable(request, dossier)

    return wrapper


def _step_context(dossier, current_step, **context):
    return {"dossier": dossier, "current_step": current_step, **context}


# --- Step 1: prerequisite diploma -------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@draft_page
def edit_prerequisite(request, dossier):
    form = PrerequisiteForm(
        request.POST if request.method == "POST" else None,
        instance=dossier,
        required=dossier.includes_dd,
    )
    if form.is_bound and form.is_valid():
        form.save()
        messages.success(request, "Le diplôme prérequis est enregistré.")
        return redirect("dossiers:edit_periods", pk=dossier.pk)
    return render(
        request, "dossiers/edit_prerequisite.html", _step_context(dossier, "prerequis", form=form)
    )


# --- Step 2: experience periods ---------------------------------------------------


def assessment_context(dossier, periods, today=None):
    """The pre-assessment of ``periods`` (plain :class:`~dossiers.experience.Period`)
    against the diploma's rules, as the context of ``includes/assessment.html``."""
    rule_set = dossier.diplome.rule_set
    if rule_set is None:
        return {"assessment": None, "rules_incomplete": False}
    try:
        rules = Rules.from_rule_set(rule_set)
    except ValueError:
        # A rule set saved without the admin's checks: a message, not a server error.
        return {"assessment": None, "rules_incomplete": True}
    today = today or timezone.localdate()
    return {"assessment": assess(periods, rules, today), "rules_incomplete": False}


def _new_period_form(dossier, data=None):
    return PeriodForm(data, instance=ExperiencePeriod(dossier=dossier), prefix="periode")


@require_http_methods(["GET", "HEAD", "POST"])
@draft_page
def edit_periods(request, dossier):
    form = _new_period_form(dossier, request.POST if request.method == "POST" else None)
    if form.is_bound:
        going_on = CONTINUE in request.POST
        if going_on and not form.has_changed():
            return redirect("dossiers:edit_pieces", pk=dossier.pk)
        if form.is_valid():
            period = form.save()
            messages.success(
                request,
                f"La période « {period.position} — {period.employer} » est enregistrée. "
                "La pré-évaluation en tient compte.",
            )
            if going_on:
                return redirect("dossiers:edit_pieces", pk=dossier.pk)
            return redirect("dossiers:edit_periods", pk=dossier.pk)
    periods = list(dossier.periods.all())
    return render(
        request,
        "dossiers/edit_periods.html",
        _step_context(
            dossier, "experience", form=form, periods=periods,
            **assessment_context(dossier, [as_period(p) for p in periods]),
        ),
    )


@require_POST
@capability_required("auditeur_space")
def assessment_preview(request, pk):
    """The pre-assessment of the saved periods plus the one being typed (JavaScript).

    204 and nothing else when the typed period is not valid yet, or the dossier no
    longer a draft: the page keeps what it shows.
    """
    dossier = get_visible_or_404(
        request, owned_dossiers(request.user).select_related("diplome__rule_set"), pk=pk
    )
    form = _new_period_form(dossier, request.POST)
    if dossier.state != State.BROUILLON or not form.is_valid():
        return HttpResponse(status=204)
    periods = [as_period(p) for p in dossier.periods.all()] + [form.to_period()]
    html = render_to_string(
        "dossiers/includes/assessment.html",
        {**assessment_context(dossier, periods), "preview": True},
        request=request,
    )
    response = HttpResponse(html)
    response["Cache-Control"] = "no-store, private"
    return response


def _period_of(dossier, period_id):
    return get_object_or_404(ExperiencePeriod, pk=period_id, dossier=dossier)


@require_http_methods(["GET", "HEAD", "POST"])
@draft_page
def period_edit(request, dossier, period_id):
    period = _period_of(dossier, period_id)
    form = PeriodForm(request.POST if request.method == "POST" else None, instance=period,
                      prefix="periode")
    if form.is_bound and form.is_valid():
        try:
            period = form.save()
        except ExperiencePeriod.DoesNotExist:
            raise Http404 from None
        messages.success(
            request, f"La période « {period.position} — {period.employer} » est modifiée."
        )
        return redirect("dossiers:edit_periods", pk=dossier.pk)
    return render(
        request,
        "dossiers/edit_period.html",
        _step_context(dossier, "experience", form=form, period=period),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@draft_page
def period_delete(request, dossier, period_id):
    period = _period_of(dossier, period_id)
    if request.method == "POST":
        delete_period(period)
        messages.success(
            request, f"La période « {period.position} — {period.employer} » est supprimée."
        )
        return redirect("dossiers:edit_periods", pk=dossier.pk)
    return render(
        request,
        "dossiers/edit_period_delete.html",
        _step_context(dossier, "experience", period=period),
    )


# --- Step 3: pièces ---------------------------------------------------------------


def _piece_rows(dossier):
    files = Prefetch("files", queryset=PieceFile.objects.order_by("uploaded_at", "pk"))
    pieces = dossier.pieces.select_related("piece_type").prefetch_related(files)
    rows = []
    for piece in pieces:
        piece_type = piece.piece_type
        all_files = list(piece.files.all())
        rows.append({
            "piece": piece,
            "type": piece_type,
            "badge": STATUS_BADGES.get(piece.status, "badge--info"),
            "formats": accepted_formats_message(piece_type.accepted_formats),
            "accept": ",".join(ACCEPTS[f] for f in piece_type.accepted_formats if f in ACCEPTS),
            "current": [f for f in all_files if f.replaced_at is None],
            # Most recent first: what was replaced last is the one looked for.
            "previous": [f for f in reversed(all_files) if f.replaced_at is not None],
            "refused": refused_files(all_files),
        })
    return rows


@require_http_methods(["GET", "HEAD"])
@draft_page
def edit_pieces(request, dossier):
    return render(
        request,
        "dossiers/edit_pieces.html",
        _step_context(
            dossier, "pieces",
            rows=_piece_rows(dossier),
            file_field=FILE_FIELD,
            max_size_mb=MAX_UPLOAD_SIZE // (1024 * 1024),
        ),
    )


def _pieces_anchor(dossier, piece):
    return f"{reverse('dossiers:edit_pieces', args=[dossier.pk])}#piece-{piece.pk}"


@require_POST
@draft_page
@bounded_uploads
def piece_upload(request, dossier, piece_id):
    piece = get_object_or_404(
        Piece.objects.select_related("piece_type", "dossier"), pk=piece_id, dossier=dossier
    )
    try:
        store_posted_file(request, piece)
    except UploadRefused as exc:
        messages.error(request, f"« {piece.piece_type.label} » : fichier refusé. {exc.message}")
    return redirect(_pieces_anchor(dossier, piece))


def store_posted_file(request, piece, *, then=""):
    """Store the file posted for ``piece`` and say so (draft and corrections pages).

    A missing file is told to the auditeur here; a refused one raises
    :class:`dossiers.uploads.UploadRefused` (or its :class:`PieceNotEditable`) for the
    page to word. ``then``: what to do next, added to the success message.
    """
    label = piece.piece_type.label
    received = uploaded_file(request, FILE_FIELD)
    if received is None:
        messages.error(request, f"Choisissez le fichier à déposer pour « {label} ».")
        return
    if not ratelimits.hit("upload", ratelimits.user_key(request)):
        raise UploadRefused(UPLOADS_HELD_BACK)
    piece_file = add_file(piece=piece, uploaded_file=received, user=request.user)
    messages.success(
        request,
        f"Le fichier « {piece_file.original_name} » est déposé pour « {label} ».{then}",
    )


@require_POST
@draft_page
def piece_file_remove(request, dossier, file_id):
    piece_file = get_object_or_404(
        PieceFile.objects.select_related("piece__piece_type", "piece__dossier"),
        pk=file_id, piece__dossier=dossier,
    )
    try:
        remove_file(piece_file=piece_file, user=request.user)
    except UploadRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Le fichier « {piece_file.original_name} » est retiré de la pièce "
            f"« {piece_file.piece.piece_type.label} ».",
        )
    return redirect(_pieces_anchor(dossier, piece_file.piece))
