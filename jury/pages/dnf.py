"""The DNF's pages: the dossiers transmitted by every centre, the jury sessions (create,
edit, put dossiers on them, take one off, close them), the PV and the courriers.

Thin views. Everything is looked up in the DNF's scopes (:mod:`jury.selectors`), so
that any other session or courrier is a 404; every change goes through
:mod:`jury.sessions` or :mod:`jury.courriers`, which check again under the session's
lock: a refusal (:class:`~dossiers.workflow.TransitionError`: the session was closed
meanwhile, a dossier withdrawn…) comes back as an error message, and nothing has
changed. A session form filled in wrong shows again with the errors next to the
fields; every other POST redirects with a message.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from d3.access import capability_required
from d3.pagination import KeyedPaginator
from dossiers.downloads import attachment
from dossiers.models import Dossier
from dossiers.workflow import TransitionError
from jury import courriers, letters, selectors, sessions
from jury.forms import EligibleFilterForm, SessionForm, TransmittedFilterForm
from jury.models import Courrier, CourrierStatus, JurySession

CAPABILITY = "dnf_pages"

# Badge colour of each courrier state (``badge--<colour>``).
COURRIER_BADGES = {
    CourrierStatus.PROGRAMME: "info",
    CourrierStatus.ENVOYE: "success",
    CourrierStatus.ECHEC: "error",
}


def _session(request, pk):
    try:
        return selectors.session(request.user, pk)
    except JurySession.DoesNotExist:
        raise Http404 from None


def _to_session(pk, anchor=""):
    return redirect(reverse("jury:dnf_session", args=[pk]) + (f"#{anchor}" if anchor else ""))


def _plural(count, singular, plural):
    return singular if count == 1 else plural


# --- Transmitted dossiers -------------------------------------------------------------


@require_safe
@capability_required(CAPABILITY)
def dossiers_page(request):
    centres = list(selectors.centres())
    form = TransmittedFilterForm(
        request.GET,
        diplomas=list(selectors.diplomas_transmitted(request.user)),
        centres=centres,
    )
    filters = form.filters()
    # The counts may come from the cache, as fresh as the last transition
    # (selectors.COUNTS_SECONDS); the list's own count is one of them: no second COUNT.
    counts = selectors.recent_transmitted_counts(
        request.user, filters, [centre.pk for centre in centres])
    page = KeyedPaginator(
        selectors.transmitted_page_dossiers(request.user, filters), selectors.PAGE_SIZE,
        count=counts[filters.state],
    ).get_page(request.GET.get("page"))
    tabs = [
        {"state": state.value, "label": selectors.TRANSMITTED_LABELS[state],
         "count": counts[state.value], "current": filters.state == state}
        for state in selectors.TRANSMITTED_STATES
    ]
    tabs.append({"state": selectors.ALL_STATES, "label": "Tous les états",
                 "count": counts[selectors.ALL_STATES],
                 "current": filters.state == selectors.ALL_STATES})
    return render(request, "jury/dnf/dossiers.html", {
        "form": form,
        "filters": filters,
        "filtered": filters.narrowed,
        "tabs": tabs,
        "page_obj": page,
        "rows": selectors.dossier_rows(page.object_list),
        "state_label": next((tab["label"] for tab in tabs if tab["current"]), ""),
    })


# --- Sessions -------------------------------------------------------------------------


@require_safe
@capability_required(CAPABILITY)
def sessions_page(request):
    period = request.GET.get("periode")
    if period not in (selectors.UPCOMING, selectors.PAST):
        period = selectors.UPCOMING
    today = timezone.localdate()
    page = Paginator(
        selectors.sessions(request.user, period, today), selectors.PAGE_SIZE
    ).get_page(request.GET.get("page"))
    counts = selectors.session_counts(request.user, today)
    tabs = [
        {"period": value, "label": label, "count": counts[value], "current": value == period}
        for value, label in selectors.PERIODS
    ]
    return render(request, "jury/dnf/sessions.html", {
        "period": period,
        "period_label": dict(selectors.PERIODS)[period],
        "tabs": tabs,
        "counts": counts,
        "page_obj": page,
        "today": today,
    })


@require_http_methods(["GET", "HEAD", "POST"])
@capability_required(CAPABILITY)
def session_create(request):
    form = SessionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            session = sessions.create_session(user=request.user, **form.session_fields())
        except TransitionError as refusal:
            if not form.add_refusal(refusal):
                messages.error(request, refusal.message)
        else:
            messages.success(
                request,
                f"La session du {session.date:%d/%m/%Y} est créée. Inscrivez-y maintenant "
                f"les dossiers à examiner.",
            )
            return _to_session(session.pk)
    return render(request, "jury/dnf/session_form.html", {"form": form, "session": None})


@require_http_methods(["GET", "HEAD", "POST"])
@capability_required(CAPABILITY)
def session_edit(request, pk):
    session = _session(request, pk)
    if session.is_closed:
        messages.error(request, sessions.CLOSED)
        return _to_session(session.pk)
    if request.method != "POST":
        return render(request, "jury/dnf/session_form.html",
                      {"form": SessionForm(session=session), "session": session})
    form = SessionForm(request.POST, session=session)
    if form.is_valid():
        try:
            updated = sessions.update_session(session.pk, user=request.user,
                                              **form.session_fields())
        except JurySession.DoesNotExist:
            raise Http404 from None
        except TransitionError as refusal:
            if not form.add_refusal(refusal):
                messages.error(request, refusal.message)
                return _to_session(pk)
        else:
            message = "La session est modifiée."
            if updated.date != session.date and session.dossier_count:
                message += (" Les auditeurs des dossiers inscrits sont informés de la "
                            "nouvelle date par courriel.")
            messages.success(request, message)
            return _to_session(session.pk)
    return render(request, "jury/dnf/session_form.html", {"form": form, "session": session})


def _eligible(request, session, diplomes):
    """The add form's filter and page of eligible dossiers (an open session only)."""
    form = EligibleFilterForm(request.GET, diplomas=diplomes, centres=list(selectors.centres()))
    filters = form.filters()
    page = Paginator(
        selectors.eligible_dossiers(request.user, session, filters), selectors.PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return {
        "eligible_form": form,
        "eligible_filters": filters,
        "eligible_page": page,
        "eligible_rows": selectors.dossier_rows(page.object_list),
    }


@require_safe
@capability_required(CAPABILITY)
def session_page(request, pk):
    session = _session(request, pk)
    diplomes = list(session.diplomes.order_by("code"))
    rows = selectors.session_rows(selectors.session_dossiers(session))
    context = {
        "session": session,
        "diplomes": diplomes,
        "members": list(session.members.order_by("last_name", "first_name")),
        "rows": rows,
        "undecided": [row for row in rows if row.decision is None],
        "courrier_rows": [row for row in rows if row.courrier is not None],
        "courrier_counts": _courrier_counts(rows),
        "today": timezone.localdate(),
    }
    if not session.is_closed:
        context.update(_eligible(request, session, diplomes))
    return render(request, "jury/dnf/session.html", context)


def _courrier_counts(rows):
    counts = {status.value: 0 for status in CourrierStatus}
    for row in rows:
        if row.courrier is not None:
            counts[row.courrier.status] += 1
    return [
        {"status": status, "label": status.label, "count": counts[status.value],
         "badge": COURRIER_BADGES[status]}
        for status in CourrierStatus
    ]


# Filters of the eligible list that the add form carries back to the session page.
_ELIGIBLE_KEYS = ("inscrire-q", "inscrire-diplome", "inscrire-centre")


@require_POST
@capability_required(CAPABILITY)
def session_add(request, pk):
    session = _session(request, pk)
    back = {key: request.POST[key] for key in _ELIGIBLE_KEYS if request.POST.get(key)}
    url = reverse("jury:dnf_session", args=[session.pk])
    url += ("?" + urlencode(back) if back else "") + "#inscrire"
    try:
        dossier_ids = [int(value) for value in request.POST.getlist("dossiers")]
    except ValueError:
        messages.error(request, "Choisissez les dossiers à inscrire dans la liste proposée.")
        return redirect(url)
    try:
        added = sessions.add_dossiers(session.pk, dossier_ids, user=request.user)
    except JurySession.DoesNotExist:
        raise Http404 from None
    except TransitionError as refusal:
        messages.error(request, refusal.message)
    else:
        count = len(added)
        messages.success(
            request,
            _plural(count, "1 dossier est inscrit à la session : son auditeur en est "
                           "informé par courriel.",
                    f"{count} dossiers sont inscrits à la session : leurs auditeurs en sont "
                    f"informés par courriel."),
        )
    return redirect(url)


@require_POST
@capability_required(CAPABILITY)
def session_remove(request, pk, dossier_id):
    session = _session(request, pk)
    try:
        dossier = sessions.remove_dossier(session.pk, dossier_id, user=request.user)
    except (JurySession.DoesNotExist, Dossier.DoesNotExist):
        raise Http404 from None
    except TransitionError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            f"Le dossier {dossier.reference} est retiré de la session : il attend de "
            f"nouveau une session de jury.",
        )
    return _to_session(session.pk, "dossiers")


