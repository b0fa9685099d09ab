from allauth.account.decorators import secure_admin_login
from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import views

# The admin login goes through allauth's login (and so its rate limits and email verification).
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = _("Pactline administration")
admin.site.site_title = _("Pactline admin")

api_v1 = [
    path("", include("apps.accounts.api_urls")),
    path("", include("apps.suppliers.api_urls")),
    path("", include("apps.catalog.api_urls")),
    path("", include("apps.orders.api_urls")),
    path("", include("apps.escrow.api_urls")),
    path("", include("apps.disputes.api_urls")),
]

urlpatterns = [
    # The API first: its requests are the most frequent, and the portals' many patterns need
    # not be tried before it (no portal path starts with api/).
    path("api/v1/", include(api_v1)),
    path("", include("apps.accounts.urls")),
    path("", include("apps.suppliers.urls")),
    path("", include("apps.catalog.urls")),
    path("", include("apps.orders.urls")),
    path("", include("apps.escrow.urls")),
    path("", include("apps.disputes.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        # Swagger UI sets style attributes as it renders; scripts stay 'self' only.
        csp_update({"style-src": [UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name none (admin, API docs).
    path("favicon.ico", views.favicon),
]

if settings.DEBUG:
    # Public media (product images) for the local site; production serves it from object storage.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
handler429 = "config.views.too_many_requests"
