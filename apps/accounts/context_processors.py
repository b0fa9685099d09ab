from django.urls import reverse
from django.utils.translation import gettext as _

from apps.accounts.notifications import notifications_unread_count


def portal(request):
    """The navigation for whoever is looking: their portal's links, or the public ones."""
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        if user.is_staff:
            items.append((_("Admin"), reverse("admin:index")))
        elif user.role == user.Role.SUPPLIER:
            items += [
                (_("Supplier portal"), reverse("supplier_home")),
                (_("Orders"), reverse("order_list")),
                (_("Disputes"), reverse("dispute_list")),
                (_("Products"), reverse("supplier_product_list")),
                (_("Trade Assurance"), reverse("supplier_trade_assurance")),
                (_("Balance & payouts"), reverse("supplier_payouts")),
                (_("Statements"), reverse("statements")),
            ]
        else:
            items += [
                (_("Buyer portal"), reverse("buyer_home")),
                (_("Orders"), reverse("order_list")),
                (_("Disputes"), reverse("dispute_list")),
                (_("Find products"), reverse("product_search")),
                (_("Statements"), reverse("statements")),
            ]
    else:
        items.append((_("Find products"), reverse("product_search")))
    unread = 0
    if user is not None and user.is_authenticated:
        unread = notifications_unread_count(user=user)
    return {
        "portal_nav": [{"label": label, "url": url} for label, url in items],
        "unread_notifications": unread,
    }
