"""Pages of the auditeur's dossier once started: the dossier page (timeline, pièces,
documents), the récapitulatif and the signature, the withdrawal; and the downloads of
the signed récapitulatif and of the courrier de décision.

Thin views: every dossier is looked up in ``Dossier.objects.visible_to(request.user)``
(a 404 otherwise, so that nothing leaks); every state change goes through
:mod:`dossiers.workflow` (or :mod:`dossiers.signing`), whose French messages are shown
as they are. No view here runs in a transaction: :func:`sign_dossier` must not.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from d3.access import capability_required
from d3.audit.record import get_visible_or_404
from d3.dates import moment
from dossiers import workflow
from dossiers.downloads import attachment
from dossiers.models import Dossier, Event, PieceFile, PieceStatus, Signature, State
from dossiers.pages.corrections import changed_this_round, deadline_context
from dossiers.progress import progress
from dossiers.signing import SWORN_STATEMENT, WrongPassword, recapitulatif_context, sign_dossier
from jury.models import Courrier, CourrierStatus

# Failed password attempts at signing, per user, before signing is refused for a while.
SIGN_MAX_FAILURES = 5
SIGN_FAILURE_WINDOW = 15 * 60  # seconds
SIGN_RATE_LIMITED = (
    "Trop de mots de passe incorrects : par sécurité, la signature est bloquée pendant "
    "15 minutes. Réessayez plus tard ; si vous avez oublié votre mot de passe, "
    "réinitialisez-le depuis la page de connexion."
)

# Pièces whose status the centre explains with a comment.
_COMMENTED_STATUSES = frozenset({PieceStatus.ERRONEE, PieceStatus.MANQUANTE})
PIECE_BADGES = {
    PieceStatus.ATTENDUE: "",
    PieceStatus.DEPOSEE: "info",
    PieceStatus.CONFORME: "success",
    PieceStatus.ERRONEE: "error",
    PieceStatus.MANQUANTE: "warning",
}


# --- Lookups -----------------------------------------------------------------------


def _own_dossier(request, pk, *related):
    """The user's dossier (auditeur pages), with ``related`` joined; 404 otherwise."""
    queryset = Dossier.objects.visible_to(request.user).select_related(
        "diplome", "centre", *related
    )
    return get_visible_or_404(request, queryset, pk=pk)


def _latest_signed_recapitulatif(dossier):
    return (
        Signature.objects.filter(dossier=dossier)
        .exclude(recapitulatif_key="")
        .order_by("-signed_at", "-pk")
        .first()
    )


# --- Dossier page ---------------------------------------------------------------------


@require_safe
@capability_required("auditeur_space")
def detail(request, pk):
    # The session and the courrier come in the same query (both may be absent).
    dossier = _own_dossier(request, pk, "jury_session", "courrier")
    courrier, courrier_sent = _courrier(dossier)
    events = list(
        Event.objects.filter(dossier=dossier, visible_to_auditeur=True).order_by(
            "created_at", "pk"
        )
    )
    pieces = list(
        dossier.pieces.select_related("piece_type").prefetch_related(
            Prefetch(
                "files",
                queryset=PieceFile.objects.filter(replaced_at__isnull=True).order_by(
                    "uploaded_at", "pk"
                ),
                to_attr="current_files",
            )
        )
    )
    return render(
        request,
        "dossiers/detail.html",
        {
            "dossier": dossier,
            "progress": progress(
                dossier.state,
                jury_date=dossier.jury_session.date if dossier.jury_session else None,
                courrier_due_on=courrier.due_on if courrier and not courrier_sent else None,
            ),
            "actions": workflow.allowed_actions(dossier),
            "timeline": _timeline(dossier, events),
            "courrier": courrier,
            "courrier_sent": courrier_sent,
            "piece_rows": [
                {
                    "piece": piece,
                    "files": piece.current_files,
                    "badge": PIECE_BADGES.get(piece.status, ""),
                    "show_comment": piece.status in _COMMENTED_STATUSES
                    and bool(piece.comment.strip()),
                }
                for piece in pieces
            ],
            # A draft was never signed (no transition leads back to brouillon): no query.
            "signature": None if dossier.state == State.BROUILLON
            else _latest_signed_recapitulatif(dossier),
            "edit_url": _edit_url(dossier),
            "corrections": _corrections_asked(dossier, pieces),
        },
    )


def _courrier(dossier):
    """The dossier's courrier once its session is closed, or None; and whether it is
    sent (its PDF can then be downloaded)."""
    courrier = getattr(dossier, "courrier", None)  # none yet: RelatedObjectDoesNotExist
    sent = courrier is not None and _is_sent(courrier)
    return courrier, sent


