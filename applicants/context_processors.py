from django.urls import NoReverseMatch, reverse

from core.dashboard import nav_entries

from .models import Role


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_roles": []}
    items = []
    for _order, label, url_name in nav_entries(user):
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": request.path.startswith(url) and url != "/"})
    labels = dict(Role.choices)
    return {"nav_items": items, "user_roles": [labels.get(r, r) for r in sorted(user.roles)]}
