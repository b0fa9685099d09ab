"""Reads about suppliers: storefronts, trust figures, applications, already scoped."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import get_object_or_404
from django.utils import timezone

from apps.accounts.models import User
from apps.orders import selectors as order_selectors
from apps.suppliers.models import (
    ServicesAgreement,
    SupplierProfile,
    TradeAssuranceAmountChange,
    VerificationApplication,
)


def supplier_get_public(*, pk):
    """A supplier anyone may look at: active, with a supplier profile. 404 otherwise."""
    return get_object_or_404(
        User.objects.filter(role=User.Role.SUPPLIER, is_active=True).select_related(
            "company", "supplier_profile"
        ),
        pk=pk,
    )


def supplier_profile_for(*, user) -> SupplierProfile:
    """The supplier's profile, or an unsaved basic one if it has none yet (reads never write)."""
    try:
        return user.supplier_profile
    except SupplierProfile.DoesNotExist:
        return SupplierProfile(user=user)


def agreement_in_force(at=None):
    return ServicesAgreement.objects.filter(published_at__lte=at or timezone.now()).first()


def verification_applications_for(*, supplier):
    return VerificationApplication.objects.filter(supplier=supplier).prefetch_related(
        "certificates"
    )


def verification_open_application(*, supplier):
    return (
        verification_applications_for(supplier=supplier)
        .filter(
            status__in=[
                VerificationApplication.Status.SUBMITTED,
                VerificationApplication.Status.MORE_INFO,
            ]
        )
        .first()
    )


def ta_amount_history_for(*, supplier):
    return TradeAssuranceAmountChange.objects.filter(supplier=supplier).select_related("changed_by")


@dataclass(frozen=True)
class StorefrontFigures:
    """What a buyer sees before paying. None means 'no data yet', never zero by default."""

    computed_at: dt.datetime
    tier: str
    is_verified: bool
    is_gold: bool
    is_trade_assurance_eligible: bool
    ta_amount: int
    member_since: dt.datetime
    years_on_platform: int
    completed_orders: int
    completed_value_usd_minor: int
    shipments_due: int
    on_time_rate: float | None
    buyer_messages: int
    response_rate: float | None
    average_response_hours: float | None
    orders_funded: int
    disputed_orders: int
    dispute_rate: float | None
    # From real dispute cases over the same 12 months (apps.disputes.selectors).
    disputes_per_100_orders: float | None = None
    disputes_against_supplier_share: float | None = None
    dispute_median_days_to_resolve: float | None = None


def storefront_figures(*, supplier, now=None, use_cache=True) -> StorefrontFigures:
    """The storefront's trust figures, computed from orders, events and messages, cached for
    PACTLINE_STOREFRONT_CACHE_SECONDS (so they are never more than that out of date)."""
    key = f"storefront-figures:{supplier.pk}"
    if use_cache and now is None:
        cached = cache.get(key)
        if cached is not None:
            return cached
    figures = _compute_storefront_figures(supplier=supplier, now=now or timezone.now())
    if use_cache and now is None:
        cache.set(key, figures, settings.PACTLINE_STOREFRONT_CACHE_SECONDS)
    return figures


def storefront_figures_cache(*, supplier) -> StorefrontFigures:
    """Recomputes the figures now and caches them (beat's hourly refresh)."""
    figures = _compute_storefront_figures(supplier=supplier, now=timezone.now())
    cache.set(
        f"storefront-figures:{supplier.pk}", figures, settings.PACTLINE_STOREFRONT_CACHE_SECONDS
    )
    return figures


def _compute_storefront_figures(*, supplier, now):
    profile = supplier_profile_for(user=supplier)
    year_ago = now - dt.timedelta(days=settings.PACTLINE_STOREFRONT_ORDER_DAYS)
    completed = order_selectors.supplier_completed_orders(
        supplier=supplier, since=year_ago, until=now
    )
    punctuality = order_selectors.supplier_shipment_punctuality(
        supplier=supplier, since=year_ago, until=now
    )
    disputes = order_selectors.supplier_disputes(supplier=supplier, since=year_ago, until=now)
    from apps.disputes.selectors import supplier_dispute_figures  # disputes build on suppliers

    cases = supplier_dispute_figures(supplier=supplier, since=year_ago, until=now)
    responsiveness = order_selectors.supplier_responsiveness(
        supplier=supplier,
        since=now - dt.timedelta(days=settings.PACTLINE_RESPONSE_WINDOW_DAYS),
        until=now,
        target=dt.timedelta(hours=settings.PACTLINE_RESPONSE_TARGET_HOURS),
    )
    average = responsiveness.average_response
    return StorefrontFigures(
        computed_at=now,
        tier=profile.tier(now),
        is_verified=profile.is_verified(),
        is_gold=profile.is_gold(now),
        is_trade_assurance_eligible=profile.is_trade_assurance_eligible(now),
        ta_amount=profile.ta_amount,
        member_since=supplier.date_joined,
        years_on_platform=max(0, (now - supplier.date_joined).days // 365),
        completed_orders=completed.count,
        completed_value_usd_minor=completed.value_usd_minor,
        shipments_due=punctuality.shipments_due,
        on_time_rate=punctuality.rate,
        buyer_messages=responsiveness.buyer_messages,
        response_rate=responsiveness.rate,
        average_response_hours=average.total_seconds() / 3600 if average is not None else None,
        orders_funded=disputes.orders_funded,
        disputed_orders=disputes.disputed_orders,
        dispute_rate=disputes.rate,
        disputes_per_100_orders=cases.per_100_orders,
        disputes_against_supplier_share=cases.against_supplier_share,
        dispute_median_days_to_resolve=cases.median_days_to_resolve,
    )
