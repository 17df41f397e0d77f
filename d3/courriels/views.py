"""Local courriels: read the outbox in the browser while developing (DEBUG only).

A developer running D3 without a mail server reads here the courriels the
application sent, including the links they carry (set the password, etc.).
Outside DEBUG these pages do not exist: they show every courriel to anyone.
"""

from functools import wraps

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from d3.courriels.models import Courriel
from d3.csp import csp_extend

PAGE_SIZE = 25


def _debug_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.DEBUG:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@_debug_only
def local_list(request):
    # Bodies can be long and the list does not show them.
    courriels = Courriel.objects.defer("body_text", "body_html").order_by("-created_at", "-pk")
    page = Paginator(courriels, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "courriels/local_list.html", {"page": page})


# The courriel's HTML is styled inline (mail clients ignore style sheets); it is shown
# in a sandboxed srcdoc frame, which inherits this page's policy.
@_debug_only
@csp_extend(style_src=["'unsafe-inline'"])
def local_detail(request, pk):
    courriel = get_object_or_404(Courriel, pk=pk)
    return render(request, "courriels/local_detail.html", {"courriel": courriel})
