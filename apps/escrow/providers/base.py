"""The payment provider interface. A provider starts a payment and later confirms it through a
signed webhook; it sends a payout to a supplier's bank, and money back to a buyer, and reports
through a signed webhook when the bank paid or refused it. The escrow services never talk to a
provider's API directly."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ProviderStart:
    """What the provider said when asked to take a payment."""

    reference: str
    captured: bool  # the money is in (card, Pay Later); otherwise pending until a webhook
    instructions: dict = field(default_factory=dict)  # what the buyer must do (bank details...)


@dataclass(frozen=True)
class ProviderRefund:
    """What the provider said when asked to send money back to a buyer."""

    reference: str
    done: bool  # back on the card or Pay Later account; otherwise processing until a webhook


class PaymentProvider:
    name = "base"

    def start(self, *, payment) -> ProviderStart:
        raise NotImplementedError

    def payout_start(self, *, payout) -> str:
        """Asks the provider to send `payout` (not saved yet) to the supplier's bank account,
        `payout.account` (a PayoutAccount: IBAN, or account number with BIC); returns the
        provider's reference for it, which its payout webhooks name."""
        raise NotImplementedError

    def refund_start(self, *, refund) -> ProviderRefund:
        """Asks the provider to send `refund` (not saved yet) back the way its payment came:
        to the card, the Pay Later account, or the bank account the transfer came from."""
        raise NotImplementedError

    def verify_webhook(self, *, body: bytes, signature_header: str, now) -> None:
        """Raises WebhookRejected unless the body is signed by this provider and fresh."""
        raise NotImplementedError
