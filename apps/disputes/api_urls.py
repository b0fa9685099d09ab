from rest_framework.routers import SimpleRouter

from apps.disputes import api

router = SimpleRouter(use_regex_path=False)
router.register("disputes", api.CaseViewSet, basename="api-dispute")

urlpatterns = router.urls
