"""Demo suppliers in every tier: two eligible for Trade Assurance (verified + Gold), one verified
with an expired Gold membership, one basic with an application waiting for review."""

import datetime as dt
import io

from django.core.files.base import ContentFile
from django.utils import timezone

from apps.accounts.models import User
from apps.suppliers import services
from apps.suppliers.models import GoldMembership, SupplierProfile, VerificationApplication
from apps.suppliers.selectors import agreement_in_force

# email: (verified days ago or None, Gold started days ago or None)
TIERS = {
    "supplier@demo.pactline.test": (400, 30),
    "supplier2@demo.pactline.test": (250, 100),
    "supplier3@demo.pactline.test": (500, 400),  # a year of Gold that ended 35 days ago
    "supplier4@demo.pactline.test": (None, None),
}


def demo_pdf(title):
    """A tiny valid one-page PDF, so the demo licence opens in a browser."""
    text = title.replace("(", "").replace(")", "")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def run(*, stdout):
    now = timezone.now()
    mediator = User.objects.get(email="mediator@demo.pactline.test")
    for email, (verified_days, gold_days) in TIERS.items():
        supplier = User.objects.get(email=email)
        profile = services.supplier_profile_create(user=supplier)
        if verified_days is not None and profile.verified_at is None:
            SupplierProfile.objects.filter(pk=profile.pk).update(
                verified_at=now - dt.timedelta(days=verified_days)
            )
        if gold_days is not None and not GoldMembership.objects.filter(supplier=supplier).exists():
            services.gold_membership_grant(
                supplier=supplier,
                acting_user=mediator,
                note="Demo membership",
                now=now - dt.timedelta(days=gold_days),
            )
        if verified_days is not None:
            services.ta_amount_recompute(supplier=supplier, now=now)
        if verified_days is None and not supplier.verification_applications.exists():
            company = supplier.company
            services.verification_apply(
                supplier=supplier,
                director_full_name=company.contact_name,
                registered_company_name=company.company_name,
                registration_number="KRS 0000123456",
                address="ul. Portowa 12, 80-001 Gdansk, Poland",
                business_licence=ContentFile(
                    demo_pdf(f"Business licence {company.company_name}"), name="licence.pdf"
                ),
                accepted_agreement_version=agreement_in_force().version,
                now=now - dt.timedelta(days=4),
            )
        profile.refresh_from_db()
        eligible = profile.is_trade_assurance_eligible(now)
        stdout.write(f"{email}: {profile.tier(now).label}, Trade Assurance eligible: {eligible}")
    waiting = VerificationApplication.objects.filter(
        status=VerificationApplication.Status.SUBMITTED
    )
    stdout.write(f"{waiting.count()} verification application(s) waiting for review")
