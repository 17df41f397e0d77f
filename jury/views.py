from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from d3.access import capability_required
from jury import selectors
from jury.pages.members import member_sessions

# Sessions shown on the DNF's home; the others are on the sessions' page.
HOME_SESSIONS = 5


@require_safe
@capability_required("dnf_home")
def dnf_home(request):
    """What waits for the DNF: dossiers without a session, the next sessions, and
    sessions to close or whose courriers failed."""
    today = timezone.localdate()
    return render(request, "jury/dnf_home.html", {
        "dossier_counts": selectors.transmitted_counts(
            request.user, selectors.TransmittedFilters(state=selectors.ALL_STATES)
        ),
        "session_counts": selectors.session_counts(request.user, today),
        "next_sessions": list(
            selectors.sessions(request.user, selectors.UPCOMING, today)[:HOME_SESSIONS]
        ),
        "to_follow": list(selectors.sessions_to_follow(request.user, today)),
        "today": today,
    })


@require_safe
@capability_required("jury_home")
def jury_home(request):
    """The member's sessions, upcoming then past, with their dossiers and decisions
    counted (jury/pages/members.py has the pages that follow)."""
    upcoming, past = member_sessions(request.user, timezone.localdate())
    return render(request, "jury/jury_home.html", {"upcoming": upcoming, "past": past})
