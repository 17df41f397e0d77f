# Filled in by the accounts work; names fixed by auditeurs/urls.py.
from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse(status=501)


profile = suivi = centre_home = create_account = _todo
