"""The notification outbox as a clock rule: emails whose on-commit message was lost."""

from django.utils.translation import gettext_lazy as _

from apps.accounts.notifications import notifications_deliver_pending, notifications_pending
from apps.core.sweeps import Rule, SweepResult, register


def _deliver(now, dry_run):
    result = SweepResult(rule="accounts.notifications", at=now)
    if dry_run:
        result.due = notifications_pending(now=now).count()
        result.lines = [f"would email {result.due} notifications"]
        return result
    result.done = notifications_deliver_pending(now=now)
    result.lines = [f"emailed {result.done} notifications"]
    return result


register(
    Rule(
        name="accounts.notifications",
        description=_("Email notifications whose delivery message was lost"),
        run=_deliver,
    )
)
