# Filled in by the pages work; names fixed by auditeurs/urls.py.
from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse(status=501)


attestation_m1 = attestation_m1_pdf = _todo
