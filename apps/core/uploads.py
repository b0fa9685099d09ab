"""Uploaded documents: the type is sniffed from the content (never trusted from the name or the
browser), the size is limited, and private files live outside every public path and are served
only through a view that checks who asks."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

SIGNATURES = {
    "pdf": (b"%PDF-",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "webp": (),  # RIFF....WEBP, checked below
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
}
EXTENSIONS = {"pdf": "pdf", "jpeg": "jpg", "png": "png", "webp": "webp"}
KIND_LABELS = {"pdf": "PDF", "jpeg": "JPEG", "png": "PNG", "webp": "WebP"}


def sniff(uploaded):
    """The kind of file by its first bytes: 'pdf', 'jpeg', 'png', 'webp' or None."""
    position = uploaded.tell() if hasattr(uploaded, "tell") else 0
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(position)
    for kind, signatures in SIGNATURES.items():
        if any(head.startswith(sig) for sig in signatures):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


@deconstructible
class FileKindValidator:
    """Accepts only the given kinds, judged by content, up to max_bytes."""

    def __init__(self, kinds, max_bytes=None):
        self.kinds = tuple(kinds)
        self.max_bytes = max_bytes

    def __call__(self, uploaded):
        limit = self.max_bytes or settings.PACTLINE_UPLOAD_MAX_BYTES
        if uploaded.size > limit:
            raise ValidationError(
                _("The file is %(size)s; the limit is %(limit)s."),
                code="file_too_big",
                params={"size": filesizeformat(uploaded.size), "limit": filesizeformat(limit)},
            )
        if sniff(uploaded) not in self.kinds:
            raise ValidationError(
                _("This file is not a %(kinds)s file (judged by its content, not its name)."),
                code="file_type",
                params={"kinds": " / ".join(KIND_LABELS[k] for k in self.kinds)},
            )

    def __eq__(self, other):
        return (
            isinstance(other, FileKindValidator)
            and self.kinds == other.kinds
            and self.max_bytes == other.max_bytes
        )


DOCUMENT_KINDS = ("pdf", "jpeg", "png")
IMAGE_KINDS = ("jpeg", "png", "webp")


@deconstructible(path="apps.core.uploads.PrivateStorage")
class PrivateStorage(FileSystemStorage):
    """Files under PRIVATE_MEDIA_ROOT (read when used, so a changed setting takes effect) with
    no URL: they are only ever streamed by views that check access first."""

    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return settings.PRIVATE_MEDIA_ROOT

    @property
    def location(self):
        return str(Path(self.base_location).resolve())

    def url(self, name):
        raise ValueError("Private files have no URL; serve them through an access-checking view.")


private_storage = PrivateStorage()


def private_file_response(field_file, *, download_name=None):
    from django.http import FileResponse

    field_file.open("rb")
    kind = sniff(field_file.file)
    return FileResponse(
        field_file,
        content_type=CONTENT_TYPES.get(kind, "application/octet-stream"),
        as_attachment=kind == "pdf",
        filename=download_name or field_file.name.rsplit("/", 1)[-1],
    )
