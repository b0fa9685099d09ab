"""The escrow's deadlines for the clock: a refund by bank transfer, or a payout, that the bank has
not answered in time is chased by staff (docs/policies.md, "Deadlines")."""

from django.utils.translation import gettext_lazy as _

from apps.core.sweeps import Rule, register
from apps.escrow import services
from apps.escrow.models import Payout, Refund

register(
    Rule(
        name="escrow.refund_chase",
        description=_("Ask staff to chase refunds the buyer's bank has not answered"),
        model=Refund,
        due=services.refund_chase_due,
        act=services.refund_chase,
        describe=lambda refund, now: f"{refund.provider_reference}: would ask staff to chase it",
        deadline="chase_at",
    )
)
register(
    Rule(
        name="escrow.payout_chase",
        description=_("Ask staff to chase payouts the supplier's bank has not answered"),
        model=Payout,
        due=services.payout_chase_due,
        act=services.payout_chase,
        describe=lambda payout, now: f"{payout.provider_reference}: would ask staff to chase it",
        deadline="chase_at",
    )
)