@require_http_methods(["GET", "HEAD", "POST"])
@capability_required(CAPABILITY)
def session_close(request, pk):
    session = _session(request, pk)
    if session.is_closed:
        messages.error(
            request,
            f"Cette session de jury est déjà close "
            f"(le {timezone.localtime(session.closed_at):%d/%m/%Y}).",
        )
        return _to_session(session.pk)
    if request.method == "POST":
        try:
            sessions.close_session(session.pk, user=request.user)
        except JurySession.DoesNotExist:
            raise Http404 from None
        except TransitionError as refusal:
            messages.error(request, refusal.message)
        else:
            day = courriers.due_on(session.date, timezone.localdate())
            count = Courrier.objects.filter(session=session).count()
            messages.success(
                request,
                "La session est close : les décisions ne peuvent plus être modifiées. "
                + _plural(count, "Le courrier est programmé",
                          f"Les {count} courriers sont programmés")
                + f" pour le {day:%d/%m/%Y}.",
            )
        return _to_session(session.pk)
    rows = selectors.session_rows(selectors.session_dossiers(session))
    return render(request, "jury/dnf/session_close.html", {
        "session": session,
        "rows": rows,
        "undecided": [row for row in rows if row.decision is None],
        "due_on": courriers.due_on(session.date, timezone.localdate()),
    })


