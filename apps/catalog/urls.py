from django.urls import path

from apps.catalog import views

urlpatterns = [
    path("products/", views.product_search, name="product_search"),
    path("products/<int:pk>/", views.product_detail, name="product_detail"),
    path("supplier/products/", views.supplier_product_list, name="supplier_product_list"),
    path("supplier/products/new/", views.supplier_product_create, name="supplier_product_create"),
    path(
        "supplier/products/import/", views.supplier_product_import, name="supplier_product_import"
    ),
    path(
        "supplier/products/import/sample.csv",
        views.supplier_product_import_sample,
        name="supplier_product_import_sample",
    ),
    path(
        "supplier/products/<int:pk>/edit/",
        views.supplier_product_edit,
        name="supplier_product_edit",
    ),
    path(
        "supplier/products/<int:pk>/deactivate/",
        views.supplier_product_deactivate,
        name="supplier_product_deactivate",
    ),
    path(
        "supplier/products/<int:pk>/activate/",
        views.supplier_product_activate,
        name="supplier_product_activate",
    ),
    path(
        "supplier/products/<int:pk>/images/",
        views.supplier_product_image_upload,
        name="supplier_product_image_upload",
    ),
    path(
        "supplier/products/<int:pk>/images/<int:image_pk>/delete/",
        views.supplier_product_image_delete,
        name="supplier_product_image_delete",
    ),
]
