from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.catalog import services
from apps.catalog.models import Category, PriceTier, Product, ProductImage
from apps.core.admin import ReadOnlyInlineMixin


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """Categories are reference data staff keep; Category.clean holds the tree to two levels."""

    list_display = ["name", "slug", "parent", "position"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["parent"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = Category.objects.filter(parent__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class PriceTierInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = PriceTier
    fields = ["min_quantity", "unit_price"]


class ProductImageInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ProductImage
    fields = ["image", "thumbnail", "width", "height", "position"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    """Staff look at products and may hide or show them; the supplier edits the content in the
    portal (services keep tiers and the price range together)."""

    list_display = ["title", "supplier", "category", "currency", "price_min", "moq", "is_active"]
    list_filter = ["is_active", "currency", ("category", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "supplier__email", "supplier__company__company_name"]
    list_select_related = ["supplier", "category", "category__parent"]
    inlines = [PriceTierInline, ProductImageInline]
    actions = ["deactivate", "activate"]
    readonly_fields = [
        "supplier",
        "title",
        "description",
        "category",
        "currency",
        "moq",
        "lead_time_days",
        "specifications",
        "price_min",
        "price_max",
        "is_active",
        "created_at",
        "updated_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def _set_active(self, request, queryset, service, done):
        count = 0
        for product in queryset:
            service(product=product, acting_user=request.user)
            count += 1
        self.message_user(request, done(count), messages.SUCCESS)

    @admin.action(description=_("Hide the selected products from buyers"))
    def deactivate(self, request, queryset):
        self._set_active(
            request,
            queryset,
            services.product_deactivate,
            lambda n: ngettext("%(n)s product hidden.", "%(n)s products hidden.", n) % {"n": n},
        )

    @admin.action(description=_("Show the selected products to buyers"))
    def activate(self, request, queryset):
        self._set_active(
            request,
            queryset,
            services.product_activate,
            lambda n: ngettext("%(n)s product shown.", "%(n)s products shown.", n) % {"n": n},
        )
