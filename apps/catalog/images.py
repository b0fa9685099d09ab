"""Product photos: judged by content (never by name), decoded by Pillow before they are kept,
limited in bytes and pixels, and given a thumbnail at upload."""

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

from apps.core.uploads import IMAGE_KINDS, FileKindValidator, sniff

# What Pillow calls each kind that FileKindValidator lets through.
PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
THUMBNAIL_FORMAT = ("JPEG", "jpg")


@dataclass(frozen=True)
class CheckedImage:
    kind: str  # 'jpeg' | 'png' | 'webp'
    width: int
    height: int
    thumbnail: bytes  # JPEG, within PACTLINE_THUMBNAIL_SIZE


def image_validator():
    # Built at call time so that a changed PACTLINE_IMAGE_MAX_BYTES applies at once.
    return FileKindValidator(IMAGE_KINDS, settings.PACTLINE_IMAGE_MAX_BYTES)


def image_check(uploaded) -> CheckedImage:
    """Validates an uploaded image and makes its thumbnail. Raises ValidationError when the
    file is too big, is not a JPEG/PNG/WebP by its content, has too many pixels, or cannot be
    decoded in full (corrupt or truncated)."""
    image_validator()(uploaded)
    kind = sniff(uploaded)
    unreadable = ValidationError(
        _("This image could not be read: the file is damaged or not really an image."),
        code="image_corrupt",
    )
    try:
        with warnings.catch_warnings():
            # A decompression-bomb warning is our own pixel limit's business below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            uploaded.seek(0)
            with Image.open(uploaded) as probe:
                probe.verify()
            uploaded.seek(0)
            with Image.open(uploaded) as image:
                if image.format != PILLOW_FORMATS[kind]:
                    raise unreadable
                width, height = image.size
                if width * height > settings.PACTLINE_IMAGE_MAX_PIXELS:
                    raise ValidationError(
                        _(
                            "This image is %(width)s×%(height)s pixels; the limit is "
                            "%(limit)s million pixels."
                        ),
                        code="image_too_large",
                        params={
                            "width": width,
                            "height": height,
                            "limit": settings.PACTLINE_IMAGE_MAX_PIXELS // 1_000_000,
                        },
                    )
                image.load()
                thumbnail = thumbnail_bytes(image)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow reports a truncated or malformed file with one of these.
        raise unreadable from exc
    finally:
        uploaded.seek(0)
    return CheckedImage(kind=kind, width=width, height=height, thumbnail=thumbnail)


def thumbnail_bytes(image) -> bytes:
    """A JPEG within PACTLINE_THUMBNAIL_SIZE, upright, transparency on white."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    image.thumbnail(settings.PACTLINE_THUMBNAIL_SIZE)
    buffer = io.BytesIO()
    image.save(buffer, THUMBNAIL_FORMAT[0], quality=85, optimize=True)
    return buffer.getvalue()
