from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

from apps.accounts.services import account_register


def portal_url_for(user):
    """Where a signed-in user belongs: buyers and suppliers to their portal, staff to admin."""
    if user.is_staff:
        return reverse("admin:index")
    if user.role == user.Role.SUPPLIER:
        return reverse("supplier_home")
    return reverse("buyer_home")


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        return portal_url_for(request.user)

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        data = form.cleaned_data
        return account_register(
            user=user,
            role=data["role"],
            company_name=data["company_name"],
            country=data["country"],
            contact_name=data["contact_name"],
            phone=data["phone"],
            timezone_name=data.get("timezone") or "UTC",
        )
