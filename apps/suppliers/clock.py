"""The clock's rules for suppliers: the nightly Trade Assurance recomputation and the hourly
storefront refresh, runnable by `manage.py sweep` like every other rule."""

from django.utils.translation import gettext_lazy as _

from apps.core.sweeps import Rule, SweepResult, register
from apps.suppliers.models import SupplierProfile
from apps.suppliers.services import storefront_figures_refresh, ta_amounts_recompute_all


def _ta_recompute(now, dry_run):
    result = SweepResult(rule="suppliers.ta_recompute", at=now)
    if dry_run:
        result.due = SupplierProfile.objects.filter(
            ta_amount_overridden=False, verified_at__isnull=False
        ).count()
        result.lines = [f"would recompute {result.due} Trade Assurance Amounts"]
        return result
    result.done = ta_amounts_recompute_all(now=now)
    result.lines = [f"{result.done} Trade Assurance Amounts changed"]
    return result


def _storefront_refresh(now, dry_run):
    supplier_ids = storefront_figures_refresh(now=now, dry_run=dry_run)
    result = SweepResult(rule="suppliers.storefront_figures", at=now, due=len(supplier_ids))
    result.done = 0 if dry_run else len(supplier_ids)
    verb = "would refresh" if dry_run else "refreshed"
    result.lines = [f"{verb} the storefront figures of {len(supplier_ids)} suppliers"]
    return result


register(
    Rule(
        name="suppliers.ta_recompute",
        description=_("Recompute Trade Assurance Amounts (nightly)"),
        run=_ta_recompute,
    )
)
register(
    Rule(
        name="suppliers.storefront_figures",
        description=_("Refresh the storefront figures of suppliers whose orders moved (hourly)"),
        run=_storefront_refresh,
    )
)
