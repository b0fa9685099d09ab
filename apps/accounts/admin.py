from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import CompanyProfile, User


class CompanyProfileInline(admin.StackedInline):
    model = CompanyProfile
    can_delete = False
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "role", "company_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["role", "is_staff", "is_active", "groups"]
    search_fields = ["email", "company__company_name", "company__contact_name"]
    list_select_related = ["company"]
    inlines = [CompanyProfileInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Role and preferences"), {"fields": ("role", "timezone", "language")}),
        (_("Name"), {"fields": ("first_name", "last_name")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),
    )

    @admin.display(description=_("company"), ordering="company__company_name")
    def company_name(self, obj):
        profile = getattr(obj, "company", None)
        return profile.company_name if profile else "—"
