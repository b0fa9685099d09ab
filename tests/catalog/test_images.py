"""Product images: judged by content, limited in size and pixels, decoded before they are kept,
given a thumbnail at upload."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from apps.catalog import services
from apps.catalog.exceptions import ImageRejected, ProductNotOwned
from apps.catalog.models import ProductImage
from tests.catalog.factories import ProductFactory, image_bytes
from tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def upload(client, product, name, content, content_type="image/jpeg"):
    return client.post(
        reverse("supplier_product_image_upload", args=[product.pk]),
        {"image": SimpleUploadedFile(name, content, content_type)},
    )


def media_files(settings):
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_an_upload_is_stored_with_a_thumbnail_within_the_configured_size(settings):
    settings.PACTLINE_THUMBNAIL_SIZE = (120, 120)
    product = ProductFactory()

    image = services.product_image_add(
        product=product,
        acting_user=product.supplier,
        uploaded_file=SimpleUploadedFile("photo.jpg", image_bytes(size=(800, 600))),
    )

    assert (image.width, image.height) == (800, 600)
    with Image.open(settings.MEDIA_ROOT / image.thumbnail.name) as thumbnail:
        assert thumbnail.format == "JPEG"
        assert thumbnail.size == (120, 90)
    assert image.image.name.startswith(f"products/{product.supplier_id}/{product.pk}/")


def test_the_stored_name_follows_the_content_not_the_uploaded_name():
    product = ProductFactory()

    image = services.product_image_add(
        product=product,
        acting_user=product.supplier,
        uploaded_file=SimpleUploadedFile("../../evil.jpg.html", image_bytes("PNG")),
    )

    assert image.image.name.endswith(".png")
    assert "evil" not in image.image.name


def test_a_pdf_named_jpg_is_rejected_by_its_content(client, settings):
    product = ProductFactory()
    client.force_login(product.supplier)

    response = upload(client, product, "photo.jpg", PDF)

    assert response.status_code == 200
    assert "This file is not a JPEG / PNG / WebP file (judged by its content" in (
        response.content.decode()
    )
    assert not ProductImage.objects.exists()
    assert media_files(settings) == []


def test_an_image_over_the_size_limit_is_rejected(client, settings):
    settings.PACTLINE_IMAGE_MAX_BYTES = 1024
    product = ProductFactory()
    client.force_login(product.supplier)
    big = image_bytes("PNG") + b"\0" * 2048

    response = upload(client, product, "big.png", big, "image/png")

    assert response.status_code == 200
    assert "the limit is 1.0\u00a0KB" in response.content.decode()
    assert not ProductImage.objects.exists()


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 20,  # a JPEG signature and garbage
        image_bytes("JPEG")[:300],  # truncated
        image_bytes("PNG")[:60],  # truncated PNG
    ],
    ids=["garbage", "truncated-jpeg", "truncated-png"],
)
def test_a_corrupt_image_is_a_form_error_not_a_crash(client, settings, content):
    product = ProductFactory()
    client.force_login(product.supplier)

    response = upload(client, product, "photo.jpg", content)

    assert response.status_code == 200
    assert "This image could not be read" in response.content.decode()
    assert not ProductImage.objects.exists()
    assert media_files(settings) == []


def test_an_image_with_too_many_pixels_is_rejected_before_it_is_decoded(settings):
    settings.PACTLINE_IMAGE_MAX_PIXELS = 100 * 100
    product = ProductFactory()

    with pytest.raises(ImageRejected, match="the limit is"):
        services.product_image_add(
            product=product,
            acting_user=product.supplier,
            uploaded_file=SimpleUploadedFile("wide.png", image_bytes("PNG", size=(200, 200))),
        )


def test_webp_and_transparent_png_get_jpeg_thumbnails(settings):
    product = ProductFactory()
    buffer = io.BytesIO()
    Image.new("RGBA", (50, 50), (255, 0, 0, 0)).save(buffer, "PNG")

    for content in (image_bytes("WEBP"), buffer.getvalue()):
        image = services.product_image_add(
            product=product,
            acting_user=product.supplier,
            uploaded_file=SimpleUploadedFile("x", content),
        )
        with Image.open(settings.MEDIA_ROOT / image.thumbnail.name) as thumbnail:
            assert (thumbnail.format, thumbnail.mode) == ("JPEG", "RGB")


def test_a_product_has_at_most_the_configured_number_of_images(settings):
    settings.PACTLINE_CATALOG_MAX_IMAGES = 2
    product = ProductFactory()
    for _ in range(2):
        services.product_image_add(
            product=product,
            acting_user=product.supplier,
            uploaded_file=SimpleUploadedFile("a.jpg", image_bytes()),
        )

    with pytest.raises(ImageRejected, match="at most 2 images"):
        services.product_image_add(
            product=product,
            acting_user=product.supplier,
            uploaded_file=SimpleUploadedFile("a.jpg", image_bytes()),
        )


def test_images_are_ordered_as_uploaded_and_the_first_is_the_cover():
    product = ProductFactory()
    first, second = (
        services.product_image_add(
            product=product,
            acting_user=product.supplier,
            uploaded_file=SimpleUploadedFile("a.jpg", image_bytes(colour=colour)),
        )
        for colour in ("red", "blue")
    )

    assert (first.position, second.position) == (0, 1)


def test_the_service_refuses_another_suppliers_product():
    product = ProductFactory()

    with pytest.raises(ProductNotOwned):
        services.product_image_add(
            product=product,
            acting_user=SupplierFactory(),
            uploaded_file=SimpleUploadedFile("a.jpg", image_bytes()),
        )
