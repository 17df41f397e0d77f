"""The public page where anyone checks the verification code printed on a courrier.

No log-in. Rate limited per client address (``VERIFICATION_RATE`` look-ups per
minute, counted in the cache, shared by the web workers when the cache is Redis): a
code has about 80 bits, so guessing is hopeless anyway, but the page must not become
a cheap oracle nor a load generator.
"""

from django import forms
from django.core.cache import cache
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from jury.verification import lookup, normalise_code

VERIFICATION_RATE = 20  # look-ups per client address and per minute
_WINDOW = 60  # seconds


class VerificationForm(forms.Form):
    code = forms.CharField(
        label="Code de vérification",
        max_length=40,
        help_text="Le code imprimé au bas du courrier, par exemple ABCD-EFGH-JKMN-PQRS.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                      "autocapitalize": "characters"}),
    )

    def clean_code(self):
        return normalise_code(self.cleaned_data["code"])


def _client_address(request):
    # The client as the log-in rate limits see it: behind a proxy, allauth's settings
    # ALLAUTH_TRUSTED_PROXY_COUNT or ALLAUTH_TRUSTED_CLIENT_IP_HEADER say where to read it.
    from allauth.core.internal.httpkit import get_client_ip

    return get_client_ip(request) or "inconnue"


def _over_limit(request):
    """Count one look-up for the client; True once it exceeds the rate."""
    key = f"jury-verification:{_client_address(request)}"
    cache.add(key, 0, timeout=_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=_WINDOW)
        count = 1
    return count > VERIFICATION_RATE


@require_http_methods(["GET", "HEAD", "POST"])
def verification(request):
    data = request.POST if request.method == "POST" else request.GET
    submitted = "code" in data
    form = VerificationForm(data if submitted else None)
    result = None
    checked = False
    if submitted:
        if _over_limit(request):
            return render(request, "429.html", status=429)
        if form.is_valid():
            checked = True
            result = lookup(form.cleaned_data["code"])
    return render(request, "jury/verification.html", {
        "form": form,
        "checked": checked,
        "result": result,
    })
