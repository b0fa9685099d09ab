"""Every write about suppliers: verification, Gold membership, the Trade Assurance Amount.

Each entry point runs in one transaction, locks the supplier's profile row before it reads
state, writes its audit row, and notifies the supplier through the outbox."""

import datetime as dt
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.notifications import notification_send
from apps.core.business_days import add_business_days
from apps.core.money import format_money
from apps.orders import selectors as order_selectors
from apps.suppliers.exceptions import (
    ApplicationAlreadyOpen,
    ApplicationNotEditable,
    NoAgreementInForce,
    NotAMediator,
    ReasonRequired,
)
from apps.suppliers.models import (
    Certificate,
    GoldMembership,
    SupplierProfile,
    TradeAssuranceAmountChange,
    VerificationApplication,
)
from apps.suppliers.selectors import agreement_in_force


def supplier_profile_create(*, user) -> SupplierProfile:
    profile, _created = SupplierProfile.objects.get_or_create(user=user)
    return profile


def _locked_profile(supplier) -> SupplierProfile:
    supplier_profile_create(user=supplier)
    return SupplierProfile.objects.select_for_update().get(user=supplier)


def _require_mediator(user):
    if not (user.is_superuser or user.is_mediator):
        raise NotAMediator


# --- Verification ---------------------------------------------------------------------------


@transaction.atomic
def verification_apply(
    *,
    supplier,
    director_full_name,
    registered_company_name,
    registration_number,
    address,
    business_licence,
    certificates=(),
    accepted_agreement_version,
    now=None,
) -> VerificationApplication:
    """Submits a verification application with its certificates (each a dict of name, issuer,
    number, expires_on, file). Refused while another application is waiting."""
    now = now or timezone.now()
    _locked_profile(supplier)
    open_statuses = [
        VerificationApplication.Status.SUBMITTED,
        VerificationApplication.Status.MORE_INFO,
    ]
    if VerificationApplication.objects.filter(supplier=supplier, status__in=open_statuses).exists():
        raise ApplicationAlreadyOpen
    agreement = agreement_in_force(now)
    if agreement is None:
        raise NoAgreementInForce
    if agreement.version != accepted_agreement_version:
        raise ApplicationNotEditable(
            _("The agreement changed while you were reading it; please read and accept it again."),
            field="accept_agreement",
        )
    application = VerificationApplication(
        supplier=supplier,
        director_full_name=director_full_name,
        registered_company_name=registered_company_name,
        registration_number=registration_number,
        address=address,
        business_licence=business_licence,
        agreement=agreement,
        agreement_accepted_at=now,
        submitted_at=now,
        review_due_at=_review_due(now),
    )
    application.full_clean(exclude=["status"])
    application.save()
    for certificate in certificates:
        Certificate.objects.create(application=application, **certificate)
    return application


def _review_due(submitted_at):
    return add_business_days(submitted_at, settings.PACTLINE_VERIFICATION_REVIEW_BUSINESS_DAYS)


@transaction.atomic
def verification_resubmit(
    *, application, acting_user, changes, business_licence=None, certificates=(), now=None
) -> VerificationApplication:
    """The supplier answers a request for more information: updates the fields it was asked
    about, may add documents, and the application waits for review again."""
    now = now or timezone.now()
    application = VerificationApplication.objects.select_for_update().get(pk=application.pk)
    if application.supplier_id != acting_user.pk:
        raise ApplicationNotEditable
    if application.status != VerificationApplication.Status.MORE_INFO:
        raise ApplicationNotEditable
    editable = {"director_full_name", "registered_company_name", "registration_number", "address"}
    for name, value in changes.items():
        if name not in editable:
            raise ValueError(f"{name} cannot be changed on resubmission")
        setattr(application, name, value)
    if business_licence:
        application.business_licence = business_licence
    application.resubmit()
    application.submitted_at = now
    application.review_due_at = _review_due(now)
    application.full_clean(exclude=["status"])
    application.save()
    for certificate in certificates:
        Certificate.objects.create(application=application, **certificate)
    return application


def _decide(application, acting_user, reason, transition, now):
    _require_mediator(acting_user)
    application = VerificationApplication.objects.select_for_update().get(pk=application.pk)
    _locked_profile(application.supplier)
    if application.status != VerificationApplication.Status.SUBMITTED:
        raise ApplicationNotEditable(_("This application is not waiting for a decision."))
    getattr(application, transition)()
    application.reviewed_at = now
    application.reviewed_by = acting_user
    application.decision_reason = reason.strip()
    application.save()
    return application


@transaction.atomic
def verification_approve(*, application, acting_user, reason="", now=None):
    """Approves: the supplier becomes verified now, and its Trade Assurance Amount is computed."""
    now = now or timezone.now()
    application = _decide(application, acting_user, reason, "approve", now)
    SupplierProfile.objects.filter(user=application.supplier).update(verified_at=now)
    _notify_decision(application)
    ta_amount_recompute(supplier=application.supplier, now=now)
    return application


@transaction.atomic
def verification_reject(*, application, acting_user, reason, now=None):
    if not reason.strip():
        raise ReasonRequired
    application = _decide(application, acting_user, reason, "reject", now or timezone.now())
    _notify_decision(application)
    return application


