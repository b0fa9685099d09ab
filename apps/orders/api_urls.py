from rest_framework.routers import SimpleRouter

from apps.orders import api

router = SimpleRouter(use_regex_path=False)
router.register("orders", api.OrderViewSet, basename="api-order")

urlpatterns = router.urls
