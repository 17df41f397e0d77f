from django.shortcuts import render

from d3.access import capability_required


@capability_required("dnf_home")
def dnf_home(request):
    return render(request, "jury/dnf_home.html")


@capability_required("jury_home")
def jury_home(request):
    return render(request, "jury/jury_home.html")
