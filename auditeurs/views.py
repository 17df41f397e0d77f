"""Pages of the accounts space, grouped by who uses them: auditeur, then centre."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse

from auditeurs import selectors
from auditeurs.accounts import create_auditeur_account
from auditeurs.forms import CreateAccountForm, ProfileForm
from d3.access import capability_required
from d3.audit.record import get_visible_or_404
from d3.search import search_query

CENTRE_PAGE_SIZE = 50


# --- Auditeur --------------------------------------------------------------


@capability_required("auditeur_space")
def profile(request):
    auditeur_profile = getattr(request.user, "profile", None)
    if auditeur_profile is None:
        # Numéro and centre come from the information system: only staff can fix it.
        return render(request, "auditeurs/profile_missing.html", status=404)
    # An empty POST is a form sent empty, to refuse with its errors (not a GET).
    data = request.POST if request.method == "POST" else None
    form = ProfileForm(data, instance=auditeur_profile, user=request.user)
    if request.method == "POST" and form.is_valid():
        if form.save():
            # The original service asked for a second log-in here; renewing the
            # session key gives the same protection without the password again.
            request.session.cycle_key()
            messages.success(
                request,
                "Votre profil est enregistré. Vous pouvez maintenant suivre et déposer "
                "vos demandes.",
            )
            return redirect("auditeurs:suivi")
        messages.success(request, "Les modifications de votre profil sont enregistrées.")
        return redirect("auditeurs:profile")
    return render(
        request,
        "auditeurs/profile.html",
        {
            "form": form,
            "profile": auditeur_profile,
            "first_completion": not auditeur_profile.is_complete,
        },
    )


@capability_required("auditeur_space")
def suivi(request):
    return render(
        request,
        "auditeurs/suivi.html",
        {
            "dossier_rows": selectors.suivi_rows(request.user),
            "validated_ues": list(selectors.validated_ues_of(request.user)),
        },
    )


# --- Centre (gestionnaires) -------------------------------------------------


@capability_required("centre_home")
def centre_home(request):
    query = search_query(request.GET.get("q"))
    auditeurs = selectors.search_auditeurs(selectors.auditeurs_visible_to(request.user), query)
    page = Paginator(auditeurs, CENTRE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "auditeurs/centre_home.html",
        {"page_obj": page, "query": query, "centres": request.user.centres.order_by("name")},
    )


@capability_required("create_auditeur_account")
def create_account(request):
    created_pk = request.GET.get("compte", "")
    # isdigit() alone lets "²" through, which is no primary key (a server error).
    if request.method == "GET" and created_pk.isascii() and created_pk.isdigit():
        # After the redirect: only an account of the gestionnaire's centres is shown.
        created = get_visible_or_404(request, selectors.auditeurs_visible_to(request.user),
                                     pk=created_pk)
        return render(request, "auditeurs/account_created.html", {"created": created})

    form = CreateAccountForm(  # an empty POST gets its errors too
        request.POST if request.method == "POST" else None, created_by=request.user
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = create_auditeur_account(created_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            # Same number created meanwhile by someone else: shown on the field.
            form.add_error(None, exc)
        else:
            return redirect(f"{reverse('auditeurs:create_account')}?compte={user.pk}")
    return render(request, "auditeurs/create_account.html", {"form": form})
