"""Starting a request: choose the diploma, then the kind of request.

The checks are those of :mod:`dossiers.requests`: shown beforehand for each kind
(``refusal_reasons``), run again under a lock when the auditeur confirms
(``start_request``), which creates nothing when it refuses.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, prefetch_related_objects
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from auditeurs.models import ValidatedUE
from d3.access import capability_required
from dossiers.eligibility import count_validated_in, evaluate_cursus
from dossiers.forms import DiplomeSearchForm, StartRequestForm
from dossiers.models import Diplome, Kind
from dossiers.requests import RequestRefused, refusal_reasons, start_request

PAGE_SIZE = 20

KIND_DESCRIPTIONS = {
    Kind.DD: "Vous avez validé toutes les UE du diplôme et votre expérience "
    "professionnelle a déjà reçu un avis favorable (ou le diplôme n'en exige pas).",
    Kind.AEP_ANTICIPEE: "Vous n'avez validé qu'une partie des UE du diplôme et souhaitez "
    "savoir dès maintenant si votre expérience professionnelle remplit les conditions.",
    Kind.DD_AEP: "Vous avez validé toutes les UE du diplôme : votre cursus et votre "
    "expérience professionnelle sont examinés ensemble.",
}


@capability_required("auditeur_space")
@require_safe
def start(request):
    query = DiplomeSearchForm(request.GET).query()
    diplomes = Diplome.objects.active()
    if query:
        diplomes = diplomes.filter(Q(code__icontains=query) | Q(title__icontains=query))
    page = Paginator(diplomes.order_by("code", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "dossiers/start.html", {"page_obj": page, "query": query})


@capability_required("auditeur_space")
@require_http_methods(["GET", "HEAD", "POST"])
def start_kind(request, diplome_id):
    diplome = get_object_or_404(
        Diplome.objects.active().select_related("rule_set"), pk=diplome_id
    )
    form = StartRequestForm(request.POST if request.method == "POST" else None)
    refused = ()
    if form.is_bound and form.is_valid():
        arguments = form.start_arguments()
        try:
            dossier = start_request(auditeur=request.user, diplome=diplome, **arguments)
        except RequestRefused as exc:
            refused = exc.reasons
        else:
            messages.success(
                request,
                f"Votre demande {dossier.reference} ({dossier.get_kind_display().lower()}) "
                "est créée. Elle est enregistrée à chaque étape : vous pouvez la quitter "
                "et la reprendre depuis Suivi de dossiers.",
            )
            return redirect("dossiers:edit_prerequisite", pk=dossier.pk)

    return render(
        request,
        "dossiers/start_kind.html",
        {
            "diplome": diplome,
            "form": form,
            "refused": refused,
            "refused_kind": Kind(form.cleaned_data["kind"]).label if refused else "",
            **_cursus_context(request.user, diplome),
            "kinds": _kind_choices(request.user, diplome, form),
        },
    )


def _cursus_context(auditeur, diplome):
    validated = set(
        ValidatedUE.objects.filter(auditeur=auditeur).values_list("ue__code", flat=True)
    )
    prefetch_related_objects([diplome], "groups__ues")
    rules = diplome.group_rules()
    return {
        "cursus": evaluate_cursus(validated, rules),
        "validated_count": count_validated_in(validated, rules),
    }


def _kind_choices(auditeur, diplome, form):
    """Each kind's radio button with what would refuse it, checked beforehand."""
    choices = []
    for radio in form["kind"]:
        kind = Kind(radio.data["value"])
        choices.append({
            "radio": radio,
            "description": KIND_DESCRIPTIONS[kind],
            "reasons": refusal_reasons(auditeur, diplome, kind),
        })
    return choices
