import logging

from django.contrib.auth.views import redirect_to_login
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from d3.access import capability_required, home_url_name
from d3.celery import app as celery_app

logger = logging.getLogger(__name__)


def home(request):
    if not request.user.is_authenticated:
        return redirect_to_login("/")
    return redirect(home_url_name(request.user))


def aide(request):
    return render(request, "pages/aide.html")


@capability_required("staff_help")
def aide_staff(request):
    return render(request, "pages/aide_staff.html")


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_broker():
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _check_storage():
    default_storage.exists("sante/.probe")


@never_cache
@require_GET
def health(request):
    """For load balancers: 200 when database, broker and storage answer, else 503."""
    checks = {"database": _check_database, "broker": _check_broker, "storage": _check_storage}
    report = {}
    for name, check in checks.items():
        try:
            check()
        except Exception as exc:  # any failure means "not healthy", whatever its type
            logger.warning("Health check %s failed: %s", name, exc)
            report[name] = "erreur"
        else:
            report[name] = "ok"
    healthy = all(value == "ok" for value in report.values())
    return JsonResponse(
        {"status": "ok" if healthy else "erreur", "checks": report},
        status=200 if healthy else 503,
    )


def too_many_requests(request, exception=None):
    """allauth's rate limits answer with this page (status 429)."""
    return render(request, "429.html", status=429)
