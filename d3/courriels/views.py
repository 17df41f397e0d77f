# Filled in by the outbox work; names fixed by d3/courriels/urls.py.
from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse(status=501)


local_list = local_detail = _todo