# --- PV and courriers -------------------------------------------------------------------


def _pdf(data, filename):
    return attachment(data, filename=filename, content_type="application/pdf",
                      response_class=HttpResponse)


@require_safe
@capability_required(CAPABILITY)
def session_pv(request, pk):
    """The procès-verbal (a draft until the session is closed)."""
    session = _session(request, pk)
    return _pdf(letters.render_pv_pdf(session), f"pv-jury-{session.date:%Y-%m-%d}.pdf")


@require_safe
@capability_required(CAPABILITY)
def session_courriers(request, pk):
    """Every courrier of a closed session in one PDF, for printing."""
    session = _session(request, pk)
    if not session.is_closed:
        messages.error(request, "Les courriers sont produits à la clôture de la session : "
                                "cette session n'est pas encore close.")
        return _to_session(session.pk)
    try:
        data = letters.render_session_courriers_pdf(session)
    except ValueError:
        messages.error(request, "Cette session n'a pas de courriers.")
        return _to_session(session.pk)
    return _pdf(data, f"courriers-jury-{session.date:%Y-%m-%d}.pdf")


@require_POST
@capability_required(CAPABILITY)
def courrier_resend(request, pk):
    try:
        courrier = selectors.session_courrier(request.user, pk)
        previous = courrier.status
        courriers.resend(courrier.pk, user=request.user)
    except Courrier.DoesNotExist:
        raise Http404 from None
    except TransitionError as refusal:
        messages.error(request, refusal.message)
    else:
        reference = courrier.dossier.reference
        if previous == CourrierStatus.ECHEC:
            messages.success(request, f"Le courrier du dossier {reference} est programmé à "
                                      f"nouveau : il part dans quelques minutes.")
        else:
            messages.success(request, f"Le courrier du dossier {reference} est renvoyé à "
                                      f"l'auditeur par courriel.")
    return _to_session(courrier.session_id, "courriers")