def _is_sent(courrier):
    return courrier.status == CourrierStatus.ENVOYE and bool(courrier.storage_key)


def _corrections_asked(dossier, pieces):
    """What the centre asks of a dossier à compléter, for the dossier page's callout:
    the pièces still flagged, those already replaced in this round, the deadline.
    None in any other state. ``pieces`` carry their ``current_files``."""
    if dossier.state != State.A_COMPLETER:
        return None
    flagged, replaced = [], []
    for piece in pieces:
        if piece.status in _COMMENTED_STATUSES:
            flagged.append(piece)
        elif piece.status == PieceStatus.DEPOSEE and changed_this_round(
            dossier, piece.current_files
        ):
            # A new file since the request: the centre's comment still explains why.
            replaced.append(piece)
    return {"flagged": flagged, "replaced": replaced, **deadline_context(dossier)}


def _timeline(dossier, events):
    """The events as timeline rows; the one that led to the current state is marked."""
    current_index = None
    for index, event in enumerate(events):
        if event.to_state == dossier.state:
            current_index = index
    return [
        {
            "event": event,
            # A re-deposit after corrections, a verdict on a pièce: said as such.
            "label": workflow.event_label(event),
            "current": index == current_index,
            # Written here: the template's date filter cost 0.1 ms an event.
            "at": moment(event.created_at),
        }
        for index, event in enumerate(events)
    ]


def _edit_url(dossier):
    """Where the auditeur goes on with a draft (the other pages link from there)."""
    if dossier.state != State.BROUILLON:
        return ""
    return reverse("dossiers:edit_prerequisite", args=[dossier.pk])


# --- Signed récapitulatif -----------------------------------------------------------------


@require_safe
@login_required
def signed_pdf(request, pk):
    """The latest signed récapitulatif, to anyone who may see the dossier (the auditeur,
    the centre's gestionnaires after deposit…), as an attachment named by the server."""
    dossier = get_visible_or_404(request, Dossier.objects.visible_to(request.user), pk=pk)
    signature = _latest_signed_recapitulatif(dossier)
    if signature is None:
        raise Http404("Aucun récapitulatif signé.")
    try:
        stream = default_storage.open(signature.recapitulatif_key, "rb")
    except FileNotFoundError:
        raise Http404("Récapitulatif introuvable.") from None
    return attachment(
        stream, filename=f"recapitulatif-{dossier.reference}.pdf", content_type="application/pdf"
    )


# --- Courrier de décision ----------------------------------------------------------------------


@require_safe
@login_required
def courrier_pdf(request, pk):
    """The courrier de décision once sent, to anyone who may see the dossier (its
    auditeur above all), as an attachment named by the server. A 404 before it is
    sent: the decision is the auditeur's to learn from the courrier, on its day."""
    dossier = get_visible_or_404(request, Dossier.objects.visible_to(request.user), pk=pk)
    courrier = (
        Courrier.objects.filter(dossier=dossier, status=CourrierStatus.ENVOYE)
        .exclude(storage_key="")
        .first()
    )
    if courrier is None:
        raise Http404("Aucun courrier envoyé.")
    try:
        stream = default_storage.open(courrier.storage_key, "rb")
    except FileNotFoundError:
        raise Http404("Courrier introuvable.") from None
    return attachment(
        stream, filename=f"courrier-{dossier.reference}.pdf", content_type="application/pdf"
    )


# --- Récapitulatif and signature ------------------------------------------------------------


class SignForm(forms.Form):
    sworn = forms.BooleanField(
        label=SWORN_STATEMENT,
        error_messages={
            "required": "Cochez la déclaration sur l'honneur pour signer votre dossier."
        },
    )
    password = forms.CharField(
        label="Votre mot de passe",
        help_text="Le mot de passe de votre compte D3 : il vaut signature.",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Saisissez votre mot de passe pour signer."},
    )


@require_safe
@capability_required("auditeur_space")
def recapitulatif(request, pk):
    dossier = _own_dossier(request, pk, "auditeur__profile", "diplome__rule_set")
    return _render_recapitulatif(request, dossier, SignForm())