@transaction.atomic
def verification_request_info(*, application, acting_user, reason, now=None):
    if not reason.strip():
        raise ReasonRequired
    application = _decide(
        application, acting_user, reason, "request_more_info", now or timezone.now()
    )
    _notify_decision(application)
    return application


def _notify_decision(application):
    notification_send(
        user=application.supplier,
        kind=f"verification_{application.status}",
        template="suppliers/email/verification_decision",
        context={"application": application},
        link=reverse("supplier_trade_assurance"),
    )


# --- Gold membership ------------------------------------------------------------------------


@transaction.atomic
def gold_membership_grant(
    *, supplier, acting_user=None, source=GoldMembership.Source.STAFF, note="", now=None
) -> GoldMembership:
    """Adds a year of Gold. A member renewing early keeps the rest of the current year: the new
    year starts when the current one ends."""
    now = now or timezone.now()
    if source == GoldMembership.Source.STAFF and (acting_user is None or not acting_user.is_staff):
        raise NotAMediator(_("Only staff can grant Gold membership."))
    profile = _locked_profile(supplier)
    starts_at = max(now, profile.gold_until) if profile.gold_until else now
    membership = GoldMembership.objects.create(
        supplier=supplier,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(days=settings.PACTLINE_GOLD_MEMBERSHIP_DAYS),
        source=source,
        granted_by=acting_user,
        note=note,
    )
    profile.gold_until = membership.ends_at
    profile.save(update_fields=["gold_until"])
    notification_send(
        user=supplier,
        kind="gold_granted",
        template="suppliers/email/gold_granted",
        context={"membership": membership},
        link=reverse("supplier_trade_assurance"),
    )
    return membership


# --- Trade Assurance Amount -----------------------------------------------------------------


def ta_amount_formula(*, volume_usd_minor, on_time_rate, disputes_lost, owed_usd_minor=0):
    """The Trade Assurance Amount (US cents) from six months of performance (docs/policies.md):

    (base + share × completed volume) × punctuality × dispute factor, rounded down to
    PACTLINE_TA_ROUND_TO and capped at PACTLINE_TA_MAX_AMOUNT, where
    punctuality = 1 with no shipments due yet, else clamp((on-time rate − 0.5) × 2, 0, 1)
    dispute factor = max(0, 1 − penalty × disputes lost)
    less what the supplier still owes for claims paid from coverage (never below 0).
    """
    base = Decimal(settings.PACTLINE_TA_BASE_AMOUNT)
    amount = base + Decimal(settings.PACTLINE_TA_VOLUME_SHARE) * Decimal(volume_usd_minor)
    if on_time_rate is not None:
        punctuality = min(
            Decimal(1), max(Decimal(0), (Decimal(str(on_time_rate)) - Decimal("0.5")) * 2)
        )
        amount *= punctuality
    penalty = Decimal(settings.PACTLINE_TA_DISPUTE_PENALTY) * disputes_lost
    amount *= max(Decimal(0), Decimal(1) - penalty)
    amount = max(Decimal(0), amount - Decimal(owed_usd_minor))
    step = settings.PACTLINE_TA_ROUND_TO
    rounded = int((amount / step).to_integral_value(rounding=ROUND_DOWN)) * step
    return min(rounded, settings.PACTLINE_TA_MAX_AMOUNT)


def ta_amount_inputs(*, supplier, now):
    since = now - dt.timedelta(days=settings.PACTLINE_TA_LOOKBACK_DAYS)
    completed = order_selectors.supplier_completed_orders(supplier=supplier, since=since, until=now)
    punctuality = order_selectors.supplier_shipment_punctuality(
        supplier=supplier, since=since, until=now
    )
    disputes = order_selectors.supplier_disputes(supplier=supplier, since=since, until=now)
    return {
        "since": since.isoformat(),
        "completed_orders": completed.count,
        "volume_usd_minor": completed.value_usd_minor,
        "shipments_due": punctuality.shipments_due,
        "on_time": punctuality.on_time,
        "on_time_rate": punctuality.rate,
        "disputes_lost": disputes.disputes_lost,
        "owed_usd_minor": _covered_claims_owed_usd(supplier),
    }


def _covered_claims_owed_usd(supplier):
    """What the supplier owes back for post-delivery claims paid from coverage, in US cents."""
    from apps.core.money import to_usd_minor
    from apps.escrow.models import LedgerAccount  # escrow builds on suppliers' orders

    return sum(
        to_usd_minor(-account.balance, account.currency)
        for account in LedgerAccount.objects.filter(
            kind=LedgerAccount.Kind.SUPPLIER_RECEIVABLE, user=supplier, balance__lt=0
        )
    )


