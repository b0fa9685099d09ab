import datetime as dt
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from apps.suppliers import services
from apps.suppliers.exceptions import ApplicationAlreadyOpen, NotAMediator, ReasonRequired
from apps.suppliers.models import SupplierProfile, VerificationApplication
from apps.suppliers.seed import demo_pdf
from apps.suppliers.selectors import agreement_in_force
from tests.factories import BuyerFactory, MediatorFactory, SupplierFactory

pytestmark = pytest.mark.django_db

APPLY_URL = reverse("supplier_verification_apply")


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def pdf(name="licence.pdf"):
    return SimpleUploadedFile(name, demo_pdf("Licence"), content_type="application/pdf")


def png(name="cert.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def form_data(**overrides):
    data = {
        "director_full_name": "Li Wei",
        "registered_company_name": "Shenzhen Brightway Electronics Co., Ltd.",
        "registration_number": "91440300MA5F",
        "address": "88 Keji Road, Shenzhen",
        "accept_agreement": "on",
        "agreement_version": agreement_in_force().version,
        "business_licence": pdf(),
        "certificates-TOTAL_FORMS": "2",
        "certificates-INITIAL_FORMS": "0",
        "certificates-MIN_NUM_FORMS": "0",
        "certificates-MAX_NUM_FORMS": "10",
        "certificates-0-name": "ISO 9001",
        "certificates-0-issuer": "TÜV SÜD",
        "certificates-0-number": "12 100 5678",
        "certificates-0-expires_on": "2028-05-31",
        "certificates-0-file": png(),
    }
    data.update(overrides)
    return data


def apply(supplier, now=None):
    return services.verification_apply(
        supplier=supplier,
        director_full_name="Li Wei",
        registered_company_name="Brightway",
        registration_number="123",
        address="Shenzhen",
        business_licence=pdf(),
        accepted_agreement_version=agreement_in_force().version,
        now=now,
    )


def test_a_supplier_applies_with_licence_certificate_and_the_agreement_version(client):
    supplier = SupplierFactory()
    client.force_login(supplier)

    response = client.post(APPLY_URL, form_data())

    assert response.url == reverse("supplier_trade_assurance")
    application = VerificationApplication.objects.get(supplier=supplier)
    assert application.status == VerificationApplication.Status.SUBMITTED
    assert application.agreement.version == "2026-11"
    certificate = application.certificates.get()
    assert (certificate.issuer, certificate.number) == ("TÜV SÜD", "12 100 5678")
    assert certificate.expires_on == dt.date(2028, 5, 31)
    # Stored outside MEDIA_ROOT and every static path.
    stored = Path(application.business_licence.path)
    assert stored.is_relative_to(settings.PRIVATE_MEDIA_ROOT)
    assert not stored.is_relative_to(settings.MEDIA_ROOT)


def test_the_agreement_must_be_accepted(client):
    client.force_login(SupplierFactory())

    response = client.post(APPLY_URL, form_data(accept_agreement=""))

    assert "accept_agreement" in response.context["form"].errors
    assert not VerificationApplication.objects.exists()


def test_a_licence_whose_content_is_not_a_document_is_refused_whatever_its_name(client):
    client.force_login(SupplierFactory())
    fake = SimpleUploadedFile(
        "licence.pdf", b"MZ\x90\x00 definitely an executable", "application/pdf"
    )

    response = client.post(APPLY_URL, form_data(business_licence=fake))

    errors = response.context["form"].errors["business_licence"]
    assert "not a PDF / JPEG / PNG file" in errors[0]
    assert not VerificationApplication.objects.exists()


def test_a_licence_over_the_size_limit_is_refused(client, settings):
    settings.PACTLINE_UPLOAD_MAX_BYTES = 1000
    client.force_login(SupplierFactory())
    big = SimpleUploadedFile("licence.pdf", b"%PDF-1.4\n" + b"0" * 2000, "application/pdf")

    response = client.post(APPLY_URL, form_data(business_licence=big))

    assert "the limit is 1000" in response.context["form"].errors["business_licence"][0]
    assert not VerificationApplication.objects.exists()


def test_a_bad_certificate_file_keeps_everything_else_unsaved(client):
    client.force_login(SupplierFactory())
    data = form_data(
        **{"certificates-0-file": SimpleUploadedFile("c.png", b"GIF89a...", "image/png")}
    )

    response = client.post(APPLY_URL, data)

    assert response.status_code == 200
    assert response.context["certificates"].forms[0].errors["file"]
    assert not VerificationApplication.objects.exists()


def test_only_one_application_waits_at_a_time():
    supplier = SupplierFactory()
    apply(supplier)

    with pytest.raises(ApplicationAlreadyOpen):
        apply(supplier)


def test_documents_are_served_to_their_supplier_and_staff_only(client):
    supplier = SupplierFactory()
    application = apply(supplier)
    url = reverse("verification_document", args=["licence", application.pk])

    client.force_login(supplier)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")

    client.force_login(SupplierFactory())
    assert client.get(url).status_code == 404
    client.force_login(BuyerFactory())
    assert client.get(url).status_code == 404
    client.force_login(MediatorFactory())
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302


def test_approval_verifies_the_supplier_computes_its_amount_and_tells_it(
    mailoutbox, django_capture_on_commit_callbacks
):
    supplier = SupplierFactory()
    application = apply(supplier)

    with django_capture_on_commit_callbacks(execute=True):
        services.verification_approve(application=application, acting_user=MediatorFactory())

    profile = SupplierProfile.objects.get(user=supplier)
    assert profile.verified_at is not None
    assert profile.ta_amount == 1_000_000
    assert [m.subject for m in mailoutbox] == ["[Pactline] Your company is verified"]


def test_rejection_needs_a_reason_the_supplier_then_reads(client):
    supplier = SupplierFactory()
    application = apply(supplier)
    mediator = MediatorFactory()

    with pytest.raises(ReasonRequired):
        services.verification_reject(application=application, acting_user=mediator, reason="  ")
    services.verification_reject(
        application=application,
        acting_user=mediator,
        reason="The registration number does not match the licence.",
    )

    client.force_login(supplier)
    page = client.get(reverse("supplier_trade_assurance")).content.decode()
    assert "Rejected" in page
    assert "The registration number does not match the licence." in page
    assert SupplierProfile.objects.get(user=supplier).verified_at is None


def test_more_information_then_resubmission_goes_back_to_review(client):
    supplier = SupplierFactory()
    application = apply(supplier)
    services.verification_request_info(
        application=application,
        acting_user=MediatorFactory(),
        reason="Please add your export licence.",
    )
    client.force_login(supplier)
    url = reverse("supplier_verification_update", args=[application.pk])

    response = client.post(
        url,
        {
            "director_full_name": "Li Wei",
            "registered_company_name": "Brightway",
            "registration_number": "123-A",
            "address": "Shenzhen",
            "certificates-TOTAL_FORMS": "1",
            "certificates-INITIAL_FORMS": "0",
            "certificates-0-name": "Export licence",
            "certificates-0-issuer": "MOFCOM",
            "certificates-0-number": "E-1",
            "certificates-0-expires_on": "2030-01-01",
            "certificates-0-file": pdf("export.pdf"),
        },
    )

    assert response.url == reverse("supplier_trade_assurance")
    application.refresh_from_db()
    assert application.status == VerificationApplication.Status.SUBMITTED
    assert application.registration_number == "123-A"
    assert application.certificates.get().name == "Export licence"


def test_staff_outside_mediators_cannot_decide():
    application = apply(SupplierFactory())
    from apps.accounts.models import User

    staff = User.objects.create_user("ops@pactline.example", "pw", is_staff=True)

    with pytest.raises(NotAMediator):
        services.verification_approve(application=application, acting_user=staff)
    application.refresh_from_db()
    assert application.status == VerificationApplication.Status.SUBMITTED


def test_review_is_due_two_business_days_later_and_flagged_when_late():
    friday = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)
    application = apply(SupplierFactory(), now=friday)

    assert application.review_due_at == dt.datetime(2026, 11, 24, 16, 0, tzinfo=dt.UTC)  # Tuesday
    assert not application.is_overdue(at=application.review_due_at)
    assert application.is_overdue(at=application.review_due_at + dt.timedelta(seconds=1))