@require_POST
@capability_required("auditeur_space")
def sign(request, pk):
    dossier = _own_dossier(request, pk, "auditeur__profile", "diplome__rule_set")
    form = SignForm(request.POST)
    try:
        workflow.check("sign", dossier)
    except workflow.TransitionError as refusal:
        return _render_recapitulatif(request, dossier, SignForm(), refusal=refusal)
    if not form.is_valid():
        return _render_recapitulatif(request, dossier, form)
    failures_key = f"sign_dossier:failures:{request.user.pk}"
    if cache.get(failures_key, 0) >= SIGN_MAX_FAILURES:
        return _render_recapitulatif(
            request, dossier, SignForm(), refusal=workflow.TransitionError(SIGN_RATE_LIMITED)
        )
    try:
        sign_dossier(
            dossier.pk,
            user=request.user,
            password=form.cleaned_data["password"],
            sworn=form.cleaned_data["sworn"],
            ip=request.META.get("REMOTE_ADDR") or None,
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    except Dossier.DoesNotExist:
        raise Http404 from None
    except workflow.TransitionError as refusal:  # SigningRefused included
        # Only a wrong password tells anything about the password: only it is counted.
        if isinstance(refusal, WrongPassword):
            _count_failure(failures_key)
        dossier.refresh_from_db()
        return _render_recapitulatif(request, dossier, SignForm(), refusal=refusal)
    cache.delete(failures_key)
    if dossier.state == State.A_COMPLETER:
        messages.success(
            request,
            "Votre dossier est signé à nouveau et déposé : votre centre d'inscription est "
            "prévenu et va le contrôler. Un accusé de réception, avec le nouveau "
            "récapitulatif signé, vous est envoyé par courriel.",
        )
    else:
        messages.success(
            request,
            "Votre dossier est signé et déposé. Un accusé de réception, avec le "
            "récapitulatif signé, vous est envoyé par courriel.",
        )
    return redirect("dossiers:detail", pk=dossier.pk)


def _count_failure(key):
    # add() starts the window at the first failure; incr() keeps its expiry.
    cache.add(key, 0, timeout=SIGN_FAILURE_WINDOW)
    try:
        cache.incr(key)
    except ValueError:  # expired in between
        cache.set(key, 1, timeout=SIGN_FAILURE_WINDOW)


def _render_recapitulatif(request, dossier, form, *, refusal=None):
    can_sign = "sign" in workflow.allowed_actions(dossier)
    blockers = workflow.sign_blockers(dossier) if can_sign else []
    context = recapitulatif_context(dossier)
    resigning = dossier.state == State.A_COMPLETER
    context |= {
        "progress": progress(dossier.state),
        "can_sign": can_sign,
        "resigning": resigning,
        # Flagged pièces the auditeur has not replaced: signing is still allowed (the
        # centre judges), but they are pointed out before the signature.
        "still_flagged": [
            row["piece"] for row in context["piece_rows"]
            if resigning and row["piece"].status in _COMMENTED_STATUSES
        ],
        "blocker_rows": _blocker_rows(dossier, blockers),
        "form": form,
        "refusal": refusal,
    }
    return render(request, "dossiers/recapitulatif.html", context)


def _blocker_rows(dossier, blockers):
    """Each missing thing with the page where the auditeur fixes it: the draft's steps,
    or the corrections page for the pièces of a dossier à compléter."""
    rows = []
    for blocker in blockers:
        url = ""
        is_piece = blocker.startswith("Pièce")
        if dossier.state == State.BROUILLON:
            name = "edit_pieces" if is_piece else "edit_prerequisite"
            url = reverse(f"dossiers:{name}", args=[dossier.pk])
        elif dossier.state == State.A_COMPLETER and is_piece:
            url = reverse("dossiers:corrections", args=[dossier.pk])
        rows.append({"text": blocker, "url": url})
    return rows


# --- Withdrawal -------------------------------------------------------------------------------


class WithdrawForm(forms.Form):
    comment = forms.CharField(
        label="Motif du retrait",
        help_text="Vous pouvez indiquer pourquoi vous retirez votre dossier ; votre centre "
        "le verra.",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@capability_required("auditeur_space")
def withdraw(request, pk):
    dossier = _own_dossier(request, pk)
    try:
        workflow.check("withdraw", dossier)
    except workflow.TransitionError as refusal:
        messages.error(request, refusal.message)
        return redirect("dossiers:detail", pk=dossier.pk)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            workflow.withdraw(dossier.pk, user=request.user,
                              comment=form.cleaned_data["comment"].strip())
        except Dossier.DoesNotExist:
            raise Http404 from None
        except workflow.TransitionError as refusal:
            messages.error(request, refusal.message)
            return redirect("dossiers:detail", pk=dossier.pk)
        messages.success(request, "Votre dossier est retiré.")
        return redirect("dossiers:detail", pk=dossier.pk)
    return render(request, "dossiers/withdraw.html", {"dossier": dossier, "form": form})
