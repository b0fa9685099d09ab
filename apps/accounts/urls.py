from django.urls import path

from apps.accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("portal/", views.portal_home, name="portal_home"),
    path("buyer/", views.buyer_home, name="buyer_home"),
    path("supplier/", views.supplier_home, name="supplier_home"),
    path("account/settings/", views.account_settings, name="account_settings"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("i18n/setlang/", views.language_switch, name="set_language"),
    # Before allauth's own URLs, so /accounts/signup/ is this subclass.
    path("accounts/signup/", views.RoleSignupView.as_view(), name="account_signup"),
]