def test_mediator_decides_in_admin_and_a_missing_reason_is_a_form_error(client):
    application = apply(SupplierFactory())
    client.force_login(MediatorFactory())
    url = reverse("admin:suppliers_verificationapplication_change", args=[application.pk])

    inline = {"certificates-TOTAL_FORMS": "0", "certificates-INITIAL_FORMS": "0"}
    response = client.post(url, {"decision": "reject", "reason": "", **inline})
    assert response.status_code == 200
    assert "Write the reason the supplier will read." in response.content.decode()

    response = client.post(
        url, {"decision": "more_info", "reason": "Add your tax certificate.", **inline}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == VerificationApplication.Status.MORE_INFO
    assert application.decision_reason == "Add your tax certificate."


def test_the_admin_list_flags_overdue_applications(client):
    apply(SupplierFactory(), now=timezone.now() - dt.timedelta(days=10))
    client.force_login(MediatorFactory())

    page = client.get(
        reverse("admin:suppliers_verificationapplication_changelist") + "?review=overdue"
    )

    assert page.status_code == 200
    assert "Brightway" in page.content.decode()


def test_a_buyer_cannot_open_supplier_trade_assurance_pages(client):
    client.force_login(BuyerFactory())

    assert client.get(reverse("supplier_trade_assurance")).status_code == 403
    assert client.get(APPLY_URL).status_code == 403


def test_a_verified_supplier_without_an_application_on_file_is_told_so(client):
    from tests.factories import VerifiedSupplierFactory

    client.force_login(VerifiedSupplierFactory())

    page = client.get(reverse("supplier_trade_assurance")).content.decode()

    assert "since" in page
    assert "Apply for verification" not in page