@transaction.atomic
def ta_amount_recompute(*, supplier, now=None) -> TradeAssuranceAmountChange | None:
    """Recomputes the supplier's amount from its last six months and records the change, if
    any, with the figures it came from. Leaves an amount set by staff alone. A supplier whose
    amount goes down is told why."""
    now = now or timezone.now()
    profile = _locked_profile(supplier)
    if profile.ta_amount_overridden:
        return None
    inputs = ta_amount_inputs(supplier=supplier, now=now)
    new_amount = ta_amount_formula(
        volume_usd_minor=inputs["volume_usd_minor"],
        on_time_rate=inputs["on_time_rate"],
        disputes_lost=inputs["disputes_lost"],
        owed_usd_minor=inputs["owed_usd_minor"],
    )
    if new_amount == profile.ta_amount:
        return None
    reason = _computed_reason(inputs)
    return _ta_amount_set(
        profile, new_amount, TradeAssuranceAmountChange.Source.COMPUTED, reason, None, now, inputs
    )


def _computed_reason(inputs):
    rate = inputs["on_time_rate"]
    return _(
        "Recomputed from the last six months: %(orders)s completed orders, on-time shipment "
        "%(on_time)s, %(disputes)s disputes lost."
    ) % {
        "orders": inputs["completed_orders"],
        "on_time": f"{round(rate * 100)}%" if rate is not None else _("no shipments due yet"),
        "disputes": inputs["disputes_lost"],
    } + (
        " "
        + _("Less %(owed)s owed for claims paid from Trade Assurance coverage.")
        % {"owed": format_money(inputs["owed_usd_minor"], "USD")}
        if inputs.get("owed_usd_minor")
        else ""
    )


@transaction.atomic
def ta_amount_override(*, supplier, amount, reason, acting_user, now=None):
    """Staff set the amount by hand, with a reason; the nightly recomputation then leaves it."""
    _require_mediator(acting_user)
    if not reason.strip():
        raise ReasonRequired(field="reason")
    if amount < 0:
        raise ValueError("amount must not be negative")
    profile = _locked_profile(supplier)
    profile.ta_amount_overridden = True
    return _ta_amount_set(
        profile,
        amount,
        TradeAssuranceAmountChange.Source.OVERRIDE,
        reason.strip(),
        acting_user,
        now or timezone.now(),
        {},
    )


@transaction.atomic
def ta_amount_override_clear(*, supplier, acting_user, now=None):
    """Hands the amount back to the formula, recomputing it now."""
    _require_mediator(acting_user)
    now = now or timezone.now()
    profile = _locked_profile(supplier)
    if not profile.ta_amount_overridden:
        return None
    profile.ta_amount_overridden = False
    profile.save(update_fields=["ta_amount_overridden"])
    TradeAssuranceAmountChange.objects.create(
        supplier=supplier,
        old_amount=profile.ta_amount,
        new_amount=profile.ta_amount,
        source=TradeAssuranceAmountChange.Source.OVERRIDE_CLEARED,
        reason=_("Staff override removed; the amount follows performance again."),
        changed_by=acting_user,
        created_at=now,
    )
    return ta_amount_recompute(supplier=supplier, now=now)


def _ta_amount_set(profile, new_amount, source, reason, acting_user, now, inputs):
    change = TradeAssuranceAmountChange.objects.create(
        supplier=profile.user,
        old_amount=profile.ta_amount,
        new_amount=new_amount,
        source=source,
        reason=reason,
        inputs=inputs,
        changed_by=acting_user,
        created_at=now,
    )
    profile.ta_amount = new_amount
    profile.ta_amount_updated_at = now
    profile.save(update_fields=["ta_amount", "ta_amount_updated_at", "ta_amount_overridden"])
    if change.lowered:
        notification_send(
            user=profile.user,
            kind="ta_amount_lowered",
            template="suppliers/email/ta_amount_lowered",
            context={"change": change},
            link=reverse("supplier_trade_assurance"),
        )
    return change


def ta_amounts_recompute_all(*, now=None) -> int:
    """The nightly run: each supplier in its own transaction, so one failure stops nothing."""
    changed = 0
    # Only verified suppliers have an amount to keep; approval computes the first one.
    supplier_ids = SupplierProfile.objects.filter(
        ta_amount_overridden=False, verified_at__isnull=False
    ).values_list("user_id", flat=True)
    for supplier in User.objects.filter(pk__in=list(supplier_ids)).iterator():
        changed += ta_amount_recompute(supplier=supplier, now=now) is not None
    return changed


def storefront_figures_refresh(*, now=None, dry_run=False) -> list:
    """Recomputes and caches the storefront figures of every supplier whose orders moved in the
    last PACTLINE_STOREFRONT_REFRESH_MINUTES (with a margin for a late beat tick). With the
    cache kept PACTLINE_STOREFRONT_CACHE_SECONDS (an hour), no storefront shows figures older
    than an hour, and no page view of a busy storefront computes them. Returns supplier ids."""
    from apps.suppliers.selectors import storefront_figures_cache

    now = now or timezone.now()
    since = now - dt.timedelta(minutes=settings.PACTLINE_STOREFRONT_REFRESH_MINUTES + 5)
    supplier_ids = order_selectors.suppliers_with_activity(since=since, until=now)
    if not dry_run:
        for supplier in User.objects.filter(pk__in=supplier_ids):
            storefront_figures_cache(supplier=supplier)
    return supplier_ids
