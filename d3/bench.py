"""The load benchmark's baseline: what the cheapest page of this server costs.

Served only when ``D3_BENCH`` is set (``d3/urls.py``); ``benchmarks/load.py`` measures it
in the same run as D3's pages, through the same middleware and with the same session
cookies, so that each page's figures can be read as a ratio to it: a short template
and one query, nothing else.
"""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from auditeurs.models import Centre


@require_safe
def baseline(request):
    centre = Centre.objects.order_by("pk").first()
    return render(request, "bench/baseline.html", {"centre": centre})
