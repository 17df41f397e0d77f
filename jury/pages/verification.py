"""The public page where anyone checks the verification code printed on a courrier.

No log-in. Rate limited per client address (``D3_RATE_LIMITS["verification"]``,
20 look-ups per 10 minutes, :mod:`d3.ratelimits`, the address as :mod:`d3.client_ip`
trusts it): a code has about 80 bits, so guessing is hopeless anyway, but the page
must not become a cheap oracle nor a load generator.
"""

from django import forms
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from d3 import ratelimits
from jury.verification import lookup, normalise_code


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


@require_http_methods(["GET", "HEAD", "POST"])
def verification(request):
    data = request.POST if request.method == "POST" else request.GET
    submitted = "code" in data
    form = VerificationForm(data if submitted else None)
    result = None
    checked = False
    if submitted:
        if not ratelimits.hit("verification", ratelimits.address_key(request)):
            return render(request, "429.html", status=429)
        if form.is_valid():
            checked = True
            result = lookup(form.cleaned_data["code"])
    return render(request, "jury/verification.html", {
        "form": form,
        "checked": checked,
        "result": result,
    })
