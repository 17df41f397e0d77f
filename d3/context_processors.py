from django.urls import reverse

from d3.access import NAVIGATION


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    current = request.path
    items = []
    for url_name, label in NAVIGATION.get(user.role, []):
        url = reverse(url_name)
        items.append({"url": url, "label": label, "current": current == url})
    return {"nav_items": items, "user_role_label": user.get_role_display()}
