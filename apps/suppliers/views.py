from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from apps.accounts.decorators import role_required
from apps.accounts.models import User
from apps.core.uploads import private_file_response
from apps.suppliers import selectors, services
from apps.suppliers.exceptions import SupplierError
from apps.suppliers.forms import (
    CertificateFormSet,
    VerificationApplicationForm,
    VerificationResubmitForm,
    certificate_rows,
)
from apps.suppliers.models import Certificate, VerificationApplication


def _apply_error(form, error):
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


@role_required(User.Role.SUPPLIER)
def trade_assurance(request):
    supplier = request.user
    applications = selectors.verification_applications_for(supplier=supplier)
    return render(
        request,
        "suppliers/trade_assurance.html",
        {
            "profile": selectors.supplier_profile_for(user=supplier),
            "figures": selectors.storefront_figures(supplier=supplier, use_cache=False),
            "latest_application": applications.first(),
            "open_application": selectors.verification_open_application(supplier=supplier),
            "history": selectors.ta_amount_history_for(supplier=supplier)[:20],
            "memberships": supplier.gold_memberships.all()[:5],
        },
    )


@role_required(User.Role.SUPPLIER)
def verification_apply(request):
    supplier = request.user
    if selectors.verification_open_application(supplier=supplier):
        messages.info(request, _("Your application is already with us."))
        return redirect("supplier_trade_assurance")
    agreement = selectors.agreement_in_force()
    company = getattr(supplier, "company", None)
    initial = {
        "agreement_version": agreement.version if agreement else "",
        "registered_company_name": company.company_name if company else "",
    }
    form = VerificationApplicationForm(request.POST or None, request.FILES or None, initial=initial)
    certificates = CertificateFormSet(
        request.POST or None, request.FILES or None, prefix="certificates"
    )
    if request.method == "POST" and form.is_valid() and certificates.is_valid():
        data = form.cleaned_data
        try:
            services.verification_apply(
                supplier=supplier,
                director_full_name=data["director_full_name"],
                registered_company_name=data["registered_company_name"],
                registration_number=data["registration_number"],
                address=data["address"],
                business_licence=data["business_licence"],
                certificates=certificate_rows(certificates),
                accepted_agreement_version=data["agreement_version"],
            )
        except SupplierError as error:
            _apply_error(form, error)
        else:
            messages.success(
                request,
                _("Application sent. We aim to review it within 2 business days."),
            )
            return redirect("supplier_trade_assurance")
    return render(
        request,
        "suppliers/verification_apply.html",
        {"form": form, "certificates": certificates, "agreement": agreement},
    )


@role_required(User.Role.SUPPLIER)
def verification_update(request, pk):
    application = get_object_or_404(
        selectors.verification_applications_for(supplier=request.user).filter(
            status=VerificationApplication.Status.MORE_INFO
        ),
        pk=pk,
    )
    form = VerificationResubmitForm(
        request.POST or None, request.FILES or None, instance=application
    )
    certificates = CertificateFormSet(
        request.POST or None, request.FILES or None, prefix="certificates"
    )
    if request.method == "POST" and form.is_valid() and certificates.is_valid():
        data = form.cleaned_data
        licence = data.pop("business_licence", None)
        try:
            services.verification_resubmit(
                application=application,
                acting_user=request.user,
                changes=data,
                business_licence=licence,
                certificates=certificate_rows(certificates),
            )
        except SupplierError as error:
            _apply_error(form, error)
        else:
            messages.success(request, _("Thank you. Your application is waiting for review again."))
            return redirect("supplier_trade_assurance")
    return render(
        request,
        "suppliers/verification_update.html",
        {"form": form, "certificates": certificates, "application": application},
    )


@login_required
def verification_document(request, kind, pk):
    """A licence or certificate, to its supplier and to staff only; 404 to everyone else."""
    applications = VerificationApplication.objects.all()
    if not request.user.is_staff:
        applications = applications.filter(supplier=request.user)
    if kind == "licence":
        document = get_object_or_404(applications, pk=pk).business_licence
    elif kind == "certificate":
        document = get_object_or_404(
            Certificate.objects.filter(application__in=applications), pk=pk
        ).file
    else:
        raise Http404
    return private_file_response(document)


def storefront(request, pk):
    from apps.catalog.selectors import products_for_storefront

    supplier = selectors.supplier_get_public(pk=pk)
    return render(
        request,
        "suppliers/storefront.html",
        {
            "supplier": supplier,
            "figures": selectors.storefront_figures(supplier=supplier),
            "products": products_for_storefront(supplier=supplier, limit=24),
        },
    )
