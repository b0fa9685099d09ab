from rest_framework.routers import SimpleRouter

from apps.catalog import api

router = SimpleRouter()
router.register("products", api.ProductViewSet, basename="api-product")

urlpatterns = router.urls
