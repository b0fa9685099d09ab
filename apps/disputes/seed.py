"""Demo claims, opened through the disputes services so the case, its events, the frozen
escrow and the order timeline agree: a quality claim with a photo and an inspection report
that the supplier answered with a counter-offer, escalated by the buyer and waiting in the
mediators' queue."""

import datetime as dt
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from apps.disputes import services
from apps.disputes.models import Case, Outcome


def _photo():
    image = Image.new("RGB", (640, 420), (250, 246, 235))
    draw = ImageDraw.Draw(image)
    for n, colour in enumerate([(255, 214, 150)] * 4 + [(214, 232, 255)] * 2):
        x = 40 + n * 95
        draw.ellipse((x, 150, x + 80, 230), fill=colour, outline=(120, 120, 120))
    draw.text((40, 300), "Batch 2: 2 of 6 bulbs cold white (4000 K)", fill=(40, 40, 40))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return SimpleUploadedFile("batch-2-bulbs.png", buffer.getvalue(), content_type="image/png")


def _report():
    pdf = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return SimpleUploadedFile("inspection-report.pdf", pdf, content_type="application/pdf")


def claims_open(*, order, now, stdout):
    """On a shipped order: the buyer claims, the supplier counters, the buyer escalates."""
    opened = now - dt.timedelta(days=5)
    line = order.current_version.lines.first()
    case = services.case_open(
        order=order,
        acting_user=order.buyer,
        reason=Case.Reason.QUALITY,
        requested_outcome=Outcome.PARTIAL_REFUND,
        requested_amount=order.total_amount // 3,
        description=(
            "A third of the bulbs in batch 2 are cold white (about 4000 K); the contract says "
            "2700 K ± 100 K. The inspection report found 33% of the sample out of tolerance."
        ),
        line_ids=[line.pk],
        evidence=[
            services.EvidenceInput(file=_photo(), description="Batch 2, sample of six"),
            services.EvidenceInput(
                file=_report(),
                kind="inspection_report",
                description="Third-party inspection, AQL 2.5",
                defect_rate=Decimal("33"),
            ),
        ],
        now=opened,
    )
    services.case_supplier_answer(
        case=case,
        acting_user=order.supplier,
        answer="counter",
        outcome=Outcome.PARTIAL_REFUND,
        amount=order.total_amount // 10,
        message="Only part of batch 2 is affected; we offer 10% back.",
        now=opened + dt.timedelta(days=1),
    )
    services.case_escalate(
        case=case, acting_user=order.buyer, now=opened + dt.timedelta(days=4, hours=2)
    )
    stdout.write(f"opened demo claim {case} (waiting for a mediator)")
    return case
