from django.utils.translation import gettext_lazy as _

from apps.orders.exceptions import OrderError


class EscrowError(OrderError):
    """Money requests a user can cause to fail; shown like the order errors (400/403/409)."""


class PaymentRefused(EscrowError):
    default_message = _("This payment cannot be made.")


class Overpayment(PaymentRefused):
    field = "amount"
    default_message = _("That is more than is due on this order.")


class PayoutRefused(EscrowError):
    field = "amount"
    default_message = _("This payout cannot be made.")


class BankDetailsInvalid(EscrowError):
    """Bank details a payout or a refund cannot go to, with a message by field."""

    default_message = _("Correct the bank details where marked.")


class PayoutAccountNotReady(PayoutRefused):
    """No bank account to pay out to yet, or a changed one still held."""

    field = "detail"
    http_status = 409
    default_message = _("Add the bank account your payouts go to first.")


class PasswordMismatch(EscrowError):
    field = "password"
    default_message = _("This is not your password.")


class IdempotencyConflict(EscrowError):
    http_status = 409
    default_message = _(
        "This Idempotency-Key was already used with a different request. Use a new key."
    )


class LedgerUnbalanced(Exception):
    """A programming error: an entry whose postings do not sum to zero."""


class WebhookRejected(Exception):
    """A webhook that is not signed by the provider, or not fresh."""
