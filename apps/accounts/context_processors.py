from django.urls import reverse
from django.utils.translation import gettext as _


def portal(request):
    """The navigation for whoever is looking: their portal's links, or sign in / sign up."""
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        if user.is_staff:
            items.append((_("Admin"), reverse("admin:index")))
        elif user.role == user.Role.SUPPLIER:
            items.append((_("Supplier portal"), reverse("supplier_home")))
        else:
            items.append((_("Buyer portal"), reverse("buyer_home")))
        items.append((_("Account settings"), reverse("account_settings")))
    return {"portal_nav": [{"label": label, "url": url} for label, url in items]}
