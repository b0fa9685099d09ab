"""Catalog pages: the public search and product page, and the supplier's product pages. Thin:
reads come from selectors, writes go through services, domain errors become form errors."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from apps.accounts.decorators import role_required
from apps.accounts.models import User
from apps.catalog import selectors, services
from apps.catalog.csv_import import COLUMNS, sample_csv
from apps.catalog.exceptions import CatalogError, ImportRejected
from apps.catalog.filters import ProductFilter
from apps.catalog.forms import ProductForm, ProductImageForm, ProductImportForm
from apps.catalog.models import ProductImage
from apps.catalog.pagination import CappedCountPaginator
from apps.core.money import CURRENCIES
from apps.suppliers.selectors import storefront_figures

supplier_only = role_required(User.Role.SUPPLIER)


def _page(request, queryset):
    return CappedCountPaginator(queryset, settings.PACTLINE_CATALOG_PAGE_SIZE).get_page(
        request.GET.get("page")
    )


def _errors_to_form(form, error: CatalogError):
    for field, field_messages in error.errors.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


# --- buyers and visitors ----------------------------------------------------------------------


def product_search(request):
    """Search and browse. Queries: the category choices, the count and one for the page,
    whatever the page size. htmx requests get the results part only."""
    filterset = ProductFilter(request.GET, queryset=selectors.products_public())
    page = _page(request, filterset.qs)
    context = {"form": filterset.form, "page": page}
    if request.htmx:
        return render(request, "catalog/_search_results.html", context)
    return render(request, "catalog/search.html", context)


def product_detail(request, pk):
    product = selectors.product_get_for_viewer(pk=pk, user=request.user)
    tiers = list(product.price_tiers.all())
    # Each tier runs up to the quantity before the next one; the last has no upper end.
    up_to = [t.min_quantity - 1 for t in tiers[1:]] + [None]
    return render(
        request,
        "catalog/product_detail.html",
        {
            "product": product,
            "tiers": list(zip(tiers, up_to, strict=True)),
            "images": list(product.images.all()),
            "figures": storefront_figures(supplier=product.supplier),
            "is_owner": request.user.is_authenticated and product.supplier_id == request.user.pk,
        },
    )


# --- supplier portal --------------------------------------------------------------------------


@supplier_only
def supplier_product_list(request):
    page = _page(request, selectors.product_list_for_supplier(supplier=request.user))
    return render(request, "catalog/supplier_product_list.html", {"page": page})


@supplier_only
def supplier_product_create(request):
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_create(supplier=request.user, **form.service_arguments())
        except CatalogError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Product listed. Add images so buyers can see it."))
            return redirect("supplier_product_edit", pk=product.pk)
    return render(request, "catalog/supplier_product_form.html", {"form": form, "product": None})


def _own_product(request, pk):
    # Scoped queryset: another supplier's product is a 404, never fetched and then refused.
    return get_object_or_404(
        selectors.products_for_supplier(supplier=request.user).select_related("category"), pk=pk
    )


def _edit_page(request, product, *, form=None, image_form=None):
    return render(
        request,
        "catalog/supplier_product_form.html",
        {
            "product": product,
            "form": form or ProductForm(product=product),
            "image_form": image_form or ProductImageForm(),
            "images": list(product.images.order_by("position", "pk")),
            "max_images": settings.PACTLINE_CATALOG_MAX_IMAGES,
        },
    )


@supplier_only
def supplier_product_edit(request, pk):
    product = _own_product(request, pk)
    if request.method != "POST":
        return _edit_page(request, product)
    form = ProductForm(request.POST, product=product)
    if form.is_valid():
        try:
            services.product_update(
                product=product, acting_user=request.user, **form.service_arguments()
            )
        except CatalogError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect("supplier_product_edit", pk=product.pk)
    return _edit_page(request, product, form=form)


@supplier_only
@require_POST
def supplier_product_deactivate(request, pk):
    product = services.product_deactivate(
        product=_own_product(request, pk), acting_user=request.user
    )
    messages.success(request, _("%(title)s is hidden from buyers now.") % {"title": product.title})
    return _back(request, pk)


@supplier_only
@require_POST
def supplier_product_activate(request, pk):
    product = services.product_activate(product=_own_product(request, pk), acting_user=request.user)
    messages.success(request, _("%(title)s is shown to buyers again.") % {"title": product.title})
    return _back(request, pk)


def _back(request, pk):
    # The buttons sit on the list and on the edit page; each returns to where it was pressed.
    if request.POST.get("next") == "edit":
        return redirect("supplier_product_edit", pk=pk)
    return redirect("supplier_product_list")


@supplier_only
@require_POST
def supplier_product_image_upload(request, pk):
    product = _own_product(request, pk)
    image_form = ProductImageForm(request.POST, request.FILES)
    if image_form.is_valid():
        try:
            services.product_image_add(
                product=product,
                acting_user=request.user,
                uploaded_file=image_form.cleaned_data["image"],
            )
        except CatalogError as exc:
            _errors_to_form(image_form, exc)
        else:
            messages.success(request, _("Image added."))
            return redirect("supplier_product_edit", pk=product.pk)
    return _edit_page(request, product, image_form=image_form)


@supplier_only
@require_POST
def supplier_product_image_delete(request, pk, image_pk):
    product = _own_product(request, pk)
    image = get_object_or_404(ProductImage.objects.filter(product=product), pk=image_pk)
    services.product_image_delete(image=image, acting_user=request.user)
    messages.success(request, _("Image deleted."))
    return redirect("supplier_product_edit", pk=product.pk)


@supplier_only
def supplier_product_import(request):
    form = ProductImportForm(request.POST or None, request.FILES or None)
    row_errors = None
    if request.method == "POST" and form.is_valid():
        try:
            products = services.product_import(
                supplier=request.user, csv_file=form.cleaned_data["csv_file"]
            )
        except ImportRejected as exc:
            row_errors = exc.row_errors
        except CatalogError as exc:
            _errors_to_form(form, exc)
        else:
            count = len(products)
            messages.success(
                request,
                ngettext("Imported %(count)s product.", "Imported %(count)s products.", count)
                % {"count": count},
            )
            return redirect("supplier_product_list")
    return render(
        request,
        "catalog/supplier_product_import.html",
        {
            "form": form,
            "row_errors": row_errors,
            "columns": COLUMNS,
            "categories": selectors.categories_tree(),
            "currencies": list(CURRENCIES),
            "max_rows": settings.PACTLINE_CATALOG_IMPORT_MAX_ROWS,
        },
    )


@supplier_only
def supplier_product_import_sample(request):
    response = HttpResponse(sample_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="pactline-products-sample.csv"'
    return response
