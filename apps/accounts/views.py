from allauth.account.views import SignupView
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from apps.accounts.adapter import portal_url_for
from apps.accounts.decorators import role_required
from apps.accounts.forms import AccountSettingsForm
from apps.accounts.models import User
from apps.accounts.notifications import notifications_for, notifications_mark_read
from apps.accounts.services import account_settings_update
from apps.escrow.selectors import payout_account_current
from apps.orders.views import order_rows


def home(request):
    if request.user.is_authenticated:
        return redirect(portal_url_for(request.user))
    return render(request, "accounts/home.html")


@login_required
def portal_home(request):
    return redirect(portal_url_for(request.user))


RECENT_ORDERS = 5


@role_required(User.Role.BUYER)
def buyer_home(request):
    return render(
        request,
        "accounts/buyer_home.html",
        {"order_rows": order_rows(user=request.user, limit=RECENT_ORDERS)},
    )


@role_required(User.Role.SUPPLIER)
def supplier_home(request):
    return render(
        request,
        "accounts/supplier_home.html",
        {
            "order_rows": order_rows(user=request.user, limit=RECENT_ORDERS),
            "payout_account": payout_account_current(supplier=request.user),
        },
    )


class RoleSignupView(SignupView):
    """allauth's signup, with the role preselected by ?as=buyer or ?as=supplier."""

    def get_initial(self):
        initial = super().get_initial()
        wanted = self.request.GET.get("as")
        if wanted in (User.Role.BUYER, User.Role.SUPPLIER):
            initial["role"] = wanted
        return initial


@login_required
def account_settings(request):
    user = request.user
    profile = getattr(user, "company", None)
    initial = {"timezone": user.timezone, "language": user.language or request.LANGUAGE_CODE}
    if profile is not None:
        initial.update(
            company_name=profile.company_name,
            country=profile.country.code,
            contact_name=profile.contact_name,
            phone=profile.phone,
        )
    form = AccountSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            account_settings_update(user=user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Your settings were saved."))
            return redirect("account_settings")
    return render(request, "accounts/settings.html", {"form": form})


@login_required
def notification_list(request):
    """The signed-in user's notifications, newest first; opening the page marks them read."""
    page = Paginator(notifications_for(user=request.user), 25).get_page(request.GET.get("page"))
    unread_ids = {n.pk for n in page if n.read_at is None}
    notifications_mark_read(user=request.user)
    return render(request, "accounts/notifications.html", {"page": page, "unread_ids": unread_ids})


@require_POST
def language_switch(request):
    """Django's set_language, which also remembers the choice on a signed-in user's account."""
    response = set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language and check_for_language(language):
        account_settings_update(user=request.user, language=language)
    return response
